/*
 * ld_load(): the load of one crate as a list of named stages. Every stage up
 * to the commit only builds private state (the new crate, its mapping, its
 * dependency edges in its own sections); any failure frees exactly that. The
 * commit cannot fail: it links the crate's dependencies into other crates,
 * publishes its symbols and appends it to the namespace. Each stage is one
 * pass over its table of the object, so a load costs O(size of the object).
 * The stages are numbered (1)-(12) in the body: the loader's own numbering,
 * not the swap's (nano_core_swap/txn.c), whose step (3) runs stages (1)-(11)
 * for each member and whose step (7) is the loader's (12).
 */
#include "internal.h"

void *ld_alloc_raw(const struct ld_services *svc, size_t size)
{
	return svc->heap_alloc(svc->ctx, size ? size : 1);
}

void *ld_alloc(const struct ld_services *svc, size_t size)
{
	void *p = svc->heap_alloc(svc->ctx, size ? size : 1);

	if (p)
		ld_memset(p, 0, size);
	return p;
}

char *ld_strdup(const struct ld_services *svc, const char *s)
{
	size_t n = ld_strlen(s) + 1;
	char *p = svc->heap_alloc(svc->ctx, n);

	if (p)
		ld_memcpy(p, s, n);
	return p;
}

static void *ld_dup_bytes(const struct ld_services *svc, const void *src, size_t n)
{
	void *p = svc->heap_alloc(svc->ctx, n ? n : 1);

	if (p)
		ld_memcpy(p, src, n);
	return p;
}

void ld_crate_free(const struct ld_services *svc, struct ld_crate *c)
{
	if (!c)
		return;
	ld_deps_free(svc, c);
	for (struct ld_name_chunk *k = c->names, *next; k; k = next) {
		next = k->next;
		svc->heap_free(svc->ctx, k);
	}
	if (c->mapped)
		svc->vrange_unmap(svc->ctx, c->base, c->span);
	if (c->reserved)
		svc->vrange_release(svc->ctx, c->base, c->span);
	svc->heap_free(svc->ctx, c->recs);
	svc->heap_free(svc->ctx, c->coll_names);
	svc->heap_free(svc->ctx, c->bindings);
	svc->heap_free(svc->ctx, c->groups);
	svc->heap_free(svc->ctx, c->rela_copy);
	svc->heap_free(svc->ctx, c->got_slot);
	svc->heap_free(svc->ctx, c->got_syms);
	svc->heap_free(svc->ctx, c->got_relaxed);
	svc->heap_free(svc->ctx, c->symbols);
	svc->heap_free(svc->ctx, c->sections);
	if (c->owns_strings) {
		svc->heap_free(svc->ctx, (char *)c->strtab);
		svc->heap_free(svc->ctx, (char *)c->shstrtab);
	}
	svc->heap_free(svc->ctx, c->name);
	svc->heap_free(svc->ctx, c);
}

/* The crate's names: the kept image's string tables, or copies of them. */
static bool ld_build_strings(struct ld_build *b)
{
	struct ld_crate *c = b->crate;

	if (b->opts && b->opts->keep_image) {
		c->strtab = b->f.str;
		c->shstrtab = b->f.shstr;
		return true;
	}
	c->owns_strings = true;
	c->strtab = ld_dup_bytes(b->svc, b->f.str, b->f.str_size);
	c->shstrtab = ld_dup_bytes(b->svc, b->f.shstr, b->f.shstr_size);
	return c->strtab && c->shstrtab;
}

/* The new crate and the per-load maps, sized from the validated file. The
 * bindings are filled, every entry, by the symbol stage: not zeroed here. */
static enum err ld_build_alloc(struct ld_build *b, const char *name)
{
	const struct elf_file *f = &b->f;
	struct ld_crate *c;

	c = b->crate = ld_alloc(b->svc, sizeof(*c));
	if (!c) {
		LD_LOG(b->svc, "%s: out of heap for the crate", name);
		return E_NO_HEAP;
	}
	c->ns = b->ns;
	c->name = ld_strdup(b->svc, name);
	/* (every entry is written by the layout's first pass: not zeroed here) */
	b->secmap = ld_alloc_raw(b->svc, f->shnum * sizeof(*b->secmap));
	b->bindings = c->bindings = ld_alloc_raw(b->svc, f->nsyms * sizeof(*b->bindings));
	c->nbindings = f->nsyms;
	if (f->ngotrel)
		b->got_slot = c->got_slot = ld_alloc(b->svc, f->nsyms * sizeof(*b->got_slot));
	if (!ld_build_strings(b) || !c->name || !b->secmap || !b->bindings ||
	    (f->ngotrel && !b->got_slot)) {
		LD_LOG(b->svc, "%s: out of heap for the crate's tables (%u sections, "
		       "%u symbols)", name, f->shnum, f->nsyms);
		return E_NO_HEAP;
	}
	return E_OK;
}

static void ld_build_free_maps(struct ld_build *b)
{
	b->svc->heap_free(b->svc->ctx, b->secmap);
	b->secmap = NULL;
}

/* Close the current stage: add the clock's advance to *slot. */
void ld_build_stage_end(struct ld_build *b, uint64_t *slot)
{
	uint64_t now;

	if (!b->stats)
		return;
	now = b->svc->clock(b->svc->ctx);
	*slot += now - b->clock;
	b->clock = now;
}

size_t ld_count_globals(const struct ld_crate *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nsymbols; i++)
		n += c->symbols[i].bind != STB_LOCAL;
	return n;
}

/* Stages (1)-(7), each only touching the new crate: everything up to the
 * resolution of undefined symbols, which may need the rest of a group. */
enum err ld_build_front(struct ld_build *b, const char *name, const void *image,
			size_t size)
{
	struct ld_load_stats *st = b->stats;
	enum err e;

	if (st) /* a group's members are built one after the other */
		b->clock = b->svc->clock(b->svc->ctx);
	e = elf_validate(&b->f, b->svc, name, image, size); /* (1) trust nothing */
	if (st)
		ld_build_stage_end(b, &st->validate);
	if (e == E_OK)
		e = ld_build_alloc(b, name);   /* (2) crate, tables, maps */
	if (e == E_OK)
		e = ld_layout_plan(b);         /* (3) region offsets, GOT slots */
	if (e == E_OK)
		e = ld_relocate_groups(b);     /* (4) each section's RELA entries */
	if (e == E_OK)
		e = ld_layout_map(b);          /* (5) reserve, map */
	if (st)
		ld_build_stage_end(b, &st->layout);
	if (e == E_OK)
		e = ld_layout_copy(b);         /* (6) copy; zero gaps and NOBITS */
	if (st)
		ld_build_stage_end(b, &st->copy);
	if (e == E_OK)
		e = ld_symbols_build(b);       /* (7) own symbols, duplicates */
	if (st)
		ld_build_stage_end(b, &st->symbols);
	return e;
}

/* Stages (8)-(10): resolve (against the group, then the namespace),
 * relocate, protect. */
enum err ld_build_back(struct ld_build *b)
{
	struct ld_load_stats *st = b->stats;
	enum err e;

	if (st)
		b->clock = b->svc->clock(b->svc->ctx);
	e = ld_symbols_resolve(b);             /* (8) undefined symbols, all at once */
	if (st) {
		uint64_t before = st->symbols;

		ld_build_stage_end(b, &st->symbols);
		st->resolve = st->symbols - before;
	}
	if (e == E_OK)
		e = ld_relocate(b);            /* (9) apply, count dependency edges */
	if (st)
		ld_build_stage_end(b, &st->relocate);
	if (e == E_OK)
		e = ld_layout_protect(b);      /* (10) W^X */
	if (st)
		ld_build_stage_end(b, &st->commit);
	return e;
}

/* (12) The commit: nothing here can fail. Readers of the namespace are
 * held meanwhile (ld_services.quiesce). */
void ld_commit(struct ld_namespace *ns, struct ld_crate *c)
{
	const struct ld_services *svc = ns->svc;
	uint64_t token = svc->quiesce ? svc->quiesce(svc->ctx) : 0;

	c->live = true;
	ld_deps_link_dependents(c);
	ld_symbols_publish(ns, c);
	c->prev = ns->last;
	if (ns->last)
		ns->last->next = c;
	else
		ns->first = c;
	ns->last = c;
	if (svc->resume)
		svc->resume(svc->ctx, token);
}

/* Start a build of one crate (and its clock, when measured). */
void ld_build_init(struct ld_build *b, struct ld_namespace *ns,
		   const struct ld_load_opts *opts)
{
	*b = (struct ld_build){ .ns = ns, .svc = ns->svc, .opts = opts };
	if (opts && opts->stats && ns->svc->clock) {
		b->stats = opts->stats;
		*b->stats = (struct ld_load_stats){ 0 };
		b->clock = ns->svc->clock(ns->svc->ctx);
	}
}

/* Free what a build holds besides its crate; with `failed`, the crate too. */
void ld_build_finish(struct ld_build *b, bool failed)
{
	ld_build_free_maps(b);
	if (failed)
		ld_crate_free(b->svc, b->crate);
}

enum err ld_load(struct ld_namespace *ns, const char *name, const void *image,
		 size_t size, const struct ld_load_opts *opts, struct ld_crate **out)
{
	struct ld_group_member m = { .name = name, .image = image, .size = size,
				     .opts = opts };
	enum err e;

	if (!out) {
		if (ns)
			LD_LOG(ns->svc, "%s: ld_load without an out pointer", name ? name : "?");
		return E_INVALID_ARG;
	}
	e = ld_load_group(ns, &m, 1, NULL, NULL);
	if (e == E_OK)
		*out = m.crate;
	return e;
}
