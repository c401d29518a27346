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

const struct ld_section ld_unloaded_section = { .name = "(section not loaded)" };

#define LD_ONES 0x0101010101010101ull
#define LD_HIGHS 0x8080808080808080ull

/* One 8-byte chunk (zero-padded past the name's end) into the hash. */
static inline uint64_t ld_hash_mix(uint64_t h, uint64_t w)
{
	return (h ^ w) * 0x9e3779b97f4a7c15ull; /* the finalizer below spreads it */
}

/*
 * The key of the NUL-terminated `name`: its length and a hash of its bytes
 * taken as zero-padded little-endian 8-byte chunks, each xored in and
 * multiplied, seeded per namespace, and finished so that every bit reaches
 * the bucket index. Bytes before `end`
 * may be read 8 at a time (a validated string table: the NUL is found a word
 * at a time); with end NULL the length is taken first and only the name's
 * own bytes are read. Both give the same key; either touches only the name's
 * bytes (and, from a table, at most 7 more inside it).
 */
static inline __attribute__((always_inline)) void ld_name_key_inline(
	uint64_t seed, const char *name, const char *end, const char *last, struct ld_name *k)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed, w, z;
	const char *p = name;

	while (last && p <= last) { /* 8 bytes readable at p */
		ld_memcpy(&w, p, 8);
		z = (w - LD_ONES) & ~w & LD_HIGHS; /* the high bit of each zero byte */
		if (z) {
			unsigned n = (unsigned)__builtin_ctzll(z) / 8;

			w = n ? w & (~0ull >> (64 - 8 * n)) : 0;
			p += n;
			if (n)
				h = ld_hash_mix(h, w);
			goto done;
		}
		h = ld_hash_mix(h, w);
		p += 8;
	}
	if (!end) { /* a name of known length: the same chunks */
		uint64_t rem = ld_strlen(name);

		for (; rem >= 8; rem -= 8, p += 8) {
			ld_memcpy(&w, p, 8);
			h = ld_hash_mix(h, w);
		}
		for (w = 0, z = 0; z < rem; z++)
			w |= (uint64_t)(uint8_t)p[z] << (8 * z);
		p += rem;
		if (rem)
			h = ld_hash_mix(h, w);
		goto done;
	}
	for (;;) { /* the table's last bytes, one at a time */
		unsigned n = 0;

		for (w = 0; n < 8 && p[n]; n++)
			w |= (uint64_t)(uint8_t)p[n] << (8 * n);
		p += n;
		if (n)
			h = ld_hash_mix(h, w);
		if (n < 8)
			break;
	}
done:
	k->s = name;
	k->len = (uint64_t)(p - name);
	h = ld_hash_mix(h, k->len);
	h ^= h >> 33; /* every bit reaches the low ones the bucket index uses */
	h *= 0xff51afd7ed558ccdull;
	k->hash = h ^ (h >> 33);
}

void ld_name_key(const struct ld_namespace *ns, const char *name, const char *end,
		 struct ld_name *k)
{
	ld_name_key_inline(ns->hash_seed, name, end, end && end - name >= 8 ? end - 8 : NULL, k);
}

/* Do two names of `len` bytes match? Read 8 bytes at a time, within them
 * (the last word overlaps the one before it). */
static inline __attribute__((always_inline)) bool ld_bytes_equal(const char *a,
								  const char *b, uint64_t len)
{
	uint64_t x, y, i;

	if (len < 8) {
		while (len--)
			if (*a++ != *b++)
				return false;
		return true;
	}
	for (i = 0; i + 8 < len; i += 8) {
		ld_memcpy(&x, a + i, 8);
		ld_memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	ld_memcpy(&x, a + len - 8, 8);
	ld_memcpy(&y, b + len - 8, 8);
	return x == y;
}

static inline __attribute__((always_inline)) bool ld_same_name(const struct ld_symbol *s,
								const struct ld_name *k)
{
	return s->hash == k->hash && s->name_len == k->len &&
	       ld_bytes_equal(s->name, k->s, k->len);
}

/* The definition of the name with key `k` by the symbol rule. */
static inline __attribute__((always_inline)) const struct ld_symbol *
ld_symbols_find_key(const struct ld_namespace *ns, const struct ld_name *k)
{
	const struct ld_symbol *s, *weak = NULL;

	if (ns->nbuckets == 0)
		return NULL;
	s = ns->buckets[k->hash & (ns->nbuckets - 1)];
	for (; s; s = s->hash_next) {
		if (!ld_same_name(s, k))
			continue;
		if (s->bind == STB_GLOBAL)
			return s;
		weak = s; /* chains are newest first: the last one seen is oldest */
	}
	return weak;
}

/* The key a published symbol was hashed under. */
static struct ld_name ld_symbol_key(const struct ld_symbol *s)
{
	return (struct ld_name){ .s = s->name, .len = s->name_len, .hash = s->hash };
}

const struct ld_symbol *ld_symbols_find(const struct ld_namespace *ns,
					const char *name)
{
	struct ld_name k;

	if (ns->nbuckets == 0)
		return NULL;
	ld_name_key(ns, name, NULL, &k);
	return ld_symbols_find_key(ns, &k);
}

/* Make room for `extra` more definitions, so that publishing cannot fail.
 * E_NO_HEAP is not logged here: the caller names the crate it was for. */
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

/* Is ELF symbol `sym` one the crate lists (defined, named, loaded)? The
 * validation counted them (f.nlisted): one rule for both. */
static bool ld_symbol_is_listed(const struct ld_build *b, const Elf64_Sym *sym)
{
	return elf_symbol_is_listed(&b->f, sym);
}

/* Bind ELF symbol `i`, defined in this crate, to its run address; `s` is
 * its entry in the crate's symbols (hashed), or NULL when it is not listed. */
static void ld_bind_defined(struct ld_build *b, uint32_t i, const struct ld_symbol *s)
{
	const Elf64_Sym *sym = &b->f.syms[i];
	struct ld_binding *bd = &b->bindings[i];
	const struct ld_symbol *strong;

	*bd = (struct ld_binding){ 0 };
	if (sym->st_shndx == SHN_ABS) {
		bd->value = sym->st_value;
	} else if (b->secmap[sym->st_shndx]) {
		bd->section = b->secmap[sym->st_shndx];
		bd->value = bd->section->addr + sym->st_value;
	} else {
		bd->section = &ld_unloaded_section; /* a relocation against it is refused */
		bd->value = sym->st_value;
	}
	if (ELF64_ST_BIND(sym->st_info) != STB_WEAK || !s)
		return;
	struct ld_name k = ld_symbol_key(s);

	strong = b->group ? ld_symbols_find_key(b->group, &k) : NULL; /* the group first */
	if (!strong || strong->bind != STB_GLOBAL)
		strong = ld_symbols_find_key(b->ns, &k);
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
		struct ld_name k = ld_symbol_key(s);

		old = ld_symbols_find_key(ns, &k);
		if (!old || old->bind != STB_GLOBAL || (supersedes && old->crate == supersedes))
			continue;
		LD_LOG(ns->svc, "%s: symbol '%s' is already defined by crate '%s'",
		       crate->name, s->name, ld_crate_name(old->crate));
		n++;
	}
	return n;
}

/*
 * The key of a name in the object's string table. The bytes hashed over a
 * load may add up to twice the table (names may share a tail, as GNU ld
 * writes them); more means names overlap on purpose, to multiply the work:
 * E_ELF_NAMES_OVERLAP.
 */
static inline __attribute__((always_inline)) enum err
ld_object_name_key(struct ld_build *b, const char *name, struct ld_name *k)
{
	ld_name_key_inline(b->ns->hash_seed, name, b->name_end, b->name_last, k);
	if (k->len > b->name_budget) {
		LD_LOG(b->svc, "%s: the names of global symbols, up to '%.40s', add up to more "
		       "than twice the %lu-byte string table: they overlap", b->crate->name,
		       name, (unsigned long)b->f.str_size);
		return E_ELF_NAMES_OVERLAP;
	}
	b->name_budget -= k->len;
	return E_OK;
}

/* Fill the crate's entry for listed ELF symbol `i`. */
static enum err ld_symbol_fill(struct ld_build *b, uint32_t i, struct ld_symbol *s)
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
	s->hash = 0;
	s->name_len = 0;
	s->hash_next = NULL;
	if (s->bind != STB_LOCAL) {
		struct ld_name k;
		enum err e = ld_object_name_key(b, s->name, &k);

		if (e != E_OK)
			return e;
		s->hash = k.hash;
		s->name_len = k.len;
	}
	return E_OK;
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
			struct ld_name k = ld_symbol_key(s);

			if (!ld_same_name(&c->symbols[tab[h] - 1], &k))
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

	n = b->f.nlisted + ld_collect_nsymbols(b);
	c->symbols = ld_alloc_raw(b->svc, n * sizeof(*c->symbols));
	if (!c->symbols) {
		LD_LOG(b->svc, "%s: out of heap for %lu symbols", c->name, (unsigned long)n);
		return E_NO_HEAP;
	}
	b->bindings[0] = (struct ld_binding){ 0 };
	b->name_budget = 2 * b->f.str_size;
	b->name_end = c->strtab + b->f.str_size;
	b->name_last = b->f.str_size >= 8 ? b->name_end - 8 : NULL;
	for (i = 1; i < b->f.nsyms; i++) {
		const Elf64_Sym *sym = &b->f.syms[i];
		struct ld_symbol *s = NULL;

		if (sym->st_shndx == SHN_UNDEF)
			continue; /* bound by ld_symbols_resolve */
		if (ld_symbol_is_listed(b, sym)) {
			if (c->nsymbols == b->f.nlisted)
				LD_BUG(b->svc, "more listed symbols than validation counted");
			s = &c->symbols[c->nsymbols++];
			e = ld_symbol_fill(b, i, s);
			if (e != E_OK)
				return e;
		}
		ld_bind_defined(b, i, s);
	}
	e = ld_collect_define(b);
	if (e == E_OK)
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

/* Bind one undefined symbol: E_OK, E_LD_UNRESOLVED after logging its name
 * (the caller goes on to report every missing one), or a fatal error. */
static enum err ld_bind_undefined(struct ld_build *b, uint32_t i)
{
	const char *name = b->f.str + b->f.syms[i].st_name;
	struct ld_binding *bd = &b->bindings[i];
	const struct ld_symbol *def;
	struct ld_name k;
	uint64_t value;
	enum err e = ld_object_name_key(b, name, &k);

	bd->stamp = 0;
	bd->count = 0;
	bd->next_touched = NULL;
	if (e != E_OK)
		return e;
	def = b->group ? ld_symbols_find_key(b->group, &k) : NULL;
	if (!def || def->bind != STB_GLOBAL) { /* a strong one in the group wins */
		const struct ld_symbol *outer = ld_symbols_find_key(b->ns, &k);

		if (outer && (!def || outer->bind == STB_GLOBAL))
			def = outer;
	}
	if (def) {
		bd->value = def->addr;
		bd->section = def->section;
		return E_OK;
	}
	bd->section = NULL;
	bd->value = 0;
	if (ld_strcmp(name, "_GLOBAL_OFFSET_TABLE_") == 0) { /* as emits it */
		bd->section = b->got;
		bd->value = b->got ? b->got->addr : 0;
		return E_OK;
	}
	if (b->opts && b->opts->resolve_undefined &&
	    b->opts->resolve_undefined(b->opts->ctx, name, &value)) {
		bd->value = value;
		return E_OK;
	}
	if (ELF64_ST_BIND(b->f.syms[i].st_info) == STB_WEAK)
		return E_OK; /* undefined weak: 0 */
	LD_LOG(b->svc, "%s: undefined symbol '%s' (symbol %u)", b->crate->name, name, i);
	return E_LD_UNRESOLVED;
}

/* Bind every undefined symbol; report all missing ones, then fail. */
enum err ld_symbols_resolve(struct ld_build *b)
{
	unsigned long missing = 0;
	uint32_t i;
	enum err e;

	for (i = b->f.first_global; i < b->f.nsyms; i++) { /* undefined: never local */
		if (b->f.syms[i].st_shndx != SHN_UNDEF)
			continue;
		e = ld_bind_undefined(b, i);
		if (e == E_LD_UNRESOLVED)
			missing++;
		else if (e != E_OK)
			return e;
	}
	if (missing) {
		LD_LOG(b->svc, "%s: %lu unresolved symbols (listed above)", b->crate->name,
		       missing);
		return E_LD_UNRESOLVED;
	}
	return E_OK;
}
