/*
 * The shell commands that change the namespace: `load` a boot module as a
 * crate, `unload` a crate, `swap` constituent modules again. They go through
 * the public crates and nano_core_swap interfaces, which log every failure
 * where it is found; the shell adds only the outcome.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <lib/string.h>
#include <nano_core_swap/swap.h>
#include "shell_internal.h"

enum err cmd_load(int argc, char **argv)
{
	struct ld_crate *c;
	size_t nsecs, nsyms;
	enum err e = crates_load_boot_module(argv[1], &c);

	(void)argc;
	if (e != E_OK)
		return e;	/* crates or the loader said why */
	(void)ld_crate_sections(c, &nsecs);
	(void)ld_crate_symbols(c, &nsyms);
	kprintf("load: crate %s: %lu sections, %lu symbols\n", ld_crate_name(c), nsecs, nsyms);
	return E_OK;
}

/* A constituent module's crate ("memory", "memory#2"): swapped, not unloaded. */
static bool is_module_crate(const char *name)
{
	char base[32];
	size_t n = 0;

	while (name[n] && name[n] != '#' && n < sizeof(base) - 1) {
		base[n] = name[n];
		n++;
	}
	base[n] = '\0';
	return nano_core_has_module(base);
}

enum err cmd_unload(int argc, char **argv)
{
	struct ld_crate *c;
	enum err e = shell_find_crate(argv[1], &c);

	(void)argc;
	if (e != E_OK)
		return e;
	if (c == nano_core_crate() || is_module_crate(argv[1])) {
		kprintf("unload: %s is part of the running kernel (swap it again instead)\n",
			argv[1]);
		return E_SHELL_REFUSED;
	}
	e = crates_unload(c);
	if (e != E_OK)
		return e;	/* the loader named the dependents */
	kprintf("unload: crate %s unloaded\n", argv[1]);
	return E_OK;
}

/* swap NAME OBJECT: a new version, of a constituent module or a crate. */
static enum err swap_to(const char *name, const char *object)
{
	struct swap_report r;
	enum err e = nano_core_has_module(name) ? swap_module_to(name, object, &r)
						: swap_crate_to(name, object, &r);

	if (e != E_OK)
		kprintf("swap: %s stays as it was (%s)\n", name, err_name(e));
	return e;
}

enum err cmd_swap(int argc, char **argv)
{
	if (argc == 3)
		return swap_to(argv[1], argv[2]);
	if (strcmp(argv[1], "none") == 0)
		return E_SHELL_USAGE;
	/* one "swap: NAME text ... -> ..." line per module, as at boot */
	enum err e = swap_nano_core_crates(argv[1]);
	if (e != E_OK)
		kprintf("swap: not every module was swapped (%s)\n", err_name(e));
	return e;
}
