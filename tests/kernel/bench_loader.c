/*
 * Loader benchmarks: the guest instructions (rdtsc under -icount shift=0)
 * spent in ld_load for each test crate, and per relocation it applied. The
 * first load of a crate may grow the heap; the steady state is the minimum
 * over a few load/unload rounds.
 */
#include <crates/crates.h>
#include <console/console.h>
#include <ktest/ktest.h>
#include <lib/x86.h>

#define ROUNDS 5

/* Load `name` ROUNDS times (unloading in between); print the cost. */
static bool bench_load(const char *name)
{
	uint64_t best = ~0UL, first = 0;
	size_t nrelocs = 0;

	for (int i = 0; i < ROUNDS; i++) {
		struct ld_crate *c;
		uint64_t t0 = rdtsc();
		enum err e = crates_load_boot_module(name, &c);
		uint64_t dt = rdtsc() - t0;
		if (e != E_OK)
			return false;
		nrelocs = ld_crate_nrelocs(c);
		if (ld_unload(crates_namespace(), c) != E_OK)
			return false;
		first = i == 0 ? dt : first;
		best = dt < best ? dt : best;
	}
	kprintf("bench: load %s: %lu instructions (first load %lu), %zu relocations, %lu per relocation\n",
		name, best, first, nrelocs, nrelocs ? best / nrelocs : 0);
	return true;
}

KBENCH(loader, load_test_crates)
{
	struct ld_crate *data;
	bool ok = bench_load("tm_hello") && bench_load("tm_data");

	if (!ok || crates_load_boot_module("tm_data", &data) != E_OK)
		return false;
	ok = bench_load("tm_dep");	/* tm_dep needs tm_data loaded */
	return ld_unload(crates_namespace(), data) == E_OK && ok;
}
