/*
 * The memory module: physical frames, the kernel's page tables, the direct
 * map and the module-area range allocator. All of its state lives in its
 * own .data/.bss, which is what lets a re-loaded copy share it (see
 * nano_core_swap/).
 */
#ifndef MEMORY_MEMORY_H
#define MEMORY_MEMORY_H

#include <memory/layout.h>
#include <nanoswap/err.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bootinfo;

/* Physical memory above this is ignored (a warning names the limit). */
#define FRAME_MAX_PHYS		(4UL << 30)
#define FRAME_MAX_RESERVED	128

/* (phys_to_virt and direct_virt_to_phys: memory/layout.h, a leaf header) */

/* ---- frames (frame.c) ---- */

struct phys_range {
	uint64_t start, end;	/* [start, end), page-aligned outward */
	char what[24];		/* a copy (no pointer into code or rodata to keep alive) */
};

/* Allocate one 4 KiB frame (contents undefined). E_NO_FRAMES when none is left. */
enum err frame_alloc(uint64_t *phys) NS_MUST_CHECK;
/* Return a frame from frame_alloc. Freeing anything else panics with "BUG:". */
void frame_free(uint64_t phys);
/* Call fn for every frame frame_alloc handed out and frame_free has not taken
 * back (raw frames, reached through the direct map; not the frames the
 * memory module maps itself: page tables, vm_map_fresh), in address order. */
void frame_for_each_raw(void (*fn)(void *ctx, uint64_t phys), void *ctx);
/* Hand [start, end) (page-aligned, inside one reserved range, e.g. retired
 * kernel code) to the allocator: no longer reserved, free. False (logged)
 * when splitting the range needs one more than FRAME_MAX_RESERVED: they
 * stay reserved. */
bool frame_release_reserved(uint64_t start, uint64_t end);
/* The ranges the allocator never hands out (kernel, boot info, modules, ...). */
const struct phys_range *frame_reserved(unsigned *count);
/* Is phys inside a frame that an available memory-map entry covers? */
bool frame_is_usable_ram(uint64_t phys);

/* ---- page tables (paging.c) ---- */

#define VM_WRITE	0x1u	/* writable; never together with VM_EXEC */
#define VM_EXEC		0x2u	/* executable; without it the page is NX */
#define VM_UNINIT	0x4u	/* vm_map_fresh only: the caller writes every byte */

#define PTE_PRESENT	(1UL << 0)
#define PTE_WRITE	(1UL << 1)
#define PTE_USER	(1UL << 2)
#define PTE_HUGE	(1UL << 7)
#define PTE_NX		(1UL << 63)
#define PTE_ADDR_MASK	0x000FFFFFFFFFF000UL

/*
 * A frame mapped without VM_WRITE (code, read-only data) is read-only in the
 * direct map too, until that mapping is unmapped or made writable: no frame
 * is executable at one address and writable at another. (So a frame should
 * have one mapping without write at a time: unmapping one of two gives the
 * alias write back while the other remains; vm_audit would show it.)
 */

/* Map one 4 KiB page va -> pa with prot (VM_WRITE|VM_EXEC is refused). */
enum err vm_map(uint64_t va, uint64_t pa, unsigned prot) NS_MUST_CHECK;
/* Unmap va; *pa (if not NULL) gets the frame it mapped. Frees emptied page tables.
 * When the page was not writable, the frame's direct-map alias is writable again. */
enum err vm_unmap(uint64_t va, uint64_t *pa) NS_MUST_CHECK;
/* Change the protection of the mapped page va, and of its frame's direct-map
 * alias: read-only for R and RX (E_NO_FRAMES if the alias could not be split
 * out of a 2 MiB page, nothing changed), writable again for RW. */
enum err vm_protect(uint64_t va, unsigned prot) NS_MUST_CHECK;
/* The same for npages from va, in order; on an error the pages before the
 * failing one have their new protection. */
enum err vm_protect_range(uint64_t va, size_t npages, unsigned prot) NS_MUST_CHECK;
/* Physical address and leaf flags behind va (huge pages included). */
enum err vm_translate(uint64_t va, uint64_t *pa, uint64_t *flags) NS_MUST_CHECK;
/* Map npages fresh frames at va, zeroed unless prot has VM_UNINIT; on
 * failure nothing stays mapped or allocated. */
enum err vm_map_fresh(uint64_t va, size_t npages, unsigned prot) NS_MUST_CHECK;
/* Unmap npages at va and free their frames (which vm_map_fresh allocated). */
void vm_unmap_free(uint64_t va, size_t npages);
/* Unmap npages of the kernel image at va (link address: the frames are the
 * image's, reserved since boot) and give the frames to the allocator. */
void vm_retire_image(uint64_t va, size_t npages);

/*
 * Temporary writable alias, for patching code or read-only data in place:
 * maps the frames behind [va, va + npages * 4 KiB) (every page already
 * mapped: kernel text, a crate's text, ...) RW+NX at a fresh range of the
 * module area and returns its base in *alias. The original mapping is not
 * changed and no frame is allocated or freed (page tables aside). Errors:
 * E_NOT_ALIGNED, E_INVALID_ARG (npages 0), E_NO_VSPACE, E_NOT_MAPPED (a page
 * of the range), E_NO_FRAMES (page tables); on failure nothing is left mapped
 * or reserved. While the alias exists, vm_audit counts those frames in
 * wx_alias_frames: that is what the alias is; unmap it as soon as the patch
 * is written.
 */
enum err vm_alias_map(uint64_t va, size_t npages, uint64_t *alias) NS_MUST_CHECK;
/* Remove an alias from vm_alias_map (its frames stay with their owner); invlpg each page. */
void vm_alias_unmap(uint64_t alias, size_t npages);

/* Result of walking every page table reachable from CR3. */
struct vm_audit {
	uint64_t pages;		/* present leaf mappings, counted in 4 KiB pages */
	uint64_t wx_pages;	/* writable and executable at every level */
	uint64_t table_frames;	/* page-table frames, the PML4 included */
	uint64_t wx_alias_frames; /* frames (below FRAME_MAX_PHYS) executable through one
				   * mapping and writable through another */
};
void vm_audit(struct vm_audit *out);

/* ---- the module area (vrange.c) ---- */

/* Reserve npages of virtual space in the module area (top 2 GiB). */
enum err vrange_alloc(size_t npages, uint64_t *va) NS_MUST_CHECK;
/* Release a range from vrange_alloc (it must be unmapped already). */
void vrange_free(uint64_t va, size_t npages);
/* Reserve [va, va + npages pages) again, where nothing is reserved (a
 * retired copy's range, kept so that a stale pointer into it faults and is
 * forwarded instead of reaching other code). E_ALREADY_MAPPED if a page of
 * it is reserved; E_INVALID_ARG outside the module area. */
enum err vrange_claim(uint64_t va, size_t npages) NS_MUST_CHECK;

/* ---- counters and init (init.c) ---- */

struct mem_stats {
	uint64_t frames_total;		/* usable RAM frames below FRAME_MAX_PHYS */
	uint64_t frames_reserved;	/* usable frames held for the kernel, modules, ... */
#ifndef NANOSWAP_TEST_LAYOUT_PARAM	/* (a test variant of memory: these two exchanged) */
	uint64_t frames_used;		/* handed out by frame_alloc */
	uint64_t frames_free;
#else
	uint64_t frames_free;
	uint64_t frames_used;
#endif
	uint64_t table_frames;		/* of frames_used: page tables */
	uint64_t pages_mapped;		/* 4 KiB pages mapped through vm_map */
	uint64_t vrange_pages;		/* module-area pages reserved */
	uint64_t vrange_retired_pages;	/* and kept for retired code (vrange_claim) */
};
void mem_get_stats(struct mem_stats *out);

/*
 * Build the frame allocator from the memory map, reserving the kernel image,
 * the boot information, every boot module and the sections GRUB loaded; then
 * switch to new page tables: the image with W^X per section, a direct map of
 * the first FRAME_MAX_PHYS bytes, page directories for the heap and module area.
 */
void memory_init(const struct bootinfo *bi);

#endif
