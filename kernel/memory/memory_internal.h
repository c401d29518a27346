/* Private to the memory module: its counters and the init steps. */
#ifndef MEMORY_INTERNAL_H
#define MEMORY_INTERNAL_H

#include <memory/memory.h>
#include <lib/spinlock.h>
#include <lib/x86.h>

/* One lock for frames, page tables, the direct map's splits and the module
 * area's ranges: each public function takes it (recursively: they call each
 * other), so threads and interrupt handlers may map and allocate at once. */
extern struct rspinlock mem_lock_word;

/* The pages whose entries changed under the lock, [lo, hi) (hi 0: none;
 * hi UINT64_MAX: the whole TLB): flushed here at once, on the other CPUs by
 * one shootdown when the outermost mem_unlock lets go (so a frame freed
 * meanwhile is reused only after every CPU forgot it). */
struct tlb_batch {
	uint64_t lo, hi;
};
extern struct tlb_batch tlb_batch;
void tlb_batch_flush(void);

static inline void tlb_invalidate(uint64_t va)
{
	invlpg(va);
	if (!tlb_batch.hi || va < tlb_batch.lo)
		tlb_batch.lo = va;
	if (va + PAGE_SIZE > tlb_batch.hi)
		tlb_batch.hi = va + PAGE_SIZE;
}

static inline void tlb_invalidate_all(void)
{
	write_cr3(read_cr3());
	tlb_batch.lo = 0;
	tlb_batch.hi = UINT64_MAX;
}

static inline uint64_t mem_lock(void)
{
	return rspin_lock_irqsave(&mem_lock_word);
}

static inline void mem_unlock(uint64_t flags)
{
	if (mem_lock_word.depth == 1 && tlb_batch.hi)
		tlb_batch_flush();
	rspin_unlock_irqrestore(&mem_lock_word, flags);
}

/* Every counter of the module, in one place (see mem_get_stats). */
struct mem_counters {
	uint64_t frames_total;
#ifndef NANOSWAP_TEST_LAYOUT_EXCHANGED	/* (a test variant, tests/modules/modules.mk) */
	uint64_t frames_reserved;
	uint64_t frames_used;
#else					/* the same fields, two exchanged: refused */
	uint64_t frames_used;
	uint64_t frames_reserved;
#endif
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

#define FRAME_COUNT	(FRAME_MAX_PHYS / PAGE_SIZE)

void frame_init(const struct bootinfo *bi);
/* Module-area pages vrange_claim reserved (vrange.c). */
uint64_t vrange_retired(void);
/* Does [start, end) hold a usable RAM frame? Both ends are multiples of 256 KiB. */
bool frame_range_has_ram(uint64_t start, uint64_t end);
/* A free frame for the module's own use (not raw: see frame_for_each_raw). */
enum err frame_take(uint64_t *phys) NS_MUST_CHECK;
/* A zeroed frame for a page table (counted in table_frames). */
enum err frame_alloc_table(uint64_t *phys) NS_MUST_CHECK;
void frame_free_table(uint64_t phys);

/* Make pml4_phys the table vm_* edit (paging.c); paging_activate loads it in CR3. */
void paging_set_root(uint64_t pml4_phys);
void paging_activate(void);
uint64_t paging_root(void);
/* The entry for va at level stop (0: PT, 1: PD), creating missing tables when
 * create is set; NULL with *e set (E_NOT_MAPPED, E_ALREADY_MAPPED for a huge
 * page in the way, E_NO_FRAMES). */
uint64_t *paging_walk(uint64_t va, unsigned stop, bool create, enum err *e);

#define PT_ENTRIES	512
#define PT_INTERMEDIATE	(PTE_PRESENT | PTE_WRITE)	/* rights are the leaf's */

/* Index of va in its table at level (3 = PML4 ... 0 = PT). */
static inline unsigned pt_index(uint64_t va, unsigned level)
{
	return (va >> (PAGE_SHIFT + 9 * level)) & 0x1ff;
}

/* The table an entry (or a table's physical address) points to, through the direct map. */
static inline uint64_t *pt_table_at(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR_MASK);
}

/* ---- the direct map's view of code (direct.c) ---- */

/* Split every 2 MiB direct-map page that holds RAM into 4 KiB pages (init). */
enum err direct_split_ram(void) NS_MUST_CHECK;
/*
 * The direct-map PTE of frame pa in *pte (NULL when pa is past the direct
 * map). A 2 MiB page in the way is split when split is set (E_NO_FRAMES if
 * no frame is left for the table), else *pte is NULL: the page is RW.
 */
enum err direct_alias_pte(uint64_t pa, bool split, uint64_t **pte) NS_MUST_CHECK;
/* Make the direct-map alias behind pte writable or read-only (always NX); invlpg on change. */
void direct_alias_set(uint64_t *pte, uint64_t pa, bool writable);

/* Map [pa, pa+len) at va with 2 MiB pages (direct map). */
enum err vm_map_huge(uint64_t va, uint64_t pa, uint64_t len, unsigned prot) NS_MUST_CHECK;
/* Make sure the page directory covering va exists (it is then never freed). */
enum err vm_prepare_pd(uint64_t va) NS_MUST_CHECK;

#endif
