#!/usr/bin/env bash
# Check that an ISO carries byte for byte what was linked:
#   tests/iso.sh ISO BUILD MODULE...
# Prints "ok iso.NAME" / "FAIL iso.NAME: ..." per file and "N passed, N failed".
set -u
iso=$1 build=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. tests/run/lib.sh
check() { # check NAME PATH-IN-ISO FILE
	local why=""
	if ! xorriso -osirrox on -indev "$1" -extract "$2" "$out/x" >/dev/null 2>&1; then
		why="$2 is not in $1"
	elif ! cmp -s "$out/x" "$4"; then
		why="$2 differs from $4"
	fi
	result "iso.$3" "${why:+1}${why:-0}" "$why"
	rm -f "$out/x"
}
check "$iso" /boot/nano_core.elf nano_core "$build/nano_core.elf"
check "$iso" /boot/nanoswap.elf nanoswap.elf "$build/nanoswap.elf"
check "$iso" /boot/nano_core.desc nano_core.desc "$build/nano_core.desc"
for m in "$@"; do
	check "$iso" "/modules/$m.o" "module.$m" "$build/modules/$m.o"
done
! readelf -SW "$build/nanoswap.elf" | grep -q ' \.rela'
result iso.boot_image_has_no_rela $? "GRUB would refuse it"
readelf -SW "$build/nano_core.elf" | grep -q ' \.rela\.text'
result iso.full_image_keeps_relocs $? "no .rela.text in nano_core.elf (--emit-relocs)"
summary
