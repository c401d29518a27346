#!/usr/bin/env bash
# The shell among threads on two CPUs, typed as the issue types it: four
# workers (two on each CPU), ps, a swap of heap for heap_v2 while they run,
# their counts, stop, mem, cpus, halt. Every worker made progress and none
# saw an error; the old heap copy, which the workers' code pointers kept, is
# gone once they are; both CPUs ran threads.
#   tests/shell_threads.sh ISO BUILD RESULTS
set -u
iso=$1 results=$3
input=$results/shell_threads.in
printf 'work start 4\nps\nswap heap heap_v2\nwork\nwork stop\nmem\nuptime\ncpus\nhalt\n' > "$input"

exec tests/run/qemu.sh shell_threads "$iso" 33 "$results" --input "$input" \
	--expect 'work: 4 threads running' \
	--expect '  id name         state     cpu  ticks  in' \
	--expect 'smp: 2 of 2 CPUs online' --expect ' idle1 ' \
	--expect ' shell        running ' --expect ' idle ' \
	--expect ' work00 ' --expect ' work01 ' --expect ' work02 ' --expect ' work03 ' \
	--expect 'swap: heap           heap#2 replaces heap' \
	--expect 'swap: 1 module swapped, 0 of ' \
	--expect 'swap: paused ' \
	--expect 'work03: ' --expect ' errors, on CPU 1' \
	--expect 'cpu  apic  online  ticks       threads run  shootdowns served' \
	--expect 'nanoswap> work stop'$'\n''work: 4 threads, ' \
	--reject 'work: 4 threads, 0 iterations' \
	--expect ' iterations, 0 errors' \
	--expect 'heap: ' --expect ', best fit' \
	--expect 'superseded copies still mapped: 0' \
	--expect ' ticks at 1000 Hz, ' \
	--reject 'error:' --reject 'BUG' --reject 'PANIC' --expect '1    1     yes ' \
	-- -smp 2
