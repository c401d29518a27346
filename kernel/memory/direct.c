/*
 * The direct map's view of code. The direct map covers all physical memory
 * RW+NX, so without care every code frame would also be writable at
 * DIRECT_MAP_BASE + phys. Every 2 MiB direct-map page that holds RAM is split
 * into 4 KiB pages at init (one page table per 2 MiB of RAM, kernel
 * structure like the rest of memory_init's tables), so that paging.c can
 * drop write from the alias of a frame it maps without write (kernel text and
 * rodata, a crate's text and rodata) and give it back when that mapping goes.
 */
#include <console/console.h>
#include <lib/util.h>
#include <lib/x86.h>
#include "memory_internal.h"

#define DIRECT_HUGE	(2 * MiB)

/* Replace the 2 MiB leaf *pde with a page table of 512 leaves with its rights. */
/* The last split, for the debugger: the 2 MiB page's base and the frame of
 * the table that replaced it. */
static struct direct_split_record {
	uint64_t base;
	uint32_t table_pfn;
#ifdef NANOSWAP_TEST_LAYOUT_PADDED	/* (a test variant: a member in the padding) */
	uint32_t extra;
#endif
} last_split __attribute__((used));

static enum err direct_split(uint64_t *pde)
{
#ifndef NANOSWAP_TEST_LAYOUT_STATIC	/* (a test variant: the same static, another type) */
	static uint64_t splits __attribute__((used));	/* so far, for the debugger */
#else
	static int64_t splits __attribute__((used));
#endif
	uint64_t table, base = *pde & PTE_ADDR_MASK & ~(DIRECT_HUGE - 1);	/* bit 12 is PAT */
	uint64_t rights = *pde & (PTE_PRESENT | PTE_WRITE | PTE_NX);
	enum err e = frame_alloc_table(&table);

	if (e != E_OK)
		return e;
	splits++;
	last_split = (struct direct_split_record){ .base = base,
						   .table_pfn = (uint32_t)(table / PAGE_SIZE) };
	uint64_t *pt = pt_table_at(table);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		pt[i] = (base + i * PAGE_SIZE) | rights;
	*pde = table | PT_INTERMEDIATE;
	if ((read_cr3() & PTE_ADDR_MASK) == paging_root())
		tlb_invalidate_all();	/* the live 2 MiB translation and its caches go */
	return E_OK;
}

enum err direct_split_ram(void)
{
	for (uint64_t pa = 0; pa < FRAME_MAX_PHYS; pa += DIRECT_HUGE) {
		enum err e;
		uint64_t *pde = paging_walk(DIRECT_MAP_BASE + pa, 1, false, &e);
		if (!pde)
			return e;
		if ((*pde & PTE_HUGE) && frame_range_has_ram(pa, pa + DIRECT_HUGE)) {
			e = direct_split(pde);
			if (e != E_OK)
				return e;
		}
	}
	return E_OK;
}

enum err direct_alias_pte(uint64_t pa, bool split, uint64_t **pte)
{
	uint64_t va = DIRECT_MAP_BASE + pa;
	enum err e;

	*pte = NULL;
	if (pa >= FRAME_MAX_PHYS)
		return E_OK;
	uint64_t *pde = paging_walk(va, 1, false, &e);
	if (!pde || !(*pde & PTE_PRESENT))
		panic("BUG: the direct map does not cover %lx", pa);
	if (*pde & PTE_HUGE) {
		if (!split)
			return E_OK;	/* a whole 2 MiB page is RW: nothing to restore */
		e = direct_split(pde);
		if (e != E_OK)
			return e;
	}
	*pte = &pt_table_at(*pde)[pt_index(va, 0)];
	return E_OK;
}

void direct_alias_set(uint64_t *pte, uint64_t pa, bool writable)
{
	uint64_t want = pa | PTE_PRESENT | PTE_NX | (writable ? PTE_WRITE : 0);

	if ((*pte & PTE_ADDR_MASK) != pa || !(*pte & PTE_PRESENT))
		panic("BUG: direct-map entry %lx does not map frame %lx", *pte, pa);
	if ((*pte & (PTE_ADDR_MASK | PTE_PRESENT | PTE_WRITE | PTE_NX)) == want)
		return;	/* the CPU's accessed/dirty bits aside, already so */
	*pte = want;
	tlb_invalidate(DIRECT_MAP_BASE + pa);
}
