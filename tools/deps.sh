#!/usr/bin/env bash
# Make sure the tools nanoswap needs are installed.
#   tools/deps.sh check    install what is missing if root, else print the command and fail
#   tools/deps.sh install  the same, but always try (make deps)
set -u
PKGS="qemu-system-x86 grub-pc-bin grub-common xorriso mtools clang libclang-rt-14-dev gdb libdw-dev libelf-dev binutils gcc make"

missing=""
need() { # need PACKAGE TEST...
	local pkg=$1; shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
need qemu-system-x86 command -v qemu-system-x86_64
need grub-pc-bin test -d /usr/lib/grub/i386-pc
need grub-common command -v grub-mkrescue
need xorriso command -v xorriso
need mtools command -v mformat
need clang command -v clang
need gdb command -v gdb	# make debug, and the gdb test
need libclang-rt-14-dev sh -c 'ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a'
need libdw-dev test -f /usr/include/elfutils/libdw.h	# tools/layoutfp
need libelf-dev test -f /usr/include/gelf.h

[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "nanoswap: missing packages:$missing" >&2
	echo "install them with: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "nanoswap: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null || {
	echo "nanoswap: apt-get install$missing failed" >&2
	exit 1
}
