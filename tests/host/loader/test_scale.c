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
	CHECKF(t, many <= SCALE_FACTOR * one,
	       "100k relocations over 10,000 targets took %.3f s, over one target %.3f s "
	       "(%.0fx; at most %dx: the load is not linear in its input)", many, one,
	       many / one, SCALE_FACTOR);
}

const struct test_case tests_scale[] = {
	{ "scale.targets_linear", test_scale_targets, false },
	{ NULL, NULL, false },
};
