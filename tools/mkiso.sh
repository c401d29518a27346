#!/usr/bin/env bash
# Build a GRUB (multiboot2, BIOS) ISO:
#   tools/mkiso.sh OUT.iso "CMDLINE" BUILD MODULE... [-- TESTMOD...] [++ FILE...]
# The kernel boots from BUILD/nanoswap.elf (no RELA sections); the full
# --emit-relocs image and every constituent module object ride along as
# multiboot2 modules, copied byte for byte from what was linked, then the
# test crates from BUILD/testmods/, then each FILE (make bench's objects) as
# /bench/BASENAME, named BASENAME without its extension (fat.o -> fat).
set -euo pipefail
out=$1 cmdline=$2 build=$3
shift 3
root=$(mktemp -d "$build/isoroot.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/boot/grub" "$root/modules" "$root/testmods" "$root/bench"
cp "$build/nanoswap.elf" "$root/boot/nanoswap.elf"
cp "$build/nano_core.elf" "$root/boot/nano_core.elf"
cp "$build/nano_core.desc" "$root/boot/nano_core.desc"
{
	echo 'set timeout=0'
	echo 'set default=0'
	echo 'serial --unit=0 --speed=115200'
	echo 'menuentry "nanoswap" {'
	echo "	multiboot2 /boot/nanoswap.elf $cmdline"
	echo '	module2 /boot/nano_core.elf nano_core'
	echo '	module2 /boot/nano_core.desc nano_core_desc'
	dir=modules
	for m in "$@"; do
		if [ "$m" = -- ]; then
			dir=testmods
			continue
		elif [ "$m" = ++ ]; then
			dir=bench
			continue
		elif [ $dir = bench ]; then
			b=$(basename "$m")
			cp "$m" "$root/bench/$b"
			echo "	module2 /bench/$b ${b%.*}"
			continue
		fi
		cp "$build/$dir/$m.o" "$root/$dir/$m.o"
		echo "	module2 /$dir/$m.o $m"
	done
	echo '	boot'
	echo '}'
} > "$root/boot/grub/grub.cfg"
log=$(mktemp)
if ! grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out.tmp" "$root" >"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log" "$out.tmp"
	exit 1
fi
rm -f "$log"
mv "$out.tmp" "$out"
