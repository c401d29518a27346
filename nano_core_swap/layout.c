/*
 * Reading layout blobs (include/nano_core_swap/layout.h): the type of every
 * data variable of a module, the types they reach and its global functions'
 * signatures, flattened by tools/layoutfp. Every count, offset, index and
 * string is checked here, before layout_cmp.c compares two of them, so that
 * the comparison can trust what it reads. Freestanding, no heap, no logging:
 * the caller logs the reason these functions write.
 */
#include <console/format.h>
#include <lib/string.h>
#include <nano_core_swap/layout.h>

/* ---- hashing -------------------------------------------------------------- */

#define FNV_OFFSET	0xcbf29ce484222325ull
#define FNV_PRIME	0x100000001b3ull

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

/* A string with its NUL, so "ab","c" and "a","bc" differ. */
static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv_bytes(h, s, strlen(s) + 1);
}

/* Little-endian, whatever the host. */
static uint64_t fnv_u64(uint64_t h, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(x >> (8 * i))) * FNV_PRIME;
	return h;
}

uint64_t nsl_hash_rows(const struct nsl_view *v, uint64_t offset, uint64_t size,
		       uint32_t first_member, uint32_t nmembers)
{
	const struct nsl_member *rows = &v->members[first_member];
	uint64_t h = fnv_u64(fnv_u64(FNV_OFFSET, offset), size);

	for (uint32_t i = 0; i < nmembers; i++) {
		h = fnv_str(h, nsl_str(v, rows[i].path));
		h = fnv_str(h, nsl_str(v, rows[i].type));
		h = fnv_u64(h, rows[i].offset);
		h = fnv_u64(h, rows[i].size);
		h = fnv_u64(h, rows[i].bit_offset);
		h = fnv_u64(h, rows[i].bit_size);
	}
	return h;
}

/* ---- type strings ---------------------------------------------------------- */

size_t nsl_type_bounds(const char *t)
{
	size_t i = strlen(t);

	while (i > 0 && t[i - 1] == ']') {
		size_t j = i - 1;
		while (j > 0 && t[j - 1] >= '0' && t[j - 1] <= '9')
			j--;
		if (j == 0 || t[j - 1] != '[')
			break;
		i = j - 1;
	}
	return i;
}

/* ---- parsing ---------------------------------------------------------------- */

static enum err __attribute__((format(printf, 3, 4)))
nsl_bad(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return E_SWAP_BAD_LAYOUT;
}

#define BAD(...) return nsl_bad(why, n, __VA_ARGS__)
#define ALIGN8(x) (((x) + 7) & ~(uint64_t)7)

static enum err nsl_check_header(const struct nsl_header *h, size_t size, char *why, size_t n)
{
	if (size < sizeof(*h))
		BAD("%zu bytes, shorter than its header (%zu)", size, sizeof(*h));
	if (memcmp(h->magic, NSL_MAGIC, sizeof(h->magic)) != 0)
		BAD("bad magic (not %s)", NSL_MAGIC);
	if (h->reserved != 0)
		BAD("reserved header field is %llu, not 0", (unsigned long long)h->reserved);
	if (h->nsymbols > NSL_MAX_SYMBOLS)
		BAD("%u symbols, more than NSL_MAX_SYMBOLS (%u)", h->nsymbols, NSL_MAX_SYMBOLS);
	if (h->ntypes > NSL_MAX_TYPES)
		BAD("%u types, more than NSL_MAX_TYPES (%u)", h->ntypes, NSL_MAX_TYPES);
	if (h->nfuncs > NSL_MAX_FUNCS)
		BAD("%u functions, more than NSL_MAX_FUNCS (%u)", h->nfuncs, NSL_MAX_FUNCS);
	if (h->nmembers > NSL_MAX_MEMBERS)
		BAD("%u members, more than NSL_MAX_MEMBERS (%u)", h->nmembers, NSL_MAX_MEMBERS);
	if (h->nrefs > NSL_MAX_REFS)
		BAD("%u refs, more than NSL_MAX_REFS (%u)", h->nrefs, NSL_MAX_REFS);
	if (h->strtab_size > NSL_MAX_STRTAB)
		BAD("string table of %u bytes, more than NSL_MAX_STRTAB (%u)", h->strtab_size,
		    NSL_MAX_STRTAB);
	return E_OK;
}

/* Lay the tables out after the header; they must fill size exactly. */
static enum err nsl_layout(const uint8_t *p, size_t size, struct nsl_view *v, char *why, size_t n)
{
	const struct nsl_header *h = v->h;
	uint64_t off = sizeof(*h);	/* the counts are bounded: no overflow */

	v->syms = (const void *)(p + off);
	off += (uint64_t)h->nsymbols * sizeof(struct nsl_symbol);
	v->types = (const void *)(p + off);
	off += (uint64_t)h->ntypes * sizeof(struct nsl_type);
	v->funcs = (const void *)(p + off);
	off += (uint64_t)h->nfuncs * sizeof(struct nsl_func);
	v->members = (const void *)(p + off);
	off += (uint64_t)h->nmembers * sizeof(struct nsl_member);
	v->refs = (const void *)(p + off);
	off += ALIGN8((uint64_t)h->nrefs * sizeof(uint32_t));
	v->strs = (const char *)(p + off);
	off += h->strtab_size;
	if (off != size)
		BAD("header says %llu bytes (%u symbols, %u types, %u functions, %u members, "
		    "%u refs, %u string bytes), blob has %zu", (unsigned long long)off,
		    h->nsymbols, h->ntypes, h->nfuncs, h->nmembers, h->nrefs, h->strtab_size, size);
	if (h->nrefs % 2 && v->refs[h->nrefs] != 0)
		BAD("the word after the %u refs is %u, not 0", h->nrefs, v->refs[h->nrefs]);
	v->nsymbols = h->nsymbols;
	v->ntypes = h->ntypes;
	v->nfuncs = h->nfuncs;
	v->nmembers = h->nmembers;
	v->nrefs = h->nrefs;
	return E_OK;
}

static enum err nsl_check_strtab(const struct nsl_view *v, char *why, size_t n)
{
	uint32_t size = v->h->strtab_size;

	if (size == 0 || size % 8 != 0)
		BAD("string table size %u is not a positive multiple of 8", size);
	if (v->strs[0] != '\0')
		BAD("string table does not start with \"\"");
	if (v->strs[size - 1] != '\0')
		BAD("string table is not NUL-terminated");
	return E_OK;
}

static bool nsl_str_ok(const struct nsl_view *v, uint32_t off)
{
	return off < v->h->strtab_size;
}

/* Whose rows are being checked: a symbol's or a type's. */
struct nsl_owner {
	const char *name, *kind;	/* kind: "symbol", "type" */
	const char *type;		/* the root row's type must be (begin with) this */
	bool prefix;			/* ... begin with it (an enum's values follow) */
	uint64_t size;			/* every row lies within it */
	uint32_t first, count;		/* its rows */
};

/* Row j of owner o: valid strings, inside the owner, a sane bit-field. */
static enum err nsl_check_row(const struct nsl_view *v, const struct nsl_owner *o, uint32_t j,
			      char *why, size_t n)
{
	const struct nsl_member *m = &v->members[j];

	if (!nsl_str_ok(v, m->path) || !nsl_str_ok(v, m->type) || !nsl_str_ok(v, m->decl))
		BAD("%s: row %u: a string offset is past the string table (%u bytes)", o->name, j,
		    v->h->strtab_size);
	if (m->reserved != 0)
		BAD("%s: row %u: reserved field is %u, not 0", o->name, j, m->reserved);
	if (m->offset > o->size || m->size > o->size - m->offset)
		BAD("%s: row %u (%s): bytes [%llu, +%llu) outside the %s's %llu", o->name, j,
		    nsl_str(v, m->path), (unsigned long long)m->offset,
		    (unsigned long long)m->size, o->kind, (unsigned long long)o->size);
	if (m->bit_size == 0 ? m->bit_offset != 0
			     : m->bit_offset > 7 || m->bit_size > 64 ||
				       m->bit_offset + m->bit_size > 8 * (o->size - m->offset))
		BAD("%s: row %u (%s): bit-field at bit %u, %u wide, is malformed", o->name, j,
		    nsl_str(v, m->path), m->bit_offset, m->bit_size);
	return E_OK;
}

/* An owner's rows: the root first, every row valid. */
static enum err nsl_check_rows(const struct nsl_view *v, const struct nsl_owner *o,
			       char *why, size_t n)
{
	const struct nsl_member *root = &v->members[o->first];
	const char *rt;
	enum err e;

	for (uint32_t j = o->first; j < o->first + o->count; j++)
		if ((e = nsl_check_row(v, o, j, why, n)) != E_OK)
			return e;
	rt = nsl_str(v, root->type);
	if (root->path != 0 || root->offset != 0 || root->bit_size != 0 ||
	    (o->prefix ? strncmp(rt, o->type, strlen(o->type)) : strcmp(rt, o->type)) != 0)
		BAD("%s: its first row is not its root (path \"\", offset 0, the %s's type)",
		    o->name, o->kind);
	return E_OK;
}

/* Symbol i's strings, flags and rows; `next` is the first row it must start at. */
static enum err nsl_check_symbol(const struct nsl_view *v, uint32_t i, uint32_t next,
				 char *why, size_t n)
{
	const struct nsl_symbol *s = &v->syms[i];

	if (!nsl_str_ok(v, s->name) || !nsl_str_ok(v, s->section) || !nsl_str_ok(v, s->type))
		BAD("symbol %u: a string offset is past the string table (%u bytes)", i,
		    v->h->strtab_size);
	const struct nsl_owner o = { nsl_str(v, s->name), "symbol", nsl_str(v, s->type), false,
				     s->size, s->first_member, s->nmembers };
	if (s->flags & ~NSL_FLAGS_KNOWN)
		BAD("symbol %u (%s): unknown flags 0x%x", i, o.name, s->flags);
	if (s->first_member != next || s->nmembers > v->nmembers - next)
		BAD("symbol %u (%s): rows [%u, +%u) do not follow the previous symbol's (%u) "
		    "within the %u members", i, o.name, s->first_member, s->nmembers,
		    next, v->nmembers);
	if ((s->flags & NSL_UNTYPED) && (s->nmembers != 0 || s->type != 0))
		BAD("symbol %u (%s): untyped, yet it has a type or rows", i, o.name);
	if (!(s->flags & NSL_UNTYPED) && s->nmembers == 0)
		BAD("symbol %u (%s): typed, yet it has no rows", i, o.name);
	if (s->nmembers) {
		enum err e = nsl_check_rows(v, &o, why, n);
		if (e != E_OK)
			return e;
	}
	if (nsl_hash_symbol(v, s) != s->hash)
		BAD("%s: hash 0x%llx does not match its rows", o.name, (unsigned long long)s->hash);
	return E_OK;
}

/* Type i: its name, flags, rows (none if opaque; its root's size is its own). */
static enum err nsl_check_type(const struct nsl_view *v, uint32_t i, uint32_t next,
			       char *why, size_t n)
{
	const struct nsl_type *t = &v->types[i];
	bool opaque = t->flags & NSL_TYPE_OPAQUE;

	if (!nsl_str_ok(v, t->name))
		BAD("type %u: its name is past the string table (%u bytes)", i, v->h->strtab_size);
	const struct nsl_owner o = { nsl_str(v, t->name), "type", nsl_str(v, t->name), true,
				     t->size, t->first_member, t->nmembers };
	if (t->flags & ~NSL_TYPE_FLAGS_KNOWN)
		BAD("type %u (%s): unknown flags 0x%x", i, o.name, t->flags);
	if (t->first_member != next || t->nmembers > v->nmembers - next)
		BAD("type %u (%s): rows [%u, +%u) do not follow the previous owner's (%u) "
		    "within the %u members", i, o.name, t->first_member, t->nmembers, next,
		    v->nmembers);
	if (opaque && (t->nmembers != 0 || t->size != 0))
		BAD("type %u (%s): opaque, yet it has a size or rows", i, o.name);
	if (!opaque && t->nmembers == 0)
		BAD("type %u (%s): defined, yet it has no rows", i, o.name);
	if (t->nmembers) {
		enum err e = nsl_check_rows(v, &o, why, n);
		if (e != E_OK)
			return e;
		if (v->members[t->first_member].size != t->size)
			BAD("type %u (%s): its root row is %llu bytes, the type %llu", i, o.name,
			    (unsigned long long)v->members[t->first_member].size,
			    (unsigned long long)t->size);
	}
	if (nsl_hash_type(v, t) != t->hash)
		BAD("%s: hash 0x%llx does not match its rows", o.name, (unsigned long long)t->hash);
	return E_OK;
}

/* Function i: strings, flags, sorted after function i - 1. */
static enum err nsl_check_func(const struct nsl_view *v, uint32_t i, char *why, size_t n)
{
	const struct nsl_func *f = &v->funcs[i];

	if (!nsl_str_ok(v, f->name) || !nsl_str_ok(v, f->section) || !nsl_str_ok(v, f->type) ||
	    !nsl_str_ok(v, f->decl))
		BAD("function %u: a string offset is past the string table (%u bytes)", i,
		    v->h->strtab_size);
	if (f->flags & ~NSL_FLAGS_KNOWN || f->reserved != 0)
		BAD("function %u (%s): unknown flags 0x%x or reserved field %u", i,
		    nsl_str(v, f->name), f->flags, f->reserved);
	if ((f->flags & NSL_UNTYPED) ? f->type != 0 || f->nrefs != 0 : f->type == 0)
		BAD("function %u (%s): %s", i, nsl_str(v, f->name),
		    (f->flags & NSL_UNTYPED) ? "untyped, yet it has a type or refs"
					     : "typed, yet it has no type");
	if (i > 0 && strcmp(nsl_str(v, v->funcs[i - 1].name), nsl_str(v, f->name)) >= 0)
		BAD("function %u (%s) does not sort after %s", i, nsl_str(v, f->name),
		    nsl_str(v, v->funcs[i - 1].name));
	return E_OK;
}

/* The refs [first, + count) of `what` follow *next, and each names a type. */
static enum err nsl_check_refs(const struct nsl_view *v, const char *what, uint32_t first,
			       uint32_t count, uint32_t *next, char *why, size_t n)
{
	if (first != *next || count > v->nrefs - first)
		BAD("%s: refs [%u, +%u) do not follow the previous ones (%u) within the %u refs",
		    what, first, count, *next, v->nrefs);
	for (uint32_t k = first; k < first + count; k++)
		if (v->refs[k] >= v->ntypes)
			BAD("%s: ref %u names type %u of %u", what, k, v->refs[k], v->ntypes);
	*next = first + count;
	return E_OK;
}

/* Every row's refs, then every function's: the whole ref table, in order. */
static enum err nsl_check_all_refs(const struct nsl_view *v, char *why, size_t n)
{
	uint32_t next = 0;
	char what[48];
	enum err e;

	for (uint32_t j = 0; j < v->nmembers; j++) {
		const struct nsl_member *m = &v->members[j];
		if (m->first_ref == next && m->nrefs == 0)
			continue;	/* (the common case: nothing to name) */
		fmt_snprintf(what, sizeof(what), "row %u (%s)", j, nsl_str(v, m->path));
		if ((e = nsl_check_refs(v, what, m->first_ref, m->nrefs, &next, why, n)) != E_OK)
			return e;
	}
	for (uint32_t i = 0; i < v->nfuncs; i++) {
		const struct nsl_func *f = &v->funcs[i];
		if ((e = nsl_check_refs(v, nsl_str(v, f->name), f->first_ref, f->nrefs, &next,
					why, n)) != E_OK)
			return e;
	}
	if (next != v->nrefs)
		BAD("%u refs, but the rows and functions cover %u", v->nrefs, next);
	return E_OK;
}

enum err nsl_parse(const void *blob, size_t size, struct nsl_view *v, char *why, size_t n)
{
	enum err e;
	uint32_t next = 0;

	if ((uintptr_t)blob % 8 != 0)
		BAD("blob at %p is not 8-byte aligned", blob);
	v->h = blob;
	if ((e = nsl_check_header(v->h, size, why, n)) != E_OK ||
	    (e = nsl_layout(blob, size, v, why, n)) != E_OK ||
	    (e = nsl_check_strtab(v, why, n)) != E_OK)
		return e;
	for (uint32_t i = 0; i < v->nsymbols; next += v->syms[i++].nmembers)
		if ((e = nsl_check_symbol(v, i, next, why, n)) != E_OK)
			return e;
	for (uint32_t i = 0; i < v->ntypes; next += v->types[i++].nmembers)
		if ((e = nsl_check_type(v, i, next, why, n)) != E_OK)
			return e;
	if (next != v->nmembers)
		BAD("%u members, but the symbols' and types' rows cover %u", v->nmembers, next);
	for (uint32_t i = 0; i < v->nfuncs; i++)
		if ((e = nsl_check_func(v, i, why, n)) != E_OK)
			return e;
	return nsl_check_all_refs(v, why, n);
}

/* ---- lookup ----------------------------------------------------------------- */

static bool nsl_matches(const struct nsl_view *v, const struct nsl_symbol *s,
			const char *symbol, const char *section)
{
	return strcmp(nsl_str(v, s->name), symbol) == 0 &&
	       (!section || strcmp(nsl_str(v, s->section), section) == 0);
}

const struct nsl_symbol *nsl_find(const struct nsl_view *v, const char *symbol,
				  const char *section)
{
	for (uint32_t i = 0; i < v->nsymbols; i++)
		if (nsl_matches(v, &v->syms[i], symbol, section))
			return &v->syms[i];
	return NULL;
}

const struct nsl_symbol *nsl_find_next(const struct nsl_view *v, const struct nsl_symbol *prev)
{
	const char *symbol = nsl_str(v, prev->name), *section = nsl_str(v, prev->section);

	for (uint32_t i = (uint32_t)(prev - v->syms) + 1; i < v->nsymbols; i++)
		if (nsl_matches(v, &v->syms[i], symbol, section))
			return &v->syms[i];
	return NULL;
}

const struct nsl_func *nsl_find_func(const struct nsl_view *v, const char *name)
{
	uint32_t lo = 0, hi = v->nfuncs;

	while (lo < hi) {	/* nsl_parse checked the order */
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(nsl_str(v, v->funcs[mid].name), name);
		if (c == 0)
			return &v->funcs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
