/*
 * The kernel heap: kmalloc/kfree and aligned allocation on pages the memory
 * module maps on demand at HEAP_BASE.
 */
#ifndef HEAP_HEAP_H
#define HEAP_HEAP_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define HEAP_MIN_ALIGN	16

/* size bytes aligned to HEAP_MIN_ALIGN, or NULL when the heap is exhausted. */
void *kmalloc(size_t size) __attribute__((malloc, alloc_size(1)));
/* Zeroed kmalloc. */
void *kzalloc(size_t size) __attribute__((malloc, alloc_size(1)));
/* size bytes aligned to align (a power of two, up to one page), or NULL. */
void *kmalloc_aligned(size_t size, size_t align) __attribute__((malloc, alloc_size(1)));
/* Free a block from kmalloc*; NULL is ignored; anything else panics "BUG:". */
void kfree(void *p);

struct heap_stats {
	uint64_t bytes_used;	/* in allocated blocks, headers included */
	uint64_t blocks_used;
	uint64_t bytes_mapped;	/* heap pages mapped so far */
};
void heap_get_stats(struct heap_stats *out);
/* Call fn(arg) from inside the heap's code (the concurrency tests park a
 * thread there); 1, or 2 in heap_v2 (whose code here differs). */
unsigned heap_run_inside(void (*fn)(void *arg), void *arg);

/* Mark block p (from kmalloc*) as metadata: it describes memory (the
 * loader's bookkeeping), and a scan for references to code may skip it. */
void heap_mark_metadata(void *p);
/* Call fn for every allocated block, in address order. */
void heap_for_each_block(void (*fn)(void *ctx, const void *p, size_t size, bool metadata),
			 void *ctx);

void heap_init(void);

/* How this copy of the heap picks a free block: "first fit" or "best fit". */
const char *heap_policy(void);

#endif
