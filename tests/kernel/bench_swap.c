/*
 * Swap benchmark: the instructions (rdtsc under -icount shift=0) each
 * module's swap took at boot (make bench boots with the default swap=all),
 * the memory swap alone and the whole swap.
 */
#include <console/console.h>
#include <ktest/ktest.h>
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
