/*
 * Swap hooks: what a module installed at run time (a pointer into its own
 * code or rodata kept somewhere the redirect cannot see: an IDT gate, a
 * services table pointer in the heap) must be installed again by its new
 * copy after a swap. SWAP_HOOK(fn) puts a pointer to fn in a section of the
 * module's rodata that the swap looks for in each new copy; after the commit
 * it calls every hook of every new copy (the NEW fn), in load order. A hook
 * returns E_OK, or an error: the swap is then undone (the old copies' hooks
 * run again, and re-install the old), and so it is if a hook faults.
 */
#include <nanoswap/err.h>

#ifndef NANOSWAP_SWAP_HOOK_H
#define NANOSWAP_SWAP_HOOK_H

/* The section name prefix the swap looks for (nano_core_swap/hooks.c). */
#define SWAP_HOOK_PREFIX ".rodata.swap_hook."

#define SWAP_HOOK(fn)                                                              \
	static enum err (*const swap_hook_##fn)(void)                              \
		__attribute__((used, section(SWAP_HOOK_PREFIX #fn))) = fn

#endif
