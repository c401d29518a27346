/*
 * Following the types a description reaches (include/nano_core_swap/layout.h):
 * a variable's own rows are not all its layout when a row is a pointer, and
 * a global function's signature is not all its interface when a parameter
 * is one. The running kernel's types are paired with a new object's through
 * the rows that reach them and compared breadth first, once each, cycles
 * included; the first difference is named with the path that reached it.
 * Freestanding, no heap (the caller gives the walk its memory), no logging.
 */
#include <console/format.h>
#include <lib/string.h>
#include "layout_cmp.h"

/* nsl_walk.state: what is known of an old type and its partner. */
enum {
	NSL_WALK_NEW,		/* not compared yet (or found to differ) */
	NSL_WALK_SAME_HERE,	/* its own rows are the same as its partner's */
	NSL_WALK_SAME,		/* and so is every type it reaches */
};

#define NSL_CHAIN_MAX	64	/* the path nsl_walk_subject follows back, at most */

void nsl_walk_init(struct nsl_walk *w, void *scratch, const struct nsl_view *old,
		   const struct nsl_view *new, const char *new_name)
{
	uint32_t *p = scratch, nt = old->ntypes;

	*w = (struct nsl_walk){ .old = old, .new = new, .new_name = new_name,
				.partner = p, .state = p + nt, .stamp = p + 2 * nt,
				.via_owner = p + 3 * nt, .via_row = p + 4 * nt,
				.queue = p + 5 * nt };
	for (uint32_t i = 0; i < nt; i++) {
		w->partner[i] = NSL_NONE;
		w->state[i] = NSL_WALK_NEW;
		w->stamp[i] = 0;
	}
}

/* ---- the path to a type ----------------------------------------------------- */

/* Append to buf[n] at *pos (which may pass n: the text is cut there). */
static void __attribute__((format(printf, 4, 5)))
nsl_put(char *buf, size_t n, size_t *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*pos += fmt_vsnprintf(*pos < n ? buf + *pos : NULL, *pos < n ? n - *pos : 0, fmt, ap);
	va_end(ap);
}

/* "OWNER.PATH -> " for the row of old that reached a type ("OWNER -> " at a
 * root row); nothing for a function's parameters (no owner, no row). */
static void nsl_put_step(const struct nsl_walk *w, const char *owner, uint32_t row, char *buf,
			 size_t n, size_t *pos)
{
	const char *path = row == NSL_NONE ? "" : nsl_str(w->old, w->old->members[row].path);

	if (owner)
		nsl_put(buf, n, pos, "%s%s%s -> ", owner, *path ? "." : "", path);
}

size_t nsl_walk_subject(const struct nsl_walk *w, uint32_t t, char *buf, size_t n)
{
	uint32_t chain[NSL_CHAIN_MAX], m = 0;
	size_t pos = 0;

	if (n)
		buf[0] = '\0';
	/* chain[0] is t, chain[m - 1] the type the seed reached first */
	for (uint32_t x = t; x != NSL_NONE && m < NSL_CHAIN_MAX; x = w->via_owner[x])
		chain[m++] = x;
	if (w->via_owner[chain[m - 1]] == NSL_NONE)
		nsl_put_step(w, w->seed, w->via_row[chain[m - 1]], buf, n, &pos);
	else
		nsl_put(buf, n, &pos, "... -> ");	/* (longer than NSL_CHAIN_MAX) */
	for (uint32_t j = m - 1; j > 0; j--) {
		if (m > 4 && j < m - 1 && j > 2) {	/* the middle of a long path */
			if (j == m - 2)
				nsl_put(buf, n, &pos, "... -> ");
			continue;
		}
		nsl_put_step(w, nsl_str(w->old, w->old->types[chain[j]].name),
			     w->via_row[chain[j - 1]], buf, n, &pos);
	}
	nsl_put(buf, n, &pos, "%s: ", nsl_str(w->old, w->old->types[t].name));
	return pos;
}

/* ---- one step: a symbol's or a function's types, breadth first ------------- */

/* Row `row` of `owner` (NSL_NONE: the seed; row NSL_NONE: a function's
 * signature) names count_a types in old, count_b in new: say so. */
static bool nsl_walk_differ(const struct nsl_walk *w, uint32_t owner, uint32_t row,
			    uint32_t count_a, uint32_t count_b, char *why, size_t n)
{
	const struct nsl_cmp c = { .old = w->old, .new = w->new, .new_name = w->new_name,
				   .label = w->seed, .w = owner == NSL_NONE ? NULL : w,
				   .t = owner, .why = why, .n = n };
	const char *path = row == NSL_NONE ? "" : nsl_str(w->old, w->old->members[row].path);

	return nsl_differ(&c, "%s%s%snames %u types in " NSL_OLD_NAME ", %u in %s",
			  *path ? "member " : "", path, *path ? " " : "", count_a, count_b,
			  w->new_name);
}

/* Old type t is reached, as new type u, through row `row` of `owner`: pair
 * them (a second partner is a difference) and queue t unless it is known. */
static bool nsl_walk_reach(struct nsl_walk *w, uint32_t t, uint32_t u, uint32_t owner,
			   uint32_t row, char *why, size_t n)
{
	if (w->partner[t] != NSL_NONE && w->partner[t] != u) {
		const struct nsl_cmp c = { .old = w->old, .new = w->new, .w = w, .t = t,
					   .why = why, .n = n };
		if (w->stamp[t] != w->step)	/* (queued this step: it has its path) */
			w->stamp[t] = w->step, w->via_owner[t] = owner, w->via_row[t] = row;
		return nsl_differ(&c, "here %s has another definition of it than the one "
				  "reached before (%s, type %u and %u)", w->new_name,
				  nsl_str(w->new, w->new->types[u].name), w->partner[t], u);
	}
	w->partner[t] = u;
	if (w->state[t] == NSL_WALK_SAME || w->stamp[t] == w->step)
		return true;
	w->stamp[t] = w->step;
	w->via_owner[t] = owner;
	w->via_row[t] = row;
	w->queue[w->tail++] = t;	/* (once per step: tail stays within ntypes) */
	return true;
}

/* The refs of row ra of old and rb of new, paired in order. */
static bool nsl_walk_row(struct nsl_walk *w, uint32_t owner, uint32_t ra, uint32_t rb,
			 char *why, size_t n)
{
	const struct nsl_member *ma = &w->old->members[ra], *mb = &w->new->members[rb];

	if (ma->nrefs != mb->nrefs)
		return nsl_walk_differ(w, owner, ra, ma->nrefs, mb->nrefs, why, n);
	for (uint32_t k = 0; k < ma->nrefs; k++)
		if (!nsl_walk_reach(w, w->old->refs[ma->first_ref + k],
				    w->new->refs[mb->first_ref + k], owner, ra, why, n))
			return false;
	return true;
}

/* Every row of old's [fa, + na) with new's row of the same path in [fb, + nb). */
static bool nsl_walk_rows(struct nsl_walk *w, uint32_t owner, uint32_t fa, uint32_t na,
			  uint32_t fb, uint32_t nb, char *why, size_t n)
{
	const struct nsl_member *rows_b = &w->new->members[fb];

	for (uint32_t i = 0; i < na; i++) {
		const char *path = nsl_str(w->old, w->old->members[fa + i].path);
		const struct nsl_member *mb = nsl_row_by_path(w->new, rows_b, nb, path, i);
		/* (the rows were compared the same: each has its counterpart) */
		if (mb && !nsl_walk_row(w, owner, fa + i, (uint32_t)(mb - w->new->members), why, n))
			return false;
	}
	return true;
}

/* Old type t against its partner, by name, then (both defined) by rows. */
static bool nsl_same_type(const struct nsl_walk *w, uint32_t t, char *why, size_t n)
{
	const struct nsl_type *ta = &w->old->types[t], *tb = &w->new->types[w->partner[t]];
	const struct nsl_cmp c = { .old = w->old, .new = w->new,
				   .rows_a = &w->old->members[ta->first_member],
				   .rows_b = &w->new->members[tb->first_member],
				   .na = ta->nmembers, .nb = tb->nmembers, .new_name = w->new_name,
				   .w = w, .t = t, .why = why, .n = n };
	const char *name_a = nsl_str(w->old, ta->name), *name_b = nsl_str(w->new, tb->name);

	if (strcmp(name_a, name_b) != 0)
		return nsl_type_differ(&c, "", name_a, name_b);
	if ((ta->flags | tb->flags) & NSL_TYPE_OPAQUE)
		return true;	/* one side cannot see inside: the name is all */
	return nsl_same_rows(&c, ta->size, tb->size);
}

/* Compare every type queued, queueing what each reaches; when all are the
 * same, so is everything they reach: none is walked again. */
static bool nsl_walk_run(struct nsl_walk *w, char *why, size_t n)
{
	for (uint32_t h = 0; h < w->tail; h++) {
		uint32_t t = w->queue[h], u = w->partner[t];
		const struct nsl_type *ta = &w->old->types[t], *tb = &w->new->types[u];

		if (w->state[t] == NSL_WALK_NEW) {
			if (!nsl_same_type(w, t, why, n))
				return false;
			w->state[t] = NSL_WALK_SAME_HERE;
		}
		if (!nsl_walk_rows(w, t, ta->first_member, ta->nmembers, tb->first_member,
				   tb->nmembers, why, n))
			return false;
	}
	for (uint32_t h = 0; h < w->tail; h++)
		w->state[w->queue[h]] = NSL_WALK_SAME;
	return true;
}

static void nsl_walk_begin(struct nsl_walk *w, const char *seed)
{
	w->step++;
	w->tail = 0;
	w->seed = seed;
}

/* ---- the descriptions -------------------------------------------------------- */

/* New's counterpart of old symbol a: the k-th of its name and section for
 * the k-th in old (two file statics of one name, merged by `ld -r`). */
static const struct nsl_symbol *nsl_counterpart(const struct nsl_view *old,
						const struct nsl_symbol *a,
						const struct nsl_view *new)
{
	const char *name = nsl_str(old, a->name), *section = nsl_str(old, a->section);
	const struct nsl_symbol *x = nsl_find(old, name, section);
	const struct nsl_symbol *b = nsl_find(new, name, section);

	for (; x && x != a && b; x = nsl_find_next(old, x))
		b = nsl_find_next(new, b);
	return b;
}

bool nsl_same_data(struct nsl_walk *w, char *why, size_t n)
{
	const struct nsl_view *old = w->old, *new = w->new;

	for (uint32_t i = 0; i < old->nsymbols; i++) {	/* each variable's own rows */
		const struct nsl_symbol *a = &old->syms[i], *b = nsl_counterpart(old, a, new);
		if (!b) {
			fmt_snprintf(why, n, "%s: in " NSL_OLD_NAME ", not in %s",
				     nsl_str(old, a->name), w->new_name);
			return false;
		}
		if (!nsl_same(old, a, new, b, w->new_name, why, n))
			return false;
	}
	for (uint32_t i = 0; i < new->nsymbols; i++) {
		const struct nsl_symbol *b = &new->syms[i];
		if (!nsl_find(old, nsl_str(new, b->name), nsl_str(new, b->section))) {
			fmt_snprintf(why, n, "%s: in %s, not in " NSL_OLD_NAME,
				     nsl_str(new, b->name), w->new_name);
			return false;
		}
	}
	for (uint32_t i = 0; i < old->nsymbols; i++) {	/* then what their rows reach */
		const struct nsl_symbol *a = &old->syms[i], *b = nsl_counterpart(old, a, new);
		nsl_walk_begin(w, nsl_str(old, a->name));
		if (!nsl_walk_rows(w, NSL_NONE, a->first_member, a->nmembers, b->first_member,
				   b->nmembers, why, n) || !nsl_walk_run(w, why, n))
			return false;
	}
	return true;
}

bool nsl_same_interface(struct nsl_walk *w, const struct nsl_func *fa, char *why, size_t n)
{
	const struct nsl_func *fb = nsl_find_func(w->new, nsl_str(w->old, fa->name));
	const struct nsl_cmp c = { .old = w->old, .new = w->new, .new_name = w->new_name,
				   .t = NSL_NONE, .why = why, .n = n };
	bool typed_a = !(fa->flags & NSL_UNTYPED), typed_b = fb && !(fb->flags & NSL_UNTYPED);
	const char *ta = nsl_str(w->old, fa->type);

	if (n)
		why[0] = '\0';
	if (!fb)
		return true;
	nsl_walk_begin(w, NULL);
	if (typed_a != typed_b)
		return typed_a ? nsl_differ(&c, "type %s in " NSL_OLD_NAME ", no type information "
					    "in %s", ta, w->new_name)
			       : nsl_differ(&c, "no type information in " NSL_OLD_NAME ", type %s "
					    "in %s", nsl_str(w->new, fb->type), w->new_name);
	if (!typed_a)
		return true;
	if (strcmp(ta, nsl_str(w->new, fb->type)) != 0)
		return nsl_type_differ(&c, "", ta, nsl_str(w->new, fb->type));
	if (fa->nrefs != fb->nrefs)
		return nsl_walk_differ(w, NSL_NONE, NSL_NONE, fa->nrefs, fb->nrefs, why, n);
	for (uint32_t k = 0; k < fa->nrefs; k++)
		if (!nsl_walk_reach(w, w->old->refs[fa->first_ref + k],
				    w->new->refs[fb->first_ref + k], NSL_NONE, NSL_NONE, why, n))
			return false;
	return nsl_walk_run(w, why, n);
}
