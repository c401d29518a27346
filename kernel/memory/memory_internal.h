/* Private to the memory module: its counters and the init steps. */
#ifndef MEMORY_INTERNAL_H
#define MEMORY_INTERNAL_H

#include <memory/memory.h>

/* Every counter of the module, in one place (see mem_get_stats). */
struct mem_counters {
	uint64_t frames_total;
	uint64_t frames_reserved;
	uint64_t frames_used;
	uint64_t table_frames;
	uint64_t pages_mapped;
	uint64_t vrange_pages;
};
extern struct mem_counters mem_counters;

/* Linker-script symbols (see linker.ld). */
extern char __kernel_phys_start[], __kernel_phys_end[];
extern char __kernel_high_start[], __kernel_end[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __bss_start[], __bss_end[];

void frame_init(const struct bootinfo *bi);
/* A zeroed frame for a page table (counted in table_frames). */
enum err frame_alloc_table(uint64_t *phys) NS_MUST_CHECK;
void frame_free_table(uint64_t phys);

/* Make pml4_phys the table vm_* edit (paging.c); paging_activate loads it in CR3. */
void paging_set_root(uint64_t pml4_phys);
void paging_activate(void);
uint64_t paging_root(void);
/* Map [pa, pa+len) at va with 2 MiB pages (direct map). */
enum err vm_map_huge(uint64_t va, uint64_t pa, uint64_t len, unsigned prot) NS_MUST_CHECK;
/* Make sure the page directory covering va exists (it is then never freed). */
enum err vm_prepare_pd(uint64_t va) NS_MUST_CHECK;

#endif
