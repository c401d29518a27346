/*
 * The module area's virtual-range allocator: one bit per 4 KiB page of
 * [MODULE_AREA_BASE, +MODULE_AREA_SIZE), first fit. Loaded crates live here,
 * inside the top 2 GiB that -mcmodel=kernel code can reach.
 */
#include <console/console.h>
#include <lib/util.h>
#include "memory_internal.h"
#include <nanoswap/noptr.h>

#define VRANGE_PAGES	(MODULE_AREA_SIZE / PAGE_SIZE)

static uint64_t vrange_bitmap[VRANGE_PAGES / 64] NS_NOPTR;	/* 1 = reserved */
static uint64_t vrange_retired_pages;	/* of them, claimed for retired code */

uint64_t vrange_retired(void)
{
	return vrange_retired_pages;
}

static bool vr_test(uint64_t page)
{
	return vrange_bitmap[page / 64] & (1UL << (page % 64));
}

static void vr_assign(uint64_t first, size_t npages, bool used)
{
	for (uint64_t p = first; p < first + npages; p++) {
		if (used)
			vrange_bitmap[p / 64] |= 1UL << (p % 64);
		else
			vrange_bitmap[p / 64] &= ~(1UL << (p % 64));
	}
}

static enum err vrange_alloc_unlocked(size_t npages, uint64_t *va)
{
	uint64_t run = 0;

	if (npages == 0 || npages > VRANGE_PAGES)
		return E_INVALID_ARG;
	for (uint64_t p = 0; p < VRANGE_PAGES; p++) {
		if (p % 64 == 0 && vrange_bitmap[p / 64] == ~0UL) {
			run = 0;
			p += 63;
			continue;
		}
		run = vr_test(p) ? 0 : run + 1;
		if (run == npages) {
			uint64_t first = p + 1 - npages;
			vr_assign(first, npages, true);
			mem_counters.vrange_pages += npages;
			*va = MODULE_AREA_BASE + first * PAGE_SIZE;
			return E_OK;
		}
	}
	return E_NO_VSPACE;
}

enum err vrange_alloc(size_t npages, uint64_t *va)
{
	uint64_t flags = mem_lock();
	enum err r = vrange_alloc_unlocked(npages, va);

	mem_unlock(flags);
	return r;
}

static void vrange_free_unlocked(uint64_t va, size_t npages)
{
	uint64_t first = (va - MODULE_AREA_BASE) / PAGE_SIZE;

	if (va < MODULE_AREA_BASE || !IS_ALIGNED(va, PAGE_SIZE) || first + npages > VRANGE_PAGES)
		panic("BUG: vrange_free(%lx, %zu): not in the module area", va, npages);
	for (uint64_t p = first; p < first + npages; p++)
		if (!vr_test(p))
			panic("BUG: vrange_free(%lx, %zu): page %lx was not reserved", va, npages,
			      MODULE_AREA_BASE + p * PAGE_SIZE);
	vr_assign(first, npages, false);
	mem_counters.vrange_pages -= npages;
}

void vrange_free(uint64_t va, size_t npages)
{
	uint64_t flags = mem_lock();

	vrange_free_unlocked(va, npages);
	mem_unlock(flags);
}

static enum err vrange_claim_unlocked(uint64_t va, size_t npages)
{
	uint64_t first = (va - MODULE_AREA_BASE) / PAGE_SIZE;

	if (va < MODULE_AREA_BASE || !IS_ALIGNED(va, PAGE_SIZE) || !npages ||
	    first + npages > VRANGE_PAGES)
		return E_INVALID_ARG;
	for (uint64_t p = first; p < first + npages; p++)
		if (vr_test(p))
			return E_ALREADY_MAPPED;
	vr_assign(first, npages, true);
	vrange_retired_pages += npages;
	return E_OK;
}

enum err vrange_claim(uint64_t va, size_t npages)
{
	uint64_t flags = mem_lock();
	enum err r = vrange_claim_unlocked(va, npages);

	mem_unlock(flags);
	return r;
}
