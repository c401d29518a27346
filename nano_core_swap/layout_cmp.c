/*
 * Comparing layout blobs (include/nano_core_swap/layout.h) row by row: is a
 * variable (or a type) laid out the same in the running kernel and in a new
 * object, and if not, what is the first difference, said so that a person
 * can act on it. The swap may bind new code to old data only if each variable
 * means the same bytes to both; the section sizes it already compares cannot
 * see two fields exchanged or an int become a float. layout_walk.c follows
 * the types the rows reach. Freestanding, no heap, no logging.
 */
#include <console/format.h>
#include <lib/string.h>
#include "layout_cmp.h"

/* A piece of a string (not NUL-terminated). */
struct nsl_span {
	const char *p;
	size_t len;
};

/* "member PATH " before a row's attribute, nothing for the root ("%s%s%s"). */
#define SUBJ(path)	(*(path) ? "member " : ""), (path), (*(path) ? " " : "")
/* "member PATH: " before a sentence about its type, nothing for the root. */
#define SUBJC(path)	(*(path) ? "member " : ""), (path), (*(path) ? ": " : "")

bool nsl_differ(const struct nsl_cmp *c, const char *fmt, ...)
{
	size_t len = 0;
	va_list ap;

	if (c->w)
		len = nsl_walk_subject(c->w, c->t, c->why, c->n);
	else if (c->label)
		len = fmt_snprintf(c->why, c->n, "%s: ", c->label);
	else if (c->n)
		c->why[0] = '\0';
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

/* Describe how two different type strings differ: enumerators, bounds, or whole. */
bool nsl_type_differ(const struct nsl_cmp *c, const char *path, const char *ta,
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

/* Row ma of the old owner against mb of the new one (same path). */
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

const struct nsl_member *nsl_row_by_path(const struct nsl_view *v, const struct nsl_member *rows,
					 uint32_t n, const char *path, uint32_t hint)
{
	if (hint < n && strcmp(nsl_str(v, rows[hint].path), path) == 0)
		return &rows[hint];
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(nsl_str(v, rows[i].path), path) == 0)
			return &rows[i];
	return NULL;
}

/* The member rows (after the root): the old ones in order, then the new-only ones. */
static bool nsl_same_members(const struct nsl_cmp *c)
{
	const struct nsl_member *rows_a = c->rows_a, *rows_b = c->rows_b;

	for (uint32_t i = 1; i < c->na; i++) {
		const char *path = nsl_str(c->old, rows_a[i].path);
		const struct nsl_member *mb = nsl_row_by_path(c->new, rows_b, c->nb, path, i);
		if (!mb)
			return nsl_differ(c, "member %s (offset %llu) only in " NSL_OLD_NAME, path,
					  (unsigned long long)rows_a[i].offset);
		if (!nsl_same_row(c, &rows_a[i], mb))
			return false;
	}
	for (uint32_t i = 1; i < c->nb; i++) {
		const char *path = nsl_str(c->new, rows_b[i].path);
		if (!nsl_row_by_path(c->old, rows_a, c->na, path, i))
			return nsl_differ(c, "member %s (offset %llu) only in %s", path,
					  (unsigned long long)rows_b[i].offset, c->new_name);
	}
	if (c->na != c->nb)	/* only with repeated paths */
		return nsl_differ(c, "%u rows in " NSL_OLD_NAME ", %u in %s", c->na, c->nb,
				  c->new_name);
	return true;
}

/*
 * The order in which differences are looked for, so the first one found is
 * the cause rather than a consequence: the owner's own type, its members,
 * then its size (which follows from those).
 */
bool nsl_same_rows(const struct nsl_cmp *c, uint64_t size_a, uint64_t size_b)
{
	const char *ta = nsl_str(c->old, c->rows_a[0].type), *tb = nsl_str(c->new, c->rows_b[0].type);

	if (strcmp(ta, tb) != 0)
		return nsl_type_differ(c, "", ta, tb);
	if (!nsl_same_members(c) || !nsl_same_row(c, &c->rows_a[0], &c->rows_b[0]))
		return false;
	if (size_a != size_b)
		return nsl_differ(c, "size %llu in " NSL_OLD_NAME ", %llu in %s",
				  (unsigned long long)size_a, (unsigned long long)size_b, c->new_name);
	return true;
}

/* ... and for a variable, then its place in its section. */
bool nsl_same(const struct nsl_view *old, const struct nsl_symbol *a,
	      const struct nsl_view *new, const struct nsl_symbol *b,
	      const char *new_name, char *why, size_t n)
{
	const struct nsl_cmp c = { .old = old, .new = new,
				   .rows_a = &old->members[a->first_member],
				   .rows_b = &new->members[b->first_member],
				   .na = a->nmembers, .nb = b->nmembers, .new_name = new_name,
				   .label = nsl_str(old, a->name), .t = NSL_NONE, .why = why, .n = n };
	bool typed_a = !(a->flags & NSL_UNTYPED), typed_b = !(b->flags & NSL_UNTYPED);

	if (n)
		why[0] = '\0';
	if (typed_a && !typed_b)
		return nsl_differ(&c, "type %s in " NSL_OLD_NAME ", no type information in %s",
				  nsl_str(old, a->type), new_name);
	if (!typed_a && typed_b)
		return nsl_differ(&c, "no type information in " NSL_OLD_NAME ", type %s in %s",
				  nsl_str(new, b->type), new_name);
	if (typed_a && !nsl_same_rows(&c, a->size, b->size))
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
