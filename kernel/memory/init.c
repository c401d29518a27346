/*
 * memory_init: from GRUB's world to ours. Builds the frame allocator, then a
 * fresh set of page tables (the kernel image with W^X per section, the direct
 * map, page directories for the heap and the module area) and switches CR3
 * to them, leaving the boot stub's RWX tables behind. The direct map's RAM
 * is in 4 KiB pages, so that the image's text and rodata are read-only there.
 */
#include <lib/smp.h>
#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <lib/util.h>
#include "memory_internal.h"

struct rspinlock mem_lock_word = RSPINLOCK_INIT("memory");
struct tlb_batch tlb_batch;

void tlb_batch_flush(void)
{
	uint64_t n = (tlb_batch.hi - tlb_batch.lo) / PAGE_SIZE;

	if (tlb_batch.hi == UINT64_MAX || n > TLB_FLUSH_PAGES_MAX)
		tlb_shootdown(0, TLB_FLUSH_ALL);
	else
		tlb_shootdown(tlb_batch.lo, n);
	tlb_batch.lo = tlb_batch.hi = 0;
}
#include <nanoswap/probe.h>

MODULE_PROBE(memory)

struct mem_counters mem_counters;

static void must(enum err e, const char *what)
{
	if (e != E_OK)
		panic("memory: %s: %s (%s)", what, err_name(e), err_msg(e));
}

/* Map [start, end) of the kernel image (link addresses) with prot. */
static void map_image_range(char *start, char *end, unsigned prot, const char *what)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE)
		must(vm_map(va, va - KERNEL_VMA, prot), what);
}

void memory_init(const struct bootinfo *bi)
{
	uint64_t pml4;

	frame_init(bi);
	must(frame_alloc_table(&pml4), "page-table root");
	paging_set_root(pml4);	/* build the new tables while running on the boot ones */

	must(vm_map_huge(DIRECT_MAP_BASE, 0, FRAME_MAX_PHYS, VM_WRITE), "direct map");
	must(direct_split_ram(), "direct map of RAM in 4 KiB pages");
	/* text and rodata below also make their direct-map aliases read-only */
	map_image_range(__text_start, __text_end, VM_EXEC, ".text");
	map_image_range(__rodata_start, __rodata_end, 0, ".rodata");
	map_image_range(__data_start, __data_end, VM_WRITE, ".data");
	map_image_range(__bss_start, __bss_end, VM_WRITE, ".bss");
	must(vm_prepare_pd(HEAP_BASE), "heap page directory");
	must(vm_prepare_pd(MODULE_AREA_BASE), "module-area page directory");
	_Static_assert((MODULE_AREA_BASE >> 30) == ((MODULE_AREA_BASE + MODULE_AREA_SIZE - 1) >> 30),
		       "the module area must lie within one page directory (1 GiB)");

	paging_activate();
	/* the mappings above count as kernel structure, not as dynamic pages */
	mem_counters.pages_mapped = 0;
}

static void mem_get_stats_unlocked(struct mem_stats *out)
{
	*out = (struct mem_stats){
		.frames_total = mem_counters.frames_total,
		.frames_reserved = mem_counters.frames_reserved,
		.frames_used = mem_counters.frames_used,
		.frames_free = mem_counters.frames_total - mem_counters.frames_reserved -
			       mem_counters.frames_used,
		.table_frames = mem_counters.table_frames,
		.pages_mapped = mem_counters.pages_mapped,
		.vrange_pages = mem_counters.vrange_pages,
		.vrange_retired_pages = vrange_retired(),
	};
}

void mem_get_stats(struct mem_stats *out)
{
	uint64_t flags = mem_lock();

	mem_get_stats_unlocked(out);
	mem_unlock(flags);
}
