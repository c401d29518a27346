/*
 * The loader's cost is linear in its input: a 100k-relocation object whose
 * relocations go to 10,000 target sections must load in at most
 * SCALE_FACTOR times the time of one whose 100k relocations all go to one
 * section (both written by tools/relgen at test time, loaded in the same run).
 * A generous factor: this tests the complexity (a per-relocation walk over a
 * section's edges makes it ~280x), not a stopwatch.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCALE_FACTOR 4
#define SCALE_RELOCS 100000

static double scale_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Load objdir/scale/NAME.o `rounds` times (unloading in between); the
 * cheapest round's CPU seconds, or a negative value after tfail. */
static double scale_time_load(struct tctx *t, const char *name, int rounds)
{
	char path[512];
	struct blob b;
	double best = 1e30;

	snprintf(path, sizeof(path), "%s/scale/%s.o", t->objdir, name);
	if (!blob_read(path, &b)) {
		tfail(t, "cannot read %s", path);
		return -1;
	}
	for (int i = 0; i < rounds; i++) {
		struct ld_crate *c;
		double t0 = scale_cpu_seconds(), dt;
		enum err e = ld_load(tns(t), name, b.data, b.size, NULL, &c);

		dt = scale_cpu_seconds() - t0;
		if (e != E_OK || ld_crate_nrelocs(c) != SCALE_RELOCS) {
			tfail(t, "%s: %s, %lu relocations (want %d)", name, err_name(e),
			      e == E_OK ? (unsigned long)ld_crate_nrelocs(c) : 0ul, SCALE_RELOCS);
			free(b.data);
			return -1;
		}
		if (ld_unload(tns(t), c) != E_OK) {
			tfail(t, "%s: cannot unload", name);
			free(b.data);
			return -1;
		}
		best = dt < best ? dt : best;
	}
	free(b.data);
	return best;
}

static void test_scale_targets(struct tctx *t)
{
	double one = scale_time_load(t, "r100000_t1", 3);
	double many = one < 0 ? -1 : scale_time_load(t, "r100000_t10000", 1);

	if (one < 0 || many < 0)
		return;
	REQUIREF(t, many <= SCALE_FACTOR * one,
		 "100k relocations over 10,000 targets took %.3f s, over one target %.3f s "
		 "(%.0fx; at most %dx: the load is not linear in its input)", many, one,
		 many / one, SCALE_FACTOR);
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
