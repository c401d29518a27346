/*
 * The shell commands about the machine rather than the namespace: memory
 * counters, the in-kernel tests and benchmarks, the log level, reading a
 * word of memory, and leaving (halt, reboot).
 */
#include <console/console.h>
#include <heap/heap.h>
#include <ktest/ktest.h>
#include <lib/util.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include <nano_core_swap/swap.h>
#include "shell_internal.h"

#define PORT_RESET_CONTROL	0xCF9	/* q35/PIIX reset control register */
#define RESET_HARD		0x06	/* full reset, CPU included */

enum err cmd_mem(int argc, char **argv)
{
	struct mem_stats m;
	struct heap_stats h;
	struct vm_audit a;

	(void)argc, (void)argv;
	mem_get_stats(&m);
	heap_get_stats(&h);
	vm_audit(&a);
	kprintf("frames: %lu total (%lu MiB), %lu reserved, %lu used, %lu free\n",
		m.frames_total, m.frames_total * PAGE_SIZE / MiB, m.frames_reserved,
		m.frames_used, m.frames_free);
	kprintf("heap: %lu bytes in %lu blocks, %lu KiB mapped at %lx, %s\n", h.bytes_used,
		h.blocks_used, h.bytes_mapped / KiB, (uint64_t)HEAP_BASE, heap_policy());
	kprintf("module area: %lu pages (%lu KiB) reserved at %lx, %lu more kept unmapped for "
		"retired code\n", m.vrange_pages, m.vrange_pages * PAGE_SIZE / KiB,
		(uint64_t)MODULE_AREA_BASE, m.vrange_retired_pages);
	kprintf("page tables: %lu frames (%lu counted by the allocator); %lu pages mapped "
		"through vm_map, %lu present in all, %lu W+X, %lu writable aliases of code\n",
		a.table_frames, m.table_frames, m.pages_mapped, a.pages, a.wx_pages,
		a.wx_alias_frames);
	kprintf("superseded copies still mapped: %u\n", swap_superseded_mapped());
	return E_OK;
}

enum err cmd_test(int argc, char **argv)
{
	struct ktest_result r = ktest_run(argc > 1 ? argv[1] : "");

	(void)r;	/* the summary line says it all */
	return E_OK;
}

enum err cmd_bench(int argc, char **argv)
{
	(void)argc, (void)argv;
	kbench_run();	/* prints "bench: done, N failed" */
	return E_OK;
}

enum err cmd_log(int argc, char **argv)
{
	enum log_level level;

	if (argc == 1) {
		kprintf("log level: %s\n", console_level_name(console_get_level()));
		return E_OK;
	}
	if (console_parse_level(argv[1], &level) != E_OK) {
		kprintf("log: unknown level '%s'\n", argv[1]);
		return E_SHELL_USAGE;
	}
	console_set_level(level);
	kprintf("log level set to %s\n", console_level_name(level));
	return E_OK;
}

enum err cmd_peek(int argc, char **argv)
{
	uint64_t addr;
	enum err e = shell_parse_addr(argv[1], &addr);

	(void)argc;
	if (e != E_OK)
		return e;
	if (!IS_ALIGNED(addr, 8)) {
		kprintf("peek: %lx is not 8-byte aligned\n", addr);
		return E_SHELL_USAGE;
	}
	kprintf("%lx: %016lx\n", addr, *(volatile const uint64_t *)addr);	/* may fault */
	return E_OK;
}

enum err cmd_halt(int argc, char **argv)
{
	(void)argc, (void)argv;
	kprintf("nanoswap: halt\n");
	qemu_exit(QEMU_EXIT_SUCCESS);
	cpu_halt_forever();	/* no isa-debug-exit device: stop here */
}

enum err cmd_reboot(int argc, char **argv)
{
	(void)argc, (void)argv;
	kprintf("nanoswap: reboot\n");
	outb(PORT_RESET_CONTROL, RESET_HARD);
	cpu_halt_forever();
}
