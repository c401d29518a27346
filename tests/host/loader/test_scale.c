/*
 * The loader's cost is linear in its input: a 100k-relocation object whose
 * relocations go to 10,000 target sections makes the loader look at no more
 * dependency edges than one whose 100k relocations all go to one section,
 * and at most one per relocation (ld_edge_probes: a per-relocation walk over
 * a section's edges, the quadratic way, would look at thousands). Counted,
 * never timed: the time of a load is make bench's.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

#define SCALE_RELOCS 100000

/* Load and unload objdir/scale/NAME.o; the edges it looked at, or ~0 after
 * tfail. */
static uint64_t scale_probes(struct tctx *t, const char *name)
{
	char path[512];
	struct blob b;
	struct ld_crate *c;
	uint64_t p0 = ld_edge_probes(tns(t)), probes;
	enum err e;

	snprintf(path, sizeof(path), "%s/scale/%s.o", t->objdir, name);
	if (!blob_read(path, &b)) {
		tfail(t, "cannot read %s", path);
		return ~0ull;
	}
	e = ld_load(tns(t), name, b.data, b.size, NULL, &c);
	probes = ld_edge_probes(tns(t)) - p0;
	free(b.data);
	if (e != E_OK || ld_crate_nrelocs(c) != SCALE_RELOCS) {
		tfail(t, "%s: %s, %lu relocations (want %d)", name, err_name(e),
		      e == E_OK ? (unsigned long)ld_crate_nrelocs(c) : 0ul, SCALE_RELOCS);
		return ~0ull;
	}
	if (ld_unload(tns(t), c) != E_OK) {
		tfail(t, "%s: cannot unload", name);
		return ~0ull;
	}
	return probes;
}

static void test_scale_targets(struct tctx *t)
{
	uint64_t one = scale_probes(t, "r100000_t1");
	uint64_t many = one == ~0ull ? ~0ull : scale_probes(t, "r100000_t10000");

	if (one == ~0ull || many == ~0ull)
		return;
	REQUIREF(t, one <= SCALE_RELOCS && many <= SCALE_RELOCS,
		 "100k relocations over 10,000 targets looked at %lu edges, over one target %lu "
		 "(at most one per relocation: the load is not linear in its input)",
		 (unsigned long)many, (unsigned long)one);
	REQUIREF(t, one > 0 && many > 0, "no edge was looked at (%lu, %lu): nothing counted",
		 (unsigned long)one, (unsigned long)many);
}

/* The loader's index sort (loader/sort.c, internal: declared here). */
typedef bool (*ld_less_fn)(const void *ctx, uint32_t x, uint32_t y);
void ld_sort_u32(uint32_t *a, size_t n, ld_less_fn less, const void *ctx);

static unsigned long sort_compares;

static bool sort_less(const void *ctx, uint32_t x, uint32_t y)
{
	(void)ctx;
	sort_compares++;
	return x < y;
}

/* Sort a copy of in[0..n) and check the result is in order and holds the
 * same values; return the comparisons it took (~0 on a failure). */
static unsigned long sort_check(struct tctx *t, const char *what, const uint32_t *in, size_t n)
{
	uint32_t *a = malloc((n + 1) * sizeof(*a));
	unsigned long sum_in = 0, sum_out = 0;

	memcpy(a, in, n * sizeof(*a));
	sort_compares = 0;
	ld_sort_u32(a, n, sort_less, NULL);
	for (size_t i = 0; i < n; i++) {
		sum_in += in[i] * 2654435761u % 1000003;
		sum_out += a[i] * 2654435761u % 1000003;
		if (i && a[i - 1] > a[i]) {
			tfail(t, "%s (%zu values): out of order at %zu: %u > %u", what, n, i,
			      a[i - 1], a[i]);
			free(a);
			return ~0ul;
		}
	}
	free(a);
	if (sum_in != sum_out) {
		tfail(t, "%s (%zu values): not the same values after the sort", what, n);
		return ~0ul;
	}
	return sort_compares;
}

/* Any order sorts, in O(n log n) comparisons; nearly sorted input (what
 * objects hold) in O(n). */
static void test_sort_any_order(struct tctx *t)
{
	const size_t sizes[] = { 0, 1, 2, 3, 17, 1000, 20000 };

	srand(7);
	for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		uint32_t *v = malloc((n + 1) * sizeof(*v));
		double logn = 1;
		unsigned long c;

		for (size_t m = n; m > 1; m /= 2)
			logn++;
		for (size_t i = 0; i < n; i++)
			v[i] = (uint32_t)i;
		c = sort_check(t, "sorted", v, n);
		REQUIREF(t, c <= n, "sorted: %lu comparisons for %zu values", c, n);
		for (size_t i = 0; i + 1 < n; i += 16) { /* neighbours exchanged */
			uint32_t x = v[i];
			v[i] = v[i + 1], v[i + 1] = x;
		}
		c = sort_check(t, "nearly sorted", v, n);
		REQUIREF(t, c <= 2 * n, "nearly sorted: %lu comparisons for %zu values", c, n);
		for (size_t i = 0; i < n; i++)
			v[i] = (uint32_t)(n - i);
		c = sort_check(t, "reversed", v, n);
		REQUIREF(t, c <= n + 64 + 5 * n * logn, "reversed: %lu comparisons for %zu values",
			 c, n);
		for (size_t i = 0; i < n; i++)
			v[i] = (uint32_t)rand() % (n + 1);
		c = sort_check(t, "random", v, n);
		REQUIREF(t, c <= n + 64 + 5 * n * logn, "random: %lu comparisons for %zu values",
			 c, n);
		for (size_t i = 0; i < n; i++)
			v[i] = 5;
		c = sort_check(t, "all equal", v, n);
		REQUIREF(t, c <= n, "all equal: %lu comparisons for %zu values", c, n);
		free(v);
	}
}

const struct test_case tests_scale[] = {
	{ "scale.targets_linear", test_scale_targets, false },
	{ "scale.sort_any_order", test_sort_any_order, false },
	{ NULL, NULL, false },
};
