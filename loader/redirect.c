/*
 * Redirect: make every reference to a section that is being replaced refer to
 * its replacement instead, so the old copy can be retired. The references are
 * the dependency edges into each old section; each relocation behind an edge
 * is read back (ld_reloc_next) and re-applied with the new target. Planning
 * computes every new field and where it is written, checks it fits and maps a
 * writable alias of each read-only page to patch; nothing is written. The
 * switch writes (a field in writable data only if it still holds its
 * link-time value: a word changed at run time is left alone) and moves the
 * edges and the crates' records to the new sections: plain stores, no call,
 * so no code it redirects runs inside it, and it cannot fail. Until the plan
 * is finished, ld_redirect_undo puts every field, edge and record back.
 */
#include "internal.h"

/* One field to rewrite. */
struct ld_patch {
	uint64_t place;              /* run address */
	uint8_t *at;                 /* where it is written (an alias, for code) */
	uint64_t old_field, new_field;
	uint8_t width;
	bool data;                   /* writable data: compare before writing */
	bool written;                /* by the switch (a data word may be left alone) */
	struct ld_dep *edge;         /* the edge it belongs to */
	const struct ld_section *new_target;
};

/* A live edge into an old section, and the section it moves to. */
struct ld_move {
	struct ld_dep *edge;
	const struct ld_section *old, *new_;
	bool first_of_crate;         /* the first move from its source's crate */
	uint64_t rec_first, nrecs;   /* a hand-built source: its records into old,
				      * rec_idx[rec_first..+nrecs) (planned) */
};

/* A crate's binding (a resolved import) into an old section of a pair. */
struct ld_binding_move {
	struct ld_crate *crate;
	uint32_t index;
	const struct ld_redirect_pair *pair;
};

struct ld_redirect {
	struct ld_namespace *ns;
	struct ld_patch *patches;
	size_t npatches;
	struct ld_move *moves;       /* each live edge once */
	size_t nmoves;
	uint64_t *rec_idx;           /* the moves' record indices (ld_redirect_index_records) */
	struct ld_binding_move *bind; /* the bindings into a pair's old section */
	size_t nbind;
	const struct ld_redirect_pair **map; /* by old section (ld_pair_of) */
	size_t map_cap;
	enum { LD_REDIRECT_PLANNED, LD_REDIRECT_SWITCHED, LD_REDIRECT_UNDONE } state;
	uint64_t *pages;             /* read-only pages to patch, sorted */
	void **alias;                /* their writable aliases */
	size_t npages, naliased;
	const struct ld_redirect_pair *pairs;
	size_t npairs;
};

/* Does relocation type `type` at `place` encode `sa` (S + A)? The field. */
static enum err ld_redirect_field(struct ld_redirect *r, const struct ld_reloc *rel,
				  const struct ld_section *target, uint64_t *field,
				  unsigned *width)
{
	uint64_t sa = target->addr + rel->target_offset + (uint64_t)rel->addend;
	enum err e = arch_reloc_field(rel->type, sa, rel->source->addr + rel->offset, field,
				      width);

	if (e == E_LD_RELOC_OVERFLOW)
		LD_LOG(r->ns->svc, "redirect: %s:%s+%lx: %s to %s:%s (S + A = %lx at %lx) does "
		       "not fit (code that refers to the module area must be compiled with "
		       "-mcmodel=kernel)", ld_crate_name(rel->source->crate), rel->source->name,
		       (unsigned long)rel->offset, arch_reloc_name(rel->type),
		       ld_crate_name(target->crate), target->name, (unsigned long)sa,
		       (unsigned long)(rel->source->addr + rel->offset));
	else if (e != E_OK)
		LD_LOG(r->ns->svc, "redirect: %s:%s+%lx: %s cannot be redirected",
		       ld_crate_name(rel->source->crate), rel->source->name,
		       (unsigned long)rel->offset, arch_reloc_name(rel->type));
	return e;
}

/* The bytes now at run address `place` (width bytes); ~0 if unreadable. */
static uint64_t ld_read_field(const struct ld_services *svc, uint64_t place, unsigned width)
{
	const void *view = svc->vrange_writable(svc->ctx, place, width); /* a readable view */
	uint64_t v = 0;

	if (!view)
		return ~0ull;
	ld_memcpy(&v, view, width);
	return v;
}

/* Plan the patch of relocation rel, on edge d (into old), redirected to new. */
static enum err ld_redirect_one(struct ld_redirect *r, struct ld_dep *d,
				const struct ld_reloc *rel, const struct ld_section *new_)
{
	struct ld_patch *p = &r->patches[r->npatches];
	unsigned w;
	enum err e = ld_redirect_field(r, rel, d->target, &p->old_field, &w);

	if (e == E_OK)
		e = ld_redirect_field(r, rel, new_, &p->new_field, &w);
	if (e != E_OK)
		return e;
	p->place = rel->source->addr + rel->offset;
	p->width = (uint8_t)w;
	p->data = rel->source->kind == LD_KIND_DATA;
	p->written = false;
	p->edge = d;
	p->new_target = new_;
	/* a data word's writable view now, so that the switch calls nothing
	 * (a code field's bytes go through the aliases, found by search) */
	p->at = p->data ? r->ns->svc->vrange_writable(r->ns->svc->ctx, p->place, w) : NULL;
	if (p->data && !p->at) {
		LD_LOG(r->ns->svc, "redirect: %s:%s+%lx: no writable view of the data word at %lx",
		       ld_crate_name(rel->source->crate), rel->source->name,
		       (unsigned long)rel->offset, (unsigned long)p->place);
		return E_LD_BAD_STATE;
	}
	if (!p->data && ld_read_field(r->ns->svc, p->place, w) != p->old_field) {
		LD_LOG(r->ns->svc, "redirect: %s:%s+%lx holds %lx, not the %lx its "
		       "relocation gives: the description does not match memory",
		       ld_crate_name(rel->source->crate), rel->source->name,
		       (unsigned long)rel->offset,
		       (unsigned long)ld_read_field(r->ns->svc, p->place, w),
		       (unsigned long)p->old_field);
		return E_LD_BAD_STATE;
	}
	r->npatches++;
	return E_OK;
}

/* Old sections to their pair (r->map): open addressing on the pointer. */
static size_t ld_pair_hash(const struct ld_section *s, size_t cap)
{
	return (size_t)(((uintptr_t)s >> 4) * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
}

static const struct ld_redirect_pair *ld_pair_of(const struct ld_redirect *r,
						 const struct ld_section *s)
{
	for (size_t h = ld_pair_hash(s, r->map_cap); r->map[h]; h = (h + 1) & (r->map_cap - 1))
		if (r->map[h]->old == s)
			return r->map[h];
	return NULL;
}

/* Plan the patches of live source section src, reading its relocations once:
 * each one into an old section (an edge from src marks it) is redirected. */
static enum err ld_redirect_source(struct ld_redirect *r, const struct ld_section *src)
{
	uint64_t stamp = ld_deps_stamp(r->ns);
	struct ld_reloc_iter it;
	struct ld_reloc rel;
	enum err e = E_OK;

	for (struct ld_dep *d = src->deps; d; d = d->next_dep) {
		if (!ld_pair_of(r, d->target))
			continue;
		d->target->dep_stamp = stamp; /* (the loader's edge finder, reused) */
		d->target->dep_last = d;
	}
	ld_relocs_of_section(&it, src);
	it.stamp = stamp; /* (entries to other targets skipped early) */
	while (e == E_OK && ld_reloc_next(&it, &rel)) {
		const struct ld_redirect_pair *p;

		if (!rel.target || rel.target->dep_stamp != stamp)
			continue;
		p = ld_pair_of(r, rel.target);
		if (p->starts_only && (rel.target_offset || rel.addend > 0 || rel.addend < -8)) {
			LD_LOG(r->ns->svc, "redirect: %s:%s+%lx refers to %s:%s+%lx%+ld, inside a "
			       "section laid out anew", ld_crate_name(src->crate), src->name,
			       (unsigned long)rel.offset, ld_crate_name(rel.target->crate),
			       rel.target->name, (unsigned long)rel.target_offset, (long)rel.addend);
			return E_LD_REDIRECT_INSIDE;
		}
		e = ld_redirect_one(r, rel.target->dep_last, &rel, p->new_);
	}
	return e;
}

/* Sort and deduplicate the read-only pages the patches touch. */
static void ld_redirect_pages(struct ld_redirect *r)
{
	size_t n = 0, i, k;

	for (i = 0; i < r->npatches; i++) { /* (a page repeated next to itself: once) */
		uint64_t first = r->patches[i].place & ~(LD_PAGE_SIZE - 1);
		uint64_t last = (r->patches[i].place + r->patches[i].width - 1) &
				~(LD_PAGE_SIZE - 1);

		if (r->patches[i].data)
			continue;
		if (n == 0 || r->pages[n - 1] != first)
			r->pages[n++] = first;
		if (last != first)
			r->pages[n++] = last;
	}
	for (i = 1; i < n; i++) { /* insertion sort: patches come in page runs */
		uint64_t v = r->pages[i];

		for (k = i; k > 0 && r->pages[k - 1] > v; k--)
			r->pages[k] = r->pages[k - 1];
		r->pages[k] = v;
	}
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || r->pages[k - 1] != r->pages[i])
			r->pages[k++] = r->pages[i];
	r->npages = k;
}

/* Count the relocations to plan: every live edge into every old section. */
static size_t ld_redirect_count(const struct ld_redirect_pair *pairs, size_t n,
				bool (*retiring)(void *ctx, const struct ld_section *s),
				void *ctx)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		for (const struct ld_dep *d = pairs[i].old->dependents; d; d = d->next_dependent)
			if (!retiring(ctx, d->source))
				total += d->nrelocs;
	return total;
}

void ld_redirect_abort(struct ld_redirect *r)
{
	const struct ld_services *svc;

	if (!r)
		return;
	svc = r->ns->svc;
	for (size_t i = 0; i < r->naliased; i++)
		svc->alias_unmap(svc->ctx, r->alias[i]);
	svc->heap_free(svc->ctx, r->alias);
	svc->heap_free(svc->ctx, r->pages);
	svc->heap_free(svc->ctx, r->patches);
	svc->heap_free(svc->ctx, r->moves);
	svc->heap_free(svc->ctx, r->rec_idx);
	svc->heap_free(svc->ctx, r->bind);
	svc->heap_free(svc->ctx, r->map);
	svc->heap_free(svc->ctx, r);
}

/* Map a writable alias of every read-only page to patch. */
static enum err ld_redirect_alias(struct ld_redirect *r)
{
	const struct ld_services *svc = r->ns->svc;

	if (r->npages && !svc->alias_map) {
		LD_LOG(svc, "redirect: %lu read-only pages to patch, and the services map no "
		       "writable alias", (unsigned long)r->npages);
		return E_INVALID_ARG;
	}
	for (; r->naliased < r->npages; r->naliased++) {
		r->alias[r->naliased] = svc->alias_map(svc->ctx, r->pages[r->naliased]);
		if (!r->alias[r->naliased]) {
			LD_LOG(svc, "redirect: no writable alias of the page at %lx",
			       (unsigned long)r->pages[r->naliased]);
			return E_NO_VSPACE;
		}
	}
	return E_OK;
}

/* The writable byte behind run address a of a code field: its alias (a
 * search, no call: the plan put every page there). */
static uint8_t *ld_redirect_byte(const struct ld_redirect *r, uint64_t a)
{
	size_t lo = 0, hi = r->npages;
	uint64_t page = a & ~(LD_PAGE_SIZE - 1);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->pages[mid] < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint8_t *)r->alias[lo] + (a - page);
}

/* Each code patch within one page gets its alias address now, so that the
 * switch (with the other threads stopped) writes it without a search. */
static void ld_redirect_resolve_code(struct ld_redirect *r)
{
	for (size_t i = 0; i < r->npatches; i++) {
		struct ld_patch *p = &r->patches[i];

		if (!p->data && (p->place & (LD_PAGE_SIZE - 1)) + p->width <= LD_PAGE_SIZE)
			p->at = ld_redirect_byte(r, p->place);
	}
}

/* For each move from a hand-built source (the nano_core's records), the
 * indices of its records into the old section: the switch rewrites those
 * only, not every record of the source. E_NO_HEAP. */
static enum err ld_redirect_index_records(struct ld_redirect *r)
{
	uint64_t total = 0, k = 0;

	for (size_t i = 0; i < r->nmoves; i++) {
		struct ld_move *m = &r->moves[i];
		const struct ld_reloc *rec = m->edge->source->recs;

		m->nrecs = 0;
		if (rec)
			for (uint64_t j = 0; j < m->edge->source->nrelocs; j++)
				m->nrecs += rec[j].target == m->old;
		total += m->nrecs;
	}
	uint64_t nbind = 0;

	for (size_t i = 0; i < r->nmoves; i++) {
		struct ld_crate *c = r->moves[i].edge->source->crate;

		if (r->moves[i].edge->source->recs || !r->moves[i].first_of_crate)
			continue;
		for (uint32_t b = 0; b < c->nbindings; b++)
			nbind += c->bindings[b].section && ld_pair_of(r, c->bindings[b].section);
	}
	r->bind = ld_alloc_raw(r->ns->svc, (nbind + 1) * sizeof(*r->bind));
	r->rec_idx = ld_alloc_raw(r->ns->svc, (total + 1) * sizeof(*r->rec_idx));
	if (!r->rec_idx || !r->bind) {
		LD_LOG(r->ns->svc, "redirect: %s: out of heap for %lu record indices and %lu "
		       "bindings to rewrite", r->npairs ? ld_crate_name(r->pairs[0].old->crate) : "?",
		       (unsigned long)total, (unsigned long)nbind);
		return E_NO_HEAP;
	}
	for (size_t i = 0; i < r->nmoves; i++) {
		struct ld_move *m = &r->moves[i];
		const struct ld_reloc *rec = m->edge->source->recs;

		m->rec_first = k;
		if (rec)
			for (uint64_t j = 0; j < m->edge->source->nrelocs; j++)
				if (rec[j].target == m->old)
					r->rec_idx[k++] = j;
	}
	r->nbind = 0;
	for (size_t i = 0; i < r->nmoves; i++) {
		struct ld_crate *c = r->moves[i].edge->source->crate;

		if (r->moves[i].edge->source->recs || !r->moves[i].first_of_crate)
			continue;
		for (uint32_t b = 0; b < c->nbindings; b++) {
			const struct ld_redirect_pair *p = !c->bindings[b].section ? NULL :
							   ld_pair_of(r, c->bindings[b].section);

			if (p)
				r->bind[r->nbind++] = (struct ld_binding_move){ c, b, p };
		}
	}
	return E_OK;
}

/* Is edge d the first planned move from its source's crate? (A loaded
 * crate's bindings are moved once, with its first edge; a few crates.) */
static bool ld_first_of_crate(const struct ld_redirect *r, const struct ld_dep *d)
{
	if (d->source->recs)
		return false; /* a hand-built source: its records move per edge */
	for (size_t k = 0; k < r->nmoves; k++)
		if (!r->moves[k].edge->source->recs &&
		    r->moves[k].edge->source->crate == d->source->crate)
			return false;
	return true;
}

enum err ld_redirect_plan(struct ld_namespace *ns, const struct ld_redirect_pair *pairs,
			  size_t n, bool (*retiring)(void *ctx, const struct ld_section *s),
			  void *ctx, struct ld_redirect **out)
{
	const struct ld_services *svc = ns->svc;
	size_t total = ld_redirect_count(pairs, n, retiring, ctx), nedges = 0, nsrc = 0;
	struct ld_redirect *r = ld_alloc(svc, sizeof(*r));
	size_t cap = 16;
	const struct ld_section **src = NULL;
	uint64_t seen = ld_deps_stamp(ns);
	enum err e = E_OK;

	for (size_t i = 0; i < n; i++)
		for (const struct ld_dep *d = pairs[i].old->dependents; d; d = d->next_dependent)
			nedges++;
	while (cap < 2 * n)
		cap *= 2;
	if (r) {
		r->ns = ns;
		r->pairs = pairs;
		r->npairs = n;
		r->patches = ld_alloc_raw(svc, total * sizeof(*r->patches));
		r->pages = ld_alloc_raw(svc, 2 * total * sizeof(*r->pages));
		r->alias = ld_alloc(svc, 2 * total * sizeof(*r->alias));
		r->moves = ld_alloc_raw(svc, (nedges + 1) * sizeof(*r->moves));
		r->map_cap = cap;
		r->map = ld_alloc(svc, cap * sizeof(*r->map));
		src = ld_alloc_raw(svc, (nedges + 1) * sizeof(*src));
	}
	if (!r || !r->patches || !r->pages || !r->alias || !r->moves || !r->map || !src) {
		LD_LOG(svc, "redirect: %s: out of heap to plan %lu fields on %lu edges into %lu "
		       "sections (the first %s, to %s)", n ? ld_crate_name(pairs[0].old->crate) : "?",
		       (unsigned long)total, (unsigned long)nedges, (unsigned long)n,
		       n ? pairs[0].old->name : "?", n ? ld_crate_name(pairs[0].new_->crate) : "?");
		svc->heap_free(svc->ctx, src);
		ld_redirect_abort(r);
		return E_NO_HEAP;
	}
	for (size_t i = 0; i < n; i++) { /* the pairs by old section */
		size_t h = ld_pair_hash(pairs[i].old, cap);

		while (r->map[h])
			h = (h + 1) & (cap - 1);
		r->map[h] = &pairs[i];
	}
	for (size_t i = 0; i < n; i++) /* each live edge to move; each source once */
		for (struct ld_dep *d = pairs[i].old->dependents; d; d = d->next_dependent) {
			if (!d->nrelocs || retiring(ctx, d->source))
				continue; /* (a binding edge has nothing to redirect) */
			bool first = ld_first_of_crate(r, d);

			r->moves[r->nmoves++] = (struct ld_move){ .edge = d, .old = pairs[i].old,
								  .new_ = pairs[i].new_,
								  .first_of_crate = first };
			if (d->source->dep_stamp != seen) {
				d->source->dep_stamp = seen;
				src[nsrc++] = d->source;
			}
		}
	for (size_t i = 0; i < nsrc && e == E_OK; i++)
		e = ld_redirect_source(r, src[i]);
	svc->heap_free(svc->ctx, src);
	if (e == E_OK) {
		ld_redirect_pages(r);
		e = ld_redirect_alias(r);
	}
	if (e == E_OK)
		e = ld_redirect_index_records(r);
	if (e != E_OK) {
		ld_redirect_abort(r);
		return e;
	}
	ld_redirect_resolve_code(r);
	*out = r;
	return E_OK;
}

/* The field of patch p as it is in memory now. */
static uint64_t ld_patch_read(const struct ld_redirect *r, const struct ld_patch *p)
{
	uint64_t v = 0;

	for (unsigned b = 0; b < p->width; b++)
		v |= (uint64_t)(p->at ? p->at[b] : *ld_redirect_byte(r, p->place + b)) << (8 * b);
	return v;
}

static void ld_patch_write(const struct ld_redirect *r, const struct ld_patch *p, uint64_t v)
{
	for (unsigned b = 0; b < p->width; b++)
		*(p->at ? &p->at[b] : ld_redirect_byte(r, p->place + b)) = (uint8_t)(v >> (8 * b));
}

/* A hand-built source's records of this move's relocations now name `to`. */
static void ld_redirect_records(const struct ld_redirect *r, const struct ld_move *m,
				const struct ld_section *to)
{
	struct ld_reloc *rec = (struct ld_reloc *)m->edge->source->recs;

	for (uint64_t i = m->rec_first; i < m->rec_first + m->nrecs; i++)
		rec[r->rec_idx[i]].target = to;
}

/* The planned bindings into old sections now name the new ones (or back). */
static void ld_redirect_bindings(const struct ld_redirect *r, bool back)
{
	for (size_t i = 0; i < r->nbind; i++) {
		const struct ld_binding_move *m = &r->bind[i];
		struct ld_binding *b = &m->crate->bindings[m->index];

		b->section = back ? m->pair->old : m->pair->new_;
		b->value += back ? m->pair->old->addr - m->pair->new_->addr
				 : m->pair->new_->addr - m->pair->old->addr;
	}
}

/* Move edge d from its target to `to`. */
static void ld_redirect_move(struct ld_dep *d, struct ld_section *to)
{
	*d->pprev_dependent = d->next_dependent;
	if (d->next_dependent)
		d->next_dependent->pprev_dependent = d->pprev_dependent;
	d->target = to;
	d->next_dependent = to->dependents;
	if (d->next_dependent)
		d->next_dependent->pprev_dependent = &d->next_dependent;
	d->pprev_dependent = &to->dependents;
	to->dependents = d;
}

/* Move every planned edge (and its records or crate's bindings) to its new
 * section, or back to its old one. */
static void ld_redirect_move_all(struct ld_redirect *r, bool back)
{
	for (size_t i = 0; i < r->nmoves; i++) {
		const struct ld_move *m = &r->moves[i];
		struct ld_dep *d = m->edge;
		const struct ld_section *from = back ? m->new_ : m->old, *to = back ? m->old : m->new_;

		(void)from;
		if (d->source->recs)
			ld_redirect_records(r, m, to);
		ld_redirect_move(d, (struct ld_section *)to);
	}
	ld_redirect_bindings(r, back);
}

void ld_redirect_switch(struct ld_redirect *r, struct ld_redirect_stats *st)
{
	if (r->state != LD_REDIRECT_PLANNED)
		LD_BUG(r->ns->svc, "ld_redirect_switch: the plan was switched already");
	*st = (struct ld_redirect_stats){ .pages = r->npages, .edges = r->nmoves };
	for (size_t i = 0; i < r->npatches; i++) {
		struct ld_patch *p = &r->patches[i];

		/* a data word changed at run time no longer holds a relocated
		 * value: left alone (a retire scans for what it may point at) */
		p->written = !p->data || ld_patch_read(r, p) == p->old_field;
		if (p->written)
			ld_patch_write(r, p, p->new_field);
		st->written += p->written;
		st->kept += !p->written;
	}
	ld_redirect_move_all(r, false); /* (a word left alone: its edge moves all the same) */
	r->state = LD_REDIRECT_SWITCHED;
}

void ld_redirect_undo(struct ld_redirect *r)
{
	if (r->state != LD_REDIRECT_SWITCHED)
		LD_BUG(r->ns->svc, "ld_redirect_undo: the plan was not switched");
	for (size_t i = r->npatches; i-- > 0;) {
		const struct ld_patch *p = &r->patches[i];

		/* a data word the new code changed since is the new code's state */
		if (p->written && (!p->data || ld_patch_read(r, p) == p->new_field))
			ld_patch_write(r, p, p->old_field);
	}
	ld_redirect_move_all(r, true);
	r->state = LD_REDIRECT_UNDONE;
}

void ld_redirect_finish(struct ld_redirect *r)
{
	if (r->state == LD_REDIRECT_SWITCHED)
		for (size_t i = 0; i < r->npatches; i++)
			if (!r->patches[i].written)
				LD_LOG(r->ns->svc, "redirect: %s:%s: the word at %lx was changed at "
				       "run time: left as it is",
				       ld_crate_name(r->patches[i].edge->source->crate),
				       r->patches[i].edge->source->name,
				       (unsigned long)r->patches[i].place);
	ld_redirect_abort(r); /* unmaps the aliases and frees the plan */
}

void ld_redirect_commit(struct ld_redirect *r, struct ld_redirect_stats *st)
{
	ld_redirect_switch(r, st);
	ld_redirect_finish(r);
}
