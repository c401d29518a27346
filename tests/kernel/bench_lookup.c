/*
 * Symbol lookup benchmark: with a synthetic crate of N globals (sym0 ...
 * symN-1, relgen symbols N) loaded, the instructions one ld_lookup of a
 * name takes, averaged over a sample spread across the crate's names. The
 * namespace also holds the nano_core's symbols, as it does in use.
 */
#include "bench_measure.h"

#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <ktest/ktest.h>
#include <lib/x86.h>

#define BENCH_LOOKUPS 1000
#define BENCH_NAME_MAX 16

/* Time ld_lookup over `count` names (BENCH_NAME_MAX apart); each must be
 * found in crate c. */
static bool bench_time_lookups(const struct ld_crate *c, const char *names, unsigned count,
			       uint64_t *out)
{
	struct ld_namespace *ns = crates_namespace();
	const struct ld_symbol *s;
	unsigned found = 0;
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < count; i++)
		found += ld_lookup(ns, names + i * BENCH_NAME_MAX, &s) == E_OK && s->crate == c;
	*out = rdtsc() - t0;
	if (found != count)
		kprintf("bench: only %u of %u lookups found their symbol\n", found, count);
	return found == count;
}

/* A manifest `lookup NAME SYMBOLS` line. */
static bool bench_lookup_object(char **tok, int ntok)
{
	uint64_t nsyms = ntok == 3 ? bench_parse_u64(tok[2]) : 0, dt = 0;
	unsigned count = nsyms < BENCH_LOOKUPS ? (unsigned)nsyms : BENCH_LOOKUPS;
	const struct ld_load_opts opts = { 0 };
	char *names = kmalloc(BENCH_LOOKUPS * BENCH_NAME_MAX);
	struct ld_crate *c;
	bool ok;

	if (!names || !count || crates_load_boot_module_opts(tok[1], &opts, &c) != E_OK) {
		kprintf("bench: lookup %s: cannot set up (manifest says %s symbols)\n", tok[1],
			ntok == 3 ? tok[2] : "?");
		kfree(names);
		return false;
	}
	for (unsigned i = 0; i < count; i++)
		fmt_snprintf(names + i * BENCH_NAME_MAX, BENCH_NAME_MAX, "sym%lu",
			     (uint64_t)i * nsyms / count);
	ok = bench_time_lookups(c, names, count, &dt);
	ok = ld_unload(crates_namespace(), c) == E_OK && ok;
	kfree(names);
	if (ok) {
		kprintf("bench: lookup %s: %lu symbols, %u lookups, ", tok[1], nsyms, count);
		bench_print_ratio(dt, count);
		kprintf(" instructions per lookup\n");
	}
	return ok;
}

KBENCH(lookup, namespace_symbols)
{
	return bench_manifest_each("lookup", bench_lookup_object);
}
