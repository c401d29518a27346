/*
 * Module-area range allocator tests: ranges lie in the top 2 GiB, never
 * overlap, are reused after a free, and an impossible request is refused.
 */
#include <ktest/ktest.h>
#include <memory/memory.h>

/* Fill the holes earlier tests left that a 4-page range fits (first fit
 * would take them), until two such ranges come out side by side: the area's
 * free end. How many were kept (freed by fill_release). */
static unsigned fill_holes(uint64_t *kept, unsigned max)
{
	unsigned n = 0;

	while (n < max && vrange_alloc(4, &kept[n]) == E_OK) {
		n++;
		if (n >= 2 && kept[n - 1] == kept[n - 2] + 4 * PAGE_SIZE)
			break;
	}
	return n;
}

KTEST(vrange, alloc_free_reuse)
{
	uint64_t a, b, c, d, kept[64];
	struct mem_stats s0, s1;
	unsigned nkept;

	mem_get_stats(&s0);
	nkept = fill_holes(kept, 64);
	KT_ASSERT(vrange_alloc(3, &a) == E_OK, "vrange_alloc(3) failed");
	KT_ASSERT(vrange_alloc(5, &b) == E_OK, "vrange_alloc(5) failed");
	KT_ASSERT(vrange_alloc(2, &c) == E_OK, "vrange_alloc(2) failed");
	KT_ASSERT(a >= MODULE_AREA_BASE && c + 2 * PAGE_SIZE <= MODULE_AREA_BASE + MODULE_AREA_SIZE,
		  "range outside the module area");
	KT_ASSERT(a >= 0xFFFFFFFF80000000UL, "range %lx outside the top 2 GiB", a);
	KT_ASSERT((a | b | c) % PAGE_SIZE == 0, "ranges not page-aligned");
	KT_ASSERT(a + 3 * PAGE_SIZE <= b || b + 5 * PAGE_SIZE <= a, "ranges a and b overlap");
	KT_ASSERT(b + 5 * PAGE_SIZE <= c || c + 2 * PAGE_SIZE <= b, "ranges b and c overlap");
	vrange_free(b, 5);
	KT_ASSERT(vrange_alloc(4, &d) == E_OK, "vrange_alloc(4) failed after a free");
	KT_ASSERT_EQ(d, b);		/* first fit: the hole b left */
	mem_get_stats(&s1);
	KT_ASSERT_EQ(s1.vrange_pages, s0.vrange_pages + 4 * nkept + 3 + 4 + 2);
	vrange_free(a, 3);
	vrange_free(c, 2);
	vrange_free(d, 4);
	while (nkept)
		vrange_free(kept[--nkept], 4);
	mem_get_stats(&s1);
	KT_ASSERT_EQ(s1.vrange_pages, s0.vrange_pages);
}

KTEST(vrange, too_big_refused)
{
	uint64_t va;

	KT_ASSERT(vrange_alloc(MODULE_AREA_SIZE / PAGE_SIZE + 1, &va) == E_INVALID_ARG,
		  "a request larger than the module area was accepted");
	KT_ASSERT(vrange_alloc(0, &va) == E_INVALID_ARG, "an empty request was accepted");
}
