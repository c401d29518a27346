/*
 * The kernel's 4-level page tables: map, unmap, protect and translate 4 KiB
 * pages, flushing the TLB (tlb_invalidate: here and, batched, on every
 * other CPU) after every change to a present entry. Intermediate
 * entries are always present+writable and leave permission to the leaf, so
 * a leaf's W and NX bits are the page's rights. A page table emptied by
 * vm_unmap is freed, so a map/unmap pair leaves the frame counters as they were.
 * A frame mapped without write (code, read-only data) loses write on its
 * direct-map alias too (direct.c), and gets it back when that mapping goes.
 */
#include <console/console.h>
#include <lib/string.h>
#include <lib/util.h>
#include <lib/x86.h>
#include "memory_internal.h"

static uint64_t root_phys;

static uint64_t leaf_flags(unsigned prot)
{
	uint64_t flags = PTE_PRESENT;

	if (prot & VM_WRITE)
		flags |= PTE_WRITE;
	if (!(prot & VM_EXEC))
		flags |= PTE_NX;
	return flags;
}

void paging_set_root(uint64_t pml4_phys)
{
	root_phys = pml4_phys;
}

void paging_activate(void)
{
	write_cr3(root_phys);
}

uint64_t paging_root(void)
{
	return root_phys;
}

/*
 * The entry for va at level `stop` (0: the PT entry, 1: the PD entry),
 * creating missing tables above it when create is set. NULL with *e set when
 * a table is missing (E_NOT_MAPPED), a huge page is in the way
 * (E_ALREADY_MAPPED) or no frame is left (E_NO_FRAMES).
 */
uint64_t *paging_walk(uint64_t va, unsigned stop, bool create, enum err *e)
{
	uint64_t *table = pt_table_at(root_phys);

	for (unsigned level = 3; level > stop; level--) {
		uint64_t *entry = &table[pt_index(va, level)];
		if (*entry & PTE_HUGE) {
			*e = E_ALREADY_MAPPED;
			return NULL;
		}
		if (!(*entry & PTE_PRESENT)) {
			uint64_t phys;
			if (!create) {
				*e = E_NOT_MAPPED;
				return NULL;
			}
			*e = frame_alloc_table(&phys);
			if (*e != E_OK)
				return NULL;
			*entry = phys | PT_INTERMEDIATE;
		}
		table = pt_table_at(*entry);
	}
	return &table[pt_index(va, stop)];
}

static enum err check_page(uint64_t va, uint64_t pa, unsigned prot)
{
	if (!IS_ALIGNED(va, PAGE_SIZE) || !IS_ALIGNED(pa, PAGE_SIZE))
		return E_NOT_ALIGNED;
	if ((prot & VM_WRITE) && (prot & VM_EXEC))
		return E_INVALID_ARG;	/* W^X */
	return E_OK;
}

/* The direct-map alias of pa, split out of its 2 MiB page, for a mapping without write. */
static enum err alias_for_readonly(uint64_t pa, unsigned prot, uint64_t **alias)
{
	*alias = NULL;
	return prot & VM_WRITE ? E_OK : direct_alias_pte(pa, true, alias);
}

/* A mapping without write of pa went away or became writable: so does the alias's RO. */
static void alias_restore_writable(uint64_t pa)
{
	uint64_t *alias;

	if (direct_alias_pte(pa, false, &alias) == E_OK && alias)
		direct_alias_set(alias, pa, true);
}

static enum err vm_map_unlocked(uint64_t va, uint64_t pa, unsigned prot)
{
	uint64_t *alias;
	enum err e = check_page(va, pa, prot);

	if (e != E_OK)
		return e;
	e = alias_for_readonly(pa, prot, &alias);
	if (e != E_OK)
		return e;
	uint64_t *pte = paging_walk(va, 0, true, &e);
	if (!pte)
		return e;
	if (*pte & PTE_PRESENT)
		return E_ALREADY_MAPPED;
	*pte = pa | leaf_flags(prot);
	if (alias)
		direct_alias_set(alias, pa, false);
	mem_counters.pages_mapped++;
	return E_OK;
}

enum err vm_map(uint64_t va, uint64_t pa, unsigned prot)
{
	uint64_t flags = mem_lock();
	enum err r = vm_map_unlocked(va, pa, prot);

	mem_unlock(flags);
	return r;
}

/* Free the page table holding va's entry if it has no present entry left.
 * The search starts next to va's entry, where a range being unmapped page
 * after page (or its neighbour in the image) still has one. */
static void free_table_if_empty(uint64_t va)
{
	enum err e;
	uint64_t *pde = paging_walk(va, 1, false, &e);
	uint64_t *pt = pt_table_at(*pde);
	unsigned at = pt_index(va, 0);

	for (unsigned k = 1; k < PT_ENTRIES; k++)
		if (pt[(at + k) % PT_ENTRIES] & PTE_PRESENT)
			return;
	uint64_t phys = *pde & PTE_ADDR_MASK;
	*pde = 0;
	frame_free_table(phys);
}

static enum err vm_unmap_unlocked(uint64_t va, uint64_t *pa)
{
	enum err e = E_OK;

	if (!IS_ALIGNED(va, PAGE_SIZE))
		return E_NOT_ALIGNED;
	uint64_t *pte = paging_walk(va, 0, false, &e);
	if (!pte)
		return e == E_ALREADY_MAPPED ? E_INVALID_ARG : E_NOT_MAPPED;
	if (!(*pte & PTE_PRESENT))
		return E_NOT_MAPPED;
	uint64_t old = *pte, frame = old & PTE_ADDR_MASK;
	if (pa)
		*pa = frame;
	*pte = 0;
	tlb_invalidate(va);
	if (!(old & PTE_WRITE))
		alias_restore_writable(frame);
	mem_counters.pages_mapped--;
	free_table_if_empty(va);
	return E_OK;
}

enum err vm_unmap(uint64_t va, uint64_t *pa)
{
	uint64_t flags = mem_lock();
	enum err r = vm_unmap_unlocked(va, pa);

	mem_unlock(flags);
	return r;
}

/* The entry for page `at` of a run: the next one in the table the previous
 * page's entry is in (*pte, NULL at the start), walked to (creating tables
 * when `create`) at the start and where a new table begins. */
static uint64_t *run_entry(uint64_t *pte, uint64_t at, bool create, enum err *e)
{
	if (pte && pt_index(at, 0) != 0)
		return pte + 1;
	return paging_walk(at, 0, create, e);
}

/* Page `va` (its entry pte) gets prot: its direct-map alias follows. */
static enum err protect_entry(uint64_t *pte, uint64_t va, unsigned prot)
{
	uint64_t *alias;
	enum err e;

	if (!pte || !(*pte & PTE_PRESENT))
		return E_NOT_MAPPED;
	uint64_t old = *pte, frame = old & PTE_ADDR_MASK;
	e = alias_for_readonly(frame, prot, &alias);
	if (e != E_OK)
		return e;
	*pte = frame | leaf_flags(prot);
	tlb_invalidate(va);
	if (alias)
		direct_alias_set(alias, frame, false);
	else if (!(old & PTE_WRITE))
		alias_restore_writable(frame);
	return E_OK;
}

static enum err vm_protect_unlocked(uint64_t va, unsigned prot)
{
	return vm_protect_range(va, 1, prot);
}

enum err vm_protect(uint64_t va, unsigned prot)
{
	uint64_t flags = mem_lock();
	enum err r = vm_protect_unlocked(va, prot);

	mem_unlock(flags);
	return r;
}

/* One page table at a time, as vm_map_fresh. */
static enum err vm_protect_range_unlocked(uint64_t va, size_t npages, unsigned prot)
{
	enum err e = check_page(va, 0, prot);
	uint64_t *pte = NULL;

	for (size_t i = 0; i < npages && e == E_OK; i++) {
		pte = run_entry(pte, va + i * PAGE_SIZE, false, &e);
		e = protect_entry(pte, va + i * PAGE_SIZE, prot);
	}
	return e;
}

enum err vm_protect_range(uint64_t va, size_t npages, unsigned prot)
{
	uint64_t flags = mem_lock();
	enum err r = vm_protect_range_unlocked(va, npages, prot);

	mem_unlock(flags);
	return r;
}

static enum err vm_translate_unlocked(uint64_t va, uint64_t *pa, uint64_t *flags)
{
	uint64_t *table = pt_table_at(root_phys);

	for (unsigned level = 3;; level--) {
		uint64_t entry = table[pt_index(va, level)];
		if (!(entry & PTE_PRESENT))
			return E_NOT_MAPPED;
		if (level == 0 || (entry & PTE_HUGE)) {
			uint64_t span = 1UL << (PAGE_SHIFT + 9 * level);
			/* a huge leaf's address field has the PAT bit at bit 12: mask it */
			*pa = (entry & PTE_ADDR_MASK & ~(span - 1)) | (va & (span - 1));
			if (flags)
				*flags = entry & ~PTE_ADDR_MASK;
			return E_OK;
		}
		table = pt_table_at(entry);
	}
}

enum err vm_translate(uint64_t va, uint64_t *pa, uint64_t *flags)
{
	uint64_t irqs = mem_lock();
	enum err r = vm_translate_unlocked(va, pa, flags);

	mem_unlock(irqs);
	return r;
}

/* One page table at a time: each walked once, not once per page. */
static enum err vm_map_fresh_unlocked(uint64_t va, size_t npages, unsigned prot)
{
	unsigned leaf = prot & ~VM_UNINIT;
	enum err e = check_page(va, 0, leaf);
	uint64_t *pte = NULL;
	size_t i;

	for (i = 0; i < npages && e == E_OK; i++) {
		uint64_t pa, *alias;

		pte = run_entry(pte, va + i * PAGE_SIZE, true, &e);
		if (!pte)
			break;
		if (*pte & PTE_PRESENT) {
			e = E_ALREADY_MAPPED;
			break;
		}
		e = frame_take(&pa);
		if (e != E_OK)
			break;
		if (!(prot & VM_UNINIT))
			memset(phys_to_virt(pa), 0, PAGE_SIZE);
		e = alias_for_readonly(pa, leaf, &alias);
		if (e != E_OK) {
			frame_free(pa);
			break;
		}
		*pte = pa | leaf_flags(leaf);
		if (alias)
			direct_alias_set(alias, pa, false);
		mem_counters.pages_mapped++;
	}
	if (e != E_OK)
		vm_unmap_free(va, i);
	return e;
}

enum err vm_map_fresh(uint64_t va, size_t npages, unsigned prot)
{
	uint64_t flags = mem_lock();
	enum err r = vm_map_fresh_unlocked(va, npages, prot);

	mem_unlock(flags);
	return r;
}

/* One page table at a time: walked once, its entries cleared, and freed if
 * that left it empty. */
static void vm_retire_image_unlocked(uint64_t va, size_t npages)
{
	for (size_t i = 0; i < npages;) {
		uint64_t at = va + i * PAGE_SIZE;
		enum err e;
		uint64_t *pte = paging_walk(at, 0, false, &e);
		size_t n = MIN(npages - i, PT_ENTRIES - pt_index(at, 0));

		for (size_t k = 0; k < n; k++, i++) {
			uint64_t page = va + i * PAGE_SIZE, old = pte ? pte[k] : 0;

			if (!(old & PTE_PRESENT) || (old & PTE_ADDR_MASK) != page - KERNEL_VMA)
				panic("BUG: vm_retire_image: %lx is not the image's page", page);
			pte[k] = 0;
			tlb_invalidate(page);
			if (!(old & PTE_WRITE))
				alias_restore_writable(old & PTE_ADDR_MASK);
			mem_counters.pages_mapped--;
		}
		free_table_if_empty(va + (i - 1) * PAGE_SIZE); /* (the table's last page) */
	}
	frame_release_reserved(va - KERNEL_VMA, va - KERNEL_VMA + npages * PAGE_SIZE);
}

void vm_retire_image(uint64_t va, size_t npages)
{
	uint64_t flags = mem_lock();

	vm_retire_image_unlocked(va, npages);
	mem_unlock(flags);
}

static void vm_unmap_free_unlocked(uint64_t va, size_t npages)
{
	for (size_t i = 0; i < npages; i++) {
		uint64_t pa;
		if (vm_unmap(va + i * PAGE_SIZE, &pa) != E_OK)
			panic("BUG: vm_unmap_free: %lx is not mapped", va + i * PAGE_SIZE);
		frame_free(pa);
	}
}

void vm_unmap_free(uint64_t va, size_t npages)
{
	uint64_t flags = mem_lock();

	vm_unmap_free_unlocked(va, npages);
	mem_unlock(flags);
}

enum err vm_map_huge(uint64_t va, uint64_t pa, uint64_t len, unsigned prot)
{
	const uint64_t huge = 2 * MiB;

	for (uint64_t off = 0; off < len; off += huge) {
		enum err e;
		uint64_t *pde = paging_walk(va + off, 1, true, &e);
		if (!pde)
			return e;
		*pde = (pa + off) | leaf_flags(prot) | PTE_HUGE;
	}
	return E_OK;
}

enum err vm_prepare_pd(uint64_t va)
{
	enum err e;

	return paging_walk(va, 1, true, &e) ? E_OK : e;
}
