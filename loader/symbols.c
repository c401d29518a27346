/*
 * Symbols: the namespace's hash table of global and weak definitions, each
 * crate's own symbol array (locals included, for symbolization), and the
 * binding of every ELF symbol index of a crate being loaded to a value. The
 * rule between definitions of one name is stated in include/loader/loader.h:
 * strong wins, else the oldest weak; two strong definitions are an error.
 */
#include "internal.h"

static uint64_t ld_hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 0x100000001b3ull;
	}
	return h;
}

const struct ld_symbol *ld_symbols_find(const struct ld_namespace *ns,
					const char *name)
{
	const struct ld_symbol *s, *weak = NULL;

	if (ns->nbuckets == 0)
		return NULL;
	s = ns->buckets[ld_hash_name(name) & (ns->nbuckets - 1)];
	for (; s; s = s->hash_next) {
		if (ld_strcmp(s->name, name) != 0)
			continue;
		if (s->bind == STB_GLOBAL)
			return s;
		weak = s; /* chains are newest first: the last one seen is oldest */
	}
	return weak;
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
	if (!nb)
		return E_NO_HEAP;
	for (i = 0; i < ns->nbuckets; i++) {
		struct ld_symbol *s = ns->buckets[i], *next;

		for (; s; s = next) { /* append: keeps newest-first order */
			struct ld_symbol **pp = &nb[ld_hash_name(s->name) & (n - 1)];

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
		h = ld_hash_name(s->name) & (ns->nbuckets - 1);
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
		pp = &ns->buckets[ld_hash_name(s->name) & (ns->nbuckets - 1)];
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

/* Bind ELF symbol `i`, defined in this crate, to its run address. */
static void ld_bind_defined(struct ld_build *b, uint32_t i)
{
	const Elf64_Sym *sym = &b->f.syms[i];
	struct ld_binding *bd = &b->bindings[i];
	const struct ld_symbol *strong;

	if (sym->st_shndx == SHN_ABS) {
		bd->value = sym->st_value;
	} else if (b->secmap[sym->st_shndx]) {
		bd->section = b->secmap[sym->st_shndx];
		bd->value = bd->section->addr + sym->st_value;
	} else {
		bd->value = sym->st_value; /* non-allocated: never relocated against */
	}
	if (ELF64_ST_BIND(sym->st_info) != STB_WEAK)
		return;
	strong = ld_symbols_find(b->ns, elf_symbol_name(&b->f, i));
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
		old = ld_symbols_find(ns, s->name);
		if (!old || old->bind != STB_GLOBAL || (supersedes && old->crate == supersedes))
			continue;
		LD_LOG(ns->svc, "%s: symbol '%s' is already defined by crate '%s'",
		       crate->name, s->name, ld_crate_name(old->crate));
		n++;
	}
	return n;
}

/* Build the crate's symbol array and bind its defined symbols. */
enum err ld_symbols_build(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	size_t n = 0;
	unsigned long dups;
	uint32_t i;

	for (i = 1; i < b->f.nsyms; i++)
		n += ld_symbol_is_listed(b, &b->f.syms[i]);
	c->symbols = ld_alloc(b->svc, (n ? n : 1) * sizeof(*c->symbols));
	if (!c->symbols)
		return E_NO_HEAP;
	for (i = 1; i < b->f.nsyms; i++) {
		const Elf64_Sym *sym = &b->f.syms[i];
		struct ld_symbol *s;

		if (sym->st_shndx == SHN_UNDEF)
			continue;
		ld_bind_defined(b, i);
		if (!ld_symbol_is_listed(b, sym))
			continue;
		s = &c->symbols[c->nsymbols++];
		s->name = c->strtab + sym->st_name;
		s->addr = sym->st_shndx == SHN_ABS ? sym->st_value
			: b->secmap[sym->st_shndx]->addr + sym->st_value;
		s->size = sym->st_size;
		s->crate = c;
		s->section = sym->st_shndx == SHN_ABS ? NULL : b->secmap[sym->st_shndx];
		s->bind = ELF64_ST_BIND(sym->st_info);
		s->type = ELF64_ST_TYPE(sym->st_info);
	}
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

	if (ld_strcmp(name, "_GLOBAL_OFFSET_TABLE_") == 0) { /* as emits it */
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
