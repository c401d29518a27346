/*
 * Page-table tests: map/translate/unmap with the counters restored, data
 * written through a fresh mapping seen through the direct map, faults on
 * access after unmap, on executing an NX page and on writing read-only
 * memory (also right after vm_protect took write away), and a W^X audit of
 * every page table.
 */
#include <interrupts/interrupts.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include "scratch.h"

extern char __text_start[], __rodata_start[], __data_start[], __bss_start[];


KTEST(paging, map_translate_unmap)
{
	struct mem_stats s0, s1;
	uint64_t va, pa, got, flags;

	mem_get_stats(&s0);
	KT_ASSERT(scratch_map(&va, &pa, VM_WRITE), "cannot map a scratch page");
	KT_ASSERT(va >= MODULE_AREA_BASE, "scratch page %lx outside the module area", va);
	KT_ASSERT(vm_translate(va + 0x123, &got, &flags) == E_OK, "mapped page does not translate");
	KT_ASSERT_EQ(got, pa + 0x123);
	KT_ASSERT((flags & PTE_WRITE) && (flags & PTE_NX), "RW page has flags %lx", flags);

	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		((volatile uint64_t *)va)[i] = 0x5eed0000UL + i;
	const uint64_t *direct = phys_to_virt(pa);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		KT_ASSERT(direct[i] == 0x5eed0000UL + i, "word %u differs through the direct map", i);

	KT_ASSERT(vm_map(va, pa, 0) == E_ALREADY_MAPPED, "double map accepted");
	KT_ASSERT(vm_map(va + PAGE_SIZE, pa, VM_WRITE | VM_EXEC) == E_INVALID_ARG,
		  "a writable+executable mapping was accepted");
	scratch_unmap(va, pa);
	KT_ASSERT(vm_translate(va, &got, &flags) == E_NOT_MAPPED, "unmapped page still translates");
	mem_get_stats(&s1);
	KT_ASSERT_EQ(s1.frames_used, s0.frames_used);
	KT_ASSERT_EQ(s1.table_frames, s0.table_frames);
	KT_ASSERT_EQ(s1.pages_mapped, s0.pages_mapped);
	KT_ASSERT_EQ(s1.vrange_pages, s0.vrange_pages);
}

static void read_word(void *p)
{
	(void)*(volatile uint64_t *)p;
}

static void write_word(void *p)
{
	*(volatile uint64_t *)p = 1;
}

static void call_code(void *p)
{
	((void (*)(void))p)();
}

KTEST(paging, access_after_unmap_faults)
{
	uint64_t va, pa;
	struct trap_record rec;

	KT_ASSERT(scratch_map(&va, &pa, VM_WRITE), "cannot map a scratch page");
	read_word((void *)va);		/* fills the TLB: unmap must invlpg */
	KT_ASSERT(vm_unmap(va, NULL) == E_OK, "unmap failed");
	frame_free(pa);
	bool faulted = fault_catch(read_word, (void *)va, &rec);
	vrange_free(va, 1);
	KT_ASSERT(faulted, "reading an unmapped page did not fault");
	KT_ASSERT_EQ(rec.vector, VEC_PAGE_FAULT);
	KT_ASSERT_EQ(rec.cr2, va);
	KT_ASSERT(!(rec.error & PF_PRESENT), "error code %lx: expected not-present", rec.error);
}

KTEST(paging, execute_nx_faults)
{
	uint64_t va, pa;
	struct trap_record rec;

	KT_ASSERT(scratch_map(&va, &pa, VM_WRITE), "cannot map a scratch page");
	*(volatile uint8_t *)va = 0xC3;		/* ret */
	KT_ASSERT(vm_protect(va, 0) == E_OK, "protect R failed");
	bool faulted = fault_catch(call_code, (void *)va, &rec);
	KT_ASSERT(vm_protect(va, VM_EXEC) == E_OK, "protect RX failed");
	struct trap_record rec_rx;
	bool faulted_rx = fault_catch(call_code, (void *)va, &rec_rx);
	scratch_unmap(va, pa);
	KT_ASSERT(faulted, "executing an NX page did not fault");
	KT_ASSERT(!faulted_rx, "executing the same page mapped RX faulted");
	KT_ASSERT_EQ(rec.vector, VEC_PAGE_FAULT);
	KT_ASSERT_EQ(rec.cr2, va);
	KT_ASSERT((rec.error & (PF_FETCH | PF_PRESENT)) == (PF_FETCH | PF_PRESENT),
		  "error code %lx: expected a protection fault on instruction fetch", rec.error);
}

KTEST(paging, write_readonly_faults)
{
	struct trap_record rec;
	static const uint64_t constant = 42;

	KT_ASSERT(fault_catch(write_word, (void *)&constant, &rec), "writing .rodata did not fault");
	KT_ASSERT_EQ(rec.vector, VEC_PAGE_FAULT);
	KT_ASSERT_EQ(rec.cr2, (uint64_t)&constant);
	KT_ASSERT((rec.error & (PF_WRITE | PF_PRESENT)) == (PF_WRITE | PF_PRESENT),
		  "error code %lx: expected a protection fault on write", rec.error);
	KT_ASSERT(fault_catch(write_word, (void *)__text_start, &rec), "writing .text did not fault");
}

/* vm_protect to R takes write away at once: the TLB's writable entry goes (invlpg). */
KTEST(paging, protect_readonly_write_faults)
{
	uint64_t va, pa;
	struct trap_record rec;

	KT_ASSERT(scratch_map(&va, &pa, VM_WRITE), "cannot map a scratch page");
	write_word((void *)va);			/* caches the writable translation */
	enum err e = vm_protect(va, 0);
	bool faulted = fault_catch(write_word, (void *)va, &rec);
	scratch_unmap(va, pa);
	KT_ASSERT(e == E_OK, "protect R: %s", err_name(e));
	KT_ASSERT(faulted, "writing a page just protected read-only did not fault");
	KT_ASSERT_EQ(rec.vector, VEC_PAGE_FAULT);
	KT_ASSERT_EQ(rec.cr2, va);
	KT_ASSERT((rec.error & (PF_WRITE | PF_PRESENT)) == (PF_WRITE | PF_PRESENT),
		  "error code %lx: expected a protection fault on write", rec.error);
}

/* Each output section of the image has the rights linker.ld's layout asks
 * for (code and rodata where they are still mapped: a swap retires them). */
KTEST(paging, kernel_sections_wx)
{
	const struct { const char *name; char *addr; bool write, exec; } secs[] = {
		{ ".text", __text_start, false, true },
		{ ".rodata", __rodata_start, false, false },
		{ ".data", __data_start, true, false },
		{ ".bss", __bss_start, true, false },
	};

	for (unsigned i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		uint64_t pa, flags;
		enum err e = vm_translate((uint64_t)secs[i].addr, &pa, &flags);
		if (e != E_OK && !secs[i].write)
			continue;	/* retired */
		KT_ASSERT(e == E_OK, "%s not mapped", secs[i].name);
		KT_ASSERT_EQ(pa, (uint64_t)secs[i].addr - KERNEL_VMA);
		KT_ASSERT(!!(flags & PTE_WRITE) == secs[i].write, "%s: W is %d", secs[i].name,
			  !!(flags & PTE_WRITE));
		KT_ASSERT(!(flags & PTE_NX) == secs[i].exec, "%s: X is %d", secs[i].name,
			  !(flags & PTE_NX));
	}
}


/* No page is writable and executable; and the audit does see one when there is. */
KTEST(paging, wx_audit)
{
	struct vm_audit a, b;
	uint64_t va, pa;

	vm_audit(&a);
	KT_ASSERT(a.pages > 1000, "only %lu pages mapped?", a.pages);
	KT_ASSERT_EQ(a.wx_pages, 0);
	KT_ASSERT_EQ(a.wx_alias_frames, 0);
	KT_ASSERT(scratch_map(&va, &pa, VM_EXEC), "cannot map a scratch page");
	uint64_t *pte = leaf_pte(va);
	KT_ASSERT(pte != NULL, "no leaf entry for %lx", va);
	*pte |= PTE_WRITE;			/* forge a W+X page behind vm_*'s back */
	vm_audit(&b);
	*pte &= ~PTE_WRITE;
	invlpg(va);
	scratch_unmap(va, pa);
	KT_ASSERT_EQ(b.pages, a.pages + 1);
	KT_ASSERT_EQ(b.wx_pages, 1);
}
