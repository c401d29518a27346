/*
 * The `nano_core` crate: the statically linked image described to the
 * loader as a crate whose sections already exist. One section per input
 * section of every module (named "module:section"), every module's symbols
 * (globals published, locals kept for backtraces) plus the linker script's,
 * and every relocation the static linker applied, as dependency records a
 * later step can redirect.
 */
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <lib/string.h>
#include "swap_internal.h"

struct core_crate core;

static const enum ld_kind kinds[] = {
	[NCD_TEXT] = LD_KIND_TEXT, [NCD_RODATA] = LD_KIND_RODATA, [NCD_DATA] = LD_KIND_DATA,
};

/* Names point into the description, which stays mapped: kept, not copied. */
static enum err add_sections(void)
{
	const struct ncd_view *v = &core.desc;

	for (uint32_t i = 0; i < v->h->nsections; i++) {
		const struct ncd_section *s = &v->secs[i];
		enum err e = ld_existing_add_section(core.crate, ncd_str(v, s->full_name),
						     kinds[s->kind], s->addr, s->size, s->align,
						     &core.secs[i]);
		if (e != E_OK)
			return e;
	}
	return E_OK;
}

/* The description's symbols are the loader's bulk records (same layout,
 * checked below at compile time), their names in its string table. */
_Static_assert(sizeof(struct ncd_symbol) == sizeof(struct ld_existing_symbol) &&
	       offsetof(struct ncd_symbol, name) == offsetof(struct ld_existing_symbol, name) &&
	       offsetof(struct ncd_symbol, section) ==
		       offsetof(struct ld_existing_symbol, section) &&
	       offsetof(struct ncd_symbol, bind) == offsetof(struct ld_existing_symbol, bind) &&
	       offsetof(struct ncd_symbol, type) == offsetof(struct ld_existing_symbol, type) &&
	       offsetof(struct ncd_symbol, addr) == offsetof(struct ld_existing_symbol, addr) &&
	       offsetof(struct ncd_symbol, size) == offsetof(struct ld_existing_symbol, size),
	       "struct ncd_symbol is struct ld_existing_symbol");
static enum err add_symbols(void)
{
	const struct ncd_view *v = &core.desc;

	return ld_existing_add_symbols(core.crate, (const struct ld_existing_symbol *)v->syms,
				       v->h->nsymbols, v->strs, v->h->strtab_size);
}

/* The records of the description are the loader's bulk records (same
 * layout, checked below at compile time): handed over in one call. */
_Static_assert(sizeof(struct ncd_reloc) == sizeof(struct ld_existing_reloc) &&
	       offsetof(struct ncd_reloc, target) == offsetof(struct ld_existing_reloc, target) &&
	       offsetof(struct ncd_reloc, type) == offsetof(struct ld_existing_reloc, type) &&
	       offsetof(struct ncd_reloc, offset) == offsetof(struct ld_existing_reloc, offset) &&
	       offsetof(struct ncd_reloc, target_offset) ==
		       offsetof(struct ld_existing_reloc, target_offset) &&
	       offsetof(struct ncd_reloc, addend) == offsetof(struct ld_existing_reloc, addend) &&
	       NCD_NONE == LD_NO_SECTION, "struct ncd_reloc is struct ld_existing_reloc");
/* The records, but those whose place is in the text or rodata of a module
 * in `swapped`: handed over in runs (they come grouped by source section). */
static enum err add_relocs(const bool *swapped)
{
	const struct ncd_view *v = &core.desc;
	const struct ld_existing_reloc *r = (const struct ld_existing_reloc *)v->relocs;
	uint32_t n = v->h->nrelocs, from = 0;
	enum err e = E_OK;

	for (uint32_t i = 0; i <= n && e == E_OK; i++) {
		const struct ncd_section *src = i < n ? &v->secs[r[i].source] : NULL;

		if (src && !(swapped && swapped[src->module] && src->kind != NCD_DATA))
			continue; /* kept: part of the current run */
		if (i > from)
			e = ld_existing_add_relocs(core.crate, r + from, i - from);
		from = i + 1;
		core.left_out += src != NULL;
	}
	return e;
}

enum err core_crate_build(struct ld_namespace *ns, const bool *swapped)
{
	const struct ncd_header *h = core.desc.h;
	enum err e;

	core.secs = kzalloc(h->nsections * sizeof(*core.secs));
	if (!core.secs)
		return E_NO_HEAP;
	core.crate = NULL;
	core.lean = false;
	core.left_out = 0;
	e = ld_existing_begin(ns, "nano_core", h->nsections, h->nsymbols, h->nrelocs, &core.crate);
	if (e == E_OK)
		ld_existing_keep_names(core.crate);
	if (e == E_OK)
		e = add_sections();
	if (e == E_OK)
		e = add_symbols();
	if (e == E_OK)
		e = add_relocs(swapped);
	if (e == E_OK)
		e = ld_existing_commit(core.crate);
	core.lean = core.left_out > 0;
	if (e != E_OK) {
		pr_err("swap: cannot build the nano_core crate: %s (%s)\n", err_name(e), err_msg(e));
		if (core.crate)
			ld_existing_abort(core.crate);
		kfree(core.secs);
		core.crate = NULL;
		core.secs = NULL;
	}
	return e;
}

enum err core_crate_complete(struct ld_namespace *ns)
{
	enum err e;

	if (!core.crate || !core.lean)
		return E_OK;
	e = ld_unload(ns, core.crate);
	if (e != E_OK) {
		pr_err("swap: the lean nano_core crate cannot be replaced: %s (%s)\n", err_name(e),
		       err_msg(e));
		return e;
	}
	kfree(core.secs);
	e = core_crate_build(ns, NULL);
	crates_changed(); /* (the debugger's view of the crates) */
	return e;
}
