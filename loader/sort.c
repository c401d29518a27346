/*
 * One heapsort for the loader's index arrays (section indexes by file offset
 * in validation, by name for a collection): O(n log n) whatever the input,
 * no recursion, no allocation.
 */
#include "internal.h"

static void ld_sift(uint32_t *a, size_t n, size_t i, ld_less_fn less, const void *ctx)
{
	for (;;) {
		size_t m = i, l = 2 * i + 1, r = l + 1;
		uint32_t t;

		if (l < n && less(ctx, a[m], a[l]))
			m = l;
		if (r < n && less(ctx, a[m], a[r]))
			m = r;
		if (m == i)
			return;
		t = a[i], a[i] = a[m], a[m] = t;
		i = m;
	}
}

void ld_sort_u32(uint32_t *a, size_t n, ld_less_fn less, const void *ctx)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		ld_sift(a, n, i, less, ctx);
	for (i = n; i-- > 1;) {
		uint32_t t = a[0];

		a[0] = a[i], a[i] = t;
		ld_sift(a, i, 0, less, ctx);
	}
}
