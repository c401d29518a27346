/*
 * What the paging tests share: a scratch page (a fresh frame mapped at a page
 * of the module area, and its undoing) and a page-table walk by hand.
 */
#ifndef TESTS_KERNEL_SCRATCH_H
#define TESTS_KERNEL_SCRATCH_H

#include <lib/x86.h>
#include <memory/memory.h>

/* Reserve a module-area page, then map a fresh frame there with prot. */
static inline bool scratch_map(uint64_t *va, uint64_t *pa, unsigned prot)
{
	if (vrange_alloc(1, va) != E_OK)
		return false;
	if (frame_alloc(pa) == E_OK) {
		if (vm_map(*va, *pa, prot) == E_OK)
			return true;
		frame_free(*pa);
	}
	vrange_free(*va, 1);
	return false;
}

static inline void scratch_unmap(uint64_t va, uint64_t pa)
{
	if (vm_unmap(va, NULL) == E_OK)
		frame_free(pa);
	vrange_free(va, 1);
}

/* The leaf PTE of va, found by walking the tables by hand (not through vm_*). */
static inline uint64_t *leaf_pte(uint64_t va)
{
	uint64_t table = read_cr3() & PTE_ADDR_MASK;

	for (int level = 3; level > 0; level--) {
		uint64_t e = ((uint64_t *)phys_to_virt(table))[(va >> (12 + 9 * level)) & 0x1ff];
		if (!(e & PTE_PRESENT) || (e & PTE_HUGE))
			return NULL;
		table = e & PTE_ADDR_MASK;
	}
	return &((uint64_t *)phys_to_virt(table))[(va >> 12) & 0x1ff];
}

#endif
