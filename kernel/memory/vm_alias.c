/*
 * Temporary writable aliases of mapped pages: the one sanctioned way to write
 * code or read-only data in place (redirecting call sites after a swap)
 * without ever making a page writable and executable. The alias lives in the
 * module area, maps the same frames RW+NX, and is removed as soon as the
 * patch is written; the original mapping is never touched.
 */
#include <console/console.h>
#include <lib/util.h>
#include "memory_internal.h"

/* Unmap the first npages of an alias (RW leaves: the direct map is not touched). */
static void alias_unmap_pages(uint64_t alias, size_t npages)
{
	for (size_t i = 0; i < npages; i++)
		if (vm_unmap(alias + i * PAGE_SIZE, NULL) != E_OK)
			panic("BUG: vm_alias_unmap: alias page %lx is not mapped", alias + i * PAGE_SIZE);
}

static enum err vm_alias_map_unlocked(uint64_t va, size_t npages, uint64_t *alias)
{
	uint64_t base;
	enum err e;

	if (!IS_ALIGNED(va, PAGE_SIZE))
		return E_NOT_ALIGNED;
	if (npages == 0)
		return E_INVALID_ARG;
	e = vrange_alloc(npages, &base);
	if (e != E_OK) {
		pr_err("memory: no module-area range for a %zu-page alias of %lx: %s\n", npages, va,
		       err_msg(e));
		return e;
	}
	for (size_t i = 0; i < npages; i++) {
		uint64_t pa, page = va + i * PAGE_SIZE;
		e = vm_translate(page, &pa, NULL);
		if (e == E_OK)
			e = vm_map(base + i * PAGE_SIZE, pa, VM_WRITE);
		if (e != E_OK) {
			pr_err("memory: cannot alias page %zu (%lx) of %lx+%zu pages: %s\n", i, page,
			       va, npages, err_msg(e));
			alias_unmap_pages(base, i);
			vrange_free(base, npages);
			return e;
		}
	}
	*alias = base;
	return E_OK;
}

enum err vm_alias_map(uint64_t va, size_t npages, uint64_t *alias)
{
	uint64_t flags = mem_lock();
	enum err r = vm_alias_map_unlocked(va, npages, alias);

	mem_unlock(flags);
	return r;
}

static void vm_alias_unmap_unlocked(uint64_t alias, size_t npages)
{
	alias_unmap_pages(alias, npages);	/* each vm_unmap does invlpg */
	vrange_free(alias, npages);
}

void vm_alias_unmap(uint64_t alias, size_t npages)
{
	uint64_t flags = mem_lock();

	vm_alias_unmap_unlocked(alias, npages);
	mem_unlock(flags);
}
