/*
 * swap_nano_core_crates(): re-load the nano_core's constituent modules from
 * their own object files (the bytes that were linked, shipped as boot
 * modules), memory first, with each module's .data/.bss bound to the
 * nano_core's own sections so its state stays one object, and its
 * text/rodata fresh in the module area. The C counterpart of Theseus's
 * replace_nano_core_crates (see nano_core_swap/swap.c for the steps).
 */
#ifndef NANO_CORE_SWAP_SWAP_H
#define NANO_CORE_SWAP_SWAP_H

#include <loader/loader.h>
#include <nanoswap/err.h>

#define SWAP_MAX_MODULES	32

/* What one module's swap did (or why it did not). */
struct swap_report {
	const char *module;
	enum err result;
	char replaced[48], copy[48];		/* "nano_core" or "heap#2"; "heap#3" */
	uint64_t old_text_start, old_text_end;	/* the copy it replaced */
	uint64_t new_text_start, new_text_end;	/* the re-loaded copy */
	uint64_t data_bytes_bound;		/* .data/.bss shared with the nano_core */
	uint64_t fresh_bytes;			/* text/rodata mapped for the new copy */
	unsigned sections, relocs_applied;
	uint64_t cycles;			/* rdtsc: instructions under -icount */
	struct ld_load_stats phases;		/* where the cycles went */
};

/*
 * Build the `nano_core` crate from its description (once), then swap the
 * modules named in list: "all" (every constituent module), "none", or
 * "memory,heap,..." (memory first whenever it is named), printing one
 * "swap: NAME text OLD -> NEW, ..." line per module. It may be called again
 * (a module swapped before is re-loaded over its last copy). A module that
 * fails to swap is logged and left as it was; the others go on. Returns
 * E_OK when every named module was swapped, else the first error.
 */
enum err swap_nano_core_crates(const char *list) NS_MUST_CHECK;

/*
 * Swap one constituent module from the object image (size bytes): the
 * steps of swap_nano_core_crates for one module. Any failure leaves the
 * namespace, page tables and frame counters as they were. The image must
 * stay in memory while the new crate lives (a boot module does): the crate
 * reads its relocations from it.
 */
enum err swap_module(const char *module, const void *image, size_t size,
		     struct swap_report *report) NS_MUST_CHECK;

/*
 * Swap constituent module `module` for a NEW version: the boot module called
 * `object` (make run MODULES=.../object.o), while the kernel runs. Its data
 * layout must be the running one's (type fingerprints: .nanoswap.layout,
 * compared symbol by symbol; the first difference is logged and refused with
 * E_SWAP_LAYOUT_CHANGED); its data stays bound. Sections it drops or resizes
 * must not be referred to by anything that stays live (E_SWAP_STILL_USED,
 * naming the reference). Otherwise as swap_module; the old copy is retired
 * at once (swap_retire_old_code).
 */
enum err swap_module_to(const char *module, const char *object,
			struct swap_report *report) NS_MUST_CHECK;

/*
 * Swap a crate loaded after boot (not a constituent module) for a new
 * version, the boot module `object`, while the kernel runs (evolve.c): its
 * data is laid out fresh and filled by the new version's NAME_state_transfer
 * (include/nano_core_swap/transfer.h), or copied when the layout is the same
 * and it has none; every reference to the old copy's code and data is
 * redirected; the old copy is retired and unloaded once proven unused. The
 * new crate is NAME#GENERATION. Any failure leaves the old version running.
 */
enum err swap_crate_to(const char *crate, const char *object,
		       struct swap_report *report) NS_MUST_CHECK;
/* What crate c is a version of, if a swap_crate_to made it: its generation
 * (2 for the first new version), the crate it superseded, its object. */
bool swap_crate_version(const struct ld_crate *c, unsigned *generation,
			const char **superseded, const char **object);
/* The generation of constituent module `module`'s running copy (1: the
 * nano_core's own; 0: no such module), the copy it superseded and the object
 * it came from (NULL for the nano_core's). */
unsigned swap_module_generation(const char *module, const char **superseded,
				const char **object);

/*
 * Step (10): retire the old copies of the swaps so far (and boot/'s code):
 * each one proven unused is unmapped and its frames given back; one that is
 * not stays mapped, its offending words logged. Prints one "retire:" line
 * per old copy and "swap: N modules swapped, M of P original text pages
 * mapped, K KiB returned". The boot calls it from the new init, on a fresh
 * stack; later swaps call it themselves.
 */
void swap_retire_old_code(void);

/*
 * A safe point (the shell calls it between commands): if a frame on the
 * running stack still runs a swapped module's old copy (the shell's read
 * loop, init's continuation), the resume init registered re-enters the live
 * copies from the kernel stack's top (it does not return); then every old
 * copy still waiting is proven again and retired once unused.
 */
void swap_safe_point(void);
/* How many superseded copies are still mapped (kept: waiting to be retired). */
unsigned swap_superseded_mapped(void);
/* How to re-enter the live copy of init's continuation (init registers its
 * own, and its swap hook the new copy's): never returns. */
void swap_set_resume(void (*resume)(void));

/* The reports of the first swap_nano_core_crates call (the boot's), in swap
 * order; later calls (the shell's `swap`) only print theirs. */
const struct swap_report *swap_reports(unsigned *count);

/* The cost of each step of the boot's swap (rdtsc: guest instructions under
 * -icount), for make bench. */
struct swap_phases {
	uint64_t load;     /* (1)-(4) and (7)'s group commit: the members, the group */
	uint64_t core;     /* of load: (1) the nano_core crate built from its description */
	uint64_t redirect; /* (5) plan, (6) a crate's state, (7) switch, (9) finish */
	uint64_t hooks;    /* (8) the new copies' hooks */
	uint64_t retire;   /* (8) at run time, (11): the proofs, the unmapping */
	uint64_t pause;    /* of the above, with every other thread stopped and
			    * interrupts off: (7b) the threads' check, (7) commit,
			    * (7c) the moves, (8) hooks */
	uint64_t retire_pause; /* the retire's proof, its own stop */
	unsigned waits;    /* commits put off for a thread in changed code */
};
const struct swap_phases *swap_boot_phases(void);
/* The same for the last swap call (the boot's, the shell's, a test's):
 * load, redirect, hooks and its retire. */
const struct swap_phases *swap_last_phases(void);
/* Commits put off for a thread in changed code, since boot (each a
 * SWAP_WAIT_STEP_MS sleep of the swapping thread). */
unsigned swap_waits_total(void);

/* The nano_core crate (NULL before swap_nano_core_crates built it). */
struct ld_crate *nano_core_crate(void);

/* The relocation records the nano_core crate was built without: those whose
 * place is in the text or rodata of the modules the first swap replaced
 * (never patched: retired). 0 when it holds all (that swap failed, or none). */
size_t nano_core_records_left_out(void);
/* The same for its symbols: those in that text and rodata (superseded). */
size_t nano_core_symbols_left_out(void);

/* Where the static image placed module's symbol `name` (read from the
 * description, which lists them all, whether or not the nano_core crate
 * still holds it); 0 if the module has no such symbol. */
uint64_t nano_core_symbol_addr(const char *module, const char *name);

/* The nano_core crate's section for (module, input section name), or NULL. */
const struct ld_section *nano_core_section(const char *module, const char *name);

/* Is module a constituent module of the nano_core? */
bool nano_core_has_module(const char *module);

#endif
