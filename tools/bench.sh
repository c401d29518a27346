#!/usr/bin/env bash
# make bench: boot ISO with the `bench` command line under QEMU -icount
# shift=0, where the guest's rdtsc counts instructions (deterministic), and
# print the kernel's "bench:" lines.   tools/bench.sh ISO
set -u
iso=$1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout "${QEMU_TIMEOUT:-120}" qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx \
	-no-reboot -display none -icount shift=0 -cdrom "$iso" -serial "file:$log" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null
status=$?
tr -d '\r' < "$log" | grep '^bench:'
if [ $status != 33 ]; then
	echo "bench: QEMU exit status $status (expected 33); serial log tail:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
