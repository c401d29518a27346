/*
 * ld_load_group(): several objects loaded as one transaction, as a swap of
 * several modules needs: every member is laid out privately first; then each
 * member's undefined symbols resolve against the group's own definitions
 * before the namespace's (so members reference each other, cycles included,
 * and never an older copy of a member); then every member is relocated,
 * protected and checked; only then are all committed together. Any failure
 * leaves the namespace exactly as it was. ld_load is a group of one.
 */
#include "internal.h"

/* Refuse a member whose crate name is taken, in the namespace or the group. */
static enum err ld_group_check_names(struct ld_namespace *ns,
				     const struct ld_group_member *m, size_t n)
{
	struct ld_crate *dup;

	for (size_t i = 0; i < n; i++) {
		if (!m[i].name || !m[i].image)
			return E_INVALID_ARG;
		if (ld_find_crate(ns, m[i].name, &dup) == E_OK) {
			LD_LOG(ns->svc, "%s: a crate of that name is already loaded", m[i].name);
			return E_LD_DUPLICATE_CRATE;
		}
		for (size_t k = 0; k < i; k++) {
			if (ld_strcmp(m[k].name, m[i].name) == 0) {
				LD_LOG(ns->svc, "%s: named twice in one group", m[i].name);
				return E_LD_DUPLICATE_CRATE;
			}
		}
	}
	return E_OK;
}

/* The group's own definitions, in a private table with the namespace's seed
 * (so keys agree): two strong definitions of one name in the group are
 * refused, naming both members. */
static enum err ld_group_index(struct ld_namespace *gns, struct ld_build *b, size_t n)
{
	size_t total = 0;
	unsigned long dups = 0;
	enum err e;

	for (size_t i = 0; i < n; i++)
		total += ld_count_globals(b[i].crate);
	e = ld_symbols_reserve(gns, total);
	if (e != E_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		dups += ld_symbols_clashes(gns, b[i].crate, NULL);
		ld_symbols_publish(gns, b[i].crate);
	}
	if (dups) {
		LD_LOG(gns->svc, "%lu global symbols are defined by two members of the group",
		       dups);
		return E_LD_DUPLICATE_SYMBOL;
	}
	return E_OK;
}

/* Every stage of every member, up to the commit. */
static enum err ld_group_build(struct ld_namespace *ns, struct ld_namespace *gns,
			       struct ld_build *b, struct ld_group_member *m, size_t n,
			       enum err (*check)(void *ctx, struct ld_crate *c), void *ctx)
{
	size_t total = 0, i;
	enum err e = E_OK;

	for (i = 0; i < n; i++)
		ld_build_init(&b[i], ns, m[i].opts);
	for (i = 0; i < n && e == E_OK; i++)
		e = ld_build_front(&b[i], m[i].name, m[i].image, m[i].size);
	/* a group, or a crate whose collections define symbols it refers to */
	bool index = n > 1 || (e == E_OK && ld_collect_nsymbols(&b[0]));

	if (e == E_OK && index)
		e = ld_group_index(gns, b, n);
	for (i = 0; i < n && e == E_OK; i++) {
		b[i].group = index ? gns : NULL;
		e = ld_build_back(&b[i]);
	}
	for (i = 0; i < n && e == E_OK && check; i++)
		e = check(ctx, b[i].crate);
	for (i = 0; i < n && e == E_OK; i++)
		total += ld_count_globals(b[i].crate);
	if (e == E_OK)
		e = ld_symbols_reserve(ns, total); /* (11) so that publishing cannot fail */
	return e;
}

enum err ld_load_group(struct ld_namespace *ns, struct ld_group_member *m, size_t n,
		       enum err (*check)(void *ctx, struct ld_crate *c), void *ctx)
{
	struct ld_namespace gns = { .svc = ns->svc, .hash_seed = ns->hash_seed };
	struct ld_build one, *b = &one;
	enum err e;
	size_t i;

	if (!ns || !m || n == 0)
		return E_INVALID_ARG;
	e = ld_group_check_names(ns, m, n);
	if (e != E_OK)
		return e;
	if (n > 1 && !(b = ld_alloc(ns->svc, n * sizeof(*b)))) {
		LD_LOG(ns->svc, "out of heap for a group of %lu objects", (unsigned long)n);
		return E_NO_HEAP;
	}
	e = ld_group_build(ns, &gns, b, m, n, check, ctx);
	for (i = 0; i < n; i++) { /* the group's table dies here: unhook its chains */
		for (size_t k = 0; b[i].crate && k < b[i].crate->nsymbols; k++)
			b[i].crate->symbols[k].hash_next = NULL;
	}
	ns->svc->heap_free(ns->svc->ctx, gns.buckets);
	for (i = 0; i < n; i++) {
		ld_build_finish(&b[i], e != E_OK);
		if (e != E_OK)
			continue;
		ld_commit(ns, b[i].crate);     /* (12) cannot fail */
		if (b[i].stats)
			ld_build_stage_end(&b[i], &b[i].stats->commit);
		m[i].crate = b[i].crate;
	}
	if (b != &one)
		ns->svc->heap_free(ns->svc->ctx, b);
	return e;
}
