/*
 * A scratch page for the paging tests: a fresh frame mapped at a page of the
 * module area, and its undoing.
 */
#ifndef TESTS_KERNEL_SCRATCH_H
#define TESTS_KERNEL_SCRATCH_H

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

#endif
