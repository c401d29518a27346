#!/usr/bin/env bash
# gdb sees the live copies: boots ISO (default command line: swap=all, then
# the shell) paused under QEMU's gdb stub, runs gdb -batch with
# tools/gdb/nanoswap.py, loads the crates' symbols at kernel_main (there are
# none yet: the breakpoint on crates_changed must pick up every swap), breaks
# on the shell's command dispatcher, types `help`, and checks that gdb stops
# in the module-area copy of shell_exec_line, names it, that `bt` has no
# `??` frame and that `&kmalloc` is the live copy; then that `load tm_hello`
# adds its symbols and `unload tm_hello` removes them, and `halt` exits 33.
#   tests/gdb.sh ISO BUILD RESULTS
set -u
iso=$1 build=$2 results=$3
name=gdb
log=$results/$name.log serial=$results/$name.serial
sock=$(mktemp -u "${TMPDIR:-/tmp}/nanoswap-gdb.XXXXXX")
printf 'help\nload tm_hello\nmem\nunload tm_hello\nhalt\n' > "$results/$name.in"

timeout 120 qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx -no-reboot \
	-display none -cdrom "$iso" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-chardev stdio,id=con,signal=off -serial chardev:con \
	-gdb "unix:$sock,server=on,wait=off" -S \
	<"$results/$name.in" >"$serial" 2>"$results/$name.qemu" &
qemu=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

NANOSWAP_BUILD=$build timeout 120 gdb -batch -nx -x tools/gdb/nanoswap.py \
	-ex "target remote $sock" \
	-ex 'hbreak kernel_main' -ex 'continue' -ex 'delete' \
	-ex 'nanoswap-symbols' \
	-ex 'break shell_exec_line' -ex 'continue' \
	-ex 'python print("gdb-test: pc %x" % int(gdb.parse_and_eval("$pc")))' \
	-ex 'info symbol $pc' \
	-ex 'bt' \
	-ex 'python print("gdb-test: kmalloc %x" % int(gdb.parse_and_eval("&kmalloc")))' \
	-ex 'delete' -ex 'break cmd_mem' -ex 'continue' \
	-ex 'python print("gdb-test: after load %x" % int(gdb.parse_and_eval("&tm_hello_run")))' \
	-ex 'delete' -ex 'break cmd_halt' -ex 'continue' \
	-ex 'python print("gdb-test: after unload %s" % gdb.lookup_global_symbol("tm_hello_run"))' \
	-ex 'delete' -ex 'continue' >"$log" 2>&1
wait $qemu
status=$?
rm -f "$sock"
tr -d '\r' < "$serial" >> "$log"

why=""
pc=$(sed -n 's/^gdb-test: pc \([0-9a-f]*\)$/\1/p' "$log")
[ $status = 33 ] || why="QEMU exit status $status, expected 33"
[ -n "$pc" ] || why="${why:+$why; }gdb never stopped in shell_exec_line"
[ -n "$pc" ] && [ $((0x$pc >= 0xffffffffc0000000)) = 1 ] ||
	why="${why:+$why; }pc ${pc:-?} is not in the module area (ffffffffc0000000-)"
grep -q '^shell_exec_line in section \.text\.shell_exec_line of .*/modules/shell\.o' "$log" ||
	why="${why:+$why; }'info symbol \$pc' does not name shell_exec_line in shell.o"
bt=$(sed -n '/^#0 /,/^gdb-test: kmalloc/p' "$log")
echo "$bt" | grep -q '^#0 .*shell_exec_line' || why="${why:+$why; }bt does not start in shell_exec_line"
echo "$bt" | grep -q ' kernel_continue ' || why="${why:+$why; }bt does not reach kernel_continue"
echo "$bt" | grep -q '??' && why="${why:+$why; }bt has a ?? frame"
kmalloc=$(sed -n 's/^gdb-test: kmalloc \([0-9a-f]*\)$/\1/p' "$log")
[ -n "$kmalloc" ] && [ $((0x$kmalloc >= 0xffffffffc0000000)) = 1 ] ||
	why="${why:+$why; }'p &kmalloc' gives ${kmalloc:-?}, not the live copy in the module area"
after_load=$(sed -n 's/^gdb-test: after load \([0-9a-f]*\)$/\1/p' "$log")
[ -n "$after_load" ] && [ $((0x$after_load >= 0xffffffffc0000000)) = 1 ] ||
	why="${why:+$why; }after 'load tm_hello' gdb has no tm_hello_run in the module area"
grep -q '^gdb-test: after unload None$' "$log" ||
	why="${why:+$why; }after 'unload tm_hello' gdb still knows tm_hello_run"
grep -q 'Python Exception' "$log" && why="${why:+$why; }the script raised a Python exception"
grep -q 'nanoswap> help' "$log" || why="${why:+$why; }the shell did not read 'help'"

if [ -z "$why" ]; then
	echo "ok qemu.$name"
	echo "1 0" > "$results/$name.txt"
else
	echo "FAIL qemu.$name: $why"
	echo "---- last 40 lines of $log ----"
	tail -n 40 "$log"
	echo "----"
	echo "0 1" > "$results/$name.txt"
fi
