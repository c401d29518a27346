/*
 * The kernel's crate namespace: the ELF loader (loader/) wired to the kernel's
 * heap, module area and page tables. Objects GRUB loaded as boot modules can
 * be loaded from here by name; undefined symbols resolve against the loaded
 * crates first, then against the nano_core's own global symbols.
 */
#ifndef CRATES_CRATES_H
#define CRATES_CRATES_H

#include <loader/loader.h>

/* Create the namespace. Call once, after the heap is up. */
void crates_init(void);
/* The namespace's writer lock (loads, unloads, swaps take it; recursive). */
void crates_lock(void);
void crates_unlock(void);

/* The kernel's namespace (NULL before crates_init). */
struct ld_namespace *crates_namespace(void);

/* The loader services the kernel provides (heap, module area, mapping, log). */
const struct ld_services *crates_services(void);

/*
 * Load the boot module called module_name (a `module2 PATH NAME` line) as
 * the crate module_name. E_LD_NOT_FOUND if GRUB loaded no such module;
 * otherwise whatever ld_load returns.
 */
enum err crates_load_boot_module(const char *module_name, struct ld_crate **out) NS_MUST_CHECK;

/*
 * The same with options (the benchmarks pass ld_load_opts.stats): opts is
 * copied; unless it names one, undefined symbols resolve against the
 * nano_core as above; keep_image is always set, since boot modules outlive
 * every crate loaded from them.
 */
enum err crates_load_boot_module_opts(const char *module_name, const struct ld_load_opts *opts,
				      struct ld_crate **out) NS_MUST_CHECK;

/* ld_unload(crate), then crates_changed() if it succeeded. */
enum err crates_unload(struct ld_crate *crate) NS_MUST_CHECK;

/*
 * Called after every change of the set of crates (a load, an unload, a
 * swap) and doing nothing: gdb's nanoswap-symbols command breaks here to
 * reload the crates' symbols. Anything that loads or unloads a crate without
 * going through this file calls it.
 */
void crates_changed(void);

/*
 * Fault injection (tests, and the swap_fail= command line key): the n-th
 * call from now of one kind of the loader's services fails (n = 0: never):
 * a heap allocation (NULL), a module-area reservation (E_NO_VSPACE), a
 * mapping (E_NO_FRAMES), a protection change (E_NOT_MAPPED) or a writable
 * alias for the redirect (NULL). crates_fail_calls tells how many calls of
 * that kind were made since it was armed.
 */
enum crates_fault {
	CRATES_FAIL_ALLOC, CRATES_FAIL_RESERVE, CRATES_FAIL_MAP, CRATES_FAIL_PROTECT,
	CRATES_FAIL_ALIAS, CRATES_FAIL_KINDS,
};
void crates_fail_at(enum crates_fault kind, unsigned long n);
unsigned long crates_fail_calls(enum crates_fault kind);
/* How many messages the loader has logged (tests: a failure was said). */
unsigned long crates_loader_messages(void);
/* The kind named `name` ("alloc", "reserve", "map", "protect", "alias"). */
enum err crates_fault_parse(const char *name, enum crates_fault *out) NS_MUST_CHECK;

/* Resolve name against the nano_core's global symbols (ld_load_opts hook). */
bool crates_resolve_kernel_symbol(void *ctx, const char *name, uint64_t *value);

/*
 * The symbol containing addr, in any crate of the namespace (loaded code
 * included), else in the kernel's own symbol table. False if none.
 */
bool crates_symbolize(uint64_t addr, const char **name, uint64_t *offset);

/* The section holding (or nearest below) addr in the namespace: its crate's
 * and its own name, and addr's offset in it. False if none. */
bool crates_section_at(uint64_t addr, const char **crate, const char **section,
		       uint64_t *offset);

/* The last __stack_chk_fail: the crate and function whose canary was
 * overwritten, and how many there were. */
struct stack_chk_report {
	char crate[32], function[48];
	unsigned count;
};
const struct stack_chk_report *crates_stack_chk_last(void);

#endif
