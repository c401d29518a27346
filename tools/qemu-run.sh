#!/usr/bin/env bash
# Boot an ISO in QEMU for a person: serial console on this terminal (Ctrl-A X
# quits), the VGA window too when there is a DISPLAY. Exit status: 0 when the
# kernel reported success through isa-debug-exit or the user quit, 1 when it
# reported failure, panicked or triple-faulted.
set -u
iso=$1
shift
reset_log=$(mktemp)
trap 'rm -f "$reset_log"' EXIT
display=(-display none)
[ -n "${DISPLAY:-}" ] && display=(-vga std)
qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx -no-reboot \
	-cdrom "$iso" -serial mon:stdio "${display[@]}" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-d cpu_reset -D "$reset_log" "$@"
status=$?
case $status in
33) exit 0 ;;
35) echo "nanoswap: the kernel reported failure (exit status 35)" >&2; exit 1 ;;
37) echo "nanoswap: the kernel panicked (exit status 37)" >&2; exit 1 ;;
0)
	if grep -q 'Triple fault' "$reset_log"; then
		echo "nanoswap: triple fault (QEMU exit status 0 with -no-reboot)" >&2
		exit 1
	fi
	exit 0 ;;
*) echo "nanoswap: QEMU exited with status $status" >&2; exit 1 ;;
esac
