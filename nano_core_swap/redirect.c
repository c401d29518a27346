/*
 * The swap's redirect (step 6 of swap.c): pair every text/rodata section of
 * each swapped module's old copy (the nano_core's input section; for the
 * module's last loaded copy, every section, its bound data included) with
 * the same-named section of its new copy,
 * and have the loader re-apply every reference into an old section from a
 * section that stays live: the nano_core's modules that are not swapped, all
 * .data/.bss (shared, live), crates loaded before. The old copies' own text
 * and rodata, and boot/'s, are retired instead, so they are not patched.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <lib/string.h>
#include "swap_internal.h"

/* Module index of a nano_core section. */
static uint32_t core_module_of(const struct ld_section *s)
{
	return core.desc.secs[s - core.secs[0]].module;
}

/* Will `s` be retired with the old copies (so: not patched)? */
static bool swap_retiring(void *ctx, const struct ld_section *s)
{
	const struct swap_plan *p = ctx;

	if (s->crate == core.crate) {
		uint32_t m = core_module_of(s);

		if (s->kind == LD_KIND_DATA)
			return false; /* the real data: shared and live */
		return p->core_replaced[m] || m == p->boot_module;
	}
	for (unsigned i = 0; i < p->n; i++) /* a last copy goes whole: its data */
		if (s->crate == p->old[i])  /* sections only name the nano_core's */
			return true;
	return false;
}

/* FNV-1a of a section name, for the name index below. */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

/* The new copy's sections by name: an open-addressing table of `cap`. */
static const struct ld_section **index_sections(const struct ld_crate *c, size_t *cap)
{
	size_t n, k = 16;
	const struct ld_section *s = ld_crate_sections(c, &n);
	const struct ld_section **tab;

	while (k < 2 * n)
		k *= 2;
	tab = kzalloc(k * sizeof(*tab));
	for (size_t i = 0; tab && i < n; i++) {
		size_t h = name_hash(s[i].name) & (k - 1);

		while (tab[h])
			h = (h + 1) & (k - 1);
		tab[h] = &s[i];
	}
	*cap = k;
	return tab;
}

static const struct ld_section *find_by_name(const struct ld_section **tab, size_t cap,
					     const char *name)
{
	for (size_t h = name_hash(name) & (cap - 1); tab[h]; h = (h + 1) & (cap - 1))
		if (strcmp(tab[h]->name, name) == 0)
			return tab[h];
	return NULL;
}

/* Pair old section `s` (called `name` in the new copy) with its new one. */
static enum err pair_one(struct swap_plan *p, unsigned i, const struct ld_section **tab,
			 size_t cap, const struct ld_section *s, const char *name)
{
	const struct ld_section *to = find_by_name(tab, cap, name);

	if (!to || to->size != s->size || to->kind != s->kind) {
		pr_err("swap: %s: the new copy has no section %s of %lu bytes like the old "
		       "one: the object is not the one that was linked\n",
		       ld_crate_name(p->new_[i]), s->name, s->size);
		return E_SWAP_LAYOUT_CHANGED;
	}
	p->pairs[p->npairs++] = (struct ld_redirect_pair){ .old = s, .new_ = to };
	return E_OK;
}

/* Pair member i's old sections with its new ones: the nano_core's text and
 * rodata of the module (its description range: the input sections' own
 * names), or a last copy's every section (its data sections are bound:
 * references to them move too). */
static enum err pair_member(struct swap_plan *p, unsigned i)
{
	size_t n, cap;
	const struct ld_section **tab = index_sections(p->new_[i], &cap);
	enum err e = E_OK;

	if (!tab) {
		pr_err("swap: out of heap to index %s's sections\n", ld_crate_name(p->new_[i]));
		return E_NO_HEAP;
	}
	if (p->old[i] == core.crate) {
		const struct ncd_module *m = &core.desc.mods[p->module[i]];

		for (uint32_t k = m->first_section; k < m->first_section + m->nsections &&
						     e == E_OK; k++)
			if (core.secs[k]->kind != LD_KIND_DATA)
				e = pair_one(p, i, tab, cap, core.secs[k],
					     ncd_str(&core.desc, core.desc.secs[k].name));
	} else {
		const struct ld_section *s = ld_crate_sections(p->old[i], &n);

		for (size_t k = 0; k < n && e == E_OK; k++)
			e = pair_one(p, i, tab, cap, &s[k], s[k].name);
	}
	kfree(tab);
	return e;
}

enum err swap_redirect_plan(struct swap_plan *p)
{
	size_t total = 0, n;
	enum err e = E_OK;

	for (unsigned i = 0; i < p->n; i++) {
		ld_crate_sections(p->old[i], &n);
		total += n;
	}
	p->npairs = 0;
	p->pairs = kmalloc((total ? total : 1) * sizeof(*p->pairs));
	if (!p->pairs) {
		pr_err("swap: out of heap for %zu section pairs\n", total);
		return E_NO_HEAP;
	}
	for (unsigned i = 0; i < p->n && e == E_OK; i++)
		e = pair_member(p, i);
	if (e == E_OK)
		e = ld_redirect_plan(crates_namespace(), p->pairs, p->npairs, swap_retiring, p,
				     &p->redirect);
	if (e != E_OK) {
		kfree(p->pairs);
		p->pairs = NULL;
	}
	return e;
}

void swap_redirect_commit(struct swap_plan *p, struct ld_redirect_stats *st)
{
	ld_redirect_commit(p->redirect, st);
	kfree(p->pairs);
	p->pairs = NULL;
	p->redirect = NULL;
}

void swap_redirect_abort(struct swap_plan *p)
{
	kfree(p->pairs);
	p->pairs = NULL;
}
