/*
 * Swap benchmark: the instructions (rdtsc under -icount shift=0) each
 * module's swap took at boot (make bench boots with the default swap=all),
 * the memory swap alone and the whole swap; a run-time heap swap, and the
 * retire's cost per MiB of live heap.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <ktest/ktest.h>
#include <lib/cpu.h>
#include <lib/util.h>
#include <lib/x86.h>
#include <nano_core_swap/swap.h>
#include <sched/sched.h>
#include <workload/workload.h>

KBENCH(swap, boot_swap)
{
	unsigned n;
	const struct swap_report *r = swap_reports(&n);
	uint64_t total = 0, relocs = 0, bytes = 0;

	for (unsigned i = 0; i < n; i++) {
		if (r[i].result != E_OK)
			return false;
		const struct ld_load_stats *st = &r[i].phases;
		kprintf("bench: swap %s: %lu instructions, %u relocations, %lu fresh bytes, "
			"%lu data bytes bound, %u sections; phases validate %lu layout %lu copy %lu "
			"symbols %lu relocate %lu commit %lu\n", r[i].module, r[i].cycles,
			r[i].relocs_applied, r[i].fresh_bytes, r[i].data_bytes_bound, r[i].sections,
			st->validate, st->layout, st->copy, st->symbols, st->relocate, st->commit);
		total += r[i].cycles;
		relocs += r[i].relocs_applied;
		bytes += r[i].fresh_bytes;
	}
	const struct swap_phases *p = swap_boot_phases();
	total = p->load + p->redirect + p->hooks + p->retire;
	kprintf("bench: swap all (%u modules): %lu instructions, %lu relocations, %lu fresh bytes; "
		"phases load %lu (nano_core crate %lu) redirect %lu hooks %lu retire %lu\n", n, total, relocs, bytes,
		p->load, p->core, p->redirect, p->hooks, p->retire);
	return n > 0 && p->retire > 0;
}

/* One run-time swap with four workers running: elapsed instructions (the
 * workers' included: they run during all but the pauses) and the pauses. */
static bool bench_swap_under_workers(const char *module, const char *object, const char *label)
{
	struct swap_report r;
	const struct swap_phases *p;
	uint64_t t0 = rdtsc(), spent;
	enum err e = swap_module_to(module, object, &r);

	spent = rdtsc() - t0;
	if (e != E_OK)
		return false;
	p = swap_last_phases();
	if (cpu_online_count() > 1)	/* (make bench boots again with -smp 4) */
		kprintf("bench: swap %s with 4 workers on %u CPUs: %lu instructions, %lu paused "
			"with the others stopped, %lu for the retire's proof\n", label,
			cpu_online_count(), spent, p->pause, p->retire_pause);
	else
		kprintf("bench: swap %s with 4 workers: %lu instructions, %lu paused with the "
			"others stopped, %lu for the retire's proof\n", label, spent, p->pause,
			p->retire_pause);
	return true;
}

/* The swaps of the concurrency issue under its workload: heap for heap_v2,
 * sched again; and the boot's swap all, whose commit paused the idle thread. */
KBENCH(swap, under_workers)
{
	struct work_stats w;
	const struct swap_phases *b = swap_boot_phases();
	bool ok;

	kprintf("bench: swap all at boot: %lu paused with the others stopped, %lu for the "
		"retire's proof\n", b->pause, b->retire_pause);
	if (work_start(4) != E_OK)
		return false;
	thread_sleep_ms(5);
	ok = bench_swap_under_workers("heap", "heap_v2", "heap heap_v2") &&
	     bench_swap_under_workers("sched", "sched", "sched");
	work_stop(&w);
	struct swap_report r;
	ok = ok && swap_module_to("heap", "heap", &r) == E_OK && w.errors == 0;
	return ok;
}

/* A run-time swap of heap for a new version (heap_v2, best fit): layout
 * check, load, redirect, hooks and retire, from the call to its return; then
 * back to the object linked. */
KBENCH(swap, runtime_heap_swap)
{
	struct swap_report r;
	uint64_t t0 = rdtsc(), there, back;

	if (swap_module_to("heap", "heap_v2", &r) != E_OK)
		return false;
	there = rdtsc() - t0;
	t0 = rdtsc();
	if (swap_module_to("heap", "heap", &r) != E_OK)
		return false;
	back = rdtsc() - t0;
	kprintf("bench: swap heap heap_v2 at run time: %lu instructions (and back to heap: "
		"%lu)\n", there, back);
	return true;
}

/*
 * The retire's cost against live heap: a run-time `swap heap heap_v2` (and
 * back) with nothing more allocated, then with BENCH_HEAP_MIB MiB of heap
 * blocks of dense words: random (no zero to skip, few look like an address)
 * and kernel-pointer-like (every word passes the byte prefilter and is
 * compared with the candidates' span). Prints the retire's instructions per
 * MiB of such heap, and the whole swap's with the 64 MiB allocated.
 */
#define BENCH_HEAP_MIB 64

static void *bench_blocks[BENCH_HEAP_MIB];

enum bench_words { WORDS_RANDOM, WORDS_POINTERS };

static void bench_fill(enum bench_words kind)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (unsigned b = 0; b < BENCH_HEAP_MIB; b++) {
		uint64_t *w = bench_blocks[b];

		for (size_t i = 0; i < MiB / 8; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			w[i] = kind == WORDS_RANDOM ? x | 0x0101010101010101ull
						    : 0xffffffff80000000ull | (x & 0x3ffff8);
		}
	}
}

/* One swap heap -> heap_v2 -> heap: its instructions, its retire phase. */
static bool bench_heap_swap(uint64_t *total, uint64_t *retire)
{
	struct swap_report r;
	uint64_t t0 = rdtsc();

	if (swap_module_to("heap", "heap_v2", &r) != E_OK)
		return false;
	*total = rdtsc() - t0;
	*retire = swap_last_phases()->retire;
	return swap_module_to("heap", "heap", &r) == E_OK;
}

KBENCH(swap, retire_per_heap_mib)
{
	uint64_t total0, retire0, total_r, retire_r, total_p, retire_p;
	bool ok = bench_heap_swap(&total0, &retire0);

	for (unsigned b = 0; ok && b < BENCH_HEAP_MIB; b++)
		ok = (bench_blocks[b] = kmalloc(MiB)) != NULL;
	if (ok) {
		bench_fill(WORDS_RANDOM);
		ok = bench_heap_swap(&total_r, &retire_r);
	}
	if (ok) {
		bench_fill(WORDS_POINTERS);
		ok = bench_heap_swap(&total_p, &retire_p);
	}
	for (unsigned b = 0; b < BENCH_HEAP_MIB; b++)
		kfree(bench_blocks[b]), bench_blocks[b] = NULL;
	if (!ok)
		return false;
	kprintf("bench: retire per MiB of live heap: %lu instructions (random words), %lu "
		"(kernel-pointer-like words)\n", (retire_r - retire0) / BENCH_HEAP_MIB,
		(retire_p - retire0) / BENCH_HEAP_MIB);
	kprintf("bench: swap heap heap_v2 with %u MiB of heap allocated: %lu instructions "
		"(retire %lu; with none allocated: %lu, retire %lu)\n", BENCH_HEAP_MIB, total_r,
		retire_r, total0, retire0);
	return true;
}
