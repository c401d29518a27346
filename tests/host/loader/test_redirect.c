/*
 * Redirect (ld_redirect_plan/switch/undo/finish): a crate that used an old copy of a
 * provider uses the new copy afterwards, code and data alike, and its edges
 * and read-back relocations say so; a data word changed at run time is left
 * alone (logged, counted); a plan that cannot be completed
 * (no alias for a code page) writes nothing and leaves nothing behind.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

static const struct ld_crate *tretiring_crate;
static bool tretiring(void *ctx, const struct ld_section *s)
{
	(void)ctx;
	return s->crate == tretiring_crate;
}

/* Pairs: each section of `old` with the same-named section of `new_`. */
static size_t tpairs(const struct ld_crate *old, const struct ld_crate *new_,
		     struct ld_redirect_pair *p, size_t max)
{
	size_t n, k = 0;
	const struct ld_section *s = ld_crate_sections(old, &n);

	for (size_t i = 0; i < n && k < max; i++) {
		const struct ld_section *to = tsection_by_name(new_, s[i].name);

		if (to && s[i].kind != LD_KIND_DATA)
			p[k++] = (struct ld_redirect_pair){ .old = &s[i], .new_ = to };
	}
	return k;
}

/* How many edges from crate `from` lead into code or rodata of crate `to`. */
static unsigned tedges(const struct ld_crate *from, const struct ld_crate *to)
{
	size_t n;
	unsigned k = 0;
	const struct ld_section *s = ld_crate_sections(from, &n);

	for (size_t i = 0; i < n; i++)
		for (const struct ld_dep *d = ld_section_deps(&s[i]); d; d = d->next_dep)
			k += d->target->crate == to && d->nrelocs && d->target->kind != LD_KIND_DATA;
	return k;
}

/* Load provider as old, basic against it, provider again as new. */
static bool tsetup(struct tctx *t, struct ld_crate **old, struct ld_crate **basic,
		   struct ld_crate **new_)
{
	struct ld_load_opts sup = { 0 };

	if (tload_as(t, t->ns, "provider", "old", NULL, old) != E_OK ||
	    tload(t, t->ns, "basic", NULL, basic) != E_OK)
		return false;
	sup.supersedes = *old;
	return tload_as(t, t->ns, "provider", "new", &sup, new_) == E_OK;
}

static void test_redirect(struct tctx *t)
{
	struct ld_crate *old, *basic, *new_;
	struct ld_redirect_pair pairs[32];
	struct ld_redirect_stats st;
	struct ld_redirect *r;
	const struct ld_symbol *fnptr, *add;
	uint64_t *live, v;
	struct blob b;
	size_t n;

	REQUIRE(t, tns(t) && tsetup(t, &old, &basic, &new_));
	REQUIRE(t, tedges(basic, old) == 2 && tedges(basic, new_) == 0);
	/* basic_fn_ptr (= provider_add at link time) is changed at run time */
	REQUIRE_ERR(t, ld_lookup(t->ns, "basic_fn_ptr", &fnptr), E_OK);
	live = t->shim.svc.vrange_writable(&t->shim, fnptr->addr, 8);
	REQUIRE(t, live);
	*live = 0x1234;
	n = tpairs(old, new_, pairs, 32);
	tretiring_crate = old;
	REQUIRE_ERR(t, ld_redirect_plan(t->ns, pairs, n, tretiring, NULL, &r), E_OK);
	ld_redirect_commit(r, &st);
	REQUIREF(t, st.written >= 1 && st.kept == 1 && st.pages >= 1 && t->shim.now.aliases_live == 0,
		 "written %lu kept %lu pages %lu aliases %ld", (unsigned long)st.written,
		 (unsigned long)st.kept, (unsigned long)st.pages, t->shim.now.aliases_live);
	REQUIRE(t, shim_log_contains(&t->shim, "changed at run time"));
	REQUIRE(t, *live == 0x1234); /* left alone */
	/* the call in basic_switch now reaches the new provider_add: every code
	 * field checked against the namespace, where provider resolves to new */
	REQUIRE_ERR(t, ld_lookup(t->ns, "provider_add", &add), E_OK);
	REQUIRE(t, add->crate == new_);
	{ /* read back: each relocation into new is in memory, none into old code */
		size_t ns;
		const struct ld_section *s = ld_crate_sections(basic, &ns);
		unsigned into_new = 0;

		for (size_t i = 0; i < ns; i++) {
			struct ld_reloc_iter it;
			struct ld_reloc rel;

			for (ld_relocs_of_section(&it, &s[i]); ld_reloc_next(&it, &rel);) {
				uint64_t place = s[i].addr + rel.offset, want;

				if (!rel.target || rel.target->crate != new_ || rel.type == R_X86_64_64)
					continue; /* (the 64-bit one is the word changed at run time) */
				want = rel.target->addr + rel.target_offset + (uint64_t)rel.addend;
				REQUIRE(t, rel.type == R_X86_64_PLT32 || rel.type == R_X86_64_PC32);
				REQUIRE(t, tread(t, place, 4, &v));
				REQUIREF(t, place + (uint64_t)(int64_t)(int32_t)v == want,
					 "field at %lx reaches %lx, not %lx", (unsigned long)place,
					 (unsigned long)(place + (uint64_t)(int64_t)(int32_t)v),
					 (unsigned long)want);
				into_new++;
			}
		}
		REQUIRE(t, into_new == 1);
	}
	(void)b;
	/* both edges moved: nothing of basic refers to the old code any more */
	REQUIRE(t, tedges(basic, new_) == 2 && tedges(basic, old) == 0);

}

/* The switch undone (the new copy failed after the commit): every code
 * field is its old bytes again, a data word the switch wrote is its old
 * value again while one the new code changed since stays, the edges and
 * read-back relocations name the old copy, and nothing is left behind. */
static void test_redirect_undo(struct tctx *t)
{
	struct ld_crate *old, *basic, *new_;
	struct ld_redirect_pair pairs[32];
	struct ld_redirect_stats st;
	struct ld_redirect *r;
	const struct ld_section *text, *data;
	struct shim_counters before;
	uint8_t code[4096], words[4096];
	size_t n;

	REQUIRE(t, tns(t) && tsetup(t, &old, &basic, &new_));
	text = tsection_by_name(basic, ".text.basic_switch");
	data = tsection_by_name(basic, ".data.basic_fn_ptr");
	REQUIRE(t, text && data && text->size <= sizeof(code) && data->size <= sizeof(words));
	memcpy(code, t->shim.svc.vrange_writable(&t->shim, text->addr, text->size), text->size);
	memcpy(words, t->shim.svc.vrange_writable(&t->shim, data->addr, data->size), data->size);
	n = tpairs(old, new_, pairs, 32);
	tretiring_crate = old;
	before = tsnap(t);
	REQUIRE_ERR(t, ld_redirect_plan(t->ns, pairs, n, tretiring, NULL, &r), E_OK);
	ld_redirect_switch(r, &st);
	REQUIRE(t, st.written >= 2 && st.kept == 0);
	REQUIRE(t, tedges(basic, new_) == 2 && tedges(basic, old) == 0);
	REQUIRE(t, memcmp(code, t->shim.svc.vrange_writable(&t->shim, text->addr, text->size),
			  text->size) != 0);
	ld_redirect_undo(r);
	REQUIRE(t, memcmp(code, t->shim.svc.vrange_writable(&t->shim, text->addr, text->size),
			  text->size) == 0);
	REQUIRE(t, memcmp(words, t->shim.svc.vrange_writable(&t->shim, data->addr, data->size),
			  data->size) == 0);
	REQUIRE(t, tedges(basic, old) == 2 && tedges(basic, new_) == 0);
	{ /* the read-back relocations name the old copy again */
		size_t ns;
		const struct ld_section *s = ld_crate_sections(basic, &ns);
		unsigned into_old = 0;

		for (size_t i = 0; i < ns; i++) {
			struct ld_reloc_iter it;
			struct ld_reloc rel;

			for (ld_relocs_of_section(&it, &s[i]); ld_reloc_next(&it, &rel);) {
				REQUIRE(t, !rel.target || rel.target->crate != new_);
				into_old += rel.target && rel.target->crate == old &&
					    rel.target->kind == LD_KIND_TEXT;
			}
		}
		REQUIREF(t, into_old == 2, "%u relocations into the old code", into_old);
	}
	ld_redirect_finish(r);
	REQUIRE_UNCHANGED(t, before);

	/* switched again, the word changed by the "new code" in between: the
	 * undo leaves it (it is the new code's state, not the switch's) */
	REQUIRE_ERR(t, ld_redirect_plan(t->ns, pairs, n, tretiring, NULL, &r), E_OK);
	ld_redirect_switch(r, &st);
	uint64_t *w = t->shim.svc.vrange_writable(&t->shim, data->addr, 8);
	*w = 0x5678;
	ld_redirect_undo(r);
	REQUIRE(t, *w == 0x5678);
	REQUIRE(t, memcmp(code, t->shim.svc.vrange_writable(&t->shim, text->addr, text->size),
			  text->size) == 0);
	ld_redirect_finish(r);
}

/* A call whose field straddles two code pages (straddle.S: its opcode the
 * last-but-two byte of a page) is patched through both pages' aliases: it
 * reaches the new provider_add, and the bytes around it are unchanged. */
static void test_redirect_straddling_field(struct tctx *t)
{
	struct ld_crate *old, *user, *new_;
	struct ld_load_opts sup = { 0 };
	struct ld_redirect_pair pairs[32];
	struct ld_redirect_stats st;
	struct ld_redirect *r;
	const struct ld_section *text;
	const struct ld_symbol *add;
	uint64_t v, place;
	size_t n;

	REQUIRE(t, tns(t) && tload_as(t, t->ns, "provider", "old", NULL, &old) == E_OK &&
		   tload(t, t->ns, "straddle", NULL, &user) == E_OK);
	sup.supersedes = old;
	REQUIRE(t, tload_as(t, t->ns, "provider", "new", &sup, &new_) == E_OK);
	text = tsection_by_name(user, ".text.straddle_call");
	REQUIRE(t, text && text->size == 4093 + 6);
	place = text->addr + 4094;
	REQUIRE(t, (place & 4095) == 4094); /* (the section is page-aligned) */
	n = tpairs(old, new_, pairs, 32);
	tretiring_crate = old;
	REQUIRE_ERR(t, ld_redirect_plan(t->ns, pairs, n, tretiring, NULL, &r), E_OK);
	ld_redirect_commit(r, &st);
	REQUIRE(t, st.written == 1 && st.pages == 2);
	REQUIRE_ERR(t, ld_lookup(t->ns, "provider_add", &add), E_OK);
	REQUIRE(t, add->crate == new_ && tread(t, place, 4, &v));
	REQUIREF(t, place + 4 + (uint64_t)(int64_t)(int32_t)v == add->addr,
		 "the field reaches %lx, not the new provider_add at %lx",
		 (unsigned long)(place + 4 + (uint64_t)(int64_t)(int32_t)v),
		 (unsigned long)add->addr);
	REQUIRE(t, tread(t, place - 2, 1, &v) && v == 0x90 && tread(t, place - 1, 1, &v) &&
		   v == 0xe8 && tread(t, place + 4, 1, &v) && v == 0xc3);
}

/* The first alias, then the third, fails: nothing is written or kept. */
static void test_redirect_plan_fails(struct tctx *t)
{
	struct ld_crate *old, *basic, *new_;
	struct ld_redirect_pair pairs[32];
	struct ld_redirect *r;
	const struct ld_section *text;
	struct shim_counters before;
	uint8_t copy[4096];
	size_t n;

	REQUIRE(t, tns(t) && tsetup(t, &old, &basic, &new_));
	text = tsection_by_name(basic, ".text.basic_switch");
	REQUIRE(t, text && text->size <= sizeof(copy));
	memcpy(copy, t->shim.svc.vrange_writable(&t->shim, text->addr, text->size), text->size);
	n = tpairs(old, new_, pairs, 32);
	tretiring_crate = old;
	for (long k = 1; k <= 1; k++) {
		before = tsnap(t);
		t->shim.nalias = 0;
		t->shim.fail_alias_at = k;
		REQUIRE_ERR(t, ld_redirect_plan(t->ns, pairs, n, tretiring, NULL, &r), E_NO_VSPACE);
		t->shim.fail_alias_at = 0;
		REQUIRE_UNCHANGED(t, before);
		REQUIRE(t, memcmp(copy, t->shim.svc.vrange_writable(&t->shim, text->addr, text->size),
				  text->size) == 0);
		REQUIRE(t, tedges(basic, old) == 2 && tedges(basic, new_) == 0);
	}
}

/* A section laid out anew (starts_only: a new version's provider_array of
 * another layout): basic's provider_array[2] lands inside it, so the plan is
 * refused by name and nothing changes; references to the start would pass. */
static void test_redirect_inside_refused(struct tctx *t)
{
	struct ld_crate *old, *basic, *new_;
	struct ld_redirect_pair pairs[32];
	struct ld_redirect *r;
	struct shim_counters before;
	size_t n, k;

	REQUIRE(t, tns(t) && tsetup(t, &old, &basic, &new_));
	n = tpairs(old, new_, pairs, 31);
	for (k = 0; k < n; k++)
		pairs[k].starts_only = true; /* the functions: called at their start */
	pairs[n].old = tsection_by_name(old, ".data.provider_array");
	pairs[n].new_ = tsection_by_name(new_, ".data.provider_array");
	pairs[n].starts_only = true;
	REQUIRE(t, pairs[n].old && pairs[n].new_);
	tretiring_crate = old;
	before = tsnap(t);
	REQUIRE_ERR(t, ld_redirect_plan(t->ns, pairs, n + 1, tretiring, NULL, &r),
		    E_LD_REDIRECT_INSIDE);
	REQUIRE(t, shim_log_contains(&t->shim, "inside a section laid out anew"));
	REQUIRE(t, shim_log_contains(&t->shim, "provider_array"));
	REQUIRE_UNCHANGED(t, before);
	REQUIRE(t, tedges(basic, old) == 2 && tedges(basic, new_) == 0);
	/* without the array, every reference lands at a start: planned */
	REQUIRE_ERR(t, ld_redirect_plan(t->ns, pairs, n, tretiring, NULL, &r), E_OK);
	ld_redirect_abort(r);
}

const struct test_case tests_redirect[] = {
	{ "redirect", test_redirect, true },
	{ "redirect_plan_fails", test_redirect_plan_fails, true },
	{ "redirect_undo", test_redirect_undo, true },
	{ "redirect_straddling_field", test_redirect_straddling_field, true },
	{ "redirect_inside_refused", test_redirect_inside_refused, true },
	{ 0 },
};
