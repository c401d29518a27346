/*
 * Every unwind path: make the k-th heap allocation (then the reservation, the
 * mapping, each protection) fail during a load, for k = 1, 2, ... until the
 * load succeeds, and check after each failure that the namespace and the
 * shim's counters are exactly as before, and that a failed allocation was
 * said once, naming the crate.
 */
#include "tcommon.h"

#include <stdio.h>

/* Load `file` with the k-th call of the chosen service failing, k = 1.. */
static void tinject(struct tctx *t, const char *file, long *fail_at, long *counter,
		    enum err want)
{
	struct ld_load_opts opts = { .resolve_undefined = tresolve_far };
	struct ld_namespace *ns = tns(t);
	struct ld_crate *c, *first = ld_crate_first(ns);
	char crate[64];	/* a name no message has by chance */
	long k;

	snprintf(crate, sizeof(crate), "failing_%s", file);
	for (k = 1; k < 10000; k++) {
		struct shim_counters before = tsnap(t);
		int from = t->shim.nlog;
		enum err e;

		*counter = 0;
		*fail_at = k;
		e = tload_as(t, ns, file, crate, &opts, &c);
		*fail_at = 0;
		if (e == E_OK)
			break;
		REQUIREF(t, e == want, "%s, failing call %ld: got %s, want %s", file, k,
			 err_name(e), err_name(want));
		REQUIREF(t, shim_counters_equal(&before, &t->shim.now),
			 "%s, failing call %ld: counters changed", file, k);
		REQUIREF(t, ld_crate_first(ns) == first && (!first || !ld_crate_next(first)),
			 "%s, failing call %ld: namespace changed", file, k);
		REQUIRE(t, want != E_NO_HEAP || toom_logged_once(t, from, crate, NULL, file, k));
	}
	REQUIREF(t, k > 1 || want != E_NO_HEAP, "no allocation was ever made");
	REQUIRE_ERR(t, ld_unload(ns, c), E_OK);
}

static void test_fail_alloc(struct tctx *t)
{
	struct ld_crate *prov;

	REQUIRE(t, tns(t));
	tinject(t, "got", &t->shim.fail_alloc_at, &t->shim.nalloc, E_NO_HEAP);
	REQUIRE_ERR(t, tload(t, t->ns, "provider", NULL, &prov), E_OK);
	tinject(t, "basic", &t->shim.fail_alloc_at, &t->shim.nalloc, E_NO_HEAP);
}

static void test_fail_vm(struct tctx *t)
{
	struct ld_crate *prov;

	REQUIRE(t, tns(t));
	REQUIRE_ERR(t, tload(t, t->ns, "provider", NULL, &prov), E_OK);
	tinject(t, "basic", &t->shim.fail_reserve_at, &t->shim.nreserve, E_NO_VSPACE);
	tinject(t, "basic", &t->shim.fail_map_at, &t->shim.nmap, E_NO_FRAMES);
	tinject(t, "basic", &t->shim.fail_protect_at, &t->shim.nprotect, E_NOT_MAPPED);
	REQUIRE(t, t->shim.nprotect == 3); /* text, rodata, data: each one failed once */
}

const struct test_case tests_fail[] = {
	{ "fail_every_alloc", test_fail_alloc, true },
	{ "fail_reserve_map_protect", test_fail_vm, true },
	{ 0 },
};
