/*
 * The kernel's 4-level page tables: map, unmap, protect and translate 4 KiB
 * pages, with invlpg after every change to a present entry. Intermediate
 * entries are always present+writable and leave permission to the leaf, so
 * a leaf's W and NX bits are the page's rights. A page table emptied by
 * vm_unmap is freed, so a map/unmap pair leaves the frame counters as they were.
 */
#include <console/console.h>
#include <lib/string.h>
#include <lib/util.h>
#include <lib/x86.h>
#include "memory_internal.h"

#define TABLE_ENTRIES	512
#define INTERMEDIATE	(PTE_PRESENT | PTE_WRITE)

static uint64_t root_phys;

static unsigned pt_index(uint64_t va, unsigned level)	/* level 3 = PML4 ... 0 = PT */
{
	return (va >> (PAGE_SHIFT + 9 * level)) & 0x1ff;
}

static uint64_t *table_at(uint64_t phys)
{
	return phys_to_virt(phys & PTE_ADDR_MASK);
}

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
static uint64_t *walk(uint64_t va, unsigned stop, bool create, enum err *e)
{
	uint64_t *table = table_at(root_phys);

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
			*entry = phys | INTERMEDIATE;
		}
		table = table_at(*entry);
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

enum err vm_map(uint64_t va, uint64_t pa, unsigned prot)
{
	enum err e = check_page(va, pa, prot);

	if (e != E_OK)
		return e;
	uint64_t *pte = walk(va, 0, true, &e);
	if (!pte)
		return e;
	if (*pte & PTE_PRESENT)
		return E_ALREADY_MAPPED;
	*pte = pa | leaf_flags(prot);
	mem_counters.pages_mapped++;
	return E_OK;
}

/* Free the page table holding pte if it has no present entry left. */
static void free_table_if_empty(uint64_t va)
{
	enum err e;
	uint64_t *pde = walk(va, 1, false, &e);
	uint64_t *pt = table_at(*pde);

	for (unsigned i = 0; i < TABLE_ENTRIES; i++)
		if (pt[i] & PTE_PRESENT)
			return;
	uint64_t phys = *pde & PTE_ADDR_MASK;
	*pde = 0;
	frame_free_table(phys);
}

enum err vm_unmap(uint64_t va, uint64_t *pa)
{
	enum err e = E_OK;

	if (!IS_ALIGNED(va, PAGE_SIZE))
		return E_NOT_ALIGNED;
	uint64_t *pte = walk(va, 0, false, &e);
	if (!pte)
		return e == E_ALREADY_MAPPED ? E_INVALID_ARG : E_NOT_MAPPED;
	if (!(*pte & PTE_PRESENT))
		return E_NOT_MAPPED;
	if (pa)
		*pa = *pte & PTE_ADDR_MASK;
	*pte = 0;
	invlpg(va);
	mem_counters.pages_mapped--;
	free_table_if_empty(va);
	return E_OK;
}

enum err vm_protect(uint64_t va, unsigned prot)
{
	enum err e = check_page(va, 0, prot);

	if (e != E_OK)
		return e;
	uint64_t *pte = walk(va, 0, false, &e);
	if (!pte || !(*pte & PTE_PRESENT))
		return E_NOT_MAPPED;
	*pte = (*pte & PTE_ADDR_MASK) | leaf_flags(prot);
	invlpg(va);
	return E_OK;
}

enum err vm_translate(uint64_t va, uint64_t *pa, uint64_t *flags)
{
	uint64_t *table = table_at(root_phys);

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
		table = table_at(entry);
	}
}

enum err vm_map_fresh(uint64_t va, size_t npages, unsigned prot)
{
	for (size_t i = 0; i < npages; i++) {
		uint64_t pa;
		enum err e = frame_alloc(&pa);
		if (e == E_OK) {
			if (!(prot & VM_UNINIT))
				memset(phys_to_virt(pa), 0, PAGE_SIZE);
			e = vm_map(va + i * PAGE_SIZE, pa, prot & ~VM_UNINIT);
			if (e != E_OK)
				frame_free(pa);
		}
		if (e != E_OK) {
			vm_unmap_free(va, i);
			return e;
		}
	}
	return E_OK;
}

void vm_unmap_free(uint64_t va, size_t npages)
{
	for (size_t i = 0; i < npages; i++) {
		uint64_t pa;
		if (vm_unmap(va + i * PAGE_SIZE, &pa) != E_OK)
			panic("BUG: vm_unmap_free: %lx is not mapped", va + i * PAGE_SIZE);
		frame_free(pa);
	}
}

enum err vm_map_huge(uint64_t va, uint64_t pa, uint64_t len, unsigned prot)
{
	const uint64_t huge = 2 * MiB;

	for (uint64_t off = 0; off < len; off += huge) {
		enum err e;
		uint64_t *pde = walk(va + off, 1, true, &e);
		if (!pde)
			return e;
		*pde = (pa + off) | leaf_flags(prot) | PTE_HUGE;
	}
	return E_OK;
}

enum err vm_prepare_pd(uint64_t va)
{
	enum err e;

	return walk(va, 1, true, &e) ? E_OK : e;
}

/* Count leaves under one table; w and x are the rights granted by the levels above. */
static void audit_table(uint64_t phys, unsigned level, bool w, bool x, struct vm_audit *out)
{
	uint64_t *table = table_at(phys);

	out->table_frames++;
	for (unsigned i = 0; i < TABLE_ENTRIES; i++) {
		uint64_t entry = table[i];
		if (!(entry & PTE_PRESENT))
			continue;
		bool ew = w && (entry & PTE_WRITE), ex = x && !(entry & PTE_NX);
		if (level == 0 || (entry & PTE_HUGE)) {
			uint64_t pages = 1UL << (9 * level);
			out->pages += pages;
			if (ew && ex)
				out->wx_pages += pages;
		} else {
			audit_table(entry, level - 1, ew, ex, out);
		}
	}
}

void vm_audit(struct vm_audit *out)
{
	*out = (struct vm_audit){ 0 };
	audit_table(read_cr3() & PTE_ADDR_MASK, 3, true, true, out);
}
