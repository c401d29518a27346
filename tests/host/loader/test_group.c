/*
 * Group loads (ld_load_group): members that reference each other in a cycle
 * load together; a member's references bind to the group's own definitions,
 * never to an older copy in the namespace; a failure in any member, or a
 * refusal by the check hook, leaves the namespace and every counter as they
 * were; every heap allocation of a group load, made to fail in turn, unwinds;
 * a collection is laid out as the linker script would.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

/* The files of a group, read for the test; freed by tgroup_free. */
struct tgroup {
	struct ld_group_member m[4];
	struct blob b[4];
	size_t n;
};

static bool tgroup_add(struct tctx *t, struct tgroup *g, const char *file, const char *crate,
		       const struct ld_load_opts *opts)
{
	if (!tobj_read(t, t->compiler, file, &g->b[g->n]))
		return false;
	g->m[g->n] = (struct ld_group_member){ .name = crate, .image = g->b[g->n].data,
					       .size = g->b[g->n].size, .opts = opts };
	g->n++;
	return true;
}

static void tgroup_free(struct tgroup *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->b[i].data);
}

/* Does any edge of crate `from` lead to a section of crate `to`? */
static bool tuses(const struct ld_crate *from, const struct ld_crate *to)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(from, &n);

	for (size_t i = 0; i < n; i++)
		for (const struct ld_dep *d = ld_section_deps(&s[i]); d; d = d->next_dep)
			if (d->target->crate == to && d->nrelocs)
				return true;
	return false;
}

static void test_group_cycle(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct shim_counters before;
	struct tgroup g = { 0 };
	struct ld_crate *c;
	const struct ld_symbol *a, *b;

	REQUIRE(t, ns && tgroup_add(t, &g, "cyc_a", "a", NULL) && tgroup_add(t, &g, "cyc_b", "b", NULL));
	before = tsnap(t);
	REQUIRE_ERR(t, ld_load(ns, "a", g.b[0].data, g.b[0].size, NULL, &c), E_LD_UNRESOLVED);
	REQUIRE_UNCHANGED(t, before);
	REQUIRE_ERR(t, ld_load_group(ns, g.m, 2, NULL, NULL), E_OK);
	tgroup_free(&g);
	REQUIRE(t, g.m[0].crate && g.m[1].crate && ld_crate_first(ns) == g.m[0].crate &&
		   ld_crate_next(g.m[0].crate) == g.m[1].crate);
	REQUIRE(t, tuses(g.m[0].crate, g.m[1].crate) && tuses(g.m[1].crate, g.m[0].crate));
	REQUIRE_ERR(t, ld_lookup(ns, "cyc_a", &a), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "cyc_b", &b), E_OK);
	REQUIRE(t, a->crate == g.m[0].crate && b->crate == g.m[1].crate);
	/* a cycle cannot be unloaded one crate at a time */
	REQUIRE_ERR(t, ld_unload(ns, g.m[0].crate), E_LD_IN_USE);
}

/* basic is listed before provider, and an older provider is loaded: basic
 * binds to the group's provider all the same. */
static void test_group_prefers_members(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *old;
	struct tgroup g = { 0 };
	struct ld_load_opts sup = { 0 };
	const struct ld_symbol *s;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload_as(t, ns, "provider", "old", NULL, &old), E_OK);
	sup.supersedes = old;
	REQUIRE(t, tgroup_add(t, &g, "basic", "basic", NULL) &&
		   tgroup_add(t, &g, "provider", "new", &sup));
	REQUIRE_ERR(t, ld_load_group(ns, g.m, 2, NULL, NULL), E_OK);
	REQUIRE(t, tcheck_relocs(t, ns, g.m[0].crate, &g.b[0]) > 10);
	tgroup_free(&g);
	REQUIRE(t, tuses(g.m[0].crate, g.m[1].crate) && !tuses(g.m[0].crate, old));
	REQUIRE_ERR(t, ld_lookup(ns, "provider_add", &s), E_OK);
	REQUIRE(t, s->crate == g.m[1].crate);
}

static int tcheck_calls;
static enum err trefuse_second(void *ctx, struct ld_crate *c)
{
	(void)ctx, (void)c;
	return ++tcheck_calls == 2 ? E_LD_BAD_BINDING : E_OK;
}

/* A bad second member, a refusal by the check hook, a clash between two
 * members: each leaves nothing behind. */
static void test_group_atomic(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct shim_counters before;
	struct tgroup g = { 0 };

	REQUIRE(t, ns && tgroup_add(t, &g, "provider", "p", NULL) &&
		   tgroup_add(t, &g, "basic", "basic", NULL) &&
		   tgroup_add(t, &g, "provider", "p2", NULL));
	before = tsnap(t);
	tcheck_calls = 0;
	REQUIRE_ERR(t, ld_load_group(ns, g.m, 2, trefuse_second, NULL), E_LD_BAD_BINDING);
	REQUIRE(t, tcheck_calls == 2);
	REQUIRE_UNCHANGED(t, before);
	REQUIRE_ERR(t, ld_load_group(ns, g.m, 3, NULL, NULL), E_LD_DUPLICATE_SYMBOL);
	REQUIRE(t, shim_log_contains(&t->shim, "defined by two members of the group"));
	REQUIRE_UNCHANGED(t, before);
	eu_ehdr(&g.b[1])->e_machine = 3; /* the second member is not x86_64 */
	REQUIRE_ERR(t, ld_load_group(ns, g.m, 2, NULL, NULL), E_ELF_BAD_MACHINE);
	REQUIRE_UNCHANGED(t, before);
	REQUIRE(t, ld_crate_first(ns) == NULL);
	tgroup_free(&g);
}

/* Every heap allocation of a two-member group, failed in turn. */
static void test_group_fail_every_alloc(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct tgroup g = { 0 };
	long k;

	REQUIRE(t, ns && tgroup_add(t, &g, "cyc_a", "a", NULL) && tgroup_add(t, &g, "cyc_b", "b", NULL));
	for (k = 1; k < 10000; k++) {
		struct shim_counters before = tsnap(t);
		enum err e;

		t->shim.nalloc = 0;
		t->shim.fail_alloc_at = k;
		e = ld_load_group(ns, g.m, 2, NULL, NULL);
		t->shim.fail_alloc_at = 0;
		if (e == E_OK)
			break;
		REQUIREF(t, e == E_NO_HEAP, "failing allocation %ld: got %s", k, err_name(e));
		REQUIREF(t, shim_counters_equal(&before, &t->shim.now) && !ld_crate_first(ns),
			 "failing allocation %ld: something stayed behind", k);
	}
	tgroup_free(&g);
	REQUIRE(t, k > 10 && ld_crate_first(ns));
}

/* A collection: its sections together in name order, its bounds defined by
 * the crate and used by the crate's own references. */
static void test_collection(struct tctx *t)
{
	static const struct ld_collection tab = { ".tab.", "__tab_start", "__tab_end" };
	struct ld_load_opts opts = { .collections = &tab, .ncollections = 1 };
	struct ld_namespace *ns = tns(t);
	const struct ld_section *a, *b, *c;
	const struct ld_symbol *s, *e, *bounds;
	struct ld_crate *crate;
	uint64_t lo, hi;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "coll", NULL, &crate), E_LD_UNRESOLVED); /* plain: no bounds */
	REQUIRE_ERR(t, tload(t, ns, "coll", &opts, &crate), E_OK);
	a = tsection_by_name(crate, ".tab.a");
	b = tsection_by_name(crate, ".tab.b");
	c = tsection_by_name(crate, ".tab.c");
	REQUIRE(t, a && b && c && b->addr == a->addr + 4 && c->addr == b->addr + 20);
	/* in strcmp's order, also past the first 8 bytes the names share */
	static const char *const order[] = { ".tab.b", ".tab.b_shared", ".tab.b_shared_prefix_10",
					     ".tab.b_shared_prefix_2", ".tab.b_shared_prefix_3",
					     ".tab.c" };
	for (unsigned i = 1; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct ld_section *x = tsection_by_name(crate, order[i - 1]);
		const struct ld_section *y = tsection_by_name(crate, order[i]);

		REQUIREF(t, x && y && y->addr == x->addr + 4, "%s is not right after %s", order[i],
			 order[i - 1]);
	}
	REQUIRE_ERR(t, ld_lookup(ns, "__tab_start", &s), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "__tab_end", &e), E_OK);
	REQUIRE(t, s->addr == a->addr && e->addr == c->addr + 4 && s->crate == crate);
	REQUIRE_ERR(t, ld_lookup(ns, "coll_bounds", &bounds), E_OK);
	REQUIRE(t, tread(t, bounds->addr, 8, &lo) && tread(t, bounds->addr + 8, 8, &hi));
	REQUIRE(t, lo == a->addr && hi == c->addr + 4);
}

const struct test_case tests_group[] = {
	{ "collection", test_collection, true },
	{ "group_cycle", test_group_cycle, true },
	{ "group_prefers_members", test_group_prefers_members, true },
	{ "group_atomic", test_group_atomic, true },
	{ "group_fail_every_alloc", test_group_fail_every_alloc, true },
	{ 0 },
};
