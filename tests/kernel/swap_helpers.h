/*
 * What the swap tests (test_swap.c, test_swap_again.c) share: the module
 * list, what the command line asked for and what was swapped, lookups in the
 * namespace and in the nano_core crate, and page-table probes.
 */
#ifndef TESTS_KERNEL_SWAP_HELPERS_H
#define TESTS_KERNEL_SWAP_HELPERS_H

#include <bootinfo/bootinfo.h>
#include <crates/crates.h>
#include <lib/string.h>
#include <memory/memory.h>
#include <nano_core_swap/swap.h>
#include "modules.h"

#define NAME(m) #m,
static const char *const module_names[] = { FOR_EACH_MODULE(NAME) };
#define NMODULES (sizeof(module_names) / sizeof(module_names[0]))

/* The report of module's swap, if it was swapped successfully. */
static inline const struct swap_report *swapped(const char *module)
{
	unsigned n;
	const struct swap_report *r = swap_reports(&n);

	for (unsigned i = 0; i < n; i++)
		if (strcmp(r[i].module, module) == 0 && r[i].result == E_OK)
			return &r[i];
	return NULL;
}

/* Does the boot's command line hold `what`? */
static inline bool strstr_cmdline(const char *what)
{
	size_t n = strlen(what);

	for (const char *p = boot_info.cmdline; *p; p++)
		if (strncmp(p, what, n) == 0)
			return true;
	return false;
}

/* Did the boot's command line ask for module to be swapped (swap=, default all)? */
static inline bool requested(const char *module)
{
	const char *p = boot_info.cmdline, *v = "all";
	size_t len = strlen(module), n;

	for (; *p; p++)
		if ((p == boot_info.cmdline || p[-1] == ' ') && strncmp(p, "swap=", 5) == 0)
			v = p + 5;
	for (n = 0; v[n] && v[n] != ' '; n++)
		;
	if (n == 3 && strncmp(v, "all", 3) == 0)
		return true;
	for (const char *q = v; q < v + n;) {
		size_t k = 0;
		while (q + k < v + n && q[k] != ',')
			k++;
		if (k == len && strncmp(q, module, len) == 0)
			return true;
		q += k + 1;
	}
	return false;
}

static inline const struct ld_symbol *lookup(const char *name)
{
	const struct ld_symbol *s;

	return ld_lookup(crates_namespace(), name, &s) == E_OK ? s : NULL;
}

/* The nano_core crate's own symbol called name, defined in module. */
static inline const struct ld_symbol *core_symbol(const char *module, const char *name)
{
	size_t n, len = strlen(module);
	const struct ld_symbol *s = ld_crate_symbols(nano_core_crate(), &n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0 && s[i].section &&
		    strncmp(s[i].section->name, module, len) == 0 && s[i].section->name[len] == ':')
			return &s[i];
	return NULL;
}

/* Pages of [lo, hi) mapped. */
static inline unsigned mapped_pages(uint64_t lo, uint64_t hi)
{
	unsigned n = 0;
	uint64_t pa, flags;

	for (uint64_t va = lo & ~(PAGE_SIZE - 1); va < hi; va += PAGE_SIZE)
		n += vm_translate(va, &pa, &flags) == E_OK;
	return n;
}

/* fault_catch's function: read the 8 bytes at addr (a fault is caught). */
static inline void read_addr(void *addr)
{
	(void)*(volatile const uint64_t *)addr;
}

/* A probe (NAME_probe returns its own address) called through its old
 * address: forwarded to the live copy, it returns the live one's. */
static inline uint64_t call_probe(uint64_t addr)
{
	return ((uint64_t (*)(void))addr)();
}

static inline void call_addr(void *fn)
{
	((void (*)(void))fn)();
}


#endif
