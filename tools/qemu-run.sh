#!/usr/bin/env bash
# Boot an ISO in QEMU for a person: serial console on this terminal (Ctrl-A X
# quits), the VGA window too when there is a DISPLAY. Exit status: 0 when the
# kernel reported success through isa-debug-exit (the shell's `halt`) or the
# user quit, 1 when it reported failure, panicked or triple-faulted.
#
# COM2 is the push channel: a UNIX socket beside the ISO (build/push.sock)
# that tools/nanoswap-push uploads objects through.
#
# The serial port is QEMU's stdio chardev with signal=off, so Ctrl-C reaches
# the shell (it cancels the line) instead of killing QEMU, multiplexed with
# the monitor (Ctrl-A C). It works the same when stdin is a pipe or a file:
# `printf 'ns\nhalt\n' | make run`. QEMU reads only as many bytes as the
# UART can hold, so input that arrives before the prompt waits, unlost.
set -u
iso=$1
shift
reset_log=$(mktemp)
trap 'rm -f "$reset_log"' EXIT
display=(-display none)
[ -n "${DISPLAY:-}" ] && display=(-vga std)
qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx -no-reboot \
	-cdrom "$iso" -chardev stdio,id=con,mux=on,signal=off \
	-serial chardev:con -mon chardev=con,mode=readline "${display[@]}" \
	-chardev socket,id=push,path="$(dirname "$iso")/push.sock",server=on,wait=off \
	-serial chardev:push -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
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
