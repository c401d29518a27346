/*
 * One sort for the loader's index arrays (section indexes by file offset in
 * validation, by name for a collection): O(n log n) whatever the input, O(n)
 * for the nearly sorted ones objects hold, no recursion, no allocation.
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

static void ld_heapsort(uint32_t *a, size_t n, ld_less_fn less, const void *ctx)
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

/* Insertion sort first: an object's arrays come nearly in order (tables by
 * offset, a collection's entries by file then declaration), and it costs
 * n + (elements moved). Past a budget of 2 n log n moves, heapsort takes
 * what is left: never worse than O(n log n). */
void ld_sort_u32(uint32_t *a, size_t n, ld_less_fn less, const void *ctx)
{
	size_t budget = 64;

	for (size_t m = n; m; m /= 2)
		budget += 2 * n;

	for (size_t i = 1; i < n; i++) {
		uint32_t x = a[i];
		size_t j = i;

		for (; j > 0 && less(ctx, x, a[j - 1]); j--) {
			if (budget-- == 0) {
				a[j] = x; /* still a permutation: heapsort it whole */
				ld_heapsort(a, n, less, ctx);
				return;
			}
			a[j] = a[j - 1];
		}
		a[j] = x;
	}
}
