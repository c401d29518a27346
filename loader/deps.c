/*
 * Dependencies between sections: one edge per (source section, target
 * section) pair, with the number of relocations behind it, linked into the
 * source's `deps` while the crate loads and into the target's `dependents`
 * only when the crate is committed, so a failed load never touches another
 * crate's lists. Edges are found in O(1) (a per-source stamp on the target,
 * see internal.h) and carved out of chunks the source crate owns.
 */
#include "internal.h"

/* The first chunk holds this many edges; each next one four times as many. */
#define LD_DEP_CHUNK_MIN 32u
#define LD_DEP_CHUNK_MAX 4096u

struct ld_dep_chunk *ld_deps_grow(struct ld_crate *c)
{
	struct ld_dep_chunk *k = c->dep_chunks;
	uint32_t cap = k ? k->cap * 4 : LD_DEP_CHUNK_MIN;

	if (cap > LD_DEP_CHUNK_MAX)
		cap = LD_DEP_CHUNK_MAX;
	k = ld_alloc_raw(c->ns->svc, sizeof(*k) + cap * sizeof(struct ld_dep));
	if (!k) {
		LD_LOG(c->ns->svc, "%s: out of heap for dependency edges", c->name);
		return NULL;
	}
	k->next = c->dep_chunks;
	k->used = 0;
	k->cap = cap;
	c->dep_chunks = k;
	return k;
}

/* Record that `sec` lives in `old`'s memory: an edge without relocations. */
enum err ld_deps_add_binding(struct ld_crate *c, struct ld_section *sec,
			     const struct ld_section *old)
{
	return ld_deps_link(c, sec, (struct ld_section *)old, 0) ? E_OK : E_NO_HEAP;
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

/* Take edge d out of its target's dependents (if it is in them). */
static void ld_dep_unlink(struct ld_dep *d)
{
	if (!d->pprev_dependent)
		return;
	*d->pprev_dependent = d->next_dependent;
	if (d->next_dependent)
		d->next_dependent->pprev_dependent = d->pprev_dependent;
	d->pprev_dependent = NULL;
	d->next_dependent = NULL;
}

/* Undo ld_deps_link_dependents. */
void ld_deps_unlink_dependents(struct ld_crate *crate)
{
	size_t i;

	for (i = 0; i < crate->nsections; i++) {
		struct ld_dep *d;

		for (d = crate->sections[i].deps; d; d = d->next_dep)
			ld_dep_unlink(d);
	}
}

uint64_t ld_edge_probes(const struct ld_namespace *ns)
{
	return ns->edge_probes;
}

void ld_section_drop_deps(struct ld_crate *crate, size_t index)
{
	struct ld_section *s;

	if (index >= crate->nsections)
		LD_BUG(crate->ns->svc, "ld_section_drop_deps: no such section");
	s = &crate->sections[index];
	for (struct ld_dep *d = s->deps; d; d = d->next_dep)
		ld_dep_unlink(d);
	s->deps = NULL;	/* (the edges' memory goes with the crate) */
}

/* Free every edge whose source is in the crate (unlinked already). */
void ld_deps_free(const struct ld_services *svc, struct ld_crate *crate)
{
	struct ld_dep_chunk *k, *next;

	for (k = crate->dep_chunks; k; k = next) {
		next = k->next;
		svc->heap_free(svc->ctx, k);
	}
	crate->dep_chunks = NULL;
	for (size_t i = 0; crate->sections && i < crate->nsections; i++)
		crate->sections[i].deps = NULL;
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
