/*
 * Swap benchmark: the instructions (rdtsc under -icount shift=0) each
 * module's swap took at boot (make bench boots with the default swap=all),
 * the memory swap alone and the whole swap.
 */
#include <console/console.h>
#include <ktest/ktest.h>
#include <lib/x86.h>
#include <nano_core_swap/swap.h>

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
