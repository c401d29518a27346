/* Private to nano_core_swap/: the parsed description and the nano_core crate. */
#ifndef NANO_CORE_SWAP_INTERNAL_H
#define NANO_CORE_SWAP_INTERNAL_H

#include <nano_core_swap/desc.h>
#include <nano_core_swap/layout.h>
#include <nano_core_swap/swap.h>
#include <stddef.h>

/* A validated description: every index, offset and string checked, but the
 * relocation records, which ncd_check_relocs checks section by section as
 * they are taken (a lean crate never reads most of them). */
struct ncd_view {
	const struct ncd_header *h;
	const struct ncd_module *mods;
	const struct ncd_section *secs;
	const struct ncd_symbol *syms;
	const struct ncd_reloc *relocs;
	const char *strs;
	const uint8_t *layouts;	/* the modules' layout blobs (checked when used) */
};

/* Check the description (size bytes at data) and fill *v. */
enum err ncd_parse(const void *data, size_t size, struct ncd_view *v) NS_MUST_CHECK;

/* Check section's relocation records (source, place, target). */
enum err ncd_check_relocs(const struct ncd_view *v, uint32_t section) NS_MUST_CHECK;

static inline const char *ncd_str(const struct ncd_view *v, uint32_t off)
{
	return v->strs + off;	/* ncd_parse checked every offset */
}

/* The lowest and highest text address among module m's sections. */
void ncd_text_range(const struct ncd_view *v, uint32_t m, uint64_t *start, uint64_t *end);

/* The index of module name in the description, or NCD_NONE. */
uint32_t ncd_find_module(const struct ncd_view *v, const char *name);

/* The nano_core crate, built from the description (core_crate.c). */
struct core_crate {
	struct ncd_view desc;
	struct ld_crate *crate;
	const struct ld_section *secs;	/* the crate's, one per description section */
	bool lean;	/* lacks the records of the modules its first swap is replacing,
			 * and that swap has not succeeded (yet) */
	size_t left_out;	/* those records */
	size_t symbols_left_out; /* and symbols */
};

extern struct core_crate core;

/* Build the nano_core crate from its description. With `swapped` (per
 * description module; may be NULL), the relocation records whose place is in
 * the text or rodata of a module about to be swapped, and the symbols there,
 * are left out (core.lean):
 * that old copy is retired, never patched, so what it refers to is never
 * redirected. If that swap fails, core_crate_complete rebuilds it whole. */
enum err core_crate_build(struct ld_namespace *ns, const bool *swapped) NS_MUST_CHECK;
/* A lean crate replaced by a whole one (the swap it was built for failed). */
enum err core_crate_complete(struct ld_namespace *ns) NS_MUST_CHECK;

#define SWAP_NAME_MAX		48	/* a crate's or object's name */
#define SWAP_MAX_VERSIONS	16	/* crates evolve.c remembers */

struct swap_plan;

/* Is crate c a constituent module's copy (swap.c)? */
bool swap_provides_module(const struct ld_crate *c);
/* The plan of a crate's swap for a new version (evolve.c), its pairs to come. */
enum err swap_plan_for_crate(struct swap_plan *p, struct ld_crate *old, struct ld_crate *fresh,
			     const char *object, bool layout_changed) NS_MUST_CHECK;
/* Queue crate `old` for swap_retire_old_code. */
void swap_queue_crate_retire(struct ld_crate *old);

/* How a new object's data layout and interfaces compare with the running
 * copy's. */
#define SWAP_MAX_IFACES		32	/* functions listed whose interface changed */
struct swap_layout {
	bool changed;		/* some data symbol, or a type it reaches, differs:
				 * why says the first */
	unsigned unchecked;	/* symbols without type information (size only) */
	char why[256];
	/* With the data the same: the running copy's global functions whose
	 * signature, or a type it reaches, differs in the new object (the first
	 * SWAP_MAX_IFACES, by name; nifaces counts them all). They point into
	 * `old`; both views are of blobs that outlive the swap. */
	unsigned nifaces;
	const struct nsl_func *iface[SWAP_MAX_IFACES];
	struct nsl_view old, new;	/* (valid when the blobs differed) */
	const char *object;
};
/* Compare the running copy's layout blob (live, live_size; the nano_core
 * description's, or the old object's) with the one in the object image
 * called `object`: identical blobs at once, else the data symbol by symbol
 * and the types they reach, then each global function's interface. An
 * object without one passes only if it is the object that was linked
 * (linked, linked_size: its bytes; NULL for none): E_SWAP_NO_LAYOUT. A
 * malformed blob: E_SWAP_BAD_LAYOUT, logged; E_NO_HEAP (logged) without
 * memory for the comparison. */
enum err swap_compare_layouts(const char *object, const void *live, size_t live_size,
			      const void *image, size_t size, const void *linked,
			      size_t linked_size, struct swap_layout *out) NS_MUST_CHECK;
/*
 * Constituent module `module` is about to be swapped from lay->object, its
 * running copy old_copy (the nano_core crate, or its last crate): refuse,
 * with E_SWAP_LAYOUT_CHANGED, if a global function whose interface changed
 * (lay->iface) is still called by a live section of another module or crate
 * that in_group(ctx, description module) does not say is swapped with it;
 * the message names the function, the difference and the callers. The
 * callers are the dependency edges into the running definition's section
 * (the relocations into the function itself, when the section holds more),
 * but those from old_copy, from copies that no longer run and from the
 * group. A group is checked as it is built: a caller in a member added
 * after this one counts as outside (today's groups of several all swap the
 * objects that were linked, whose interfaces are the running ones). E_LIMIT
 * past SWAP_MAX_IFACES changed functions; E_NO_HEAP, logged.
 */
enum err swap_check_interfaces(const struct swap_layout *lay, const char *module,
			       struct ld_crate *old_copy,
			       bool (*in_group)(void *ctx, uint32_t module), void *ctx)
	NS_MUST_CHECK;

/* What one group swap replaces: per member, its module, old copy (the
 * nano_core, or the module's last crate) and new crate; then the redirect
 * planned between them (redirect.c). */
struct swap_plan {
	unsigned n;
	uint32_t module[SWAP_MAX_MODULES];
	struct ld_crate *old[SWAP_MAX_MODULES], *new_[SWAP_MAX_MODULES];
	bool layout_changed[SWAP_MAX_MODULES]; /* (a crate's) data: fresh, another layout */
	const char *object[SWAP_MAX_MODULES];	/* its name, for messages */
	bool core_replaced[SWAP_MAX_MODULES + 1]; /* per description module: its
						    * nano_core copy is being or
						    * was replaced */
	uint32_t boot_module;	/* boot/'s description index (retired, never patched) */
	struct ld_redirect_pair *pairs;
	size_t npairs;
	struct ld_redirect *redirect;
};
enum err swap_redirect_plan(struct swap_plan *p) NS_MUST_CHECK;
/* An old copy waiting to be retired (retire.c): module `name` (description
 * index `module`) in `crate` (the nano_core, or the module's last crate). */
struct swap_retiring {
	char name[SWAP_NAME_MAX];	/* a copy: a crate's name goes with the crate */
	uint32_t module;
	struct ld_crate *crate;
	bool kept;	/* a proof failed: it stays mapped */
};
struct swap_retire_result {
	unsigned retired, kept;
	uint64_t pages, kib;		/* image pages unmapped; KiB given back */
	unsigned text_pages, text_mapped; /* the image's .text: pages, still mapped */
};
/* The section of the swap's reports (they describe old code by address). */
#define SWAP_MODULE_NAME "nano_core_swap"	/* this module, and its crates' prefix */
#define SWAP_REPORTS_SECTION SWAP_MODULE_NAME ":.bss.reports"
/* (10) Prove each candidate unused and unmap it, or keep it and say why. */
void swap_retire(struct swap_retiring *cands, unsigned ncands, struct swap_retire_result *out);

/* (8) Run the swap hooks of new crate c; how many ran (hooks.c). */
unsigned swap_run_hooks(struct ld_crate *c);
void swap_redirect_commit(struct swap_plan *p, struct ld_redirect_stats *st);
void swap_redirect_abort(struct swap_plan *p);

#endif
