#!/usr/bin/env bash
# The shell on a real boot: types a session into COM1 of the ISO (which was
# built with `make iso MODULES=build/ext/ext_hello.o`, so the boot module
# ext_hello is an object from outside the kernel's module rules) and checks
# every command's output, bad input included, and that `halt` exits 33.
#   tests/shell.sh ISO BUILD RESULTS
set -u
iso=$1 build=$2 results=$3
input=$results/shell.in

# the nano_core's (old) copy of kmalloc: `addr` must call it retired (unmapped)
old_kmalloc=$(nm "$build/nano_core.elf" | awk '$3 == "kmalloc" { print $1 }')
old_kmalloc_4=$(printf '%x' $((0x$old_kmalloc + 4)))
long_line=$(printf 'x%.0s' $(seq 300))

{
	printf 'help\n'
	printf 'lox\177g\n'			# backspace: runs "log"
	printf 'garbage\025mem\n'		# Ctrl-U erases "garbage"
	printf 'halt\003'			# Ctrl-C cancels: must not halt
	printf 'log warn\nlog info\n\033[A\033[A\nlog\nlog info\n'	# up, up: "log warn" again
	printf 'frobnicate now\n'
	printf 'sym\naddr 12zz\nlog nope\nns a b\nns 1 2 3 4 5 6 7 8 9\n'
	printf '%s\n' "$long_line"
	printf 'peek 0\n'
	printf 'ns\nns heap\nsym kmalloc\naddr %s\n' "$old_kmalloc_4"
	printf 'load ext_hello\nsym ext_hello_greet\ndeps ext_hello\nns\n'
	printf 'load tm_data\nload tm_dep\nunload tm_data\nunload tm_dep\nunload tm_data\n'
	printf 'unload memory\nunload nosuch\nload nosuch\n'
	printf 'test\n'			# the whole suite, under the shell's fault_catch
	printf 'swap memory,heap\nswap bogus\nsym kmalloc\n'
	printf 'test heap.\ntest nosuch\n'
	# new versions at run time (tests/modules/modules.mk builds them)
	printf 'swap memory memory_fields\nswap heap heap_fields\nswap memory memory_param\n'
	printf 'swap memory memory_v2\nmem\nswap heap heap_v2\nmem\n'
	printf 'load tstate\nload tuser\nswap tstate tstate_v2\nns\nswap tuser nosuch\n'
	printf 'halt\n'
} > "$input"

exec tests/run/qemu.sh shell "$iso" 33 "$results" --input "$input" \
	--expect 'nanoswap> help' \
	--expect '  ns [CRATE]                   the crates' \
	--expect 'nanoswap> log'$'\n''log level: info' \
	--reject "unknown command 'lo" \
	--expect 'frames: ' --reject "unknown command 'garbage" \
	--expect 'nanoswap> halt^C' \
	--expect 'log level set to warn'$'\n''nanoswap> log'$'\n''log level: warn' \
	--expect "unknown command 'frobnicate' (help lists them)" \
	--expect 'usage: sym NAME' \
	--expect "'z' is not a hex digit" --expect 'usage: addr ADDR' \
	--expect "log: unknown level 'nope'" --expect 'usage: ns [CRATE]' \
	--expect 'shell: line longer than 255 characters (SHELL_LINE_MAX); ignored' \
	--expect 'exception 14 (page fault)' \
	--expect "shell: 'peek' raised exception 14" \
	--expect 'nano_core ' --expect 'shell                ' \
	--expect 'crate heap: ' --expect 'heap:.bss.free_list' --expect 'bound to nano_core heap:.bss.free_list' \
	--expect 'global function in crate heap, section heap:.text.kmalloc+0' \
	--expect 'supersedes: ffffffff80' \
	--expect "$old_kmalloc_4: crate nano_core, section heap:.text.kmalloc+4, kmalloc+4" \
	--expect 'old code: retired (unmapped); kmalloc now lives at ffffffffc' \
	--expect 'load: crate ext_hello: ' \
	--expect 'global function in crate ext_hello, section ext_hello:.text+0' \
	--expect '-> console:.text.kprintf' --expect '-> heap:.text.kmalloc' \
	--expect 'ext_hello               ' \
	--expect 'load: crate tm_dep: ' \
	--expect "loader: tm_data: still used by crate 'tm_dep'" \
	--expect 'unload: crate tm_dep unloaded' --expect 'unload: crate tm_data unloaded' \
	--expect 'unload: memory is part of the running kernel' \
	--expect "no crate 'nosuch'" --expect "crates: no boot module or upload 'nosuch'" \
	--expect 'shell: more than 8 words (SHELL_MAX_ARGS); ignored' \
	--expect 'swap: memory         text ffffffff80' --expect 'swap: heap           text ffffffff80' \
	--expect "swap: 'bogus' is not a constituent module" \
	--expect 'global function in crate heap#' \
	--expect "swap: memory: the data layout of memory_fields differs: mem_counters: member frames_reserved at offset 8 in the running kernel, 16 in memory_fields" \
	--expect 'swap: memory stays as it was (SWAP_LAYOUT_CHANGED)' \
	--expect 'nanoswap> swap heap heap_fields'$'\n''error: swap: heap: the data layout of heap_fields differs: free_list -> struct block: member magic at offset 8 in the running kernel, 16 in heap_fields (a constituent module'"'"'s data stays in place: its layout may not change)'$'\n''swap: heap stays as it was (SWAP_LAYOUT_CHANGED)' \
	--expect 'nanoswap> swap memory memory_param'$'\n''error: swap: memory: memory_param changes the interface of mem_get_stats (struct mem_stats: member frames_used at offset 16 in the running kernel, 24 in memory_param), which init, ktest and shell still call (swap them in one group)'$'\n''swap: memory stays as it was (SWAP_LAYOUT_CHANGED)' \
	--expect 'nanoswap> swap memory memory_v2' --expect 'retire: memory         old text and rodata unmapped' \
	--expect ', first fit'$'\n' --expect 'nanoswap> swap heap heap_v2' --expect ', best fit'$'\n' \
	--expect 'swap: tstate_v2: tstate_state_transfer carried the state over (the layout changed: tstate: member count at offset 0 in the running kernel, 8 in tstate_v2)' \
	--expect 'swap: tstate -> tstate#2 (from tstate_v2)' --expect 'retire: tstate         old text and rodata unmapped' \
	--expect '  version 2 of tstate, from tstate_v2, superseding tstate' \
	--expect ', from memory_v2, superseding memory' --expect ', from heap_v2, superseding heap' \
	--expect "swap: no boot module 'nosuch'" \
	--expect 'ok exception.int3_inside_catch_resumes' --expect 'rerun ok swap.functions_and_probes' \
	--reject 'FAIL ' --reject "shell: 'test' raised" \
	--expect 'ok heap.aligned' \
	--expect "ktest: no test matched 'nosuch'" \
	--expect 'nanoswap: halt'
