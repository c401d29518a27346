/*
 * Every refusal for want of memory says what failed and where: the k-th heap
 * allocation of a group load, a hand-built crate and a redirect plan (a
 * load's: test_fail.c) is made to fail, k = 1, 2, ... until the call gets through, and each
 * failure must return E_NO_HEAP having logged exactly one "out of heap" line
 * that names the crate. A redirect whose new field does not fit names the
 * fix (-mcmodel=kernel), as the load's overflow message does.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

/* Run call(t, ctx) with the k-th allocation failing, k = 1.. until it
 * succeeds; each failure E_NO_HEAP, logged once naming name (or name2).
 * Returns the number of failing allocations, -1 after tfail. */
typedef enum err (*tcall_fn)(struct tctx *t, void *ctx);
static long tfail_each_alloc(struct tctx *t, tcall_fn call, void *ctx, const char *name,
			     const char *name2, const char *what)
{
	long k;

	for (k = 1; k < 10000; k++) {
		int from = t->shim.nlog;
		enum err e;

		t->shim.nalloc = 0;
		t->shim.fail_alloc_at = k;
		e = call(t, ctx);
		t->shim.fail_alloc_at = 0;
		if (e == E_OK)
			return k - 1;
		if (e != E_NO_HEAP) {
			tfail(t, "%s, failing allocation %ld: got %s, want NO_HEAP (log: %s)",
			      what, k, err_name(e), shim_last_log(&t->shim));
			return -1;
		}
		if (!toom_logged_once(t, from, name, name2, what, k))
			return -1;
	}
	tfail(t, "%s never got through", what);
	return -1;
}

/* ---- a load ------------------------------------------------------------- */

static enum err tcall_namespace(struct tctx *t, void *ctx)
{
	struct ld_namespace *ns;
	enum err e = ld_namespace_create(&t->shim.svc, &ns);

	(void)ctx;
	if (e == E_OK)
		ld_namespace_destroy(ns);
	return e;
}

/* A namespace names no crate: it says what it was for. (A load's every
 * failing allocation: fail_every_alloc, test_fail.c.) */
static void test_oom_log_namespace(struct tctx *t)
{
	int from = t->shim.nlog;

	t->shim.nalloc = 0;
	t->shim.fail_alloc_at = 1;
	REQUIRE_ERR(t, tcall_namespace(t, NULL), E_NO_HEAP);
	t->shim.fail_alloc_at = 0;
	REQUIRE(t, toom_logged_once(t, from, "namespace", NULL, "ld_namespace_create", 1));
}

/* ---- a group load ------------------------------------------------------- */

struct tgroup_call {
	struct ld_group_member m[2];
	struct blob b[2];
};

static enum err tcall_group(struct tctx *t, void *ctx)
{
	struct tgroup_call *g = ctx;

	return ld_load_group(t->ns, g->m, 2, NULL, NULL);
}

static void test_oom_log_group(struct tctx *t)
{
	static const char *const file[2] = { "cyc_a", "cyc_b" };
	static const char *const crate[2] = { "oom_cyc_a", "oom_cyc_b" };
	struct tgroup_call g = { 0 };
	long n;

	REQUIRE(t, tns(t));
	for (int i = 0; i < 2; i++) {
		REQUIRE(t, tobj_read(t, t->compiler, file[i], &g.b[i]));
		g.m[i] = (struct ld_group_member){ .name = crate[i], .image = g.b[i].data,
						   .size = g.b[i].size };
	}
	n = tfail_each_alloc(t, tcall_group, &g, crate[0], crate[1], "group load");
	free(g.b[0].data);
	free(g.b[1].data);
	REQUIRE(t, n > 10 && ld_crate_first(t->ns));
}

/* ---- a hand-built crate ------------------------------------------------- */

/* Two sections, two symbols, three relocations out of order (so the
 * commit sorts them and counts edges), committed; aborted on failure. */
static enum err tcall_hand_built(struct tctx *t, void *ctx)
{
	static const struct ld_existing_reloc recs[3] = {
		{ .source = 1, .target = 0, .type = R_X86_64_64, .offset = 0 },
		{ .source = 0, .target = 1, .type = R_X86_64_PC32, .offset = 4, .addend = -4 },
		{ .source = 1, .target = 0, .type = R_X86_64_64, .offset = 8,
		  .target_offset = 16 },
	};
	struct ld_crate **out = ctx, *c;
	const struct ld_section *text, *data;
	enum err e = ld_existing_begin(t->ns, "oom_hand", 2, 2, 3, &c);

	if (e != E_OK)
		return e;
	e = ld_existing_add_section(c, "oom_hand:.text", LD_KIND_TEXT, 0x1000, 64, 16, &text);
	if (e == E_OK)
		e = ld_existing_add_section(c, "oom_hand:.data", LD_KIND_DATA, 0x2000, 32, 8,
					    &data);
	if (e == E_OK)
		e = ld_existing_add_symbol(c, "oom_hand_fn", 0x1000, 64, text, STB_GLOBAL,
					   STT_FUNC);
	if (e == E_OK)
		e = ld_existing_add_symbol(c, "oom_hand_var", 0x2000, 8, data, STB_GLOBAL,
					   STT_OBJECT);
	if (e == E_OK)
		e = ld_existing_add_relocs(c, recs, 3);
	if (e == E_OK)
		e = ld_existing_commit(c);
	if (e != E_OK) {
		ld_existing_abort(c);
		return e;
	}
	*out = c;
	return E_OK;
}

static void test_oom_log_hand_built(struct tctx *t)
{
	struct ld_crate *c = NULL;

	REQUIRE(t, tns(t));
	REQUIRE(t, tfail_each_alloc(t, tcall_hand_built, &c, "oom_hand", NULL,
				    "hand-built crate") >= 8);
	REQUIRE(t, c && ld_crate_first(t->ns) == c);
	REQUIRE_ERR(t, ld_unload(t->ns, c), E_OK);
	/* again: the namespace's symbol table stays, so the allocations after
	 * it (the sort, the edges) come one earlier and the last one is reached */
	REQUIRE(t, tfail_each_alloc(t, tcall_hand_built, &c, "oom_hand", NULL,
				    "hand-built crate, again") >= 8);
	REQUIRE(t, c && ld_crate_first(t->ns) == c);
	REQUIRE_ERR(t, ld_unload(t->ns, c), E_OK);
}

/* ---- a redirect --------------------------------------------------------- */

static const struct ld_crate *tretiring_crate;
static bool tretiring(void *ctx, const struct ld_section *s)
{
	(void)ctx;
	return s->crate == tretiring_crate;
}

struct tredirect_call {
	struct ld_redirect_pair pairs[32];
	size_t n;
};

static enum err tcall_redirect(struct tctx *t, void *ctx)
{
	struct tredirect_call *rc = ctx;
	struct ld_redirect *r;
	enum err e = ld_redirect_plan(t->ns, rc->pairs, rc->n, tretiring, NULL, &r);

	if (e == E_OK)
		ld_redirect_abort(r);
	return e;
}

static void test_oom_log_redirect(struct tctx *t)
{
	struct ld_crate *old, *user, *new_;
	struct ld_load_opts sup = { 0 };
	struct tredirect_call rc = { .n = 0 };
	const struct ld_section *s;
	size_t n;

	REQUIRE(t, tns(t));
	REQUIRE_ERR(t, tload_as(t, t->ns, "provider", "oom_old", NULL, &old), E_OK);
	REQUIRE_ERR(t, tload_as(t, t->ns, "basic", "oom_user", NULL, &user), E_OK);
	sup.supersedes = old;
	REQUIRE_ERR(t, tload_as(t, t->ns, "provider", "oom_new", &sup, &new_), E_OK);
	s = ld_crate_sections(old, &n);
	for (size_t i = 0; i < n && rc.n < 32; i++) {
		const struct ld_section *to = tsection_by_name(new_, s[i].name);

		if (to && s[i].kind != LD_KIND_DATA)
			rc.pairs[rc.n++] = (struct ld_redirect_pair){ .old = &s[i],
								      .new_ = to };
	}
	REQUIRE(t, rc.n > 0);
	tretiring_crate = old;
	REQUIRE(t, tfail_each_alloc(t, tcall_redirect, &rc, "oom_old", NULL,
				    "redirect plan") >= 5);
}

/* A redirect to a section more than 2 GiB from a PC32 reference: refused,
 * naming the place, the target and the fix. */
static void test_redirect_overflow_hint(struct tctx *t)
{
	const uint64_t near = 0xFFFFFFFF80000000ull, far = 0xFFFF800000000000ull;
	struct ld_crate *old, *user, *new_;
	const struct ld_section *f_old, *f_new, *u;
	struct ld_redirect_pair pair;
	struct ld_redirect *r;
	struct shim_counters before;

	REQUIRE(t, tns(t));
	REQUIRE_ERR(t, ld_existing_begin(t->ns, "far_old", 1, 0, 0, &old), E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(old, ".text.f", LD_KIND_TEXT, near + 0x1000, 64,
					       16, &f_old), E_OK);
	REQUIRE_ERR(t, ld_existing_commit(old), E_OK);
	REQUIRE_ERR(t, ld_existing_begin(t->ns, "far_user", 1, 0, 1, &user), E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(user, ".text.u", LD_KIND_TEXT, near, 64, 16, &u),
		    E_OK);
	REQUIRE_ERR(t, ld_existing_add_reloc(user, u, 4, R_X86_64_PC32, -4, f_old, 0), E_OK);
	REQUIRE_ERR(t, ld_existing_commit(user), E_OK);
	REQUIRE_ERR(t, ld_existing_begin(t->ns, "far_new", 1, 0, 0, &new_), E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(new_, ".text.f", LD_KIND_TEXT, far, 64, 16,
					       &f_new), E_OK);
	REQUIRE_ERR(t, ld_existing_commit(new_), E_OK);
	pair = (struct ld_redirect_pair){ .old = f_old, .new_ = f_new };
	tretiring_crate = NULL;
	before = tsnap(t);
	REQUIRE_ERR(t, ld_redirect_plan(t->ns, &pair, 1, tretiring, NULL, &r),
		    E_LD_RELOC_OVERFLOW);
	REQUIRE_UNCHANGED(t, before);
	REQUIREF(t, strstr(shim_last_log(&t->shim), "far_user:.text.u+4") &&
		 strstr(shim_last_log(&t->shim), "far_new:.text.f") &&
		 strstr(shim_last_log(&t->shim), "-mcmodel=kernel"),
		 "the overflow says: %s", shim_last_log(&t->shim));
}

/* ---- refusals of bad arguments and states ------------------------------- */

/* Did a line logged since `from` contain both a and b? */
static bool tlogged(const struct tctx *t, int from, const char *a, const char *b)
{
	for (int i = from; i < t->shim.nlog; i++) {
		const char *line = tlog_line(&t->shim, i);

		if (line && strstr(line, a) && strstr(line, b))
			return true;
	}
	return false;
}

/* `call` returns `want`, having logged a line with both a and b. */
#define REQUIRE_REFUSED(t, call, want, a, b)                                    \
	do {                                                                    \
		int from_ = (t)->shim.nlog;                                     \
		REQUIRE_ERR((t), (call), (want));                               \
		REQUIREF((t), tlogged((t), from_, (a), (b)),                    \
			 "%s: no line with '%s' and '%s' (last: %s)", #call,    \
			 (a), (b), shim_last_log(&(t)->shim));                  \
	} while (0)

/* Each refusal of a public function (a missing argument, a crate in the
 * wrong state) says which function or crate, and what is wrong. */
static void test_refusals_logged(struct tctx *t)
{
	struct ld_group_member m = { .name = "no_image", .image = NULL, .size = 8 };
	struct ld_crate *hb, *none = NULL, *c;
	const struct ld_section *text;
	struct ld_group *g;
	struct blob b;
	enum err e;
	int from;

	REQUIRE(t, tns(t) && tobj_read(t, t->compiler, "provider", &b));
	from = t->shim.nlog;
	e = ld_load(t->ns, "no_out", b.data, b.size, NULL, NULL);
	free(b.data);
	REQUIRE_ERR(t, e, E_INVALID_ARG);
	REQUIRE(t, tlogged(t, from, "no_out", "out pointer"));
	REQUIRE_REFUSED(t, ld_namespace_create(&t->shim.svc, NULL), E_INVALID_ARG,
			"ld_namespace_create", "out pointer");
	REQUIRE_REFUSED(t, ld_load_group(t->ns, &m, 1, NULL, NULL), E_INVALID_ARG, "no_image",
			"has no image");
	REQUIRE_REFUSED(t, ld_group_prepare(t->ns, &m, 0, NULL, NULL, &g), E_INVALID_ARG,
			"ld_group_prepare", "no members");
	REQUIRE_REFUSED(t, ld_existing_begin(t->ns, "too_big", (size_t)1 << 40, 0, 0, &c),
			E_INVALID_ARG, "too_big", "LD_MAX_CRATE_SIZE");
	REQUIRE_ERR(t, ld_existing_begin(t->ns, "hb", 1, 1, 1, &hb), E_OK);
	REQUIRE_REFUSED(t, ld_existing_add_section(hb, NULL, LD_KIND_TEXT, 0x1000, 8, 8, &text),
			E_INVALID_ARG, "hb", "no name");
	REQUIRE_REFUSED(t, ld_existing_add_section(hb, ".x", (enum ld_kind)7, 0x1000, 8, 8,
						   &text),
			E_INVALID_ARG, "hb: section '.x'", "kind");
	REQUIRE_ERR(t, ld_existing_add_section(hb, ".text", LD_KIND_TEXT, 0x1000, 8, 8, &text),
		    E_OK);
	REQUIRE_REFUSED(t, ld_existing_add_symbol(hb, "s", 0x1000, 8, text, 7, STT_FUNC),
			E_INVALID_ARG, "hb: symbol 's'", "binding 7");
	REQUIRE_REFUSED(t, ld_existing_add_reloc(hb, NULL, 0, R_X86_64_64, 0, NULL, 0),
			E_INVALID_ARG, "hb: relocation", "source section");
	REQUIRE_REFUSED(t, ld_unload(t->ns, hb), E_LD_BAD_STATE, "hb", "never committed");
	REQUIRE_ERR(t, ld_existing_commit(hb), E_OK);
	REQUIRE_REFUSED(t, ld_existing_commit(hb), E_LD_BAD_STATE, "hb", "committed already");
	REQUIRE_REFUSED(t, ld_existing_add_symbol(hb, "late", 0x1000, 0, text, STB_GLOBAL,
						  STT_FUNC),
			E_LD_BAD_STATE, "hb: cannot add symbols", "committed");
	REQUIRE_REFUSED(t, ld_unload(t->ns, NULL), E_INVALID_ARG, "ld_unload", "no crate");
	REQUIRE_REFUSED(t, ld_unload_group(t->ns, &none, 1), E_INVALID_ARG, "ld_unload_group",
			"is NULL");
	REQUIRE_ERR(t, ld_unload(t->ns, hb), E_OK);
}

const struct test_case tests_oom_log[] = {
	{ "oom_log_namespace", test_oom_log_namespace, false },
	{ "oom_log_group", test_oom_log_group, true },
	{ "oom_log_hand_built", test_oom_log_hand_built, false },
	{ "oom_log_redirect", test_oom_log_redirect, true },
	{ "redirect_overflow_hint", test_redirect_overflow_hint, false },
	{ "refusals_logged", test_refusals_logged, false },
	{ 0 },
};
