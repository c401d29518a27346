#!/usr/bin/env bash
# The QEMU boot tests of the real ISO: each boot's kernel command line, the
# exit status it must end with and the lines its serial log must (or must
# not) show. make builds build/test-NAME.iso for each ISO boot with its
# command line; tests/run.sh runs them.
#   tests/boots.sh isos                 the boots that have an ISO of their own
#   tests/boots.sh smp                  the boots with more than one CPU
#   tests/boots.sh cmdline NAME         NAME's kernel command line
#   tests/boots.sh run NAME BUILD RESULTS
# `run` needs NC_MODULES and TESTMODS (the Makefile's lists) in the
# environment; it writes RESULTS/NAME.log and RESULTS/NAME.txt
# (tests/run/qemu.sh).
set -u
isos="ktest smp smp_skip swap_memory swap_none nomatch swap_fail swap_fail_core"

cmdline() {
	case $1 in
	ktest) echo 'test swap=all bogus_option=1' ;;
	smp) echo 'test=smp,threads,swap_threads swap=all' ;;
	smp_skip) echo 'test=threads smp_skip=2' ;;
	swap_memory) echo 'test swap=memory' ;;
	swap_none) echo 'test swap=none' ;;
	swap_fail) echo 'test=swap_boot_failed swap_fail=map:3' ;;
	swap_fail_core) echo 'test=swap_boot_failed swap_fail=alloc:1' ;;
	nomatch) echo 'test=nosuchprefix swap=foo,,memory' ;;
	*) echo "boots.sh: no ISO boot '$1'" >&2; exit 2 ;;
	esac
}

# run NAME BUILD RESULTS: the boot, its exit status and its log lines.
run() {
	local name=$1 build=$2 results=$3 q=tests/run/qemu.sh
	# (more CPUs than host cores: the boots with several take longer in time)
	local smp_timeout=$(( ${QEMU_TIMEOUT:-60} * 5 ))
	local -a nc=($NC_MODULES) tm=($TESTMODS) each=()
	local m
	case $name in
	ktest)
		for m in "${nc[@]}"; do each+=(--expect "swap: $m "); done
		$q ktest "$build/test-ktest.iso" 33 "$results" --ktest \
			--expect "warning: cmdline: unknown option 'bogus_option' (ignored)" \
			--expect "command line: \"$(cmdline ktest)\"" \
			--expect "boot modules: $((2 + ${#nc[@]} + ${#tm[@]}))" \
			"${each[@]}" \
			--expect "swap: ${#nc[@]} modules swapped, 0 of " \
			--expect 'retire: memory kept: ktest:.bss.swap_test_held_pointer+0x0' ;;
	ktest_smp4) # every suite again with four CPUs
		for m in "${nc[@]}"; do each+=(--expect "swap: $m "); done
		QEMU_TIMEOUT=$smp_timeout $q ktest_smp4 "$build/test-ktest.iso" 33 "$results" --ktest \
			--expect 'smp: 4 of 4 CPUs online' "${each[@]}" \
			--expect "swap: ${#nc[@]} modules swapped, 0 of " \
			--reject 'skipped: one CPU' -- -smp 4 ;;
	smp2|smp3|smp8) # the CPU, thread and swap-among-threads suites
		local n=${name#smp}
		QEMU_TIMEOUT=$smp_timeout $q "$name" "$build/test-smp.iso" 33 "$results" --ktest \
			--expect "smp: $n of $n CPUs online" --expect 'ok smp.stop_parks_every_other_cpu' \
			--expect 'ok swap_threads.two_hundred_swaps_under_workers' \
			--reject 'skipped' -- -smp "$n" ;;
	smp_skip) # a CPU that never answers is left out; the rest boot on
		$q smp_skip "$build/test-smp_skip.iso" 33 "$results" --ktest \
			--expect 'smp: CPU 2 (APIC id 2) is sent no STARTUP (smp_skip=2)' \
			--expect 'smp: CPU 2 (APIC id 2) did not come online within 1000 ms: left out' \
			--expect 'smp: 3 of 4 CPUs online' -- -smp 4 ;;
	swap_memory)
		$q swap_memory "$build/test-swap_memory.iso" 33 "$results" --ktest \
			--expect 'swap: memory ' \
			--expect 'swap: memory: data section .data.layout_extra_state (4 bytes) has no counterpart' \
			--expect "section '.bss.mem_counters' (56 bytes) cannot be bound to 'memory:.bss.mem_counters' of crate 'nano_core' (48 bytes)" ;;
	swap_none)
		$q swap_none "$build/test-swap_none.iso" 33 "$results" --ktest ;;
	swap_fail)
		$q swap_fail "$build/test-swap_fail.iso" 33 "$results" --ktest \
			--expect "swap: the swap's map call 3 will fail (swap_fail=)" \
			--expect 'swap: memory: not swapped: NO_FRAMES' ;;
	swap_fail_core) # the nano_core crate's own build fails: built whole again
		$q swap_fail_core "$build/test-swap_fail_core.iso" 33 "$results" --ktest \
			--expect "swap: the swap's alloc call 1 will fail (swap_fail=)" \
			--expect 'swap: cannot build the nano_core crate: NO_HEAP' \
			--expect 'swap: the nano_core crate was built whole at the second try' ;;
	nomatch)
		$q nomatch "$build/test-nomatch.iso" 35 "$results" \
			--expect "ktest: no test matched 'nosuchprefix'; the suites are: boot exception" \
			--expect "swap: 'foo' is not a constituent module" \
			--expect "swap: '' is not a constituent module" --expect 'swap: memory ' ;;
	shell_reboot)
		printf 'reboot\n' > "$results/shell_reboot.in"
		$q shell_reboot "$build/test-shell.iso" 0 "$results" --input "$results/shell_reboot.in" \
			--expect 'nanoswap> reboot' --expect 'nanoswap: reboot' --reject 'exception' ;;
	no_long_mode)
		$q no_long_mode "$build/test-ktest.iso" 67 "$results" \
			--expect 'nanoswap: this CPU has no long mode (x86_64); halting' -- -cpu qemu32 ;;
	no_nx)
		$q no_nx "$build/test-ktest.iso" 69 "$results" \
			--expect 'nanoswap: this CPU has no NX (execute-disable) bit; halting' -- -cpu qemu64,-nx ;;
	*) echo "boots.sh: no boot '$name'" >&2; exit 2 ;;
	esac
}

case ${1:-} in
isos) echo $isos ;;
smp) echo ktest_smp4 smp2 smp3 smp8 ;;
cmdline) cmdline "$2" ;;
run) run "$2" "$3" "$4" ;;
*) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
