#!/usr/bin/env bash
# The push channel on a real boot (two CPUs): the shell on COM1 through a
# FIFO, COM2 on a UNIX socket that tools/nanoswap-push uploads through. Each
# refusal (a wrong checksum, a name with a space or a slash, an oversized
# length, a frame cut short: the kernel times out) is answered with its
# named error and changes nothing (`mem` before and after, alike); an
# accepted upload is listed by `objects`, loads as a crate, and is freed by
# `forget`; random bytes upload but do not load (the ELF error named).
#   tests/push.sh ISO BUILD RESULTS
set -u
iso=$1 build=$2 results=$3
. tests/run/lib.sh
push=$build/tools/nanoswap-push
dir=$results/push
rm -rf "$dir" && mkdir -p "$dir"
sock=$dir/push.sock fifo=$dir/in log=$results/push.log
mkfifo "$fifo"
timeout 180 qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx -no-reboot \
	-display none -cdrom "$iso" -device isa-debug-exit,iobase=0xf4,iosize=0x04 -smp 2 \
	-chardev stdio,id=con,signal=off -serial chardev:con \
	-chardev socket,id=push,path="$sock",server=on,wait=off -serial chardev:push \
	<"$fifo" >"$log" 2>"$dir/qemu.err" &
qemu=$!
exec 3>"$fifo"

# wait_for TEXT [N]: until the log holds TEXT N times (default 1), or QEMU ends
wait_for() {
	local n=${2:-1}
	for _ in $(seq 1200); do
		[ "$(tr -d '\r' < "$log" | grep -cF -- "$1")" -ge "$n" ] && return 0
		kill -0 $qemu 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# upload WANT_STATUS EXPECT NAME ARGS...: one nanoswap-push, its answer checked
upload() {
	local want=$1 expect=$2 name=$3 out status
	shift 3
	out=$("$push" --socket "$sock" "$@" 2>&1)
	status=$?
	[ "$status" = "$want" ] && [[ $out == *"$expect"* ]]
	result "qemu.push.$name" $? "exit $status (want $want), answer: $out"
}
mem_block() {	# the Nth `mem` answer
	tr -d '\r' < "$log" | awk -v n="$1" '/^frames: / { k++ } k == n { p = 1 }
		p { print } p && /^superseded/ { exit }'
}

wait_for 'nanoswap> '
result qemu.push.boots $? "no prompt; log tail: $(tail -3 "$log")"
printf 'mem\n' >&3
wait_for 'superseded copies still mapped' 1
obj=$build/testmods/tm_hello.o
upload 1 'error PUSH_BAD_CHECKSUM:' bad_checksum --bad-crc "$obj"
upload 1 'error PUSH_BAD_NAME:' name_with_space "$obj" 'tm hello'
upload 1 'error PUSH_BAD_NAME:' name_with_slash "$obj" 'tm/hello'
upload 1 'error PUSH_TOO_BIG:' oversized --size 99999999 "$obj"
upload 1 'error PUSH_TRUNCATED:' truncated_times_out --cut 100 "$obj"
printf 'mem\n' >&3
wait_for 'superseded copies still mapped' 2
[ -n "$(mem_block 1)" ] && [ "$(mem_block 1)" = "$(mem_block 2)" ]
result qemu.push.refusals_change_nothing $? "mem before: $(mem_block 1 | tr '\n' '|') after: $(mem_block 2 | tr '\n' '|')"
upload 0 "ok tm_hello $(stat -c %s "$obj") " accepted "$obj"
head -c 8192 /dev/urandom > "$dir/junk.o"
upload 0 'ok junk 8192 ' random_bytes_accepted "$dir/junk.o"
printf 'objects\nload tm_hello\nsym tm_hello_run\nforget tm_hello\nunload tm_hello\n' >&3
printf 'forget tm_hello\nforget tm_hello\nload junk\nobjects\nhalt\n' >&3
wait $qemu
status=$?
tr -d '\r' < "$log" > "$log.tmp" && mv "$log.tmp" "$log"
[ "$status" = 33 ]
result qemu.push.halts $? "QEMU exit status $status (want 33)"
expect() {	# NAME TEXT: TEXT in the log
	grep -qF -- "$2" "$log"
	result "qemu.push.$1" $? "'$2' not in the serial log"
}
expect objects_lists_it "$(printf '  %-16s %8u bytes  crc ' tm_hello "$(stat -c %s "$obj")")"
expect loads_as_crate 'global function in crate tm_hello'
expect forget_refused_while_loaded 'forget: crate tm_hello came from upload tm_hello: unload it first'
expect forget_frees 'forget: tm_hello freed'
expect forget_twice 'forget: no upload named tm_hello'
expect random_bytes_do_not_load "loader: junk: "
expect counted 'uploads: 7 frames, 2 kept, 5 refused'
summary
