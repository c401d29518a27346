/*
 * Step (8) of the swap: run the swap hooks of each new copy (see
 * include/nanoswap/swap_hook.h). Each hook section of a new crate is an
 * array of pointers to the new copy's own functions (its relocations were
 * applied fresh), so what runs is the new code, re-installing what the old
 * copy installed at run time.
 */
#include <console/console.h>
#include <lib/string.h>
#include <nanoswap/swap_hook.h>
#include "swap_internal.h"

unsigned swap_run_hooks(struct ld_crate *c)
{
	size_t n, len = strlen(SWAP_HOOK_PREFIX);
	const struct ld_section *s = ld_crate_sections(c, &n);
	unsigned ran = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i].kind != LD_KIND_RODATA || s[i].bound ||
		    strncmp(s[i].name, SWAP_HOOK_PREFIX, len) != 0)
			continue; /* (a hook table is rodata: SWAP_HOOK) */
		for (uint64_t off = 0; off + sizeof(void *) <= s[i].size; off += sizeof(void *)) {
			void (*hook)(void) = *(void (*const *)(void))(s[i].addr + off);

			pr_info("swap: %s: hook %s\n", ld_crate_name(c), s[i].name + len);
			hook();
			ran++;
		}
	}
	return ran;
}
