/*
 * The loader's services, implemented with the kernel's own subsystems: the
 * heap for bookkeeping, the module-area range allocator and the page tables
 * for crate memory. The kernel runs crates where it writes them, so a
 * crate's write address is its run address.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <sched/sched.h>
#include <heap/heap.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <memory/memory.h>

/* The loader's allocations are its bookkeeping: they describe code (section
 * addresses, relocation records), they never call it, so they are marked as
 * metadata for the swap's retire scan. */
/* Armed failures: per kind, the call that fails (0: none) and the calls made. */
static unsigned long fail_at[CRATES_FAIL_KINDS], fail_calls[CRATES_FAIL_KINDS];
static const char *const fault_names[CRATES_FAIL_KINDS] = {
	[CRATES_FAIL_ALLOC] = "alloc", [CRATES_FAIL_RESERVE] = "reserve",
	[CRATES_FAIL_MAP] = "map", [CRATES_FAIL_PROTECT] = "protect",
	[CRATES_FAIL_ALIAS] = "alias",
};

void crates_fail_at(enum crates_fault kind, unsigned long n)
{
	fail_at[kind] = n;
	fail_calls[kind] = 0;
}

unsigned long crates_fail_calls(enum crates_fault kind)
{
	return fail_calls[kind];
}

static unsigned long loader_messages;	/* crates_loader_messages */

unsigned long crates_loader_messages(void)
{
	return loader_messages;
}

enum err crates_fault_parse(const char *name, enum crates_fault *out)
{
	for (unsigned k = 0; k < CRATES_FAIL_KINDS; k++) {
		if (strcmp(name, fault_names[k]) == 0) {
			*out = k;
			return E_OK;
		}
	}
	return E_INVALID_ARG;
}

/* Count a call of `kind`; true when it is the one armed to fail. */
static bool svc_fails(enum crates_fault kind)
{
	if (++fail_calls[kind] != fail_at[kind])
		return false;
	fail_at[kind] = 0;
	pr_info("crates: injected failure of %s call %lu\n", fault_names[kind],
		fail_calls[kind]);
	return true;
}

static void *svc_heap_alloc(void *ctx, size_t size)
{
	void *p = svc_fails(CRATES_FAIL_ALLOC) ? NULL : kmalloc(size);

	(void)ctx;
	heap_mark_metadata(p);
	return p;
}

static void svc_heap_free(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static enum err svc_vrange_reserve(void *ctx, uint64_t size, uint64_t *base)
{
	(void)ctx;
	if (svc_fails(CRATES_FAIL_RESERVE))
		return E_NO_VSPACE;
	return vrange_alloc(size / PAGE_SIZE, base);
}

static void svc_vrange_release(void *ctx, uint64_t base, uint64_t size)
{
	(void)ctx;
	vrange_free(base, size / PAGE_SIZE);
}

static enum err svc_vrange_map(void *ctx, uint64_t base, uint64_t size)
{
	(void)ctx;
	if (svc_fails(CRATES_FAIL_MAP))
		return E_NO_FRAMES;
	return vm_map_fresh(base, size / PAGE_SIZE, VM_WRITE | VM_UNINIT);
}

static void svc_vrange_unmap(void *ctx, uint64_t base, uint64_t size)
{
	(void)ctx;
	vm_unmap_free(base, size / PAGE_SIZE);
}

static enum err svc_vrange_protect(void *ctx, uint64_t base, uint64_t size, enum ld_prot prot)
{
	unsigned vm_prot = prot == LD_PROT_RX ? VM_EXEC : prot == LD_PROT_RW ? VM_WRITE : 0;

	(void)ctx;
	if (svc_fails(CRATES_FAIL_PROTECT))
		return E_NOT_MAPPED;
	return vm_protect_range(base, size / PAGE_SIZE, vm_prot);
}

static void *svc_vrange_writable(void *ctx, uint64_t addr, uint64_t size)
{
	(void)ctx;
	(void)size;
	return (void *)addr;
}

static uint64_t svc_clock(void *ctx)
{
	(void)ctx;
	return rdtsc();
}

/* A writable, non-executable alias of one page of code or rodata, for the
 * redirect (memory/vm_alias.c); never a W+X page. */
static void *svc_alias_map(void *ctx, uint64_t page)
{
	uint64_t alias;

	(void)ctx;
	if (svc_fails(CRATES_FAIL_ALIAS))
		return NULL;
	return vm_alias_map(page, 1, &alias) == E_OK ? (void *)alias : NULL;
}

static void svc_alias_unmap(void *ctx, void *alias)
{
	(void)ctx;
	vm_alias_unmap((uint64_t)alias, 1);
}

static void svc_log(void *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	loader_messages++;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
}

/* A commit publishes with the other threads stopped (lookups take no lock). */
static uint64_t svc_quiesce(void *ctx)
{
	(void)ctx;
	return sched_stop_others();
}

static void svc_resume(void *ctx, uint64_t token)
{
	(void)ctx;
	sched_resume_others(token);
}

static const struct ld_services kernel_services = {
	.heap_alloc = svc_heap_alloc,
	.heap_free = svc_heap_free,
	.vrange_reserve = svc_vrange_reserve,
	.vrange_release = svc_vrange_release,
	.vrange_map = svc_vrange_map,
	.vrange_unmap = svc_vrange_unmap,
	.vrange_protect = svc_vrange_protect,
	.vrange_writable = svc_vrange_writable,
	.alias_map = svc_alias_map,
	.alias_unmap = svc_alias_unmap,
	.log = svc_log,
	.clock = svc_clock,
	.quiesce = svc_quiesce,
	.resume = svc_resume,
};

const struct ld_services *crates_services(void)
{
	return &kernel_services;
}
