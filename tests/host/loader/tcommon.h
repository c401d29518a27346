/*
 * Helpers shared by the test files: reading loaded memory by run address,
 * finding a crate's section by ELF index, and the independent check of every
 * relocation of an object against the loader's result.
 */
#ifndef TESTS_HOST_LOADER_TCOMMON_H
#define TESTS_HOST_LOADER_TCOMMON_H

#include "elfutil.h"

/* Read `width` bytes (1..8) at run address `addr`; false if not mapped. */
bool tread(struct tctx *t, uint64_t addr, int width, uint64_t *out);
const struct ld_section *tsection_by_index(const struct ld_crate *c, unsigned idx);
const struct ld_section *tsection_by_name(const struct ld_crate *c, const char *name);
/* The run address the loader should have given symbol `i` of object `b`
 * loaded as `c` (defined: section + value; undefined: namespace lookup, or
 * `undef_value(name)` when given, else 0 for weak). */
bool tsymbol_value(struct tctx *t, struct ld_namespace *ns, const struct ld_crate *c,
		   const struct blob *b, unsigned i, uint64_t *out);
/* Check every applied relocation of `b` (loaded as `c`) arithmetically; GOT
 * forms are skipped. Returns the number checked, -1 after tfail. */
int tcheck_relocs(struct tctx *t, struct ld_namespace *ns, const struct ld_crate *c,
		  const struct blob *b);
/* tcheck_relocs of object `file` of t->compiler, loaded as `c`. */
int tcheck_relocs_of(struct tctx *t, struct ld_namespace *ns, const struct ld_crate *c,
		     const char *file);
/* A resolve_undefined callback: far_sym is out of reach of 32-bit forms. */
bool tresolve_far(void *ctx, const char *name, uint64_t *value);
/* The k-th line the shim logged (0-based), if it still holds it. */
const char *tlog_line(const struct shim *s, int k);
/* Since line `from`: exactly one "out of heap" line, from the loader, naming
 * `name` or `name2` (NULL: only name); else tfail with what and k. */
bool toom_logged_once(struct tctx *t, int from, const char *name, const char *name2,
		      const char *what, long k);
/* A symbol's value chosen by the test for unresolved names (NULL = none). */
extern bool (*tundef_value)(const char *name, uint64_t *value);
/* shim counters snapshot */
static inline struct shim_counters tsnap(struct tctx *t)
{
	return t->shim.now;
}
/* Stop the test unless the shim's counters are as they were in `before`. */
#define REQUIRE_UNCHANGED(t, before)                                            \
	REQUIREF((t), shim_counters_equal(&(before), &(t)->shim.now),           \
		 "counters changed: heap %ld->%ld reserved %ld->%ld mapped %ld->%ld", \
		 (before).heap_live, (t)->shim.now.heap_live, (before).reserved_live, \
		 (t)->shim.now.reserved_live, (before).mapped_live,             \
		 (t)->shim.now.mapped_live)

#endif
