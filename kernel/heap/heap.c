/*
 * A first-fit heap with an address-ordered free list: freeing merges a block
 * with its free neighbours, so memory does not fragment into slivers. The
 * region grows by mapping fresh pages at its end. Every block starts with a
 * 16-byte header whose magic is checked on free to catch bad or double frees.
 * One IRQ-safe spinlock guards it all: threads and interrupt handlers may
 * allocate and free at once.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <lib/string.h>
#include <lib/util.h>
#include <memory/memory.h>
#include <nanoswap/probe.h>
#include <lib/spinlock.h>

MODULE_PROBE(heap)

#define HDR		16
#define MIN_BLOCK	32		/* a header plus room for the free-list link */
#define GROW_MIN	(64 * KiB)
#define MAGIC_USED	0x6b6d616c6c6f6321UL
#define MAGIC_FREE	0x667265656672650aUL
#define MAGIC_META	0x6d6574616461740aUL	/* used, and heap_mark_metadata'd */

struct block {
	uint64_t size;			/* whole block, header included, multiple of 16 */
#ifndef NANOSWAP_TEST_LAYOUT_FIELDS	/* (a test variant: magic and next exchanged) */
	uint64_t magic;
	struct block *next;		/* free blocks only: next by address */
#else
	struct block *next;
	uint64_t magic;
#endif
};

static struct block *free_list;
static uint64_t heap_end = HEAP_BASE;	/* first unmapped byte */
static struct heap_stats stats;
static struct spinlock heap_lock = SPINLOCK_INIT("heap");

static void heap_free_locked(void *p);

static enum err heap_grow(size_t min_bytes)
{
	size_t bytes = ALIGN_UP(MAX(min_bytes, GROW_MIN), PAGE_SIZE);

	if (heap_end + bytes > HEAP_BASE + HEAP_MAX_SIZE) {
		pr_err("heap: cannot grow by %zu bytes past HEAP_MAX_SIZE (%lu MiB)\n",
		       bytes, HEAP_MAX_SIZE / MiB);
		return E_NO_HEAP;
	}
	/* kmalloc promises no contents (kzalloc zeroes its own block) */
	enum err e = vm_map_fresh(heap_end, bytes / PAGE_SIZE, VM_WRITE | VM_UNINIT);
	if (e != E_OK)
		return e;
	struct block *b = (struct block *)heap_end;
	heap_end += bytes;
	stats.bytes_mapped += bytes;
	b->size = bytes;
	b->magic = MAGIC_USED;		/* so kfree accepts it below */
	stats.bytes_used += bytes;
	stats.blocks_used++;
	heap_free_locked((uint8_t *)b + HDR);
	return E_OK;
}

/* Split the tail of used block b beyond size off into a free block. */
static void split_tail(struct block *b, uint64_t size)
{
	if (b->size - size < MIN_BLOCK)
		return;
	struct block *tail = (struct block *)((uint8_t *)b + size);
	tail->size = b->size - size;
	tail->magic = MAGIC_USED;
	b->size = size;
	stats.blocks_used++;		/* its bytes were counted as part of b */
	heap_free_locked((uint8_t *)tail + HDR);
}

/* Where a block for `need` bytes at alignment align would start its payload
 * in free block f, or 0 if it does not fit. */
static uint64_t fit(const struct block *f, uint64_t need, size_t align)
{
	uint64_t start = (uint64_t)f, payload = ALIGN_UP(start + HDR, align);

	while (payload - HDR != start && payload - HDR - start < MIN_BLOCK)
		payload += align;		/* front gap too small to stand alone */
	return payload - HDR + need > start + f->size ? 0 : payload;
}

/* Try to carve a block for size bytes at alignment align out of free block f. */
static void *carve(struct block **link, struct block *f, uint64_t need, size_t align)
{
	uint64_t start = (uint64_t)f, end = start + f->size;
	uint64_t payload = fit(f, need, align);

	if (!payload)
		return NULL;
	*link = f->next;			/* unlink f, then give back what we do not use */
	struct block *b = (struct block *)(payload - HDR);
	if (b != f) {
		f->size = (uint64_t)b - start;
		f->magic = MAGIC_USED;
		stats.bytes_used += f->size;
		stats.blocks_used++;
		heap_free_locked((uint8_t *)f + HDR);
	}
	b->size = end - (uint64_t)b;
	b->magic = MAGIC_USED;
	stats.bytes_used += b->size;
	stats.blocks_used++;
	split_tail(b, need);
	return (void *)payload;
}

/*
 * The free block to carve from (the link to it), or NULL: the first that
 * fits (the default), or, built with HEAP_BEST_FIT (heap_v2, a new version of
 * this module the tests swap in at run time), the smallest that fits.
 */
static struct block **heap_choose(uint64_t need, size_t align)
{
	struct block **best = NULL;

	for (struct block **link = &free_list; *link; link = &(*link)->next) {
		if (!fit(*link, need, align))
			continue;
#ifndef HEAP_BEST_FIT
		return link;
#endif
		if (!best || (*link)->size < (*best)->size)
			best = link;
	}
	return best;
}

const char *heap_policy(void)
{
#ifdef HEAP_BEST_FIT
	return "best fit";
#else
	return "first fit";
#endif
}

void *kmalloc_aligned(size_t size, size_t align)
{
	if (align < HEAP_MIN_ALIGN)
		align = HEAP_MIN_ALIGN;
	if (align & (align - 1) || align > PAGE_SIZE || size > HEAP_MAX_SIZE)
		return NULL;
	uint64_t need = ALIGN_UP(MAX(size, 1) + HDR, HEAP_MIN_ALIGN);
	uint64_t flags = spin_lock_irqsave(&heap_lock);

	for (int attempt = 0; attempt < 2; attempt++) {
		struct block **link = heap_choose(need, align);
		void *p;

		if (link) {
			p = carve(link, *link, need, align);
			spin_unlock_irqrestore(&heap_lock, flags);
			return p;
		}
		if (heap_grow(need + align + MIN_BLOCK) != E_OK) {
			spin_unlock_irqrestore(&heap_lock, flags);
			return NULL;
		}
	}
	panic("BUG: kmalloc(%zu, %zu): no fit right after growing the heap", size, align);
}

void *kmalloc(size_t size)
{
	return kmalloc_aligned(size, HEAP_MIN_ALIGN);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/* Merge b with the block right after it if that one is free and adjacent. */
static void merge_next(struct block *b)
{
	struct block *n = b->next;

	if (n && (uint8_t *)b + b->size == (uint8_t *)n) {
		b->size += n->size;
		b->next = n->next;
		n->magic = 0;
	}
}

void heap_mark_metadata(void *p)
{
	struct block *b = (struct block *)((uint8_t *)p - HDR);

	if (!p)
		return;
	if (b->magic != MAGIC_USED && b->magic != MAGIC_META)
		panic("BUG: heap_mark_metadata(%p): not an allocated block", p);
	b->magic = MAGIC_META;
}

void heap_for_each_block(void (*fn)(void *ctx, const void *p, size_t size, bool metadata),
			 void *ctx)
{
	uint64_t flags = spin_lock_irqsave(&heap_lock);

	for (uint64_t a = HEAP_BASE; a < heap_end;) {
		const struct block *b = (const struct block *)a;

		if (b->size < MIN_BLOCK || a + b->size > heap_end)
			panic("BUG: heap: block at %lx has size %lx", a, b->size);
		if (b->magic != MAGIC_FREE)
			fn(ctx, (const uint8_t *)b + HDR, b->size - HDR, b->magic == MAGIC_META);
		a += b->size;
	}
	spin_unlock_irqrestore(&heap_lock, flags);
}

void kfree(void *p)
{
	uint64_t flags;

	if (!p)
		return;
	flags = spin_lock_irqsave(&heap_lock);
	heap_free_locked(p);
	spin_unlock_irqrestore(&heap_lock, flags);
}

static void heap_free_locked(void *p)
{
	struct block *b = (struct block *)((uint8_t *)p - HDR);
	if ((uint64_t)b < HEAP_BASE || (uint64_t)p >= heap_end || !IS_ALIGNED((uint64_t)p, 16))
		panic("BUG: kfree(%p): not a heap address", p);
	if (b->magic != MAGIC_USED && b->magic != MAGIC_META)
		panic("BUG: kfree(%p): %s", p,
		      b->magic == MAGIC_FREE ? "double free" : "no block header (corrupt or foreign)");
	stats.bytes_used -= b->size;
	stats.blocks_used--;
	/* metadata names code (old copies' addresses): cleared, so that the
	 * block's next owner does not hand a swap's scan stale addresses */
	if (b->magic == MAGIC_META)
		memset(p, 0, b->size - HDR);
	b->magic = MAGIC_FREE;

	struct block *prev = NULL, **link = &free_list;
	while (*link && *link < b) {
		prev = *link;
		link = &(*link)->next;
	}
	b->next = *link;
	*link = b;
	merge_next(b);
	if (prev)
		merge_next(prev);
}

#if defined(NANOSWAP_TEST_HOOK_FAILS) || defined(NANOSWAP_TEST_HOOK_FAULTS)
#include <nanoswap/swap_hook.h>
/* Test variants only (heap_hookfail, heap_hookfault: tests/modules/modules.mk,
 * tests/kernel/test_sound.c): a swap hook that fails, or reads the heap
 * range's last word (never mapped below 1 GiB of heap), so that the swap to
 * this copy must be undone. A rodata pointer only: the data layout stays. */
static enum err heap_test_hook(void)
{
#ifdef NANOSWAP_TEST_HOOK_FAULTS
	return (enum err)*(volatile const uint64_t *)(HEAP_BASE + HEAP_MAX_SIZE - 8);
#else
	return E_INVALID_ARG;
#endif
}
SWAP_HOOK(heap_test_hook);
#endif

/* For the concurrency tests: fn(arg) runs with a frame of this module's
 * code under it (a thread parked inside heap code). Its code differs in
 * heap_v2 (the value it returns), so that a swap to heap_v2 must wait. */
unsigned heap_run_inside(void (*fn)(void *arg), void *arg)
{
	fn(arg);
#ifdef HEAP_BEST_FIT
	return 2;
#else
	return 1;
#endif
}

void heap_get_stats(struct heap_stats *out)
{
	uint64_t flags = spin_lock_irqsave(&heap_lock);

	*out = stats;
	spin_unlock_irqrestore(&heap_lock, flags);
}

void heap_init(void)
{
	if (heap_grow(GROW_MIN) != E_OK)
		panic("heap: cannot map the first %lu KiB", GROW_MIN / KiB);
}
