/*
 * Heap tests: many sizes without overlap, alignment, reuse after free,
 * growth on demand, and the counters back where they started.
 */
#include <heap/heap.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <memory/memory.h>

#define NALLOC 300

static size_t size_of(unsigned i)
{
	return 1 + (i * 37) % 700 + (i % 17 == 0 ? 5000 : 0);
}

KTEST(heap, many_sizes_no_overlap)
{
	static uint8_t *p[NALLOC];
	struct heap_stats s0, s1;

	heap_get_stats(&s0);
	for (unsigned i = 0; i < NALLOC; i++) {
		p[i] = kmalloc(size_of(i));
		KT_ASSERT(p[i], "kmalloc(%zu) failed", size_of(i));
		KT_ASSERT(((uint64_t)p[i] & (HEAP_MIN_ALIGN - 1)) == 0, "%p misaligned", p[i]);
		memset(p[i], (uint8_t)i, size_of(i));
	}
	for (unsigned i = 0; i < NALLOC; i++)	/* an overlap would have clobbered a fill */
		for (size_t j = 0; j < size_of(i); j++)
			KT_ASSERT(p[i][j] == (uint8_t)i, "block %u byte %zu overwritten", i, j);
	for (unsigned k = 0; k < NALLOC; k++)	/* free in a scattered order */
		kfree(p[(k * 7) % NALLOC]);
	heap_get_stats(&s1);
	KT_ASSERT_EQ(s1.bytes_used, s0.bytes_used);
	KT_ASSERT_EQ(s1.blocks_used, s0.blocks_used);
}

KTEST(heap, reuse_after_free)
{
	struct heap_stats s0, s1;

	void *a = kmalloc(200);
	KT_ASSERT(a, "kmalloc failed");
	kfree(a);
	void *b = kmalloc(200);
	KT_ASSERT(b == a, "freed block not reused: %p then %p", a, b);
	kfree(b);
	/* freed neighbours merge: 16 small blocks, freed, make room for one big one */
	heap_get_stats(&s0);
	void *small[16];
	for (unsigned i = 0; i < 16; i++)
		small[i] = kmalloc(1000);
	for (unsigned i = 0; i < 16; i++)
		kfree(small[i]);
	void *big = kmalloc(15000);
	heap_get_stats(&s1);
	KT_ASSERT(big, "kmalloc(15000) failed");
	KT_ASSERT_EQ(s1.bytes_mapped, s0.bytes_mapped);
	kfree(big);
}

KTEST(heap, aligned)
{
	for (size_t align = 16; align <= PAGE_SIZE; align <<= 1) {
		void *p = kmalloc_aligned(100, align);
		KT_ASSERT(p, "kmalloc_aligned(100, %zu) failed", align);
		KT_ASSERT(((uint64_t)p & (align - 1)) == 0, "%p not aligned to %zu", p, align);
		memset(p, 0xab, 100);
		kfree(p);
	}
	KT_ASSERT(kmalloc_aligned(16, 48) == NULL, "a non-power-of-two alignment was accepted");
}

KTEST(heap, grows_on_demand)
{
	struct heap_stats s0, s1, s2;
	struct mem_stats m0, m1;

	heap_get_stats(&s0);
	mem_get_stats(&m0);
	size_t size = s0.bytes_mapped + 256 * 1024;	/* more than the heap has: it must grow */
	uint8_t *p = kmalloc(size);
	KT_ASSERT(p, "kmalloc(%zu) failed", size);
	heap_get_stats(&s1);
	mem_get_stats(&m1);
	uint64_t grown = s1.bytes_mapped - s0.bytes_mapped;
	KT_ASSERT(grown >= 256 * 1024, "heap grew by %lu bytes only", grown);
	KT_ASSERT(m1.frames_used >= m0.frames_used + grown / PAGE_SIZE, "no frames behind the growth");
	p[0] = 1;
	p[size - 1] = 2;
	kfree(p);
	void *q = kmalloc(size);	/* the grown space is reused, not grown again */
	heap_get_stats(&s2);
	kfree(q);
	KT_ASSERT(q, "kmalloc(%zu) failed after a free", size);
	KT_ASSERT_EQ(s2.bytes_mapped, s1.bytes_mapped);
}
