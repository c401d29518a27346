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

/* Is crate c a constituent module's copy (swap.c)? */
bool swap_provides_module(const struct ld_crate *c);
/* The description, read (once): what a crate's swap needs of the nano_core. */
enum err core_ready(void) NS_MUST_CHECK;
/* The crate that provides description module m now (the nano_core: never swapped). */
struct ld_crate *swap_module_provider(uint32_t m);

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

/* What one swap replaces: per member, its module, old copy (the nano_core,
 * or the module's last crate, or a crate) and new crate; then the redirect
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
/* Free what a plan holds that was not switched (its aliases unmapped). */
void swap_redirect_abort(struct swap_plan *p);

/* (3) The binding of a module's data sections to the nano_core's (swap.c). */
struct bind_ctx {
	uint32_t module;	/* description index of the module being swapped */
	const char *name;
	uint32_t next;		/* where the next data section likely is (see swap_bind) */
	unsigned bound;		/* data sections bound so far */
	uint64_t bytes;
};

/* One member of a swap (txn.c): a constituent module (`module` its
 * description index; its data bound to the running sections) or a crate
 * loaded after boot (module NCD_NONE; its data fresh). */
struct swap_member {
	uint32_t module;
	struct ld_crate *old;		/* the copy it replaces */
	const char *object;		/* the boot module it comes from */
	struct bind_ctx bind;
	struct ld_load_opts opts;
	struct ld_load_stats stats;
	struct swap_layout lay;
	char crate_name[SWAP_NAME_MAX];	/* the new copy's: "heap#3", "tstate#2" */
	char base[SWAP_NAME_MAX];	/* without the generation */
	unsigned generation;		/* of the new copy: 2 for the first swap */
};

/* The cost of each step of one swap (rdtsc: guest instructions under -icount). */
struct swap_cost {
	uint64_t load, redirect, hooks, retire;
};

/* The threads' check (threads.c): every old text section of the members,
 * sorted, with its verdict once a thread was seen in it; the code addresses
 * to move at the commit; who blocked the swap. */
#define SWAP_MAX_MOVES	512
#define SWAP_WAIT_MS	200	/* how long a swap waits for a thread in changed code */
#define SWAP_WAIT_STEP_MS 5
struct swap_text_range {
	uint64_t lo, hi;
	const struct ld_section *old;
	const struct ld_section *to;	/* the new copy's same code; NULL: changed or gone */
	unsigned member;
	bool hit, decided;
};
struct swap_move {
	uint64_t *slot;
	uint64_t from, to;
};
struct swap_threads {
	struct swap_text_range *r;
	size_t n;
	struct swap_move moves[SWAP_MAX_MOVES];
	unsigned nmoves;
	unsigned blocker_id;
	char blocker[16];
	const char *blocker_fn, *blocker_crate;
};

/* One swap transaction: its members and what it did. Static (one at a time). */
struct swap_txn {
	bool boot;		/* the first swap: its retire comes after step (10) */
	unsigned n, checked;
	struct swap_member sm[SWAP_MAX_MODULES];
	struct ld_group_member members[SWAP_MAX_MODULES];
	struct ld_group *group;
	struct swap_plan plan;
	struct ld_redirect_stats rs;
	unsigned hooks;
	struct swap_cost cost;
	struct swap_threads threads;
	uint64_t pause;		/* instructions of the commit's stop (others stopped) */
	uint64_t retire_pause;	/* of the retire's proof, its own stop */
	unsigned waits;		/* times the commit waited for a thread to leave */
};

/* (7a) survey the threads' stacks and decide each old section seen there;
 * (7b) with the others stopped, the moves to make or E_SWAP_BUSY (the
 * blocker recorded), E_SCHED_UNWALKABLE; move them (back: undo). */
enum err swap_threads_survey(struct swap_txn *t) NS_MUST_CHECK;
enum err swap_threads_check(struct swap_txn *t, uint64_t frame) NS_MUST_CHECK;
void swap_threads_move(struct swap_txn *t, bool back);
void swap_threads_free(struct swap_txn *t);
/* With the others stopped, after they ran on the new copies: move every
 * thread's code address in a new copy back to the old one (same code
 * only); false if some thread is in changed code (then the swap stands). */
bool swap_threads_move_back(struct swap_txn *t);
bool swap_same_code(const struct ld_section *old, const struct ld_section *new_);

/* Steps (3)-(9) for the members of t (txn.c): E_OK when the new copies are
 * live and the old queued for the retire; any error leaves everything as
 * it was (E_SWAP_FAULTED, E_SWAP_HOOK_FAILED: committed, then undone). */
enum err swap_txn_run(struct swap_txn *t) NS_MUST_CHECK;

/* The members' parts that differ by kind (swap.c for a module, evolve.c for
 * a crate): (4) a module's bound data complete; (5) the plan's pairs to
 * come; (6) a crate's state carried over; (9) recorded as live. */
enum err swap_check_module(const struct swap_member *sm) NS_MUST_CHECK;
void swap_plan_fill(struct swap_txn *t);
enum err swap_transfer_state(const struct swap_member *sm, struct ld_crate *fresh) NS_MUST_CHECK;
void swap_member_keep(struct swap_txn *t, unsigned i);
void swap_crate_keep(const struct swap_member *sm, const struct ld_crate *fresh);

/* (8) Run the swap hooks of crate c until one fails (hooks.c); *ran counts. */
enum err swap_run_hooks(struct ld_crate *c, unsigned *ran) NS_MUST_CHECK;
/* The hooks of module's old copy `old` (the nano_core's: the module's own). */
enum err swap_run_old_hooks(uint32_t module, struct ld_crate *old) NS_MUST_CHECK;

/* An old copy waiting to be retired (retire.c): `name` in `crate` (the
 * nano_core, with description index `module`; or a crate). */
struct swap_retiring {
	char name[SWAP_NAME_MAX];	/* a copy: a crate's name goes with the crate */
	uint32_t module;
	struct ld_crate *crate;
	const struct swap_txn *txn;	/* the swap that queued it, until it is kept */
	bool kept;	/* a proof failed: it stays mapped */
	bool proven;	/* swap_retire_prove found it unused */
};
struct swap_retire_result {
	unsigned retired, kept;
	uint64_t pages, kib;		/* image pages unmapped; KiB given back */
	unsigned text_pages, text_mapped; /* the image's .text: pages, still mapped */
	uint64_t pause;			/* instructions of its stop (proof and unmapping) */
};
/* The section of the swap's reports (they describe old code by address). */
#define SWAP_MODULE_NAME "nano_core_swap"	/* this module, and its crates' prefix */

/* (9) Queue t's old copies (and boot/'s code with the boot's). */
void swap_queue_retire(const struct swap_txn *t);
/* (11) in two halves: prove which queued copies are unused (may run new
 * code: a probation calls it), then unmap those. Cancel: t was undone, its
 * old copies are live again. */
void swap_retire_prove(bool quiet);
void swap_retire_apply(struct swap_retire_result *out, bool quiet);
/* The same, inside a stop whose proof just ran (a run-time swap's): its
 * result is what the next swap_retire_apply hands back. */
void swap_retire_apply_proven(void);
/* Say what the last apply did (a line per old copy; a kept one only the
 * first time), and keep the kept ones queued. */
void swap_retire_report(void);
void swap_retire_cancel(const struct swap_txn *t);

#endif
