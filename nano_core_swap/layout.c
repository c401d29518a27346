/*
 * Reading and comparing layout blobs (include/nano_core_swap/layout.h): the
 * type of every data variable of a module, flattened by tools/layoutfp. The
 * swap may bind new code to old data only if each variable means the same
 * bytes to both; the section sizes it already compares cannot see two fields
 * exchanged or an int become a float. Freestanding, no heap, no logging: the
 * caller logs the reason these functions write.
 */
#include <console/format.h>
#include <lib/string.h>
#include <nano_core_swap/layout.h>

#define NSL_OLD_NAME	"the running kernel"

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

uint64_t nsl_hash_symbol(const struct nsl_view *v, const struct nsl_symbol *s)
{
	const struct nsl_member *rows = &v->members[s->first_member];
	uint64_t h = fnv_u64(fnv_u64(FNV_OFFSET, s->offset), s->size);

	for (uint32_t i = 0; i < s->nmembers; i++) {
		h = fnv_str(h, nsl_str(v, rows[i].path));
		h = fnv_str(h, nsl_str(v, rows[i].type));
		h = fnv_u64(h, rows[i].offset);
		h = fnv_u64(h, rows[i].size);
		h = fnv_u64(h, rows[i].bit_offset);
		h = fnv_u64(h, rows[i].bit_size);
	}
	return h;
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

static enum err nsl_check_header(const struct nsl_header *h, size_t size, char *why, size_t n)
{
	if (size < sizeof(*h))
		BAD("%zu bytes, shorter than its header (%zu)", size, sizeof(*h));
	if (memcmp(h->magic, NSL_MAGIC, sizeof(h->magic)) != 0)
		BAD("bad magic (not %s)", NSL_MAGIC);
	if (h->reserved != 0)
		BAD("reserved header field is %u, not 0", h->reserved);
	if (h->nsymbols > NSL_MAX_SYMBOLS)
		BAD("%u symbols, more than NSL_MAX_SYMBOLS (%u)", h->nsymbols, NSL_MAX_SYMBOLS);
	if (h->nmembers > NSL_MAX_MEMBERS)
		BAD("%u members, more than NSL_MAX_MEMBERS (%u)", h->nmembers, NSL_MAX_MEMBERS);
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
	v->members = (const void *)(p + off);
	off += (uint64_t)h->nmembers * sizeof(struct nsl_member);
	v->strs = (const char *)(p + off);
	off += h->strtab_size;
	if (off != size)
		BAD("header says %llu bytes (%u symbols, %u members, %u string bytes), blob has %zu",
		    (unsigned long long)off, h->nsymbols, h->nmembers, h->strtab_size, size);
	v->nsymbols = h->nsymbols;
	v->nmembers = h->nmembers;
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

/* Symbol i's strings, flags and rows; `next` is the first row it must start at. */
static enum err nsl_check_symbol(const struct nsl_view *v, uint32_t i, uint32_t next,
				 char *why, size_t n)
{
	const struct nsl_symbol *s = &v->syms[i];

	if (!nsl_str_ok(v, s->name) || !nsl_str_ok(v, s->section) || !nsl_str_ok(v, s->type))
		BAD("symbol %u: a string offset is past the string table (%u bytes)", i,
		    v->h->strtab_size);
	if (s->flags & ~NSL_FLAGS_KNOWN)
		BAD("symbol %u (%s): unknown flags 0x%x", i, nsl_str(v, s->name), s->flags);
	if (s->first_member != next || s->nmembers > v->nmembers - next)
		BAD("symbol %u (%s): rows [%u, +%u) do not follow the previous symbol's (%u) "
		    "within the %u members", i, nsl_str(v, s->name), s->first_member, s->nmembers,
		    next, v->nmembers);
	if ((s->flags & NSL_UNTYPED) && (s->nmembers != 0 || s->type != 0))
		BAD("symbol %u (%s): untyped, yet it has a type or rows", i, nsl_str(v, s->name));
	if (!(s->flags & NSL_UNTYPED) && s->nmembers == 0)
		BAD("symbol %u (%s): typed, yet it has no rows", i, nsl_str(v, s->name));
	return E_OK;
}

/* Row j of symbol s: valid strings, inside the symbol, a sane bit-field. */
static enum err nsl_check_row(const struct nsl_view *v, const struct nsl_symbol *s, uint32_t j,
			      char *why, size_t n)
{
	const struct nsl_member *m = &v->members[j];
	const char *name = nsl_str(v, s->name);

	if (!nsl_str_ok(v, m->path) || !nsl_str_ok(v, m->type) || !nsl_str_ok(v, m->decl))
		BAD("%s: row %u: a string offset is past the string table (%u bytes)", name, j,
		    v->h->strtab_size);
	if (m->reserved != 0)
		BAD("%s: row %u: reserved field is %u, not 0", name, j, m->reserved);
	if (m->offset > s->size || m->size > s->size - m->offset)
		BAD("%s: row %u (%s): bytes [%llu, +%llu) outside the symbol's %llu", name, j,
		    nsl_str(v, m->path), (unsigned long long)m->offset,
		    (unsigned long long)m->size, (unsigned long long)s->size);
	if (m->bit_size == 0 ? m->bit_offset != 0
			     : m->bit_offset > 7 || m->bit_size > 64 ||
				       m->bit_offset + m->bit_size > 8 * (s->size - m->offset))
		BAD("%s: row %u (%s): bit-field at bit %u, %u wide, is malformed", name, j,
		    nsl_str(v, m->path), m->bit_offset, m->bit_size);
	return E_OK;
}

/* A typed symbol's rows: the root first, every row valid. */
static enum err nsl_check_rows(const struct nsl_view *v, const struct nsl_symbol *s,
			       char *why, size_t n)
{
	const struct nsl_member *root = &v->members[s->first_member];
	const char *name = nsl_str(v, s->name);
	enum err e;

	for (uint32_t j = s->first_member; j < s->first_member + s->nmembers; j++)
		if ((e = nsl_check_row(v, s, j, why, n)) != E_OK)
			return e;
	if (root->path != 0 || root->offset != 0 || root->bit_size != 0 ||
	    strcmp(nsl_str(v, root->type), nsl_str(v, s->type)) != 0)
		BAD("%s: its first row is not its root (path \"\", offset 0, the symbol's type)",
		    name);
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
	for (uint32_t i = 0; i < v->nsymbols; i++) {
		const struct nsl_symbol *s = &v->syms[i];
		if ((e = nsl_check_symbol(v, i, next, why, n)) != E_OK)
			return e;
		if (s->nmembers && (e = nsl_check_rows(v, s, why, n)) != E_OK)
			return e;
		if (nsl_hash_symbol(v, s) != s->hash)
			BAD("%s: hash 0x%llx does not match its rows", nsl_str(v, s->name),
			    (unsigned long long)s->hash);
		next += s->nmembers;
	}
	if (next != v->nmembers)
		BAD("%u members, but the symbols' rows cover %u", v->nmembers, next);
	return E_OK;
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

/* ---- comparing -------------------------------------------------------------- */

struct nsl_cmp {
	const struct nsl_view *old, *new;
	const struct nsl_symbol *a, *b;
	const char *new_name;
	char *why;
	size_t n;
};

/* A piece of a string (not NUL-terminated). */
struct nsl_span {
	const char *p;
	size_t len;
};

/* "member PATH " before a row's attribute, nothing for the root ("%s%s%s"). */
#define SUBJ(path)	(*(path) ? "member " : ""), (path), (*(path) ? " " : "")
/* "member PATH: " before a sentence about its type, nothing for the root. */
#define SUBJC(path)	(*(path) ? "member " : ""), (path), (*(path) ? ": " : "")

/* Write "SYMBOL: " and the difference to the caller's buffer; returns false. */
static bool __attribute__((format(printf, 2, 3)))
nsl_differ(const struct nsl_cmp *c, const char *fmt, ...)
{
	size_t len = fmt_snprintf(c->why, c->n, "%s: ", nsl_str(c->old, c->a->name));
	va_list ap;

	if (len < c->n) {
		va_start(ap, fmt);
		fmt_vsnprintf(c->why + len, c->n - len, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool nsl_span_eq(struct nsl_span x, struct nsl_span y)
{
	return x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
}

/*
 * Split an enum's type string "HEAD{A=0,B=1}TAIL" (TAIL: array bounds) into
 * its parts; false if it has no enumerator list.
 */
static bool nsl_enum_split(const char *t, struct nsl_span *head, struct nsl_span *list,
			   const char **tail)
{
	const char *open = strchr(t, '{'), *close = open ? strchr(open, '}') : NULL;

	if (!close)
		return false;
	*head = (struct nsl_span){ t, (size_t)(open - t) };
	*list = (struct nsl_span){ open + 1, (size_t)(close - open - 1) };
	*tail = close + 1;
	return true;
}

/* Take the next "NAME=VALUE" off *rest; false when none is left. */
static bool nsl_enum_next(struct nsl_span *rest, struct nsl_span *name, struct nsl_span *value)
{
	size_t i = 0, eq;

	if (rest->len == 0)
		return false;
	while (i < rest->len && rest->p[i] != ',')
		i++;
	for (eq = 0; eq < i && rest->p[eq] != '='; eq++)
		;
	*name = (struct nsl_span){ rest->p, eq };
	*value = eq < i ? (struct nsl_span){ rest->p + eq + 1, i - eq - 1 }
			: (struct nsl_span){ rest->p + i, 0 };
	*rest = i < rest->len ? (struct nsl_span){ rest->p + i + 1, rest->len - i - 1 }
			      : (struct nsl_span){ rest->p + i, 0 };
	return true;
}

/* The value of enumerator `name` in list; false if the list has no such name. */
static bool nsl_enum_lookup(struct nsl_span list, struct nsl_span name, struct nsl_span *value)
{
	struct nsl_span n;

	while (nsl_enum_next(&list, &n, value))
		if (nsl_span_eq(n, name))
			return true;
	return false;
}

enum nsl_enum_diff { NSL_ENUM_SAME, NSL_ENUM_ONLY_OLD, NSL_ENUM_ONLY_NEW, NSL_ENUM_VALUE };

/*
 * The first enumerator in which two lists differ: one of la that lb lacks or
 * values otherwise, else one of lb that la lacks. Its name and values (the
 * missing one empty) in *name, *va, *vb.
 */
static enum nsl_enum_diff nsl_enum_first_diff(struct nsl_span la, struct nsl_span lb,
					      struct nsl_span *name, struct nsl_span *va,
					      struct nsl_span *vb)
{
	struct nsl_span rest;

	for (rest = la; nsl_enum_next(&rest, name, va);) {
		if (!nsl_enum_lookup(lb, *name, vb))
			return NSL_ENUM_ONLY_OLD;
		if (!nsl_span_eq(*va, *vb))
			return NSL_ENUM_VALUE;
	}
	for (rest = lb; nsl_enum_next(&rest, name, vb);)
		if (!nsl_enum_lookup(la, *name, va))
			return NSL_ENUM_ONLY_NEW;
	return NSL_ENUM_SAME;
}

/* Two enum types (`head`, "enum e") that differ in an enumerator: say which. */
static bool nsl_enum_differ(const struct nsl_cmp *c, const char *path, struct nsl_span head,
			    enum nsl_enum_diff d, struct nsl_span name, struct nsl_span va,
			    struct nsl_span vb)
{
	int hl = (int)head.len, nl = (int)name.len;

	if (d == NSL_ENUM_ONLY_OLD)
		return nsl_differ(c, "%s%s%s%.*s value %.*s (= %.*s) only in " NSL_OLD_NAME,
				  SUBJC(path), hl, head.p, nl, name.p, (int)va.len, va.p);
	if (d == NSL_ENUM_ONLY_NEW)
		return nsl_differ(c, "%s%s%s%.*s value %.*s (= %.*s) only in %s", SUBJC(path), hl,
				  head.p, nl, name.p, (int)vb.len, vb.p, c->new_name);
	return nsl_differ(c, "%s%s%s%.*s value %.*s is %.*s in " NSL_OLD_NAME ", %.*s in %s",
			  SUBJC(path), hl, head.p, nl, name.p, (int)va.len, va.p, (int)vb.len,
			  vb.p, c->new_name);
}

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

/* Describe how two different type strings differ: enumerators, bounds, or whole. */
static bool nsl_type_differ(const struct nsl_cmp *c, const char *path, const char *ta,
			    const char *tb)
{
	struct nsl_span ha, hb, la, lb, name, va, vb;
	const char *taila, *tailb;
	size_t ba = nsl_type_bounds(ta), bb = nsl_type_bounds(tb);
	enum nsl_enum_diff d;

	if (nsl_enum_split(ta, &ha, &la, &taila) && nsl_enum_split(tb, &hb, &lb, &tailb) &&
	    nsl_span_eq(ha, hb) && strcmp(taila, tailb) == 0 &&
	    (d = nsl_enum_first_diff(la, lb, &name, &va, &vb)) != NSL_ENUM_SAME)
		return nsl_enum_differ(c, path, ha, d, name, va, vb);
	if (ta[ba] && tb[bb] && ba == bb && memcmp(ta, tb, ba) == 0)
		return nsl_differ(c, "%s%s%sbounds %s in " NSL_OLD_NAME ", %s in %s", SUBJ(path),
				  ta + ba, tb + bb, c->new_name);
	return nsl_differ(c, "%s%s%stype %s in " NSL_OLD_NAME ", %s in %s", SUBJ(path), ta, tb,
			  c->new_name);
}

/* Row ma of the old symbol against mb of the new one (same path). */
static bool nsl_same_row(const struct nsl_cmp *c, const struct nsl_member *ma,
			 const struct nsl_member *mb)
{
	const char *path = nsl_str(c->old, ma->path);
	const char *ta = nsl_str(c->old, ma->type), *tb = nsl_str(c->new, mb->type);
	uint64_t bita = 8 * ma->offset + ma->bit_offset, bitb = 8 * mb->offset + mb->bit_offset;

	if ((ma->bit_size || mb->bit_size) && bita != bitb)
		return nsl_differ(c, "%s%s%sat bit %llu in " NSL_OLD_NAME ", %llu in %s", SUBJ(path),
				  (unsigned long long)bita, (unsigned long long)bitb, c->new_name);
	if (ma->offset != mb->offset)
		return nsl_differ(c, "%s%s%sat offset %llu in " NSL_OLD_NAME ", %llu in %s",
				  SUBJ(path), (unsigned long long)ma->offset,
				  (unsigned long long)mb->offset, c->new_name);
	if (strcmp(ta, tb) != 0)
		return nsl_type_differ(c, path, ta, tb);
	if (ma->size != mb->size)
		return nsl_differ(c, "%s%s%ssize %llu in " NSL_OLD_NAME ", %llu in %s", SUBJ(path),
				  (unsigned long long)ma->size, (unsigned long long)mb->size,
				  c->new_name);
	if (ma->bit_size != mb->bit_size)
		return nsl_differ(c, "%s%s%s%u bits wide in " NSL_OLD_NAME ", %u in %s", SUBJ(path),
				  ma->bit_size, mb->bit_size, c->new_name);
	return true;
}

/* Symbol s's row with this path in v, trying row `hint` first; NULL if none. */
static const struct nsl_member *nsl_row_by_path(const struct nsl_view *v,
						const struct nsl_symbol *s, const char *path,
						uint32_t hint)
{
	const struct nsl_member *rows = &v->members[s->first_member];

	if (hint < s->nmembers && strcmp(nsl_str(v, rows[hint].path), path) == 0)
		return &rows[hint];
	for (uint32_t i = 0; i < s->nmembers; i++)
		if (strcmp(nsl_str(v, rows[i].path), path) == 0)
			return &rows[i];
	return NULL;
}

/* The member rows (after the root): the old ones in order, then the new-only ones. */
static bool nsl_same_members(const struct nsl_cmp *c)
{
	const struct nsl_member *rows_a = &c->old->members[c->a->first_member];
	const struct nsl_member *rows_b = &c->new->members[c->b->first_member];

	for (uint32_t i = 1; i < c->a->nmembers; i++) {
		const char *path = nsl_str(c->old, rows_a[i].path);
		const struct nsl_member *mb = nsl_row_by_path(c->new, c->b, path, i);
		if (!mb)
			return nsl_differ(c, "member %s (offset %llu) only in " NSL_OLD_NAME, path,
					  (unsigned long long)rows_a[i].offset);
		if (!nsl_same_row(c, &rows_a[i], mb))
			return false;
	}
	for (uint32_t i = 1; i < c->b->nmembers; i++) {
		const char *path = nsl_str(c->new, rows_b[i].path);
		if (!nsl_row_by_path(c->old, c->a, path, i))
			return nsl_differ(c, "member %s (offset %llu) only in %s", path,
					  (unsigned long long)rows_b[i].offset, c->new_name);
	}
	if (c->a->nmembers != c->b->nmembers)	/* only with repeated paths */
		return nsl_differ(c, "%u rows in " NSL_OLD_NAME ", %u in %s", c->a->nmembers,
				  c->b->nmembers, c->new_name);
	return true;
}

/*
 * The order in which differences are looked for, so the first one found is
 * the cause rather than a consequence: the variable's own type, its members,
 * then its size and place (which follow from those).
 */
bool nsl_same(const struct nsl_view *old, const struct nsl_symbol *a,
	      const struct nsl_view *new, const struct nsl_symbol *b,
	      const char *new_name, char *why, size_t n)
{
	const struct nsl_cmp c = { old, new, a, b, new_name, why, n };
	bool typed_a = !(a->flags & NSL_UNTYPED), typed_b = !(b->flags & NSL_UNTYPED);
	const struct nsl_member *root_a = &old->members[a->first_member];
	const struct nsl_member *root_b = &new->members[b->first_member];

	if (n)
		why[0] = '\0';
	if (typed_a && !typed_b)
		return nsl_differ(&c, "type %s in " NSL_OLD_NAME ", no type information in %s",
				  nsl_str(old, a->type), new_name);
	if (!typed_a && typed_b)
		return nsl_differ(&c, "no type information in " NSL_OLD_NAME ", type %s in %s",
				  nsl_str(new, b->type), new_name);
	if (typed_a && strcmp(nsl_str(old, a->type), nsl_str(new, b->type)) != 0)
		return nsl_type_differ(&c, "", nsl_str(old, a->type), nsl_str(new, b->type));
	if (typed_a && (!nsl_same_members(&c) || !nsl_same_row(&c, root_a, root_b)))
		return false;
	if (a->size != b->size)
		return nsl_differ(&c, "size %llu in " NSL_OLD_NAME ", %llu in %s",
				  (unsigned long long)a->size, (unsigned long long)b->size, new_name);
	if (a->offset != b->offset)
		return nsl_differ(&c, "at offset %llu of %s in " NSL_OLD_NAME ", %llu in %s",
				  (unsigned long long)a->offset, nsl_str(old, a->section),
				  (unsigned long long)b->offset, new_name);
	return true;
}
