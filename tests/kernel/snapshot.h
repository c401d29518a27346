/*
 * What a failed load or swap must leave exactly as it was: frames outside the
 * heap's own pool (the heap keeps the pages it grew by), page tables, mapped
 * pages, module-area pages, heap blocks and the crates in the namespace.
 */
#ifndef TESTS_KERNEL_SNAPSHOT_H
#define TESTS_KERNEL_SNAPSHOT_H

#include <crates/crates.h>
#include <heap/heap.h>
#include <ktest/ktest.h>
#include <memory/memory.h>

struct kt_snapshot {
	uint64_t frames, tables, pages, vrange, heap_bytes, heap_blocks, crates;
};

static inline void kt_snapshot(struct kt_snapshot *s)
{
	struct mem_stats m;
	struct heap_stats h;

	mem_get_stats(&m);
	heap_get_stats(&h);
	*s = (struct kt_snapshot){
		.frames = m.frames_used - h.bytes_mapped / PAGE_SIZE, .tables = m.table_frames,
		.pages = m.pages_mapped, .vrange = m.vrange_pages,
		.heap_bytes = h.bytes_used, .heap_blocks = h.blocks_used,
	};
	for (struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c))
		s->crates++;
}

#define KT_ASSERT_SNAPSHOT_EQ(a, b)                                                \
	do {                                                                        \
		KT_ASSERT_EQ((a).frames, (b).frames);                               \
		KT_ASSERT_EQ((a).tables, (b).tables);                               \
		KT_ASSERT_EQ((a).pages, (b).pages);                                 \
		KT_ASSERT_EQ((a).vrange, (b).vrange);                               \
		KT_ASSERT_EQ((a).heap_bytes, (b).heap_bytes);                       \
		KT_ASSERT_EQ((a).heap_blocks, (b).heap_blocks);                     \
		KT_ASSERT_EQ((a).crates, (b).crates);                               \
	} while (0)

#endif
