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

/* The description's sections begin with the loader's bulk records (same
 * layout, checked below at compile time): handed over in one call, their
 * names the full ones ("module:section"). */
_Static_assert(offsetof(struct ncd_section, full_name) ==
		       offsetof(struct ld_existing_section, name) &&
	       offsetof(struct ncd_section, kind) == offsetof(struct ld_existing_section, kind) &&
	       offsetof(struct ncd_section, nobits) ==
		       offsetof(struct ld_existing_section, nobits) &&
	       offsetof(struct ncd_section, addr) == offsetof(struct ld_existing_section, addr) &&
	       offsetof(struct ncd_section, size) == offsetof(struct ld_existing_section, size) &&
	       offsetof(struct ncd_section, align) == offsetof(struct ld_existing_section, align) &&
	       (int)NCD_TEXT == (int)LD_KIND_TEXT && (int)NCD_RODATA == (int)LD_KIND_RODATA &&
	       (int)NCD_DATA == (int)LD_KIND_DATA,
	       "struct ncd_section begins with struct ld_existing_section");
static enum err add_sections(void)
{
	const struct ncd_view *v = &core.desc;
	size_t n;
	enum err e = ld_existing_add_sections(core.crate, v->secs, sizeof(*v->secs),
					      v->h->nsections, v->strs, v->h->strtab_size);

	if (e == E_OK)
		core.secs = ld_crate_sections(core.crate, &n);
	return e;
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
/* Does the crate keep what lies in section s: it is not the text or rodata
 * of a module in `swapped`? */
static bool core_keeps(const bool *swapped, const struct ncd_section *s)
{
	return !(swapped && swapped[s->module] && s->kind != NCD_DATA);
}

/* The relocation records the crate keeps (each section's are one run). */
static uint32_t kept_records(const bool *swapped)
{
	const struct ncd_view *v = &core.desc;
	uint32_t n = 0;

	for (uint32_t i = 0; i < v->h->nsections; i++)
		n += core_keeps(swapped, &v->secs[i]) ? v->secs[i].nrelocs : 0;
	return n;
}

/* The symbols the crate keeps: per module, those of its data when it is in
 * `swapped`, else all; and the linker script's. */
static uint32_t kept_symbols(const bool *swapped)
{
	const struct ncd_view *v = &core.desc;
	uint32_t n = v->h->nsymbols;

	for (uint32_t m = 0; m < v->h->nmodules; m++)
		if (swapped && swapped[m])
			n -= v->mods[m].nsymbols - v->mods[m].ndata_symbols;
	return n;
}

/* The description's symbols, but those in the text or rodata of a module in
 * `swapped` (superseded by the new copies; backtraces through the old code
 * fall back to the image's own symbol table): per module one run, its data
 * symbols (listed first) or all, then the linker script's. */
static enum err add_symbols(const bool *swapped)
{
	const struct ncd_view *v = &core.desc;
	const struct ld_existing_symbol *r = (const struct ld_existing_symbol *)v->syms;
	uint32_t next = 0;
	enum err e = E_OK;

	for (uint32_t m = 0; m < v->h->nmodules && e == E_OK; m++) {
		const struct ncd_module *mod = &v->mods[m];
		uint32_t n = swapped && swapped[m] ? mod->ndata_symbols : mod->nsymbols;

		if (n)
			e = ld_existing_add_symbols(core.crate, r + mod->first_symbol, n, v->strs,
						    v->h->strtab_size);
		core.symbols_left_out += mod->nsymbols - n;
		next = mod->first_symbol + mod->nsymbols;
	}
	if (e == E_OK && next < v->h->nsymbols)
		e = ld_existing_add_symbols(core.crate, r + next, v->h->nsymbols - next, v->strs,
					    v->h->strtab_size);
	return e;
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
 * in `swapped` (never read: left out unchecked). Each kept section's run is
 * checked, and consecutive kept runs go over in one call. */
static enum err add_relocs(const bool *swapped)
{
	const struct ncd_view *v = &core.desc;
	const struct ld_existing_reloc *r = (const struct ld_existing_reloc *)v->relocs;
	uint32_t n = v->h->nsections, from = 0, to = 0;
	enum err e = E_OK;

	for (uint32_t i = 0; i <= n && e == E_OK; i++) {
		const struct ncd_section *s = i < n ? &v->secs[i] : NULL;

		if (s && core_keeps(swapped, s)) {
			e = ncd_check_relocs(v, i);
			to = s->first_reloc + s->nrelocs; /* kept: the run goes on */
			continue;
		}
		if (to > from)
			e = ld_existing_add_relocs(core.crate, r + from, to - from);
		if (s) {
			core.left_out += s->nrelocs;
			from = to = s->first_reloc + s->nrelocs;
		}
	}
	return e;
}

enum err core_crate_build(struct ld_namespace *ns, const bool *swapped)
{
	const struct ncd_header *h = core.desc.h;
	enum err e;

	core.crate = NULL;
	core.lean = false;
	core.left_out = 0;
	core.symbols_left_out = 0;
	e = ld_existing_begin(ns, "nano_core", h->nsections, kept_symbols(swapped),
			      kept_records(swapped),
			      &core.crate);
	if (e == E_OK)
		ld_existing_keep_names(core.crate);
	if (e == E_OK)
		e = add_sections();
	if (e == E_OK)
		e = add_symbols(swapped);
	if (e == E_OK)
		e = add_relocs(swapped);
	if (e == E_OK)
		e = ld_existing_commit(core.crate);
	core.lean = core.left_out + core.symbols_left_out > 0;
	if (e != E_OK) {
		pr_err("swap: cannot build the nano_core crate: %s (%s)\n", err_name(e), err_msg(e));
		if (core.crate)
			ld_existing_abort(core.crate);
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
	e = core_crate_build(ns, NULL);
	crates_changed(); /* (the debugger's view of the crates) */
	return e;
}
