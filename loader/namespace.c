/*
 * The namespace: its creation and destruction, unloading a crate (refused
 * while another crate depends on it), and the read-only queries of the public
 * API (lookup, symbolization, iteration over crates, sections, symbols and
 * relocation records).
 */
#include "internal.h"
#include <nanoswap/probe.h>

MODULE_PROBE(loader)

enum err ld_namespace_create(const struct ld_services *svc, struct ld_namespace **out)
{
	struct ld_namespace *ns;

	if (!svc || !out) {
		if (svc) /* (without services there is no log to tell) */
			LD_LOG(svc, "ld_namespace_create without an out pointer");
		return E_INVALID_ARG;
	}
	ns = ld_alloc(svc, sizeof(*ns));
	if (!ns) {
		LD_LOG(svc, "out of heap for a namespace (%lu bytes)", (unsigned long)sizeof(*ns));
		return E_NO_HEAP;
	}
	ns->svc = svc;
	ns->hash_seed = svc->clock ? svc->clock(svc->ctx) * 0x9e3779b97f4a7c15ull : 0;
	*out = ns;
	return E_OK;
}

void ld_namespace_set_services(struct ld_namespace *ns, const struct ld_services *svc)
{
	ns->svc = svc;
}

const struct ld_services *ld_namespace_services(const struct ld_namespace *ns)
{
	return ns->svc;
}

/* Remove a committed crate from the namespace and free it. */
static void ld_crate_remove(struct ld_namespace *ns, struct ld_crate *c)
{
	ld_symbols_withdraw(ns, c);
	ld_deps_unlink_dependents(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		ns->first = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		ns->last = c->prev;
	ld_crate_free(ns->svc, c);
}

void ld_namespace_destroy(struct ld_namespace *ns)
{
	if (!ns)
		return;
	/* crates may depend on each other in cycles (a group load): unlink
	 * every edge before any crate's sections are freed */
	for (struct ld_crate *c = ns->first; c; c = c->next)
		ld_deps_unlink_dependents(c);
	while (ns->last)
		ld_crate_remove(ns, ns->last);
	ns->svc->heap_free(ns->svc->ctx, ns->buckets);
	ns->svc->heap_free(ns->svc->ctx, ns);
}

/* Log each other crate that depends on `c` once; return how many. */
static unsigned long ld_log_users(const struct ld_crate *c)
{
	const struct ld_crate *u;
	unsigned long n = 0;

	for (u = c->ns->first; u; u = u->next) {
		size_t i;
		const struct ld_dep *d;
		bool uses = false;

		for (i = 0; u != c && i < u->nsections && !uses; i++)
			for (d = u->sections[i].deps; d && !uses; d = d->next_dep)
				uses = d->target->crate == c;
		if (uses) {
			LD_LOG(c->ns->svc, "%s: still used by crate '%s'", c->name, u->name);
			n++;
		}
	}
	return n;
}

enum err ld_unload(struct ld_namespace *ns, struct ld_crate *crate)
{
	if (!ns || !crate || crate->ns != ns) {
		if (ns)
			LD_LOG(ns->svc, "%s: ld_unload: %s", crate ? crate->name : "?",
			       crate ? "the crate is another namespace's" : "no crate");
		return E_INVALID_ARG;
	}
	if (!crate->live) {
		LD_LOG(ns->svc, "%s: cannot unload: the crate was never committed", crate->name);
		return E_LD_BAD_STATE;
	}
	if (ld_deps_first_user(crate)) {
		unsigned long n = ld_log_users(crate);

		LD_LOG(ns->svc, "%s: cannot unload, %lu crates depend on it", crate->name, n);
		return E_LD_IN_USE;
	}
	ld_crate_remove(ns, crate);
	return E_OK;
}

/* Is crate u one of the n crates of set? */
static bool ld_in_set(struct ld_crate *const *set, size_t n, const struct ld_crate *u)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == u)
			return true;
	return false;
}

enum err ld_unload_group(struct ld_namespace *ns, struct ld_crate *const *set, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (!set[k] || set[k]->ns != ns || !set[k]->live) {
			if (ns)
				LD_LOG(ns->svc, "%s: ld_unload_group: member %lu of %lu %s",
				       set[k] ? set[k]->name : "?", (unsigned long)k,
				       (unsigned long)n,
				       !set[k] ? "is NULL"
				       : set[k]->ns != ns ? "is another namespace's crate"
							  : "was never committed");
			return E_INVALID_ARG;
		}
		for (size_t i = 0; i < set[k]->nsections; i++)
			for (const struct ld_dep *d = set[k]->sections[i].dependents; d;
			     d = d->next_dependent) {
				if (ld_in_set(set, n, d->source->crate))
					continue;
				LD_LOG(ns->svc, "%s: cannot unload, crate '%s' depends on it",
				       set[k]->name, ld_crate_name(d->source->crate));
				return E_LD_IN_USE;
			}
	}
	for (size_t k = 0; k < n; k++) /* edges between members: unlinked first */
		ld_deps_unlink_dependents(set[k]);
	for (size_t k = 0; k < n; k++)
		ld_crate_remove(ns, set[k]);
	return E_OK;
}

enum err ld_lookup(const struct ld_namespace *ns, const char *name,
		   const struct ld_symbol **out)
{
	const struct ld_symbol *s = ld_symbols_find(ns, name);

	if (!s)
		return E_LD_NOT_FOUND;
	*out = s;
	return E_OK;
}

/* The best symbol of crate `c` for `addr`: containing, else nearest below. */
static const struct ld_symbol *ld_symbolize_crate(const struct ld_crate *c,
						  uint64_t addr)
{
	const struct ld_symbol *best = NULL;
	size_t i;

	for (i = 0; i < c->nsymbols; i++) {
		const struct ld_symbol *s = &c->symbols[i];

		if (!s->section || addr < s->addr ||
		    addr >= s->section->addr + s->section->size)
			continue;
		if (addr < s->addr + s->size)
			return s;
		if (!best || s->addr > best->addr)
			best = s;
	}
	return best;
}

enum err ld_symbolize(const struct ld_namespace *ns, uint64_t addr,
		      const struct ld_symbol **out)
{
	const struct ld_crate *c;

	for (c = ns->first; c; c = c->next) {
		const struct ld_symbol *s = ld_symbolize_crate(c, addr);

		if (s) {
			*out = s;
			return E_OK;
		}
	}
	return E_LD_NOT_FOUND;
}

enum err ld_section_at(const struct ld_namespace *ns, uint64_t addr,
		       const struct ld_section **out)
{
	for (const struct ld_crate *c = ns->first; c; c = c->next)
		for (size_t i = 0; i < c->nsections; i++)
			if (addr - c->sections[i].addr < c->sections[i].size) {
				*out = &c->sections[i];
				return E_OK;
			}
	return E_LD_NOT_FOUND;
}

enum err ld_find_crate(const struct ld_namespace *ns, const char *name,
		       struct ld_crate **out)
{
	struct ld_crate *c;

	for (c = ns->first; c; c = c->next) {
		if (c->name[0] == name[0] && ld_strcmp(c->name, name) == 0) {
			*out = c;
			return E_OK;
		}
	}
	return E_LD_NOT_FOUND;
}

struct ld_crate *ld_crate_first(const struct ld_namespace *ns)
{
	return ns->first;
}

struct ld_crate *ld_crate_next(const struct ld_crate *crate)
{
	return crate->next;
}

const char *ld_crate_name(const struct ld_crate *crate)
{
	return crate->name;
}

const struct ld_section *ld_crate_sections(const struct ld_crate *crate,
					   size_t *count)
{
	*count = crate->nsections;
	return crate->sections;
}

const struct ld_symbol *ld_crate_symbols(const struct ld_crate *crate, size_t *count)
{
	*count = crate->nsymbols;
	return crate->symbols;
}

enum err ld_crate_find_section(const struct ld_crate *crate, const char *name,
			       const struct ld_section **out)
{
	size_t i;

	for (i = 0; i < crate->nsections; i++) {
		if (ld_strcmp(crate->sections[i].name, name) == 0) {
			*out = &crate->sections[i];
			return E_OK;
		}
	}
	return E_LD_NOT_FOUND;
}
