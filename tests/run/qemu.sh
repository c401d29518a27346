#!/usr/bin/env bash
# One QEMU boot test:
#   tests/run/qemu.sh NAME ISO STATUS RESULTS [--ktest] [--input FILE]
#                      [--expect TEXT]... [--reject TEXT]... [-- QEMU-ARGS...]
# Boots ISO headless under `timeout` (QEMU_TIMEOUT, default 60 s) with the
# serial console in RESULTS/NAME.log and demands QEMU exit status STATUS
# exactly (a triple fault under -no-reboot exits 0, so 0 is never success).
# With --ktest the kernel's own "ok"/"FAIL" lines and "N passed, N failed"
# summary are counted; every --expect TEXT must appear in the log and no
# --reject TEXT may. With --input, FILE is typed into COM1 (QEMU's stdio
# chardev reads it only as fast as the UART takes it) and the serial output
# is the log. Writes
# "PASSED FAILED" to RESULTS/NAME.txt and prints the log tail on failure.
set -u
name=$1 iso=$2 want=$3 results=$4
shift 4
ktest=0
expects=() rejects=() input=""
while [ $# -gt 0 ]; do
	case $1 in
	--ktest) ktest=1; shift ;;
	--expect) expects+=("$2"); shift 2 ;;
	--reject) rejects+=("$2"); shift 2 ;;
	--input) input=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "qemu-test: unknown argument $1" >&2; exit 2 ;;
	esac
done
log=$results/$name.log
resets=$results/$name.resets
timeout_s=${QEMU_TIMEOUT:-60}

start=$(date +%s.%N)
qemu=(timeout "$timeout_s" qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx
	-no-reboot -display none -cdrom "$iso"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -d cpu_reset -D "$resets")
if [ -n "$input" ]; then
	"${qemu[@]}" -chardev stdio,id=con,signal=off -serial chardev:con "$@" \
		<"$input" >"$log" 2>"$results/$name.qemu"
else
	"${qemu[@]}" -serial "file:$log" "$@" </dev/null >"$results/$name.qemu" 2>&1
fi
status=$?
[ -f "$log" ] && { tr -d '\r' < "$log" > "$log.tmp"; mv "$log.tmp" "$log"; }
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')

. tests/run/lib.sh
passed=0 failed=0 why=""
if [ $ktest = 1 ]; then
	grep -E '^(ok|FAIL) ' "$log"
	read_summary "$log"
	[ -n "$summary_line" ] || why="no test summary in the serial log"
fi
if [ "$status" != "$want" ]; then
	case $status in
	124) why="timed out after ${timeout_s}s" ;;
	0) grep -q 'Triple fault' "$resets" && why="triple fault" || why="QEMU exited with 0" ;;
	37) why="kernel panic (exit status 37)" ;;
	*) why="QEMU exit status $status" ;;
	esac
	why="$why, expected exit status $want"
fi
for text in "${expects[@]}"; do
	grep -qF -- "$text" "$log" || why="${why:+$why; }'$text' not in the serial log"
done
for text in "${rejects[@]}"; do
	grep -qF -- "$text" "$log" && why="${why:+$why; }'$text' is in the serial log"
done

if [ -z "$why" ]; then
	[ $ktest = 1 ] || { echo "ok qemu.$name"; passed=1; }
	printf 'qemu.%s: %.2f s\n' "$name" "$elapsed"
else
	echo "FAIL qemu.$name: $why"
	echo "---- last 40 lines of $log ----"
	tail -n 40 "$log"
	cat "$results/$name.qemu"
	echo "----"
	failed=$((failed + 1))
fi
echo "$passed $failed" > "$results/$name.txt"
