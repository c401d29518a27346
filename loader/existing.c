/*
 * Hand-built crates: the nano_core's modules already sit in memory, placed by
 * the static linker, so the swap describes them to the loader instead of
 * loading them. The crate gets the same sections, symbols, relocations and
 * dependency edges as a loaded one, so lookups, dependency queries and later
 * redirection treat both alike; its memory is never the loader's to map or
 * free. Relocation records arrive in any order; the commit sorts them by
 * source section and counts the edges in one pass.
 */
#include "internal.h"

enum err ld_existing_begin(struct ld_namespace *ns, const char *name,
			   size_t max_sections, size_t max_symbols, size_t max_relocs,
			   struct ld_crate **out)
{
	const struct ld_services *svc = ns->svc;
	struct ld_crate *c;

	if (!name || !out) {
		LD_LOG(svc, "%s: ld_existing_begin without %s", name ? name : "?",
		       name ? "an out pointer" : "a name");
		return E_INVALID_ARG;
	}
	if (max_sections > LD_MAX_CRATE_SIZE || max_symbols > LD_MAX_CRATE_SIZE ||
	    max_relocs > LD_MAX_CRATE_SIZE) {
		LD_LOG(svc, "%s: %lu sections, %lu symbols, %lu relocations: more than "
		       "LD_MAX_CRATE_SIZE (%lu) of one", name, (unsigned long)max_sections,
		       (unsigned long)max_symbols, (unsigned long)max_relocs,
		       (unsigned long)LD_MAX_CRATE_SIZE);
		return E_INVALID_ARG;
	}
	c = ld_alloc(svc, sizeof(*c));
	if (!c) {
		LD_LOG(svc, "%s: out of heap for the crate", name);
		return E_NO_HEAP;
	}
	c->ns = ns;
	c->owns_names = true;
	c->cap_sections = max_sections;
	c->cap_symbols = max_symbols;
	c->cap_relocs = max_relocs;
	c->name = ld_strdup(svc, name);
	/* sections, symbols and records are written whole as they are added:
	 * not zeroed */
	c->sections = ld_alloc_raw(svc, (max_sections + 1) * sizeof(*c->sections));
	c->symbols = ld_alloc_raw(svc, (max_symbols + 1) * sizeof(*c->symbols));
	c->recs = ld_alloc_raw(svc, (max_relocs + 1) * sizeof(*c->recs));
	if (!c->name || !c->sections || !c->symbols || !c->recs) {
		LD_LOG(svc, "%s: out of heap for %lu sections, %lu symbols, %lu relocations",
		       name, (unsigned long)max_sections, (unsigned long)max_symbols,
		       (unsigned long)max_relocs);
		ld_crate_free(svc, c);
		return E_NO_HEAP;
	}
	*out = c;
	return E_OK;
}

void ld_existing_keep_names(struct ld_crate *c)
{
	c->keeps_names = true;
}

/* A copy of name in the crate's arena; NULL when the heap is exhausted. */
static const char *ld_existing_copy_name(struct ld_crate *c, const char *name)
{
	struct ld_name_chunk *k = c->names;
	size_t need = ld_strlen(name) + 1;
	char *dst;

	if (!k || k->cap - k->used < need) {
		size_t cap = need > 4000 ? need : 4000;

		k = ld_alloc_raw(c->ns->svc, sizeof(*k) + cap);
		if (!k)
			return NULL;
		k->next = c->names;
		k->used = 0;
		k->cap = cap;
		c->names = k;
	}
	dst = k->bytes + k->used;
	ld_memcpy(dst, name, need);
	k->used += need;
	return dst;
}

/* The crate's name for `name`: itself when the crate keeps its caller's
 * names, else a copy. */
static inline __attribute__((always_inline)) const char *
ld_existing_name(struct ld_crate *c, const char *name)
{
	return c->keeps_names ? name : ld_existing_copy_name(c, name);
}

/* A hand-built crate still being built, with room for n more `what`. */
static enum err ld_existing_room(const struct ld_crate *c, size_t used, size_t cap, size_t n,
				 const char *what)
{
	if (c->live || !c->owns_names) {
		LD_LOG(c->ns->svc, "%s: cannot add %s: %s", c->name, what,
		       c->live ? "the crate is committed" : "a loaded crate, not a hand-built one");
		return E_LD_BAD_STATE;
	}
	if (n > cap - used) {
		LD_LOG(c->ns->svc, "%s: %lu %s exceed the %lu given to ld_existing_begin",
		       c->name, (unsigned long)(used + n), what, (unsigned long)cap);
		return E_LIMIT;
	}
	return E_OK;
}

/* Symbol s, its name kept or copied, hashed unless local (from a string table
 * ending at `end`: a word at a time; NULL: a name alone). */
static inline __attribute__((always_inline)) enum err
ld_existing_fill_symbol(struct ld_crate *c, struct ld_symbol *s, const char *name,
			const char *end, uint64_t addr, uint64_t size,
			const struct ld_section *sec, uint8_t bind, uint8_t type)
{
	*s = (struct ld_symbol){ .name = ld_existing_name(c, name), .addr = addr,
				 .size = size, .crate = c, .section = sec, .bind = bind,
				 .type = type };
	if (!s->name) {
		LD_LOG(c->ns->svc, "%s: out of heap for symbol names", c->name);
		return E_NO_HEAP;
	}
	if (bind != STB_LOCAL) {
		struct ld_name k;

		ld_name_key(c->ns, s->name, c->keeps_names ? end : NULL, &k);
		s->hash = k.hash;
		s->name_len = k.len;
	}
	return E_OK;
}

static bool ld_existing_owns(const struct ld_crate *c, const struct ld_section *s)
{
	return s >= c->sections && s < c->sections + c->nsections;
}

enum err ld_existing_add_sections(struct ld_crate *c, const void *records, size_t stride,
				  size_t n, const char *strtab, size_t strtab_size)
{
	enum err e = ld_existing_room(c, c->nsections, c->cap_sections, n, "sections");
	struct ld_section *out = c->sections + c->nsections;
	const uint8_t *p = records;

	if (e != E_OK)
		return e;
	if (stride < sizeof(struct ld_existing_section) || !strtab || !strtab_size ||
	    strtab[strtab_size - 1]) {
		LD_LOG(c->ns->svc, "%s: sections of %lu bytes, or a string table not ending in NUL",
		       c->name, (unsigned long)stride);
		return E_INVALID_ARG;
	}
	for (size_t i = 0; i < n; i++, p += stride, out++) { /* one pass: every field checked */
		const struct ld_existing_section *r = (const void *)p;

		if (r->name >= strtab_size || r->kind > LD_KIND_DATA || !ld_is_pow2(r->align) ||
		    r->addr + r->size < r->addr) {
			LD_LOG(c->ns->svc, "%s: section %lu: name at %u of %lu, kind %u, alignment "
			       "%lx, [%lx, +%lx)", c->name, (unsigned long)i, r->name,
			       (unsigned long)strtab_size, r->kind, (unsigned long)r->align,
			       (unsigned long)r->addr, (unsigned long)r->size);
			return E_INVALID_ARG; /* (nsections unchanged: nothing added) */
		}
		*out = (struct ld_section){ .name = ld_existing_name(c, strtab + r->name),
					    .crate = c, .kind = r->kind, .nobits = r->nobits,
					    .addr = r->addr, .size = r->size,
					    .align = r->align ? r->align : 1 };
		if (!out->name) {
			LD_LOG(c->ns->svc, "%s: out of heap for section names", c->name);
			return E_NO_HEAP;
		}
	}
	c->nsections += n;
	return E_OK;
}

enum err ld_existing_add_section(struct ld_crate *c, const char *name, enum ld_kind kind,
				 uint64_t addr, uint64_t size, uint64_t align,
				 const struct ld_section **out)
{
	struct ld_existing_section r = { .name = 0, .kind = (uint16_t)kind, .addr = addr,
					 .size = size, .align = align };
	enum err e;

	if (!name || kind > LD_KIND_DATA) {
		LD_LOG(c->ns->svc, "%s: section '%s': %s", c->name, name ? name : "?",
		       name ? "its kind is not text, rodata or data" : "no name");
		return E_INVALID_ARG;
	}
	e = ld_existing_add_sections(c, &r, sizeof(r), 1, name, ld_strlen(name) + 1);
	if (e == E_OK && out)
		*out = &c->sections[c->nsections - 1];
	return e;
}

enum err ld_existing_add_symbol(struct ld_crate *c, const char *name, uint64_t addr,
				uint64_t size, const struct ld_section *sec, uint8_t bind,
				uint8_t type)
{
	enum err e = ld_existing_room(c, c->nsymbols, c->cap_symbols, 1, "symbols");

	if (e != E_OK)
		return e;
	if (!name || !name[0] || (sec && !ld_existing_owns(c, sec)) ||
	    (bind != STB_LOCAL && bind != STB_GLOBAL && bind != STB_WEAK)) {
		LD_LOG(c->ns->svc, "%s: symbol '%s': %s (binding %u)", c->name, name ? name : "?",
		       !name || !name[0] ? "no name"
		       : sec && !ld_existing_owns(c, sec) ? "its section is not this crate's"
							  : "not local, global or weak",
		       bind);
		return E_INVALID_ARG;
	}
	e = ld_existing_fill_symbol(c, &c->symbols[c->nsymbols], name, NULL, addr, size, sec,
				    bind, type);
	c->nsymbols += e == E_OK;
	return e;
}

enum err ld_existing_add_symbols(struct ld_crate *c, const struct ld_existing_symbol *r,
				 size_t n, const char *strtab, size_t strtab_size)
{
	enum err e = ld_existing_room(c, c->nsymbols, c->cap_symbols, n, "symbols");
	const char *end = strtab + strtab_size;
	struct ld_symbol *out = c->symbols + c->nsymbols;

	if (e != E_OK)
		return e;
	if (!strtab || !strtab_size || strtab[strtab_size - 1]) {
		LD_LOG(c->ns->svc, "%s: the symbols' string table does not end in NUL", c->name);
		return E_INVALID_ARG;
	}
	for (size_t i = 0; i < n; i++, r++, out++) { /* one pass: every field checked */
		if (r->name >= strtab_size || !strtab[r->name] ||
		    (r->section != LD_NO_SECTION && r->section >= c->nsections) ||
		    (r->bind != STB_LOCAL && r->bind != STB_GLOBAL && r->bind != STB_WEAK)) {
			LD_LOG(c->ns->svc, "%s: symbol %lu: name at %u of %lu, section %u of %lu, "
			       "binding %u", c->name, (unsigned long)i, r->name,
			       (unsigned long)strtab_size, r->section, (unsigned long)c->nsections,
			       r->bind);
			return E_INVALID_ARG; /* (nsymbols unchanged: nothing added) */
		}
		e = ld_existing_fill_symbol(c, out, strtab + r->name, end, r->addr, r->size,
					    r->section == LD_NO_SECTION ? NULL
									: &c->sections[r->section],
					    r->bind, r->type);
		if (e != E_OK)
			return e;
	}
	c->nsymbols += n;
	return E_OK;
}

enum err ld_existing_add_reloc(struct ld_crate *c, const struct ld_section *source,
			       uint64_t offset, uint32_t type, int64_t addend,
			       const struct ld_section *target, uint64_t target_offset)
{
	enum err e = ld_existing_room(c, c->nrelocs, c->cap_relocs, 1, "relocations");

	if (e != E_OK)
		return e;
	if (!source || !ld_existing_owns(c, source) ||
	    (target && !ld_existing_owns(c, target) && !target->crate->live)) {
		LD_LOG(c->ns->svc, "%s: relocation at %s+%lx: %s", c->name,
		       source ? source->name : "?", (unsigned long)offset,
		       !source || !ld_existing_owns(c, source)
			       ? "its source section is not this crate's"
			       : "its target is neither this crate's nor a committed crate's");
		return E_INVALID_ARG;
	}
	c->recs[c->nrelocs++] = (struct ld_reloc){
		.source = source, .offset = offset, .type = type, .addend = addend,
		.target = target, .target_offset = target_offset,
	};
	((struct ld_section *)source)->nrelocs++;
	return E_OK;
}

/* Count the edges of each section's run of records (c->recs sorted). */
static enum err ld_existing_count_edges(struct ld_crate *c)
{
	uint64_t at = 0;

	for (size_t k = 0; k < c->nsections; k++) {
		struct ld_section *s = &c->sections[k];
		uint64_t stamp;

		if (!s->nrelocs)
			continue; /* (its recs stay NULL: never read) */
		s->recs = c->recs + at;
		stamp = ld_deps_stamp(c->ns);
		at += s->nrelocs;
		for (uint64_t i = 0; i < s->nrelocs; i++) {
			enum err e = ld_deps_note(c, s, stamp, s->recs[i].target);

			if (e != E_OK) {
				ld_deps_free(c->ns->svc, c); /* a retried commit counts again */
				return e;
			}
		}
	}
	return E_OK;
}

enum err ld_existing_add_relocs(struct ld_crate *c, const struct ld_existing_reloc *r,
				size_t n)
{
	enum err e = ld_existing_room(c, c->nrelocs, c->cap_relocs, n, "relocations");
	struct ld_reloc *out = c->recs + c->nrelocs;
	size_t ns = c->nsections;

	if (e != E_OK)
		return e;
	for (size_t i = 0; i < n; i++, r++, out++) { /* one tight pass: indexes checked */
		struct ld_section *src;

		if (r->source >= ns || (r->target != LD_NO_SECTION && r->target >= ns)) {
			LD_LOG(c->ns->svc, "%s: relocation %lu names section %u or %u of %lu",
			       c->name, (unsigned long)i, r->source, r->target, (unsigned long)ns);
			while (i--) /* the records added so far are dropped */
				((struct ld_section *)(--out)->source)->nrelocs--;
			return E_INVALID_ARG;
		}
		src = &c->sections[r->source];
		src->nrelocs++;
		out->source = src;
		out->offset = r->offset;
		out->type = r->type;
		out->addend = r->addend;
		out->target = r->target == LD_NO_SECTION ? NULL : &c->sections[r->target];
		out->target_offset = r->target_offset;
	}
	c->nrelocs += n;
	return E_OK;
}

/* Sort the records by source section (counting sort on each section's
 * nrelocs), hang each section's run on it and count the edges. */
static enum err ld_existing_sort_relocs(struct ld_crate *c)
{
	const struct ld_services *svc = c->ns->svc;
	struct ld_reloc *sorted;
	uint64_t at = 0, i;
	size_t k;

	if (c->nrelocs == 0)
		return E_OK;
	for (i = 1; i < c->nrelocs && c->recs[i - 1].source <= c->recs[i].source; i++)
		;
	if (i == c->nrelocs && c->nrelocs >= c->cap_relocs / 2) /* grouped already: in place */
		return ld_existing_count_edges(c);
	if (i == c->nrelocs) { /* grouped, but far fewer than room was made for: trimmed */
		sorted = ld_alloc_raw(svc, c->nrelocs * sizeof(*sorted));
		if (!sorted)
			return ld_existing_count_edges(c); /* (kept where they are) */
		ld_memcpy(sorted, c->recs, c->nrelocs * sizeof(*sorted));
		svc->heap_free(svc->ctx, c->recs);
		c->recs = sorted;
		return ld_existing_count_edges(c);
	}
	sorted = ld_alloc_raw(svc, c->nrelocs * sizeof(*sorted));
	if (!sorted) {
		LD_LOG(svc, "%s: out of heap to sort %lu relocations", c->name,
		       (unsigned long)c->nrelocs);
		return E_NO_HEAP;
	}
	for (k = 0; k < c->nsections; k++) { /* recs is the run's cursor for now */
		c->sections[k].recs = sorted + at;
		at += c->sections[k].nrelocs;
	}
	for (i = 0; i < c->nrelocs; i++) {
		struct ld_section *src = (struct ld_section *)c->recs[i].source;

		*(struct ld_reloc *)src->recs = c->recs[i];
		src->recs++;
	}
	svc->heap_free(svc->ctx, c->recs);
	c->recs = sorted;
	return ld_existing_count_edges(c);
}

enum err ld_existing_commit(struct ld_crate *c)
{
	struct ld_crate *dup;
	enum err e;

	if (c->live || !c->owns_names) {
		LD_LOG(c->ns->svc, "%s: cannot commit: %s", c->name,
		       c->live ? "committed already" : "a loaded crate, not a hand-built one");
		return E_LD_BAD_STATE;
	}
	if (ld_find_crate(c->ns, c->name, &dup) == E_OK) {
		LD_LOG(c->ns->svc, "%s: a crate of that name is already loaded", c->name);
		return E_LD_DUPLICATE_CRATE;
	}
	if (ld_symbols_clashes(c->ns, c, NULL))
		return E_LD_DUPLICATE_SYMBOL;
	e = ld_symbols_reserve(c->ns, ld_count_globals(c));
	if (e != E_OK)
		LD_LOG(c->ns->svc, "%s: out of heap to make room for %lu definitions in the "
		       "namespace's symbol table", c->name, (unsigned long)ld_count_globals(c));
	if (e == E_OK)
		e = ld_existing_sort_relocs(c);
	if (e != E_OK)
		return e;
	ld_commit(c->ns, c);
	return E_OK;
}

void ld_existing_abort(struct ld_crate *c)
{
	if (!c || c->live)
		return;
	ld_crate_free(c->ns->svc, c);
}
