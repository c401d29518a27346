#!/usr/bin/env bash
# Run-time swaps at the shell, checked from outside: boots ISO (the shell
# ISO: swap=all, then the shell) with QEMU's monitor on the serial line
# (Ctrl-A C), types one command at a time and waits for the next prompt,
# and after each swap reads the page tables with the monitor's `info tlb`:
#   - swap shell, init, loader, interrupts: the replaced copy's text pages
#     are not mapped once the command is done, the new copy's are, and the
#     new copy is the one running (peek 0 faults at shell#2's cmd_peek, the
#     backtrace runs through init#2's kernel_continue and interrupts#2's
#     fault_catch; sym names loader#2);
#   - swap heap, then swap heap heap_v2: no "kept" line, the replaced copy
#     unmapped within the same command;
#   - ten swap all: frames and heap bytes after the tenth within 32 frames
#     and 32 KiB of their values after the first, no superseded copy mapped;
#   - at the end: none of the image's original text pages mapped, no page
#     both writable and executable, no frame mapped executable and writable.
#   tests/shell_swaps.sh ISO BUILD RESULTS
set -u
iso=$1 build=$2 results=$3
. tests/run/lib.sh
dir=$results/shell_swaps
rm -rf "$dir" && mkdir -p "$dir"
log=$dir/serial.log fifo=$dir/in
mkfifo "$fifo"

timeout 300 qemu-system-x86_64 -M q35 -nodefaults -m 256M -cpu qemu64,+nx -no-reboot \
	-display none -cdrom "$iso" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-chardev stdio,id=con,mux=on,signal=off -serial chardev:con \
	-mon chardev=con,mode=readline <"$fifo" >"$log" 2>"$dir/qemu.err" &
qemu=$!
exec 3>"$fifo"
trap 'kill $qemu 2>/dev/null' EXIT

# count TEXT: how many times TEXT is in the serial log.
count() { grep -aoF -- "$1" "$log" 2>/dev/null | wc -l; }
# wait_for TEXT N: until TEXT is in the log N times (60 s at most).
wait_for() {
	local i
	for i in $(seq 1200); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		kill -0 $qemu 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
prompts=0 step=0
wait_for 'nanoswap> ' 1 || { echo "FAIL qemu.shell_swaps: no shell prompt"; tail "$log"; exit 1; }
prompts=1
# cmd LINE: type LINE, wait for the next prompt; its output in $dir/N.out.
cmd() {
	local from
	from=$(stat -c %s "$log")
	printf '%s\n' "$1" >&3
	prompts=$((prompts + 1)) step=$((step + 1))
	wait_for 'nanoswap> ' $prompts || { echo "FAIL qemu.shell_swaps: '$1' never returned"; tail "$log"; exit 1; }
	tail -c +$((from + 1)) "$log" | tr -d '\r' > "$dir/$step.out"
	out=$dir/$step.out
}
# tlb: the monitor's `info tlb` into $tlb ("VA PA FLAGS" lines).
monitors=0
tlb() {
	local from
	printf '\001c' >&3
	monitors=$((monitors + 1))
	wait_for '(qemu) ' $monitors || { echo "FAIL qemu.shell_swaps: no monitor"; exit 1; }
	from=$(stat -c %s "$log")
	printf 'info tlb\n' >&3
	monitors=$((monitors + 1))
	wait_for '(qemu) ' $monitors || { echo "FAIL qemu.shell_swaps: info tlb never returned"; exit 1; }
	step=$((step + 1))
	tail -c +$((from + 1)) "$log" | tr -d '\r' |
		sed -n 's/^\([0-9a-f]\{16\}\): \([0-9a-f]\{16\}\) \([-A-Z]\{9\}\)$/\1 \2 \3/p' > "$dir/$step.tlb"
	tlb=$dir/$step.tlb
	printf '\001c' >&3
}
# mapped LO HI: how many 4 KiB pages of [LO, HI) (hex, in the top 1 TiB)
# $tlb maps. Only the low 40 bits are summed: awk's numbers are doubles.
mapped() {
	awk -v lo="$1" -v hi="$2" '
		function h(s,  i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
		BEGIN { l = h(substr(lo, 7)); l -= l % 4096; e = h(substr(hi, 7)) }
		substr($1, 1, 6) == "ffffff" {
			va = h(substr($1, 7)); sz = substr($3, 3, 1) == "S" ? 2097152 : 4096
			for (p = va; p < va + sz; p += 4096) if (p >= l && p < e) n++ }
		END { print n + 0 }' "$tlb"
}
# the swap line "swap: NAME  text OLD_LO-OLD_HI -> NEW_LO-NEW_HI, ...": old, new
ranges() {
	local r
	r=$(sed -n "s/^swap: $1 *text \([0-9a-f]*\)-\([0-9a-f]*\) -> \([0-9a-f]*\)-\([0-9a-f]*\),.*/\1 \2 \3 \4/p" "$out" | tail -n 1)
	set -- $r
	old_lo=${1:-} old_hi=${2:-} new_lo=${3:-} new_hi=${4:-}
}
# in RANGE_LO RANGE_HI ADDR: is ADDR (hex) in [LO, HI)?
in_range() { [ -n "$1" ] && [ -n "$3" ] && [ $((0x$3 >= 0x$1 && 0x$3 < 0x$2)) = 1 ]; }

# swap_checked MODULE [VERSION]: swap at run time; the old copy's pages gone
# once the command is done, the new copy's mapped.
swap_checked() {
	local why=""
	cmd "swap $*"
	ranges "$1"
	if [ -z "$old_lo" ]; then
		why="no swap line for $1 in: $(head -c 600 "$out")"
	else
		tlb
		[ "$(mapped "$old_lo" "$old_hi")" = 0 ] ||
			why="$(mapped "$old_lo" "$old_hi") page(s) of the replaced copy $old_lo-$old_hi still mapped"
		[ "$(mapped "$new_lo" "$new_hi")" -gt 0 ] ||
			why="${why:+$why; }the new copy $new_lo-$new_hi is not mapped"
		grep -q "^swap: 1 module swapped" "$out" || why="${why:+$why; }no '1 module swapped'"
	fi
	local name="$*"
	result "qemu.shell_swaps.swap_${name// /_}" "${why:+1}${why:-0}" "$why"
	swapped_lo=$new_lo swapped_hi=$new_hi
}
# fault_rip: the RIP of the fault $out reports
fault_rip() { sed -n 's/^  RIP 0x0*\([0-9a-f]*\) .*/\1/p' "$out" | head -n 1; }
# frame_of NAME: the address of NAME's frame in $out's backtrace
frame_of() { sed -n "s/^    #[0-9]*  0x\([0-9a-f]*\) $1+.*/\1/p" "$out" | head -n 1; }

swap_checked shell
shell_lo=$swapped_lo shell_hi=$swapped_hi
cmd 'peek 0'
rip=$(fault_rip)
in_range "$shell_lo" "$shell_hi" "$rip" && grep -q "RIP 0x0*$rip cmd_peek+" "$out"
result qemu.shell_swaps.shell_runs_its_new_copy $? \
	"peek 0 faulted at ${rip:-?}, not in shell#2's cmd_peek ($shell_lo-$shell_hi)"
cmd 'sym cmd_peek'
grep -q "global function in crate shell#2" "$out"
result qemu.shell_swaps.sym_names_shell_2 $? "$(head -n 2 "$out")"

swap_checked init
init_lo=$swapped_lo init_hi=$swapped_hi
swap_checked loader
cmd 'sym ld_load'
grep -q "global function in crate loader#2" "$out"
result qemu.shell_swaps.sym_names_loader_2 $? "$(head -n 2 "$out")"
cmd 'load tm_data'
grep -q 'load: crate tm_data: ' "$out"
result qemu.shell_swaps.loader_2_loads $? "$(head -n 3 "$out")"
cmd 'unload tm_data'
swap_checked interrupts
intr_lo=$swapped_lo intr_hi=$swapped_hi
cmd 'peek 0'
a=$(frame_of kernel_continue) b=$(frame_of fault_catch)
in_range "$init_lo" "$init_hi" "$a"
result qemu.shell_swaps.init_runs_its_new_copy $? \
	"kernel_continue's frame at ${a:-?}, not in init#2 ($init_lo-$init_hi)"
in_range "$intr_lo" "$intr_hi" "$b"
result qemu.shell_swaps.interrupts_runs_its_new_copy $? \
	"fault_catch's frame at ${b:-?}, not in interrupts#2 ($intr_lo-$intr_hi)"

swap_checked heap
! grep -q 'kept' "$out"
result qemu.shell_swaps.swap_heap_keeps_nothing $? "$(grep kept "$out" | head -n 3)"
swap_checked heap heap_v2
! grep -q 'kept' "$out" && grep -q '^retire: heap#2 *old text and rodata unmapped' "$out"
result qemu.shell_swaps.swap_heap_v2_keeps_nothing $? "$(grep -E 'kept|retire' "$out" | head -n 3)"

# ten swap all: what they leave
mem_values() { # frames used and heap bytes of the `mem` in $out
	frames=$(sed -n 's/^frames: .* reserved, \([0-9]*\) used,.*/\1/p' "$out")
	heap=$(sed -n 's/^heap: \([0-9]*\) bytes in.*/\1/p' "$out")
	superseded=$(sed -n 's/^superseded copies still mapped: \([0-9]*\)$/\1/p' "$out")
}
why=""
nmods=$(ls "$build"/modules/*.o | wc -l)	# every constituent module
for i in $(seq 10); do
	cmd 'swap all'
	grep -q "^swap: $nmods modules swapped" "$out" || why="${why:+$why; }swap all #$i: $(grep -m1 -E 'error|modules swapped' "$out")"
	cmd mem
	mem_values
	[ "$superseded" = 0 ] || why="${why:+$why; }after swap all #$i: $superseded superseded copies mapped"
	[ $i = 1 ] && frames1=$frames heap1=$heap
done
[ -n "$frames" ] && [ $((frames - frames1)) -le 32 ] ||
	why="${why:+$why; }frames used $frames1 after the first swap all, $frames after the tenth"
[ -n "$heap" ] && [ $((heap - heap1)) -le 32768 ] ||
	why="${why:+$why; }heap $heap1 bytes after the first swap all, $heap after the tenth"
result qemu.shell_swaps.ten_swap_all_leave_nothing "${why:+1}${why:-0}" "$why"
echo "qemu.shell_swaps: after 1 and 10 swap all: frames used $frames1 -> $frames, heap bytes $heap1 -> $heap"

# the whole page table, from outside
tlb
text=$(readelf -SW "$build/nano_core.elf" |
	sed -n 's/.*\] \.text  *PROGBITS  *\([0-9a-f]*\) [0-9a-f]* \([0-9a-f]*\) .*/\1 \2/p')
set -- $text
n=$(mapped "$1" "$(printf '%x' $((0x$1 + 0x$2)))")
[ "$n" = 0 ]
result qemu.shell_swaps.no_original_text_mapped $? "$n page(s) of the image's .text ($1, size $2) mapped"
wx=$(awk 'substr($3, 1, 1) == "-" && substr($3, 9, 1) == "W"' "$tlb" | head -n 3)
[ -z "$wx" ]
result qemu.shell_swaps.no_wx_page $? "writable and executable: $wx"
alias=$(awk 'substr($3, 1, 1) == "-" { x[$2] = $1 } substr($3, 9, 1) == "W" { w[$2] = $1 }
	END { for (p in x) if (p in w) print "frame " p " at " x[p] " (code) and " w[p] " (writable)" }' "$tlb" | head -n 3)
[ -z "$alias" ]
result qemu.shell_swaps.no_writable_alias_of_code $? "$alias"

printf 'halt\n' >&3
exec 3>&-
wait $qemu
status=$?
trap - EXIT
[ $status = 33 ]
result qemu.shell_swaps.halt_exits_33 $? "QEMU exit status $status"
summary
