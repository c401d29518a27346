/*
 * Symbols: the namespace's hash table of global and weak definitions, each
 * crate's own symbol array (locals included, for symbolization), and the
 * binding of every ELF symbol index of a crate being loaded to a value. The
 * rule between definitions of one name is stated in include/loader/loader.h:
 * strong wins, else the oldest weak; two strong definitions are an error.
 * Each non-local name is hashed once (the hash is kept with the symbol) and
 * compared only when the full hashes agree, so a lookup touches the bytes of
 * its own name; validation bounded the total (E_ELF_NAMES_OVERLAP).
 */
#include "internal.h"

/* FNV-1a from a per-namespace seed, then a finalizer so that every bit of
 * the name reaches the bucket index. */
uint64_t ld_hash_name(const struct ld_namespace *ns, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ns->hash_seed;

	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static bool ld_same_name(const struct ld_symbol *s, const char *name, uint64_t hash)
{
	return s->hash == hash && ld_strcmp(s->name, name) == 0;
}

/* The definition of `name` (hashed as `hash`) by the symbol rule. */
static const struct ld_symbol *ld_symbols_find_hashed(const struct ld_namespace *ns,
						      const char *name, uint64_t hash)
{
	const struct ld_symbol *s, *weak = NULL;

	if (ns->nbuckets == 0)
		return NULL;
	s = ns->buckets[hash & (ns->nbuckets - 1)];
	for (; s; s = s->hash_next) {
		if (!ld_same_name(s, name, hash))
			continue;
		if (s->bind == STB_GLOBAL)
			return s;
		weak = s; /* chains are newest first: the last one seen is oldest */
	}
	return weak;
}

const struct ld_symbol *ld_symbols_find(const struct ld_namespace *ns,
					const char *name)
{
	return ns->nbuckets ? ld_symbols_find_hashed(ns, name, ld_hash_name(ns, name)) : NULL;
}

/* Make room for `extra` more definitions, so that publishing cannot fail. */
enum err ld_symbols_reserve(struct ld_namespace *ns, size_t extra)
{
	size_t want = ns->nglobals + extra, n = 64, i;
	struct ld_symbol **nb;

	if (want <= ns->nbuckets)
		return E_OK;
	while (n < 2 * want)
		n *= 2;
	nb = ld_alloc(ns->svc, n * sizeof(*nb));
	if (!nb) {
		LD_LOG(ns->svc, "out of heap for a symbol table of %lu buckets", (unsigned long)n);
		return E_NO_HEAP;
	}
	for (i = 0; i < ns->nbuckets; i++) {
		struct ld_symbol *s = ns->buckets[i], *next;

		for (; s; s = next) { /* append: keeps newest-first order */
			struct ld_symbol **pp = &nb[s->hash & (n - 1)];

			next = s->hash_next;
			while (*pp)
				pp = &(*pp)->hash_next;
			s->hash_next = NULL;
			*pp = s;
		}
	}
	ns->svc->heap_free(ns->svc->ctx, ns->buckets);
	ns->buckets = nb;
	ns->nbuckets = n;
	return E_OK;
}

void ld_symbols_publish(struct ld_namespace *ns, struct ld_crate *crate)
{
	size_t i;

	for (i = 0; i < crate->nsymbols; i++) {
		struct ld_symbol *s = &crate->symbols[i];
		size_t h;

		if (s->bind == STB_LOCAL)
			continue;
		if (ns->nglobals >= ns->nbuckets)
			LD_BUG(ns->svc, "symbol table not reserved before publishing");
		h = s->hash & (ns->nbuckets - 1);
		s->hash_next = ns->buckets[h];
		ns->buckets[h] = s;
		ns->nglobals++;
	}
}

void ld_symbols_withdraw(struct ld_namespace *ns, struct ld_crate *crate)
{
	size_t i;

	for (i = 0; i < crate->nsymbols; i++) {
		struct ld_symbol *s = &crate->symbols[i], **pp;

		if (s->bind == STB_LOCAL)
			continue;
		pp = &ns->buckets[s->hash & (ns->nbuckets - 1)];
		while (*pp && *pp != s)
			pp = &(*pp)->hash_next;
		if (!*pp)
			LD_BUG(ns->svc, "published symbol missing from the table");
		*pp = s->hash_next;
		s->hash_next = NULL;
		ns->nglobals--;
	}
}

/* Is ELF symbol `sym` one the crate lists (defined, named, loaded)? */
static bool ld_symbol_is_listed(const struct ld_build *b, const Elf64_Sym *sym)
{
	unsigned type = ELF64_ST_TYPE(sym->st_info);

	if (sym->st_shndx == SHN_UNDEF || sym->st_name == 0)
		return false;
	if (type != STT_NOTYPE && type != STT_OBJECT && type != STT_FUNC)
		return false;
	return sym->st_shndx == SHN_ABS || b->secmap[sym->st_shndx] != NULL;
}

/* Bind ELF symbol `i`, defined in this crate, to its run address; `s` is
 * its entry in the crate's symbols (hashed), or NULL when it is not listed. */
static void ld_bind_defined(struct ld_build *b, uint32_t i, const struct ld_symbol *s)
{
	const Elf64_Sym *sym = &b->f.syms[i];
	struct ld_binding *bd = &b->bindings[i];
	const struct ld_symbol *strong;

	bd->section = NULL;
	if (sym->st_shndx == SHN_ABS) {
		bd->value = sym->st_value;
	} else if (b->secmap[sym->st_shndx]) {
		bd->section = b->secmap[sym->st_shndx];
		bd->value = bd->section->addr + sym->st_value;
	} else {
		bd->value = sym->st_value; /* non-allocated: never relocated against */
	}
	if (ELF64_ST_BIND(sym->st_info) != STB_WEAK || !s)
		return;
	strong = ld_symbols_find_hashed(b->ns, s->name, s->hash);
	if (strong && strong->bind == STB_GLOBAL) { /* a strong one overrides ours */
		bd->value = strong->addr;
		bd->section = strong->section;
	}
}

unsigned long ld_symbols_clashes(struct ld_namespace *ns, const struct ld_crate *crate,
				 const struct ld_crate *supersedes)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < crate->nsymbols; i++) {
		const struct ld_symbol *s = &crate->symbols[i], *old;

		if (s->bind != STB_GLOBAL)
			continue;
		old = ld_symbols_find_hashed(ns, s->name, s->hash);
		if (!old || old->bind != STB_GLOBAL || (supersedes && old->crate == supersedes))
			continue;
		LD_LOG(ns->svc, "%s: symbol '%s' is already defined by crate '%s'",
		       crate->name, s->name, ld_crate_name(old->crate));
		n++;
	}
	return n;
}

/* Fill the crate's entry for listed ELF symbol `i`. */
static void ld_symbol_fill(struct ld_build *b, uint32_t i, struct ld_symbol *s)
{
	const Elf64_Sym *sym = &b->f.syms[i];
	struct ld_crate *c = b->crate;

	s->name = c->strtab + sym->st_name;
	s->section = sym->st_shndx == SHN_ABS ? NULL : b->secmap[sym->st_shndx];
	s->addr = s->section ? s->section->addr + sym->st_value : sym->st_value;
	s->size = sym->st_size;
	s->crate = c;
	s->bind = ELF64_ST_BIND(sym->st_info);
	s->type = ELF64_ST_TYPE(sym->st_info);
	s->hash = s->bind == STB_LOCAL ? 0 : ld_hash_name(b->ns, s->name);
	s->hash_next = NULL;
}

/* Two STB_GLOBAL definitions of one name in this object: refuse, as a static
 * linker would (an open-addressing table of the crate's strong globals). */
static enum err ld_symbols_check_unique(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	size_t n = 0, cap = 4, i;
	uint32_t *tab;
	enum err e = E_OK;

	for (i = 0; i < c->nsymbols; i++)
		n += c->symbols[i].bind == STB_GLOBAL;
	if (n < 2)
		return E_OK;
	while (cap < 2 * n)
		cap *= 2;
	tab = ld_alloc(b->svc, cap * sizeof(*tab));
	if (!tab) {
		LD_LOG(b->svc, "%s: out of heap to check %lu globals", c->name, (unsigned long)n);
		return E_NO_HEAP;
	}
	for (i = 0; i < c->nsymbols && e == E_OK; i++) {
		const struct ld_symbol *s = &c->symbols[i];
		size_t h = s->hash & (cap - 1);

		if (s->bind != STB_GLOBAL)
			continue;
		for (; tab[h]; h = (h + 1) & (cap - 1)) {
			if (!ld_same_name(&c->symbols[tab[h] - 1], s->name, s->hash))
				continue;
			LD_LOG(b->svc, "%s: global symbol '%s' is defined twice in the object",
			       c->name, s->name);
			e = E_ELF_DUPLICATE_GLOBAL;
			break;
		}
		tab[h] = (uint32_t)i + 1;
	}
	b->svc->heap_free(b->svc->ctx, tab);
	return e;
}

/* Build the crate's symbol array and bind its defined symbols. */
enum err ld_symbols_build(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	size_t n = 0;
	unsigned long dups;
	uint32_t i;
	enum err e;

	for (i = 1; i < b->f.nsyms; i++)
		n += ld_symbol_is_listed(b, &b->f.syms[i]);
	c->symbols = ld_alloc_raw(b->svc, n * sizeof(*c->symbols));
	if (!c->symbols) {
		LD_LOG(b->svc, "%s: out of heap for %lu symbols", c->name, (unsigned long)n);
		return E_NO_HEAP;
	}
	b->bindings[0] = (struct ld_binding){ 0 };
	for (i = 1; i < b->f.nsyms; i++) {
		const Elf64_Sym *sym = &b->f.syms[i];
		struct ld_symbol *s = NULL;

		if (sym->st_shndx == SHN_UNDEF)
			continue; /* bound by ld_symbols_resolve */
		if (ld_symbol_is_listed(b, sym)) {
			s = &c->symbols[c->nsymbols++];
			ld_symbol_fill(b, i, s);
		}
		ld_bind_defined(b, i, s);
	}
	e = ld_symbols_check_unique(b);
	if (e != E_OK)
		return e;
	dups = ld_symbols_clashes(b->ns, c, b->opts ? b->opts->supersedes : NULL);
	if (dups) {
		LD_LOG(b->svc, "%s: %lu duplicate global symbols", c->name, dups);
		return E_LD_DUPLICATE_SYMBOL;
	}
	return E_OK;
}

/* Bind one undefined symbol; false (after logging its name) if impossible. */
static bool ld_bind_undefined(struct ld_build *b, uint32_t i)
{
	const char *name = elf_symbol_name(&b->f, i);
	const struct ld_symbol *def = ld_symbols_find(b->ns, name);
	struct ld_binding *bd = &b->bindings[i];
	uint64_t value;

	bd->section = NULL;
	bd->value = 0;
	if (name[0] == '_' && ld_strcmp(name, "_GLOBAL_OFFSET_TABLE_") == 0) { /* as emits it */
		bd->section = b->got;
		bd->value = b->got ? b->got->addr : 0;
		return true;
	}
	if (def) {
		bd->value = def->addr;
		bd->section = def->section;
		return true;
	}
	if (b->opts && b->opts->resolve_undefined &&
	    b->opts->resolve_undefined(b->opts->ctx, name, &value)) {
		bd->value = value;
		return true;
	}
	if (ELF64_ST_BIND(b->f.syms[i].st_info) == STB_WEAK)
		return true; /* undefined weak: 0 */
	LD_LOG(b->svc, "%s: undefined symbol '%s' (symbol %u)", b->crate->name, name, i);
	return false;
}

/* Bind every undefined symbol; report all missing ones, then fail. */
enum err ld_symbols_resolve(struct ld_build *b)
{
	unsigned long missing = 0;
	uint32_t i;

	for (i = 1; i < b->f.nsyms; i++) {
		if (b->f.syms[i].st_shndx == SHN_UNDEF && !ld_bind_undefined(b, i))
			missing++;
	}
	if (missing) {
		LD_LOG(b->svc, "%s: %lu unresolved symbols (listed above)", b->crate->name,
		       missing);
		return E_LD_UNRESOLVED;
	}
	return E_OK;
}
