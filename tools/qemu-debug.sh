#!/usr/bin/env bash
# make debug: boot BUILD/nanoswap.iso in QEMU paused under its gdb stub and
# run gdb with tools/gdb/nanoswap.py, stopped at kernel_main with the crates'
# symbols followed from there (nanoswap-symbols). The serial console is a
# socket (connect with: socat -,rawer UNIX-CONNECT:BUILD/debug-serial.sock)
# and is logged to BUILD/debug-serial.log. Quitting gdb stops QEMU.
#   tools/qemu-debug.sh BUILD
set -u
build=$1
gdb_sock=$build/debug-gdb.sock serial_sock=$build/debug-serial.sock
rm -f "$gdb_sock" "$serial_sock"
qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx -no-reboot \
	-display none -cdrom "$build/nanoswap.iso" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-chardev "socket,id=con,path=$serial_sock,server=on,wait=off,logfile=$build/debug-serial.log" \
	-serial chardev:con -chardev "socket,id=push,path=$build/push.sock,server=on,wait=off" \
	-serial chardev:push -gdb "unix:$gdb_sock,server=on,wait=off" -S &
qemu=$!
trap 'kill $qemu 2>/dev/null; rm -f "$gdb_sock" "$serial_sock"' EXIT
for _ in $(seq 50); do [ -S "$gdb_sock" ] && break; sleep 0.1; done
echo "nanoswap: serial console: socat -,rawer UNIX-CONNECT:$serial_sock (log: $build/debug-serial.log)"
# no file argument: the script loads build/nano_core.elf itself, after the
# crates, so that `p NAME` finds the live copy first
NANOSWAP_BUILD=$build gdb -nx -x tools/gdb/nanoswap.py \
	-ex "target remote $gdb_sock" \
	-ex 'hbreak kernel_main' -ex 'continue' -ex 'delete' -ex 'nanoswap-symbols'
