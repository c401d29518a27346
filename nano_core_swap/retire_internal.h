/* Private to the retire (retire.c, scan.c) and the forwarder (forward.c). */
#ifndef NANO_CORE_SWAP_RETIRE_INTERNAL_H
#define NANO_CORE_SWAP_RETIRE_INTERNAL_H

#include "swap_internal.h"

/* A candidate section's address range, and which candidate it belongs to. */
struct retire_range {
	uint64_t lo, hi;
	unsigned cand;
	const struct ld_section *sec;
};

/* One proof over the queued candidates (scan.c). */
struct retire_scan {
	struct retire_range *r;	/* every candidate range, sorted (filled on demand) */
	size_t n;
	bool filled;
	uint64_t lo, hi;	/* the span of every range */
	struct swap_retiring *cands;
	unsigned ncands;
	int core_cand[SWAP_MAX_MODULES + 1]; /* nano_core module -> candidate, or -1 */
	unsigned logged[2 * SWAP_MAX_MODULES + 1]; /* words logged, per candidate */
	uint64_t swap_lo, swap_hi; /* the image's text of this module */
	const char *where;	/* what is being scanned, for messages */
	uint64_t base;
	bool stack;		/* a stack: its code words are not a target (forwarded) */
	bool quiet;		/* a retry: why a copy stays was said before */
};

/* Set up a proof of cands (E_NO_HEAP, logged: every copy stays). */
enum err retire_scan_init(struct retire_scan *sc, struct swap_retiring *cands,
			  unsigned ncands) NS_MUST_CHECK;
void retire_scan_free(struct retire_scan *sc);
/* The candidate retiring description module m's image code, or -1. */
int retire_core_cand(const struct retire_scan *sc, uint32_t m);
/* The proofs, each marking the candidates it finds in use `kept`, and logging
 * why: an edge from a live section; a return address on the running stack
 * (from `frame` up), a saved fault_catch context, an IDT gate; a word of
 * memory (scan.c); then keep closed over what each kept copy refers to. */
void retire_check_edges(struct retire_scan *sc);
void retire_check_roots(struct retire_scan *sc, uint64_t frame);
void retire_scan_memory(struct retire_scan *sc, uint64_t frame);
void retire_close_keep(struct retire_scan *sc);
/* Which of cands[n] holds code address pc in its text: its index, or -1. */
int retire_text_owner(const struct swap_retiring *cands, unsigned n, uint64_t pc);

/* forward.c: remember a crate about to be retired (module: its description
 * index, or NCD_NONE), so that a call into its range is forwarded; undo the
 * last remembered ones if the unload failed. */
void swap_forward_remember(const struct ld_crate *c, uint32_t module);
void swap_forward_forget_unloaded(void);
void swap_forward_unloaded(void);
/* Register the forwarder with interrupts (the first swap, and this module's hook). */
void swap_forward_install(void);
/* retire.c: is an old copy queued; whose text holds pc (its name, or NULL)? */
bool swap_retire_pending(void);
const char *swap_retiring_text_at(uint64_t pc);

#endif
