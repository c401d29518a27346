/*
 * The swap's redirect (step (5) of txn.c): pair every text/rodata section of
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
#include <lib/util.h>
#include "swap_internal.h"

/* Module index of a nano_core section. */
static uint32_t core_module_of(const struct ld_section *s)
{
	return core.desc.secs[s - core.secs].module;
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


/* A walk over a crate's sections in ELF index order (the loader's GOT, with
 * none, left out): its own array when already in that order (a crate
 * without collections: the loader keeps the object's order), else a table
 * by index. */
struct index_walk {
	const struct ld_section *s, **by_index;
	size_t n, at;
};

static enum err index_walk_init(struct index_walk *w, const struct ld_crate *c)
{
	size_t last = 0, top = 0;
	bool sorted = true;

	size_t n;

	*w = (struct index_walk){ .s = ld_crate_sections(c, &n) };
	w->n = n;
	for (size_t k = 0; k < w->n; k++) {
		if (!w->s[k].elf_index)
			continue;
		sorted &= w->s[k].elf_index > last;
		last = w->s[k].elf_index;
		top = MAX(top, last);
	}
	if (sorted)
		return E_OK;
	w->by_index = kzalloc((top + 1) * sizeof(*w->by_index));
	if (!w->by_index) {
		pr_err("swap: out of heap to order %s's sections\n", ld_crate_name(c));
		return E_NO_HEAP;
	}
	for (size_t k = 0; k < w->n; k++)
		if (w->s[k].elf_index)
			w->by_index[w->s[k].elf_index] = &w->s[k];
	w->n = top + 1;
	return E_OK;
}

/* The next section by index, or NULL. */
static const struct ld_section *index_walk_next(struct index_walk *w)
{
	while (w->at < w->n) {
		const struct ld_section *s = w->by_index ? w->by_index[w->at++] : &w->s[w->at++];

		if (s && s->elf_index)
			return s;
	}
	return NULL;
}

/* The first edge into old section s from a section that stays live (one
 * with relocations), or NULL. */
static const struct ld_dep *live_reference(struct swap_plan *p, const struct ld_section *s)
{
	for (const struct ld_dep *d = s->dependents; d; d = d->next_dependent)
		if (d->nrelocs && !swap_retiring(p, d->source))
			return d;
	return NULL;
}


/* The new copy's section called `name`, by a name index built on first use
 * (*tab, *cap). NULL if it has none (or no heap: *e). */
static const struct ld_section *new_section(const struct swap_plan *p, unsigned i,
					    const char *name, const struct ld_section ***tab,
					    size_t *cap, enum err *e)
{
	if (!*tab)
		*tab = index_sections(p->new_[i], cap);
	if (!*tab) {
		pr_err("swap: out of heap to index %s's sections\n", ld_crate_name(p->new_[i]));
		*e = E_NO_HEAP;
		return NULL;
	}
	return find_by_name(*tab, *cap, name);
}

/*
 * Pair member i's old sections [first, end) of `old` (the nano_core's run of
 * the module, its data left out: the new copy is bound to it; or a last
 * copy's every section) with the new copy's: each old section that something
 * live still refers to needs its namesake, of the same kind, and of the same
 * size unless every live reference lands at its start (a new version's
 * function grew) and its data layout did not change; the others retire
 * unpaired. For the nano_core, the k-th section of the module is the new
 * copy's k-th by ELF index when the object is the one linked: that guess is
 * checked first, the name index built only if it fails.
 */
static enum err pair_member_sections(struct swap_plan *p, unsigned i,
				     const struct ld_section *old, size_t first, size_t end)
{
	const struct ld_section **tab = NULL;
	struct index_walk w = { 0 };
	bool positional = old == core.secs;
	size_t cap = 0;
	enum err e = positional ? index_walk_init(&w, p->new_[i]) : E_OK;

	for (size_t k = first; k < end && e == E_OK; k++) {
		const struct ld_section *s = &old[k], *guess = positional ? index_walk_next(&w) : NULL;
		const char *name = positional ? strchr(s->name, ':') + 1 : s->name;
		const struct ld_dep *d;
		const struct ld_section *to;

		if ((positional && s->kind == LD_KIND_DATA) || !(d = live_reference(p, s)))
			continue; /* bound to the real data; or nothing live refers to it */
		to = guess && guess->kind == s->kind && strcmp(guess->name, name) == 0
			     ? guess : new_section(p, i, name, &tab, &cap, &e);
		if (e != E_OK)
			break;
		if (to && to->kind == s->kind) { /* laid out anew: references at its start only */
			p->pairs[p->npairs++] = (struct ld_redirect_pair){
				.old = s, .new_ = to,
				.starts_only = to->size != s->size ||
					       (p->layout_changed[i] && s->kind == LD_KIND_DATA) };
			continue;
		}
		pr_err("swap: %s: has no %s of %lu bytes, which %s's %s still refers to (%u "
		       "relocations)\n", p->object[i], s->name, s->size,
		       ld_crate_name(d->source->crate), d->source->name, d->nrelocs);
		e = E_SWAP_STILL_USED;
	}
	kfree(tab);
	kfree(w.by_index);
	return e;
}

/* Pair member i's old sections with its new ones (pair_member_sections). */
static enum err pair_member(struct swap_plan *p, unsigned i)
{
	const struct ncd_module *m;
	const struct ld_section *s;
	size_t n;

	if (p->old[i] != core.crate) {
		s = ld_crate_sections(p->old[i], &n);
		return pair_member_sections(p, i, s, 0, n);
	}
	m = &core.desc.mods[p->module[i]];
	return pair_member_sections(p, i, core.secs, m->first_section,
				    m->first_section + m->nsections);
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
		pr_err("swap: %s%s: out of heap for %zu section pairs\n",
		       p->n && p->object[0] ? p->object[0] : "?",
		       p->n > 1 ? " and the rest of the group" : "", total);
		return E_NO_HEAP;
	}
	heap_mark_metadata(p->pairs); /* (describes old code; its padding holds residue) */
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

void swap_redirect_abort(struct swap_plan *p)
{
	if (p->redirect)
		ld_redirect_abort(p->redirect); /* its aliases unmapped, the plan freed */
	p->redirect = NULL;
	kfree(p->pairs);
	p->pairs = NULL;
}
