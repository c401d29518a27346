/*
 * Type fingerprints of bound data (issue "live evolution"): before a swap
 * binds a new object's code to the running data, or hands the old data to a
 * state transfer, the new object's layout blob (its `.nanoswap.layout`
 * section, tools/layoutfp) is compared with the running copy's (the nano_core
 * description's for a constituent module, the old object's for a crate), data
 * symbol by data symbol (include/nano_core_swap/layout.h).
 */
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <lib/string.h>
#include <nano_core_swap/layout.h>
#include "swap_internal.h"

/* Do two blobs hold the same bytes (a word at a time: both 8-aligned,
 * multiples of 8)? */
static bool blobs_equal(const void *a, size_t a_size, const void *b, size_t b_size)
{
	const uint64_t *x = a, *y = b;

	size_t n = a_size / 8, i = 0;

	if (a_size != b_size)
		return false;
	for (; i + 2 <= n; i += 2) /* (two words a step) */
		if ((x[i] ^ y[i]) | (x[i + 1] ^ y[i + 1]))
			return false;
	return i == n || x[i] == y[i];
}

/* Each symbol of `live` against `fresh`: the first difference into why[n]
 * (true: there is one); untyped ones compared by size and counted. */
static bool first_difference(const struct nsl_view *live, const struct nsl_view *fresh,
			     const char *object, struct swap_layout *out)
{
	for (uint32_t i = 0; i < live->nsymbols; i++) {
		const struct nsl_symbol *a = &live->syms[i];
		const struct nsl_symbol *b = nsl_find(fresh, nsl_str(live, a->name),
						      nsl_str(live, a->section));

		if (!b) {
			fmt_snprintf(out->why, sizeof(out->why), "%s: in the running kernel, not "
				     "in %s", nsl_str(live, a->name), object);
			return true;
		}
		if (a->flags & NSL_UNTYPED && out->unchecked++ < 4)
			pr_info("swap: %s: %s has no type information (assembly): compared by size "
				"only\n", object, nsl_str(live, a->name));
		if (!nsl_same(live, a, fresh, b, object, out->why, sizeof(out->why)))
			return true;
	}
	for (uint32_t i = 0; i < fresh->nsymbols; i++) {
		const struct nsl_symbol *b = &fresh->syms[i];

		if (!nsl_find(live, nsl_str(fresh, b->name), nsl_str(fresh, b->section))) {
			fmt_snprintf(out->why, sizeof(out->why), "%s: in %s, not in the running "
				     "kernel", nsl_str(fresh, b->name), object);
			return true;
		}
	}
	return false;
}

enum err swap_compare_layouts(const char *object, const void *live, size_t live_size,
			      const void *image, size_t size, const void *linked,
			      size_t linked_size, struct swap_layout *out)
{
	const void *fresh;
	size_t fresh_size;
	struct nsl_view lv, fv;
	char why[160];
	enum err e = ld_object_section(crates_services(), object, image, size, NSL_SECTION,
				       &fresh, &fresh_size);

	*out = (struct swap_layout){ 0 };
	if (e == E_LD_NOT_FOUND) { /* no fingerprints: only the very object linked */
		if (linked && size == linked_size && memcmp(image, linked, size) == 0)
			return E_OK;
		pr_err("swap: %s: no %s section, and not the object that was linked: its data "
		       "layout cannot be checked\n", object, NSL_SECTION);
		return E_SWAP_NO_LAYOUT;
	}
	if (e != E_OK)
		return e;
	if (blobs_equal(live, live_size, fresh, fresh_size))
		return E_OK; /* (the same variables, the same types: nothing to parse) */
	e = nsl_parse(live, live_size, &lv, why, sizeof(why));
	if (e != E_OK) {
		pr_err("swap: the running copy's layout description: %s\n", why);
		return e;
	}
	e = nsl_parse(fresh, fresh_size, &fv, why, sizeof(why));
	if (e != E_OK) {
		pr_err("swap: %s: its %s: %s\n", object, NSL_SECTION, why);
		return e;
	}
	out->changed = first_difference(&lv, &fv, object, out);
	if (out->unchecked > 4)
		pr_info("swap: %s: %u data symbols in all without type information\n", object,
			out->unchecked);
	return E_OK;
}
