/*
 * The kernel's one crate namespace, and loading boot modules into it. Until
 * the nano_core is itself a crate of the namespace (nano_core_swap/), its
 * symbols are reached through the resolve_undefined hook.
 */
#include <bootinfo/bootinfo.h>
#include <bootinfo/ksym.h>
#include <console/console.h>
#include <lib/string.h>
#include <push/push.h>
#include <crates/crates.h>
#include <interrupts/backtrace.h>
#include <memory/memory.h>
#include <nanoswap/probe.h>
#include <sched/sched.h>
#include <nanoswap/swap_hook.h>

MODULE_PROBE(crates)

/* The namespace's writers, one at a time: loads, unloads and swaps (a
 * sleeping lock, held by a thread across the swap's waits; recursive for
 * the swap's own loads). Lookups take none: every change to the namespace
 * (a load's or swap's commit, the retire, an unload) is made with the other
 * threads stopped. */
static struct mutex ns_mutex = MUTEX_INIT("namespace");
static unsigned ns_depth;

void crates_lock(void)
{
	if (mutex_held_by_me(&ns_mutex)) {
		ns_depth++;
		return;
	}
	mutex_lock(&ns_mutex);
	ns_depth = 1;
}

void crates_unlock(void)
{
	if (--ns_depth == 0)
		mutex_unlock(&ns_mutex);
}

static struct ld_namespace *kernel_ns;

/* How backtraces and fault reports name addresses (interrupts cannot call
 * crates by name: crates uses interrupts). */
static const struct interrupts_symbolizer crates_symbolizer = {
	.symbolize = crates_symbolize, .section_at = crates_section_at,
};

/* After a swap, the namespace uses the new copy's services table (and so
 * the new heap, memory and console code), and interrupts this copy's
 * symbolizer. */
static enum err crates_swapped(void)
{
	ld_namespace_set_services(kernel_ns, crates_services());
	interrupts_set_symbolizer(&crates_symbolizer);
	return E_OK;
}
SWAP_HOOK(crates_swapped);

void crates_init(void)
{
	enum err e = ld_namespace_create(crates_services(), &kernel_ns);

	if (e != E_OK)
		panic("crates: cannot create the namespace: %s", err_name(e));
	interrupts_set_symbolizer(&crates_symbolizer);
}

struct ld_namespace *crates_namespace(void)
{
	return kernel_ns;
}

bool crates_resolve_kernel_symbol(void *ctx, const char *name, uint64_t *value)
{
	(void)ctx;
	return ksym_find_global(name, value);
}

/* The bytes of object `name`: a boot module's, else an upload's (the push
 * channel's; like a boot module's, never freed while a crate may read it). */
static bool object_bytes(const char *name, const void **p, size_t *n)
{
	const struct boot_module *m = bootinfo_find_module(name);
	const struct push_object *o;

	if (m) {
		*p = phys_to_virt(m->start);
		*n = m->end - m->start;
		return true;
	}
	if ((o = push_object_find(name))) {
		*p = o->data;
		*n = o->size;
		return true;
	}
	pr_err("crates: no boot module or upload '%s' (is it in grub.cfg? objects lists them)\n",
	       name);
	return false;
}

enum err crates_load_boot_module(const char *module_name, struct ld_crate **out)
{
	/* boot modules stay in memory: the crate reads its RELA entries from them */
	const struct ld_load_opts opts = { .resolve_undefined = crates_resolve_kernel_symbol,
					   .keep_image = true };
	const void *image;
	size_t size;
	enum err e;

	if (!object_bytes(module_name, &image, &size))
		return E_LD_NOT_FOUND;
	e = ld_load(kernel_ns, module_name, image, size, &opts, out);
	if (e == E_OK)
		crates_changed();
	return e;
}

static enum err crates_unload_unlocked(struct ld_crate *crate)
{
	uint64_t flags = sched_stop_others();	/* (a lookup or symbolization elsewhere
						 * must not meet it half freed) */
	enum err e = ld_unload(kernel_ns, crate);

	sched_resume_others(flags);
	if (e == E_OK)
		crates_changed();
	return e;
}

/* (the namespace lock held: one loader or swap at a time) */
enum err crates_unload(struct ld_crate *crate)
{
	enum err e;

	crates_lock();
	e = crates_unload_unlocked(crate);
	crates_unlock();
	return e;
}

static struct stack_chk_report stack_chk_last;

static void name_copy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

const struct stack_chk_report *crates_stack_chk_last(void)
{
	return &stack_chk_last;
}

/*
 * Where code built with -fstack-protector (the kernel's own is not; loaded
 * crates may be, as Linux's objects are: canary at %gs:0x28) goes when a
 * function's canary was overwritten: name the crate and the function that
 * returned into the check, then stop as an exception does (ud2: a
 * fault_catch around the call takes it; else it is the panic's report).
 */
__attribute__((noreturn)) void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	uint64_t pc = (uint64_t)__builtin_return_address(0) - 1, off = 0, soff = 0;
	const char *fn = "?", *crate = "?", *section = "?";

	(void)crates_symbolize(pc, &fn, &off);
	(void)crates_section_at(pc, &crate, &section, &soff);
	name_copy(stack_chk_last.crate, crate, sizeof(stack_chk_last.crate));
	name_copy(stack_chk_last.function, fn, sizeof(stack_chk_last.function));
	__atomic_fetch_add(&stack_chk_last.count, 1, __ATOMIC_RELAXED); /* (names: copies) */
	pr_err("stack protector: %s's canary (%%gs:0x28) was overwritten in crate %s: "
	       "its frame is corrupt\n", fn, crate);
	__builtin_trap();
}

/* Empty on purpose: a debugger's breakpoint (tools/gdb/nanoswap.py). */
__attribute__((noinline)) void crates_changed(void)
{
	__asm__ volatile("" ::: "memory");
}

static enum err crates_load_boot_module_opts_unlocked(const char *module_name, const struct ld_load_opts *opts,
				      struct ld_crate **out)
{
	struct ld_load_opts o = *opts;
	const void *image;
	size_t size;

	if (!object_bytes(module_name, &image, &size))
		return E_LD_NOT_FOUND;
	if (!o.resolve_undefined)
		o.resolve_undefined = crates_resolve_kernel_symbol;
	o.keep_image = true; /* GRUB's copy is never freed, nor an upload's */
	return ld_load(kernel_ns, module_name, image, size, &o, out);
}

/* (the namespace lock held: one loader or swap at a time) */
enum err crates_load_boot_module_opts(const char *module_name, const struct ld_load_opts *opts,
				      struct ld_crate **out)
{
	enum err e;

	crates_lock();
	e = crates_load_boot_module_opts_unlocked(module_name, opts, out);
	crates_unlock();
	return e;
}

bool crates_section_at(uint64_t addr, const char **crate, const char **section,
		       uint64_t *offset)
{
	const struct ld_section *s;

	if (!kernel_ns || ld_section_at(kernel_ns, addr, &s) != E_OK)
		return false;
	*crate = ld_crate_name(s->crate);
	*section = s->name;
	*offset = addr - s->addr;
	return true;
}

bool crates_symbolize(uint64_t addr, const char **name, uint64_t *offset)
{
	const struct ld_symbol *sym;

	if (kernel_ns && ld_symbolize(kernel_ns, addr, &sym) == E_OK) {
		*name = sym->name;
		*offset = addr - sym->addr;
		return true;
	}
	return ksym_lookup(addr, name, offset);
}
