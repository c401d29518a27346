#!/usr/bin/env bash
# Build a GRUB (multiboot2, BIOS) ISO:
#   tools/mkiso.sh OUT.iso "CMDLINE" BUILD MODULE... [-- TESTMOD...] [--extra PATH...]
# The kernel boots from BUILD/nanoswap.elf (no RELA sections); the full
# --emit-relocs image and every constituent module object ride along as
# multiboot2 modules, copied byte for byte from what was linked, then the
# test crates from BUILD/testmods/, then any extra files (make run
# MODULES="a.o dir/b.o", make bench's objects and their stub crates), each
# named by its basename without its extension (a.o -> a, fat.ko -> fat).
# GRUB leaves COM1 alone (no `serial` command): resetting its FIFO would drop
# input that arrived before the kernel reads it.
set -euo pipefail
out=$1 cmdline=$2 build=$3
shift 3
root=$(mktemp -d "$build/isoroot.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/boot/grub" "$root/modules" "$root/testmods"
cp "$build/nanoswap.elf" "$root/boot/nanoswap.elf"
cp "$build/nano_core.elf" "$root/boot/nano_core.elf"
cp "$build/nano_core.desc" "$root/boot/nano_core.desc"
{
	echo 'set timeout=0'
	echo 'set default=0'
	echo 'menuentry "nanoswap" {'
	echo "	multiboot2 /boot/nanoswap.elf $cmdline"
	echo '	module2 /boot/nano_core.elf nano_core'
	echo '	module2 /boot/nano_core.desc nano_core_desc'
	dir=modules
	for m in "$@"; do
		case $m in
		--) dir=testmods; continue ;;
		--extra) dir=extra; mkdir -p "$root/extra"; continue ;;
		esac
		if [ $dir = extra ]; then
			file=$(basename "$m")
			name=${file%.*}
			case $name in
			''|*[!A-Za-z0-9_]*)
				echo "mkiso: extra object '$m': its name '$name' must be letters, digits and _" >&2
				exit 1 ;;
			esac
			[ -e "$root/extra/$name" ] && { echo "mkiso: two extra objects named '$name'" >&2; exit 1; }
			cp "$m" "$root/extra/$name"
			echo "	module2 /extra/$name $name"
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
