#!/usr/bin/env bash
# Check that an ISO carries byte for byte what was linked:
#   tests/iso.sh ISO BUILD MODULE...
# Prints "ok iso.NAME" / "FAIL iso.NAME: ..." per file and "N passed, N failed".
set -u
iso=$1 build=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0 failed=0
check() { # check NAME PATH-IN-ISO FILE
	if ! xorriso -osirrox on -indev "$1" -extract "$2" "$out/x" >/dev/null 2>&1; then
		echo "FAIL iso.$3: $2 is not in $1"; failed=$((failed + 1))
	elif ! cmp -s "$out/x" "$4"; then
		echo "FAIL iso.$3: $2 differs from $4"; failed=$((failed + 1))
	else
		echo "ok iso.$3"; passed=$((passed + 1))
	fi
	rm -f "$out/x"
}
check "$iso" /boot/nano_core.elf nano_core "$build/nano_core.elf"
check "$iso" /boot/nanoswap.elf nanoswap.elf "$build/nanoswap.elf"
check "$iso" /boot/nano_core.desc nano_core.desc "$build/nano_core.desc"
for m in "$@"; do
	check "$iso" "/modules/$m.o" "module.$m" "$build/modules/$m.o"
done
if readelf -SW "$build/nanoswap.elf" | grep -q ' \.rela'; then
	echo "FAIL iso.boot_image_has_no_rela: GRUB would refuse it"; failed=$((failed + 1))
else
	echo "ok iso.boot_image_has_no_rela"; passed=$((passed + 1))
fi
if readelf -SW "$build/nano_core.elf" | grep -q ' \.rela\.text'; then
	echo "ok iso.full_image_keeps_relocs"; passed=$((passed + 1))
else
	echo "FAIL iso.full_image_keeps_relocs: no .rela.text in nano_core.elf (--emit-relocs)"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
