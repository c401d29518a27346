/*
 * The W^X audit: walk every page table reachable from CR3 and count what a
 * hardware walk would grant. Besides pages writable and executable at one
 * address, it looks at physical frames: a frame executable through one
 * mapping and writable through another (a writable alias of code) is as
 * much a W^X hole as a W+X page, and only a walk by frame can see it.
 */
#include <lib/string.h>
#include <lib/x86.h>
#include "memory_internal.h"
#include <nanoswap/noptr.h>

/* Scratch for one audit: frames mapped executable (and not writable) somewhere. */
static uint64_t audit_exec_frames[FRAME_COUNT / 64] NS_NOPTR;

typedef void (*audit_leaf_fn)(uint64_t pa, uint64_t pages, bool w, bool x, struct vm_audit *out);

/* Visit every leaf under one table; w and x are the rights granted by the levels above. */
static void audit_table(uint64_t phys, unsigned level, bool w, bool x, audit_leaf_fn leaf,
			struct vm_audit *out)
{
	uint64_t *table = pt_table_at(phys);

	out->table_frames++;
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t entry = table[i];
		if (!(entry & PTE_PRESENT))
			continue;
		bool ew = w && (entry & PTE_WRITE), ex = x && !(entry & PTE_NX);
		if (level == 0 || (entry & PTE_HUGE)) {
			uint64_t pages = 1UL << (9 * level);
			/* a huge leaf's address field has the PAT bit at bit 12: mask it */
			leaf(entry & PTE_ADDR_MASK & ~(pages * PAGE_SIZE - 1), pages, ew, ex, out);
		} else {
			audit_table(entry, level - 1, ew, ex, leaf, out);
		}
	}
}

/* Pass 1: count pages and W+X pages, mark frames executable at some address. */
static void audit_leaf_rights(uint64_t pa, uint64_t pages, bool w, bool x, struct vm_audit *out)
{
	out->pages += pages;
	if (w && x)
		out->wx_pages += pages;
	if (!x || w)
		return;	/* a W+X page is counted above, not as an alias */
	for (uint64_t f = pa / PAGE_SIZE; f < pa / PAGE_SIZE + pages && f < FRAME_COUNT; f++)
		audit_exec_frames[f / 64] |= 1UL << (f % 64);
}

/* Pass 2: a writable leaf over a marked frame is a writable alias; count each frame once. */
static void audit_leaf_aliases(uint64_t pa, uint64_t pages, bool w, bool x, struct vm_audit *out)
{
	(void)x;
	if (!w)
		return;
	for (uint64_t f = pa / PAGE_SIZE; f < pa / PAGE_SIZE + pages && f < FRAME_COUNT; f++) {
		uint64_t *word = &audit_exec_frames[f / 64];
		if (!*word) {
			f |= 63;	/* no executable frame in this word */
			continue;
		}
		if (*word & (1UL << (f % 64))) {
			*word &= ~(1UL << (f % 64));
			out->wx_alias_frames++;
		}
	}
}

static void vm_audit_unlocked(struct vm_audit *out)
{
	struct vm_audit scratch;
	uint64_t root = read_cr3() & PTE_ADDR_MASK;

	*out = (struct vm_audit){ 0 };
	memset(audit_exec_frames, 0, sizeof(audit_exec_frames));
	audit_table(root, 3, true, true, audit_leaf_rights, out);
	scratch = (struct vm_audit){ 0 };
	audit_table(root, 3, true, true, audit_leaf_aliases, &scratch);
	out->wx_alias_frames = scratch.wx_alias_frames;
}

void vm_audit(struct vm_audit *out)
{
	uint64_t flags = mem_lock();

	vm_audit_unlocked(out);
	mem_unlock(flags);
}
