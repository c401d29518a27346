/*
 * Loader benchmarks: the guest instructions (rdtsc under -icount shift=0)
 * spent in ld_load for each test crate, each object make bench was given
 * (BENCH_OBJECTS, with its stub crate) and each synthetic relocation object,
 * against a memcpy of the same bytes; and, for the synthetic objects, the
 * instructions per relocation as relocations and target sections grow.
 */
#include "bench_measure.h"

#include <console/console.h>
#include <ktest/ktest.h>

/* Measure and print one load; tm_dep's "stubs" is tm_data, which it needs. */
static bool bench_load(const char *name, const char *stubs)
{
	struct bench_load r;

	if (!bench_measure_load(name, stubs, &r))
		return false;
	bench_print_load(name, &r);
	return true;
}

KBENCH(loader, load_test_crates)
{
	return bench_load("tm_hello", NULL) && bench_load("tm_data", NULL) &&
	       bench_load("tm_dep", "tm_data");
}

/* A manifest `load NAME [STUBS]` line. */
static bool bench_load_object(char **tok, int ntok)
{
	return bench_load(tok[1], ntok > 2 ? tok[2] : NULL);
}

KBENCH(loader, load_objects)
{
	return bench_manifest_each("load", bench_load_object);
}

/* A manifest `scale NAME RELOCS TARGETS` line: its load line, then its
 * instructions per relocation. */
static bool bench_scale_object(char **tok, int ntok)
{
	struct bench_load r;

	if (ntok != 4 || !bench_measure_load(tok[1], NULL, &r))
		return false;
	bench_print_load(tok[1], &r);
	if (r.nrelocs != bench_parse_u64(tok[2])) {
		kprintf("bench: %s applied %lu relocations, the manifest says %s\n", tok[1],
			r.nrelocs, tok[2]);
		return false;
	}
	kprintf("bench: scaling %s: %lu relocations, %s targets: %lu instructions, ", tok[1],
		r.nrelocs, tok[3], r.best);
	bench_print_ratio(r.best, r.nrelocs);
	kprintf(" per relocation\n");
	return true;
}

KBENCH(loader, scaling)
{
	return bench_manifest_each("scale", bench_scale_object);
}
