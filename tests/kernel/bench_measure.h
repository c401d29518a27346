/*
 * What the loader benchmarks measure of one boot module, and the one place
 * that measures and prints it, so every load line (test crates, objects given
 * with make bench BENCH_OBJECTS=..., synthetic objects) has the same shape
 * for tools/bench.sh to turn into build/bench.json.
 */
#ifndef TESTS_KERNEL_BENCH_MEASURE_H
#define TESTS_KERNEL_BENCH_MEASURE_H

#include <stdbool.h>
#include <stdint.h>
#include <loader/loader.h>

struct bench_load {
	uint64_t best;       /* instructions of the cheapest of the rounds */
	uint64_t first;      /* ... of the first (may grow the heap) */
	unsigned rounds;     /* load/unload rounds measured */
	uint64_t memcpy;     /* a memcpy of the module's bytes, same boot */
	uint64_t bytes;      /* the module's size */
	uint64_t nrelocs;    /* ld_crate_nrelocs */
	uint64_t nimports;   /* named undefined symbols of the object, resolved */
	struct ld_load_stats phases; /* of the cheapest round */
};

/*
 * Load boot module `name` up to BENCH_ROUNDS times (unloading in between),
 * with the crate `stubs` (a boot module, or NULL) loaded before the first
 * round and unloaded after the last; fill *out. False (having said why) if a
 * load or unload failed.
 */
bool bench_measure_load(const char *name, const char *stubs, struct bench_load *out);

/* Print `bench: load NAME: ...` (the line tools/bench.sh parses). */
void bench_print_load(const char *name, const struct bench_load *r);

/* Print v / d with two decimals ("12.34"). */
void bench_print_ratio(uint64_t v, uint64_t d);

/*
 * The bench manifest (boot module `bench_manifest`, written by make bench):
 * one line per object, its kind first:
 *   load NAME [STUBS]            an object (BENCH_OBJECTS), its stub crate
 *   scale NAME RELOCS TARGETS    a synthetic relocation object
 *   lookup NAME SYMBOLS          a synthetic object of SYMBOLS globals
 * Call fn for each line of `kind` with its words (tok[0] is the kind); stop
 * at the first false. True with nothing done when there is no manifest.
 */
#define BENCH_MAX_WORDS 4
bool bench_manifest_each(const char *kind, bool (*fn)(char **tok, int ntok));

/* A decimal number, or 0 when s is not one. */
uint64_t bench_parse_u64(const char *s);

#endif
