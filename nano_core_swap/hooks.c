/*
 * The swap hooks (see include/nanoswap/swap_hook.h): after the commit, each
 * new copy's hooks re-install what the old copy installed at run time. Each
 * hook section of a crate is an array of pointers to that copy's own
 * functions (its relocations were applied fresh), so what runs is that
 * copy's code. An undo runs the old copy's hooks again: the old re-installs
 * its own.
 */
#include <console/console.h>
#include <lib/string.h>
#include <nanoswap/swap_hook.h>
#include "swap_internal.h"

/* The hooks among sections [first, end) of s, in order, until one fails;
 * *ran counts those that ran. A nano_core section is named "module:NAME". */
static enum err run_hooks_in(const struct ld_section *s, size_t first, size_t end,
			     const char *who, unsigned *ran)
{
	size_t len = strlen(SWAP_HOOK_PREFIX);

	for (size_t i = first; i < end; i++) {
		const char *colon, *name;

		if (s[i].kind != LD_KIND_RODATA)
			continue; /* (a hook table is rodata: SWAP_HOOK) */
		colon = s[i].crate == core.crate ? strchr(s[i].name, ':') : NULL;
		name = colon ? colon + 1 : s[i].name;
		if (strncmp(name, SWAP_HOOK_PREFIX, len) != 0)
			continue;
		for (uint64_t off = 0; off + sizeof(void *) <= s[i].size; off += sizeof(void *)) {
			enum err (*hook)(void) = *(enum err (*const *)(void))(s[i].addr + off);
			enum err e;

			pr_info("swap: %s: hook %s\n", who, name + len);
			e = hook();
			++*ran;
			if (e != E_OK) {
				pr_err("swap: %s: hook %s failed: %s (%s)\n", who, name + len,
				       err_name(e), err_msg(e));
				return E_SWAP_HOOK_FAILED;
			}
		}
	}
	return E_OK;
}

enum err swap_run_hooks(struct ld_crate *c, unsigned *ran)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	return run_hooks_in(s, 0, n, ld_crate_name(c), ran);
}

enum err swap_run_old_hooks(uint32_t module, struct ld_crate *old)
{
	unsigned ran = 0;
	const struct ncd_module *m;

	if (old != core.crate)
		return swap_run_hooks(old, &ran);
	m = &core.desc.mods[module]; /* the image's copy: the module's run of sections */
	return run_hooks_in(core.secs, m->first_section, m->first_section + m->nsections,
			    ncd_str(&core.desc, m->name), &ran);
}
