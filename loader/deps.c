/*
 * Dependencies between sections, built from the relocation records: one edge
 * per (source section, target section) pair, listing its records, linked into
 * the source's `deps` while the crate loads and into the target's
 * `dependents` only when the crate is committed, so a failed load never
 * touches another crate. Unload unlinks them again.
 */
#include "internal.h"

/* Find or create the edge for rec's (source, target) and add rec to it. */
enum err ld_deps_record(const struct ld_services *svc, struct ld_reloc *rec)
{
	struct ld_section *src = (struct ld_section *)rec->source;
	struct ld_dep *d;

	if (!rec->target)
		return E_OK; /* absolute or undefined weak: no section to depend on */
	for (d = src->deps; d; d = d->next_dep)
		if (d->target == rec->target)
			break;
	if (!d) {
		d = ld_alloc(svc, sizeof(*d));
		if (!d)
			return E_NO_HEAP;
		d->source = src;
		d->target = (struct ld_section *)rec->target;
		d->next_dep = src->deps;
		src->deps = d;
	}
	rec->next_in_dep = d->relocs;
	d->relocs = rec;
	d->nrelocs++;
	return E_OK;
}

/* Record that `sec` lives in `old`'s memory: an edge without relocations. */
enum err ld_deps_add_binding(const struct ld_services *svc, struct ld_section *sec,
			     const struct ld_section *old)
{
	struct ld_dep *d = ld_alloc(svc, sizeof(*d));

	if (!d)
		return E_NO_HEAP;
	d->source = sec;
	d->target = (struct ld_section *)old;
	d->next_dep = sec->deps;
	sec->deps = d;
	return E_OK;
}

/* Commit: link every edge of the crate into its target's dependents. */
void ld_deps_link_dependents(struct ld_crate *crate)
{
	size_t i;

	for (i = 0; i < crate->nsections; i++) {
		struct ld_dep *d;

		for (d = crate->sections[i].deps; d; d = d->next_dep) {
			d->next_dependent = d->target->dependents;
			if (d->next_dependent)
				d->next_dependent->pprev_dependent = &d->next_dependent;
			d->pprev_dependent = &d->target->dependents;
			d->target->dependents = d;
		}
	}
}

/* Undo ld_deps_link_dependents. */
void ld_deps_unlink_dependents(struct ld_crate *crate)
{
	size_t i;

	for (i = 0; i < crate->nsections; i++) {
		struct ld_dep *d;

		for (d = crate->sections[i].deps; d; d = d->next_dep) {
			if (!d->pprev_dependent)
				continue;
			*d->pprev_dependent = d->next_dependent;
			if (d->next_dependent)
				d->next_dependent->pprev_dependent = d->pprev_dependent;
			d->pprev_dependent = NULL;
			d->next_dependent = NULL;
		}
	}
}

/* Free every edge whose source is in the crate (unlinked already). */
void ld_deps_free(const struct ld_services *svc, struct ld_crate *crate)
{
	size_t i;

	for (i = 0; i < crate->nsections; i++) {
		struct ld_dep *d = crate->sections[i].deps, *next;

		for (; d; d = next) {
			next = d->next_dep;
			svc->heap_free(svc->ctx, d);
		}
		crate->sections[i].deps = NULL;
	}
}

const struct ld_crate *ld_deps_first_user(const struct ld_crate *crate)
{
	size_t i;

	for (i = 0; i < crate->nsections; i++) {
		const struct ld_dep *d;

		for (d = crate->sections[i].dependents; d; d = d->next_dependent)
			if (d->source->crate != crate)
				return d->source->crate;
	}
	return NULL;
}
