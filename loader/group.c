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
		if (!m[i].name || !m[i].image) {
			LD_LOG(ns->svc, "%s: member %lu of %lu of the group has no %s",
			       m[i].name ? m[i].name : "?", (unsigned long)i, (unsigned long)n,
			       m[i].name ? "image" : "name");
			return E_INVALID_ARG;
		}
		if (ld_find_crate(ns, m[i].name, &dup) == E_OK) {
			LD_LOG(ns->svc, "%s: a crate of that name is already loaded", m[i].name);
			return E_LD_DUPLICATE_CRATE;
		}
		for (size_t k = 0; k < i; k++) {
			if (m[k].name[0] == m[i].name[0] && ld_strcmp(m[k].name, m[i].name) == 0) {
				LD_LOG(ns->svc, "%s: named twice in one group", m[i].name);
				return E_LD_DUPLICATE_CRATE;
			}
		}
	}
	return E_OK;
}

/* A group is named in messages by its first member ("a", or "a and its
 * group"): LD_LOG(svc, "%s%s: ...", LD_GROUP_NAME(m, n), ...). */
#define LD_GROUP_NAME(m, n) (m)[0].name, (n) > 1 ? " and its group" : ""

/* The group's own definitions, in a private table with the namespace's seed
 * (so keys agree): two strong definitions of one name in the group are
 * refused, naming both members. */
static enum err ld_group_index(struct ld_namespace *gns, const struct ld_group_member *m,
			       struct ld_build *b, size_t n, size_t total)
{
	unsigned long dups = 0;
	enum err e = ld_symbols_reserve(gns, total);

	if (e != E_OK) {
		LD_LOG(gns->svc, "%s%s: out of heap for the group's symbol table (%lu "
		       "definitions)", LD_GROUP_NAME(m, n), (unsigned long)total);
		return e;
	}
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

/* A group built and checked, ready to commit. */
struct ld_group {
	struct ld_namespace *ns;
	struct ld_namespace gns;
	struct ld_group_member *m;
	size_t n;
	struct ld_build *b;
	struct ld_build one;
};

/* Every stage of every member, up to the commit. */
static enum err ld_group_build(struct ld_group *g,
			       enum err (*check)(void *ctx, struct ld_crate *c), void *ctx)
{
	struct ld_build *b = g->b;
	size_t total = 0, i, n = g->n;
	enum err e = E_OK;
	bool index;

	for (i = 0; i < n; i++)
		ld_build_init(&b[i], g->ns, g->m[i].opts);
	for (i = 0; i < n && e == E_OK; i++)
		e = ld_build_front(&b[i], g->m[i].name, g->m[i].image, g->m[i].size);
	for (i = 0; i < n && e == E_OK; i++)
		total += ld_count_globals(b[i].crate);
	/* a group, or a crate whose collections define symbols it refers to */
	index = n > 1 || (e == E_OK && ld_collect_nsymbols(&b[0]));
	if (e == E_OK && index)
		e = ld_group_index(&g->gns, g->m, b, n, total);
	for (i = 0; i < n && e == E_OK; i++) {
		b[i].group = index ? &g->gns : NULL;
		e = ld_build_back(&b[i]);
	}
	for (i = 0; i < n && e == E_OK && check; i++)
		e = check(ctx, b[i].crate);
	if (e == E_OK) {
		e = ld_symbols_reserve(g->ns, total); /* (11) so that publishing cannot fail */
		if (e != E_OK)
			LD_LOG(g->ns->svc, "%s%s: out of heap to make room for %lu definitions "
			       "in the namespace's symbol table", LD_GROUP_NAME(g->m, n),
			       (unsigned long)total);
	}
	for (i = 0; i < n; i++) /* the group's table dies with the group: unhook */
		for (size_t k = 0; b[i].crate && k < b[i].crate->nsymbols; k++)
			b[i].crate->symbols[k].hash_next = NULL;
	g->ns->svc->heap_free(g->ns->svc->ctx, g->gns.buckets);
	g->gns.buckets = NULL;
	return e;
}

static void ld_group_free(struct ld_group *g, bool failed)
{
	const struct ld_services *svc = g->ns->svc;

	for (size_t i = 0; i < g->n; i++)
		ld_build_finish(&g->b[i], failed);
	if (g->b != &g->one)
		svc->heap_free(svc->ctx, g->b);
	svc->heap_free(svc->ctx, g);
}

enum err ld_group_prepare(struct ld_namespace *ns, struct ld_group_member *m, size_t n,
			  enum err (*check)(void *ctx, struct ld_crate *c), void *ctx,
			  struct ld_group **out)
{
	struct ld_group *g;
	enum err e;

	if (!ns || !m || n == 0 || !out) {
		if (ns)
			LD_LOG(ns->svc, "ld_group_prepare: %s",
			       !m || n == 0 ? "no members" : "no out pointer");
		return E_INVALID_ARG;
	}
	e = ld_group_check_names(ns, m, n);
	if (e != E_OK)
		return e;
	g = ld_alloc(ns->svc, sizeof(*g));
	if (!g || (n > 1 && !(g->b = ld_alloc(ns->svc, n * sizeof(*g->b))))) {
		LD_LOG(ns->svc, "%s%s: out of heap for a group of %lu objects",
		       LD_GROUP_NAME(m, n), (unsigned long)n);
		ns->svc->heap_free(ns->svc->ctx, g);
		return E_NO_HEAP;
	}
	g->ns = ns;
	g->gns = (struct ld_namespace){ .svc = ns->svc, .hash_seed = ns->hash_seed };
	g->m = m;
	g->n = n;
	if (n == 1)
		g->b = &g->one;
	e = ld_group_build(g, check, ctx);
	if (e != E_OK) {
		ld_group_free(g, true);
		return e;
	}
	for (size_t i = 0; i < n; i++)
		m[i].crate = g->b[i].crate; /* built, not yet in the namespace */
	*out = g;
	return E_OK;
}

void ld_group_commit(struct ld_group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		if (g->b[i].stats)
			g->b[i].clock = g->ns->svc->clock(g->ns->svc->ctx);
		ld_commit(g->ns, g->b[i].crate);     /* (12) cannot fail */
		if (g->b[i].stats)
			ld_build_stage_end(&g->b[i], &g->b[i].stats->commit);
	}
	ld_group_free(g, false);
}

void ld_group_abort(struct ld_group *g)
{
	for (size_t i = 0; i < g->n; i++)
		g->m[i].crate = NULL;
	ld_group_free(g, true);
}

enum err ld_load_group(struct ld_namespace *ns, struct ld_group_member *m, size_t n,
		       enum err (*check)(void *ctx, struct ld_crate *c), void *ctx)
{
	struct ld_group *g;
	enum err e = ld_group_prepare(ns, m, n, check, ctx, &g);

	if (e == E_OK)
		ld_group_commit(g);
	return e;
}
