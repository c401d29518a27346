/*
 * Private to nano_core_swap/layout_cmp.c and layout_walk.c: comparing two
 * owners' rows (a symbol's, a type's) and saying how they differ, with the
 * subject of the sentence chosen by the caller: a symbol's name, or the path
 * by which a walk reached a type.
 */
#ifndef NANO_CORE_SWAP_LAYOUT_CMP_H
#define NANO_CORE_SWAP_LAYOUT_CMP_H

#include <nano_core_swap/layout.h>

#define NSL_OLD_NAME	"the running kernel"

/* Two owners' rows being compared, and where a difference is written. */
struct nsl_cmp {
	const struct nsl_view *old, *new;
	const struct nsl_member *rows_a, *rows_b;	/* the root first */
	uint32_t na, nb;
	const char *new_name;
	/* the subject: "LABEL: ", or (w) the path to old type t, or nothing */
	const char *label;
	const struct nsl_walk *w;
	uint32_t t;
	char *why;
	size_t n;
};

/* Write the subject and the difference to c->why; returns false. */
bool nsl_differ(const struct nsl_cmp *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Two canonical type strings that differ, at row `path` ("" for the root):
 * the enumerator, the bounds, or the whole types. Returns false. */
bool nsl_type_differ(const struct nsl_cmp *c, const char *path, const char *ta, const char *tb);
/* The rows of c: the root's type, the members by path, the root row, then
 * the owners' sizes (size_a, size_b). */
bool nsl_same_rows(const struct nsl_cmp *c, uint64_t size_a, uint64_t size_b);
/* The row of rows[0, n) with this path, trying `hint` first; NULL if none. */
const struct nsl_member *nsl_row_by_path(const struct nsl_view *v, const struct nsl_member *rows,
					 uint32_t n, const char *path, uint32_t hint);
/* Write the path by which the walk reached old type t, "SEED -> A.x -> T: "
 * (the middle of a long one elided); returns its length. */
size_t nsl_walk_subject(const struct nsl_walk *w, uint32_t t, char *buf, size_t n);

#endif
