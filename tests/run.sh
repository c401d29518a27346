#!/usr/bin/env bash
# Every test suite, in order, and the one closing line "N passed, N failed"
# (`make test` builds what they need, then runs this).
#   tests/run.sh BUILD
# Environment (from the Makefile): NC_MODULES, TESTMODS, HOST_TEST_BINS,
# MAKE; T="PATTERN..." runs only the suites whose name contains one of the
# patterns (`make test T=host.loader`, `T=qemu.shell`, `T="host qemu.ktest"`).
# The suites (`ok`/`FAIL` lines are prefixed with these names):
#   host.test_NAME  tests/host/test_NAME.c, tests/host/layout/   (unit tests)
#   host.loader     tests/host/loader/ (the loader on the host)
#   elfcheck        tests/elfcheck.sh      ncdesc    tests/ncdesc.sh
#   modgraph        tests/modgraph.sh      fuzz.smoke tests/fuzz/ (a few seconds)
#   iso             tests/iso.sh
#   qemu.NAME       tests/boots.sh (ktest swap_memory swap_none swap_fail swap_fail_core
#                   nomatch shell_reboot no_long_mode no_nx; with more CPUs:
#                   ktest_smp4 smp2 smp3 smp8), tests/shell.sh
#                   (qemu.shell), tests/shell_threads.sh (qemu.shell_threads: the
#                   workload and a swap among its threads), tests/shell_swaps.sh (qemu.shell_swaps: run-time
#                   swaps checked with the monitor's info tlb), tests/push.sh (qemu.push:
#                   uploads through COM2), tests/gdb.sh (qemu.gdb)
set -u
build=$1
results=$build/results
make=${MAKE:-make}
rm -rf "$results" && mkdir -p "$results"

# wanted NAME: is suite NAME selected by T?
wanted() {
	[ -z "${T:-}" ] && return 0
	local p
	for p in $T; do
		case $1 in *"$p"*) return 0 ;; esac
	done
	return 1
}

for bin in $HOST_TEST_BINS; do
	name=host.$(basename "$bin")
	wanted "$name" && tests/run/suite.sh "$name" "$results" "$bin"
done
wanted host.loader && tests/run/suite.sh host.loader "$results" \
	"$make" --no-print-directory loader-host-test
wanted elfcheck && tests/run/suite.sh elfcheck "$results" tests/elfcheck.sh "$build" $NC_MODULES
wanted ncdesc && tests/run/suite.sh ncdesc "$results" tests/ncdesc.sh "$build" $NC_MODULES
wanted modgraph && tests/run/suite.sh modgraph "$results" tests/modgraph.sh $NC_MODULES
wanted fuzz.smoke && tests/run/check.sh fuzz.smoke "$results" \
	"$make" --no-print-directory fuzz-smoke
wanted iso && tests/run/suite.sh iso "$results" tests/iso.sh "$build/test-ktest.iso" "$build" $NC_MODULES
for boot in $(tests/boots.sh isos) $(tests/boots.sh smp); do
	[ "$boot" = smp ] && continue	# (its ISO serves the smpN boots)
	wanted "qemu.$boot" && tests/boots.sh run "$boot" "$build" "$results"
done
wanted qemu.shell && tests/shell.sh "$build/test-shell.iso" "$build" "$results"
wanted qemu.shell_swaps && tests/run/suite.sh qemu.shell_swaps "$results" \
	tests/shell_swaps.sh "$build/test-shell.iso" "$build" "$results"
wanted qemu.shell_threads && tests/shell_threads.sh "$build/test-shell.iso" "$build" "$results"
wanted qemu.push && tests/run/suite.sh qemu.push "$results" \
	tests/push.sh "$build/test-shell.iso" "$build" "$results"
wanted qemu.gdb && tests/gdb.sh "$build/test-shell.iso" "$build" "$results"
for boot in shell_reboot no_long_mode no_nx; do
	wanted "qemu.$boot" && tests/boots.sh run "$boot" "$build" "$results"
done
tests/run/summary.sh "$results"
