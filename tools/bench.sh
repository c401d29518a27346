#!/usr/bin/env bash
# make bench: boot ISO with the `bench` command line under QEMU -icount
# shift=0, where the guest's rdtsc counts instructions (deterministic), print
# the kernel's "bench:" lines and write them as JSON (tests/bench.mk); then
# once more with -smp 4 for the swaps among workers on four CPUs.
#   tools/bench.sh ISO [OUT.json]
# BENCH_TIMEOUT (seconds, default 900) bounds the QEMU run; BENCH_MEM (default
# 1G) is the guest memory (the 100k-relocation objects need a few hundred MB).
set -u
iso=$1 json=${2:-}
log=$(mktemp)
trap 'rm -f "$log" "$log.bench"' EXIT
# bench_boot SMP [PATTERN]: one boot with SMP CPUs; its bench: lines (those
# that match PATTERN) appended.
bench_boot() {
	timeout "${BENCH_TIMEOUT:-900}" qemu-system-x86_64 -M q35 -nodefaults -m "${BENCH_MEM:-1G}" \
		-cpu qemu64,+nx -no-reboot -display none -icount shift=0 -cdrom "$iso" -smp "$1" \
		-serial "file:$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null
	status=$?
	tr -d '\r' < "$log" | grep '^bench:' | grep -e "${2:-}" | tee -a "$log.bench"
	if [ $status != 33 ]; then
		echo "bench: -smp $1: QEMU exit status $status (expected 33; 124 is the timeout);" \
			"serial log tail:" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
}
: > "$log.bench"
bench_boot 1
bench_boot 4 ' CPUs: '	# (the swaps among workers on four CPUs: runtime_heap_v2_smp4)
[ -n "$json" ] || exit 0
# The JSON, from the lines' shapes (tests/kernel/bench_measure.c, bench_loader.c,
# bench_lookup.c, bench_swap.c): a number is found next to its keyword.
awk '
function num(s) { gsub(/[^0-9.]/, "", s); return s == "" ? 0 : s }
function after(key,   i) { for (i = 1; i < NF; i++) if ($i == key) return num($(i + 1)); return 0 }
function phase(key,   i, p) { for (i = 1; i < NF; i++) { if ($i == "phases") p = 1; if (p && $i == key) return num($(i + 1)) } return 0 }
function before(key,   i) { for (i = 2; i <= NF; i++) if ($i == key) return num($(i - 1)); return 0 }
function name() { s = $3; sub(/:$/, "", s); return s }
$2 == "load" {
	loads = loads (loads ? ",\n  " : "") sprintf("{\"name\": \"%s\", \"bytes\": %s, \"relocations\": %s, " \
		"\"symbols_resolved\": %s, \"instructions\": %s, \"first\": %s, \"memcpy_instructions\": %s, " \
		"\"phases\": {\"validate\": %s, \"layout\": %s, \"copy\": %s, \"symbols\": %s, " \
		"\"relocate\": %s, \"commit\": %s}}", name(), after("of"), before("relocations,"),
		before("symbols"), before("instructions"), after("(first"), after("memcpy"),
		phase("validate"), phase("layout"), phase("copy"), phase("symbols"),
		phase("relocate"), phase("commit"))
}
$2 == "scaling" {
	scaling = scaling (scaling ? ",\n  " : "") sprintf("{\"relocations\": %s, \"targets\": %s, " \
		"\"instructions_per_relocation\": %s}", before("relocations,"), before("targets:"),
		before("per"))
}
$2 == "lookup" {
	lookup = lookup (lookup ? ",\n  " : "") sprintf("{\"symbols\": %s, \"instructions_per_lookup\": %s}",
		before("symbols,"), before("instructions"))
}
$2 == "swap" && $3 == "memory:" { swap_memory = before("instructions,") }
$2 == "swap" && $3 == "all" && $4 != "at" {
	swap_all = before("instructions,")
	swap_phases = sprintf("{\"load\": %s, \"nano_core_crate\": %s, \"redirect\": %s, " \
		"\"hooks\": %s, \"retire\": %s}", phase("load") + 0, phase("crate") + 0,
		phase("redirect") + 0, phase("hooks") + 0, phase("retire") + 0)
}
$2 == "swap" && $3 == "heap" && $4 == "heap_v2" && $5 == "at" { runtime_heap = before("instructions") }
$2 == "swap" && $3 == "heap" && $4 == "heap_v2" && $5 == "with" && $7 == "MiB" {
	heap_mib = $6; runtime_heap_big = before("instructions"); runtime_heap_big_retire = after("(retire")
}
$2 == "swap" && $3 == "heap" && $4 == "heap_v2" && $5 == "with" && $6 == "4" && $8 == "on" {
	rt_heap_v2_smp4 = sprintf("{\"instructions\": %s, \"pause_instructions\": %s, \"retire_pause_instructions\": %s}",
		before("instructions,"), before("paused"), before("for"))
}
$2 == "swap" && $3 == "sched" && $4 == "with" && $7 == "on" {
	rt_sched_smp4 = sprintf("{\"instructions\": %s, \"pause_instructions\": %s, \"retire_pause_instructions\": %s}",
		before("instructions,"), before("paused"), before("for"))
}
$2 == "swap" && $3 == "heap" && $4 == "heap_v2" && $5 == "with" && $6 == "4" && $7 == "workers:" {
	rt_heap_v2 = sprintf("{\"instructions\": %s, \"pause_instructions\": %s, \"retire_pause_instructions\": %s}",
		before("instructions,"), before("paused"), before("for"))
}
$2 == "swap" && $3 == "sched" && $4 == "with" && $6 == "workers:" {
	rt_sched = sprintf("{\"instructions\": %s, \"pause_instructions\": %s, \"retire_pause_instructions\": %s}",
		before("instructions,"), before("paused"), before("for"))
}
$2 == "swap" && $3 == "all" && $4 == "at" && $5 == "boot:" { boot_pause = before("paused"); boot_retire_pause = before("for") }
$2 == "retire" && $3 == "per" {
	retire_random = before("instructions"); retire_pointers = before("(kernel-pointer-like")
}
END {
	printf "{\"loads\": [%s],\n \"scaling\": [%s],\n \"lookup\": [%s],\n \"swap\": {\"memory\": %s, \"all\": %s, \"phases\": %s,\n" \
		"  \"runtime_heap\": %s, \"runtime_heap_with_heap\": {\"mib\": %s, \"instructions\": %s, \"retire\": %s},\n" \
		"  \"retire_per_heap_mib\": {\"random_words\": %s, \"pointer_words\": %s},\n" \
		"  \"runtime_heap_v2\": %s, \"runtime_sched\": %s,\n" \
		"  \"runtime_heap_v2_smp4\": %s, \"runtime_sched_smp4\": %s,\n" \
		"  \"boot_all\": {\"instructions\": %s, \"pause_instructions\": %s, \"retire_pause_instructions\": %s}}}\n",
		loads, scaling, lookup, swap_memory + 0, swap_all + 0, swap_phases ? swap_phases : "{}",
		runtime_heap + 0, heap_mib + 0, runtime_heap_big + 0, runtime_heap_big_retire + 0,
		retire_random + 0, retire_pointers + 0, rt_heap_v2 ? rt_heap_v2 : "{}",
		rt_sched ? rt_sched : "{}", rt_heap_v2_smp4 ? rt_heap_v2_smp4 : "{}",
		rt_sched_smp4 ? rt_sched_smp4 : "{}", swap_all + 0, boot_pause + 0, boot_retire_pause + 0
}' "$log.bench" > "$json.tmp" && mv "$json.tmp" "$json"
echo "bench: wrote $json"
