/*
 * Type fingerprints of bound data and of interfaces (issue "live evolution"):
 * before a swap binds a new object's code to the running data, or hands the
 * old data to a state transfer, the new object's layout blob (its
 * `.nanoswap.layout` section, tools/layoutfp) is compared with the running
 * copy's (the nano_core description's for a constituent module, the old
 * object's for a crate): data symbol by data symbol, the types they reach,
 * and each global function's signature with the types it reaches
 * (include/nano_core_swap/layout.h). A function whose interface changed may
 * be swapped only if nothing outside the swap still calls it.
 */
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <lib/string.h>
#include <nano_core_swap/layout.h>
#include "swap_internal.h"

/* Do two blobs hold the same bytes (both 8-aligned, multiples of 8)? Eight
 * words a step, one branch for them: the boot compares 12 blobs of ~150 KB
 * in all, every one the same. */
static bool blobs_equal(const void *a, size_t a_size, const void *b, size_t b_size)
{
	const uint64_t *x = a, *y = b;
	size_t n = a_size / 8, i = 0;

	if (a_size != b_size)
		return false;
	for (; i + 8 <= n; i += 8)
		if ((x[i] ^ y[i]) | (x[i + 1] ^ y[i + 1]) | (x[i + 2] ^ y[i + 2]) |
		    (x[i + 3] ^ y[i + 3]) | (x[i + 4] ^ y[i + 4]) | (x[i + 5] ^ y[i + 5]) |
		    (x[i + 6] ^ y[i + 6]) | (x[i + 7] ^ y[i + 7]))
			return false;
	for (; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* The walk's memory for comparing lay's two views (NULL with none needed);
 * false when the heap has none, logged. */
static bool walk_start(const struct swap_layout *lay, struct nsl_walk *w, void **scratch)
{
	size_t size = nsl_walk_size(&lay->old);

	*scratch = size ? kmalloc(size) : NULL;
	if (size && !*scratch) {
		pr_err("swap: %s: out of heap for comparing the types it reaches (%zu bytes for "
		       "the running copy's %u)\n", lay->object, size, lay->old.ntypes);
		return false;
	}
	nsl_walk_init(w, *scratch, &lay->old, &lay->new, lay->object);
	return true;
}

/* Say which data symbols have no type information (the first four by name). */
static void count_untyped(struct swap_layout *out)
{
	for (uint32_t i = 0; i < out->old.nsymbols; i++) {
		const struct nsl_symbol *a = &out->old.syms[i];
		if (a->flags & NSL_UNTYPED && out->unchecked++ < 4)
			pr_info("swap: %s: %s has no type information (assembly): compared by size "
				"only\n", out->object, nsl_str(&out->old, a->name));
	}
	if (out->unchecked > 4)
		pr_info("swap: %s: %u data symbols in all without type information\n", out->object,
			out->unchecked);
}

/* The data, then (if it is the same) every global function's interface. */
static enum err compare_views(struct swap_layout *out)
{
	struct nsl_walk w;
	void *scratch;
	char why[sizeof(out->why)];

	if (!walk_start(out, &w, &scratch))
		return E_NO_HEAP;
	count_untyped(out);
	out->changed = !nsl_same_data(&w, out->why, sizeof(out->why));
	for (uint32_t i = 0; !out->changed && i < out->old.nfuncs; i++) {
		if (nsl_same_interface(&w, &out->old.funcs[i], why, sizeof(why)))
			continue;
		if (out->nifaces < SWAP_MAX_IFACES)
			out->iface[out->nifaces] = &out->old.funcs[i];
		out->nifaces++;
	}
	kfree(scratch);
	return E_OK;
}

enum err swap_compare_layouts(const char *object, const void *live, size_t live_size,
			      const void *image, size_t size, const void *linked,
			      size_t linked_size, struct swap_layout *out)
{
	const void *fresh;
	size_t fresh_size;
	char why[160];
	enum err e = ld_object_section(crates_services(), object, image, size, NSL_SECTION,
				       &fresh, &fresh_size);

	out->changed = false;
	out->unchecked = out->nifaces = 0;
	out->why[0] = '\0';
	out->object = object;
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
		return E_OK; /* (the same variables, types and functions: nothing to parse) */
	e = nsl_parse(live, live_size, &out->old, why, sizeof(why));
	if (e != E_OK) {
		pr_err("swap: the running copy's layout description: %s\n", why);
		return e;
	}
	e = nsl_parse(fresh, fresh_size, &out->new, why, sizeof(why));
	if (e != E_OK) {
		pr_err("swap: %s: its %s: %s\n", object, NSL_SECTION, why);
		return e;
	}
	return compare_views(out);
}

/* ---- who still calls a function ----------------------------------------- */

/* The description module whose copy section s is (its nano_core copy, or
 * the crate that provides it now); NCD_NONE for another crate. *old: s is in
 * a copy that no longer runs (the nano_core's copy of a module swapped
 * since, or a module's superseded crate). */
static uint32_t section_module(const struct ld_section *s, bool *old)
{
	char base[SWAP_NAME_MAX];
	const char *superseded, *object;
	size_t k = 0;
	uint32_t m;

	*old = false;
	if (s->crate == core.crate) {
		m = core.desc.secs[s - core.secs].module;
		*old = swap_module_generation(ncd_str(&core.desc, core.desc.mods[m].name),
					      &superseded, &object) > 1;
		return m;
	}
	for (const char *name = ld_crate_name(s->crate); name[k] && name[k] != '#' &&
						      k < sizeof(base) - 1; k++)
		base[k] = name[k];
	base[k] = '\0';
	m = ncd_find_module(&core.desc, base);
	if (m != NCD_NONE && core.desc.mods[m].constituent) {
		*old = !swap_provides_module(s->crate);
		return m;
	}
	return NCD_NONE;
}

/* Does edge d reach symbol f (the whole section, or a relocation inside f)? */
static bool edge_reaches(const struct ld_dep *d, const struct ld_symbol *f)
{
	uint64_t off = f->addr - f->section->addr;
	struct ld_reloc_iter it;
	struct ld_reloc r;

	if (off == 0 && f->size == f->section->size)
		return true;
	ld_relocs_of_dep(&it, d);
	while (ld_reloc_next(&it, &r))
		if (r.target_offset >= off && r.target_offset - off < f->size)
			return true;
	return false;
}

#define SWAP_MAX_CALLERS 16	/* callers a refusal names (more: "and others") */

/* Add caller to the sorted who[0, n) unless it is there; the new count. */
static unsigned add_caller(const char **who, unsigned n, const char *caller, bool *more)
{
	unsigned i = 0;

	while (i < n && strcmp(who[i], caller) < 0)
		i++;
	if (i < n && strcmp(who[i], caller) == 0)
		return n;
	if (n == SWAP_MAX_CALLERS) {
		*more = true;
		return n;
	}
	memmove(&who[i + 1], &who[i], (n - i) * sizeof(*who));
	who[i] = caller;
	return n + 1;
}

/* The live callers of function `name` in old_copy (module m's running copy)
 * outside the group: their names (modules, or crates) in who[], sorted, and
 * how many; *more if there were others still. */
static unsigned find_callers(const char *name, uint32_t m, struct ld_crate *old_copy,
			     bool (*in_group)(void *ctx, uint32_t module), void *ctx,
			     const char **who, bool *more)
{
	const struct ld_symbol *f;
	unsigned n = 0;

	*more = false;
	if (ld_lookup(crates_namespace(), name, &f) != E_OK || f->crate != old_copy ||
	    !f->section)
		return 0;
	for (const struct ld_dep *d = f->section->dependents; d; d = d->next_dependent) {
		bool old;
		uint32_t sm = section_module(d->source, &old);

		if (!d->nrelocs || old || sm == m || d->source->crate == old_copy ||
		    (sm != NCD_NONE && in_group(ctx, sm)) || !edge_reaches(d, f))
			continue;
		n = add_caller(who, n, sm != NCD_NONE ? ncd_str(&core.desc, core.desc.mods[sm].name)
						      : ld_crate_name(d->source->crate), more);
	}
	return n;
}

/* "shell", "ktest and shell", "init, ktest and shell", "a, b, c and others" */
static void say_callers(const char **who, unsigned n, bool more, char *buf, size_t size)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && pos < size; i++)
		pos += fmt_snprintf(buf + pos, size - pos, "%s%s",
				    i == 0 ? "" : i + 1 == n && !more ? " and " : ", ", who[i]);
	if (more && pos < size)
		fmt_snprintf(buf + pos, size - pos, " and others");
}

/* Why f's interface differs: the comparison of compare_views replayed up to
 * f (it is deterministic: the types paired before f are paired again). */
static enum err interface_why(const struct swap_layout *lay, const struct nsl_func *f, char *why,
			      size_t n)
{
	struct nsl_walk w;
	void *scratch;
	bool same;

	if (!walk_start(lay, &w, &scratch))
		return E_NO_HEAP;
	same = nsl_same_data(&w, why, n);
	for (const struct nsl_func *g = lay->old.funcs; same && g <= f; g++)
		same = nsl_same_interface(&w, g, why, n) || g != f;
	kfree(scratch);
	if (same)
		panic("BUG: swap: %s's interface differed, and then did not",
		      nsl_str(&lay->old, f->name));
	return E_OK;
}

enum err swap_check_interfaces(const struct swap_layout *lay, const char *module,
			       struct ld_crate *old_copy,
			       bool (*in_group)(void *ctx, uint32_t module), void *ctx)
{
	uint32_t m = ncd_find_module(&core.desc, module);
	unsigned listed = lay->nifaces < SWAP_MAX_IFACES ? lay->nifaces : SWAP_MAX_IFACES;

	for (unsigned i = 0; i < listed; i++) {
		const struct nsl_func *f = lay->iface[i];
		const char *name = nsl_str(&lay->old, f->name), *who[SWAP_MAX_CALLERS];
		bool more;
		unsigned n = find_callers(name, m, old_copy, in_group, ctx, who, &more);
		char why[sizeof(lay->why)], callers[128];
		enum err e;

		if (!n)
			continue;
		if ((e = interface_why(lay, f, why, sizeof(why))) != E_OK)
			return e;
		say_callers(who, n, more, callers, sizeof(callers));
		pr_err("swap: %s: %s changes the interface of %s (%s), which %s still call%s "
		       "(swap them in one group)\n", module, lay->object, name, why, callers,
		       n == 1 && !more ? "s" : "");
		return E_SWAP_LAYOUT_CHANGED;
	}
	if (lay->nifaces > SWAP_MAX_IFACES) {
		pr_err("swap: %s: %s changes the interface of %u global functions, more than "
		       "SWAP_MAX_IFACES (%d) can be checked for callers\n", module, lay->object,
		       lay->nifaces, SWAP_MAX_IFACES);
		return E_LIMIT;
	}
	return E_OK;
}
