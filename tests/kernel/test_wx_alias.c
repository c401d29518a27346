/*
 * No writable alias of code: the direct map's view of the kernel's text and
 * rodata and of a loaded crate's text and rodata is read-only (a write there
 * faults) and becomes writable again when the crate is unloaded; vm_protect
 * changes the alias with the page; the W^X audit counts frames executable at
 * one address and writable at another, and sees a forged one; vm_alias_map
 * gives a temporary writable alias that patches code and then goes away.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <interrupts/interrupts.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include "snapshot.h"
#include "scratch.h"

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[];

/* mov $0x12345678, %eax; ret */
static const uint8_t patch_ret_imm[] = { 0xB8, 0x78, 0x56, 0x34, 0x12, 0xC3 };

/* Write a word back unchanged: harmless if it is allowed, a fault if not. */
static void rewrite_word(void *p)
{
	volatile uint64_t *w = p;

	*w = *w;
}

static void read_word(void *p)
{
	(void)*(volatile uint64_t *)p;
}

/* Is frame pa writable through the direct map? (It must be mapped there, NX.) */
static bool alias_writable(uint64_t pa, bool *nx)
{
	uint64_t got = 0, flags = 0;

	if (vm_translate(DIRECT_MAP_BASE + pa, &got, &flags) != E_OK || got != pa)
		panic("BUG: frame %lx is not in the direct map", pa);
	*nx = flags & PTE_NX;
	return flags & PTE_WRITE;
}

/* Does rewriting frame pa's direct-map alias fault as a write to a present page? */
static bool alias_write_faults(uint64_t pa)
{
	struct trap_record rec;
	void *alias = phys_to_virt(pa);

	if (!fault_catch(rewrite_word, alias, &rec))
		return false;
	return rec.vector == VEC_PAGE_FAULT && rec.cr2 == (uint64_t)alias &&
	       (rec.error & (PF_WRITE | PF_PRESENT)) == (PF_WRITE | PF_PRESENT);
}

static uint64_t frame_of(uint64_t va)
{
	uint64_t pa;

	return vm_translate(va, &pa, NULL) == E_OK ? pa & ~(PAGE_SIZE - 1) : ~0UL;
}



static uint64_t lookup(const char *name)
{
	const struct ld_symbol *sym;

	return ld_lookup(crates_namespace(), name, &sym) == E_OK ? sym->addr : 0;
}

KTEST(wx_alias, none_after_boot)
{
	struct vm_audit a;

	vm_audit(&a);
	KT_ASSERT_EQ(a.wx_pages, 0);
	KT_ASSERT_EQ(a.wx_alias_frames, 0);
}

/*
 * Every frame of the image's text and rodata still mapped (a swap may retire
 * them) is read-only and NX in the direct map, and so are the frames of the
 * code and rodata running this test, wherever they live; data stays writable.
 */
KTEST(wx_alias, kernel_code_readonly)
{
	unsigned bad = 0;
	uint64_t code = frame_of((uint64_t)rewrite_word), ro = frame_of((uint64_t)patch_ret_imm);
	bool nx;

	for (char *p = __text_start; p < __rodata_end; p += PAGE_SIZE) {
		if ((p >= __text_end && p < __rodata_start) || frame_of((uint64_t)p) == ~0UL)
			continue;
		bool w = alias_writable((uint64_t)p - KERNEL_VMA, &nx);
		if ((w || !nx) && bad++ == 0)
			kprintf("alias: image page %lx: direct-map alias W=%d NX=%d\n", (uint64_t)p, w,
				nx);
	}
	KT_ASSERT_EQ(bad, 0);
	KT_ASSERT(code != ~0UL && ro != ~0UL, "this test's code or rodata is not mapped");
	KT_ASSERT(alias_write_faults(code), "writing running code through the direct map did not fault");
	KT_ASSERT(alias_write_faults(ro), "writing rodata through the direct map did not fault");
	/* data stays writable there: only code and read-only data lose write */
	KT_ASSERT(alias_writable((uint64_t)__data_start - KERNEL_VMA, &nx) && nx,
		  ".data is not RW+NX in the direct map");
	KT_ASSERT(!alias_write_faults((uint64_t)__data_start - KERNEL_VMA),
		  "writing .data through the direct map faulted");
}

/* A crate's text and rodata are read-only in the direct map until it is unloaded. */
KTEST(wx_alias, crate_code_readonly_until_unload)
{
	struct ld_crate *c;
	size_t n;
	unsigned bad = 0, code_pages = 0;
	uint64_t text_pa = ~0UL;
	bool nx;

	KT_ASSERT(crates_load_boot_module("tm_hello", &c) == E_OK, "tm_hello did not load");
	const struct ld_section *s = ld_crate_sections(c, &n);
	for (size_t i = 0; i < n; i++) {
		if (!s[i].size)
			continue;
		for (uint64_t va = s[i].addr & ~(PAGE_SIZE - 1); va < s[i].addr + s[i].size;
		     va += PAGE_SIZE) {
			uint64_t pa = frame_of(va);
			bool code = s[i].kind != LD_KIND_DATA;
			if (pa == ~0UL || alias_writable(pa, &nx) == code || !nx)
				bad++;
			code_pages += code;
			if (s[i].kind == LD_KIND_TEXT && text_pa == ~0UL)
				text_pa = pa;
		}
	}
	bool text_faults = text_pa != ~0UL && alias_write_faults(text_pa);
	KT_ASSERT(ld_unload(crates_namespace(), c) == E_OK, "unload failed");
	KT_ASSERT(code_pages >= 2, "only %u text/rodata pages in tm_hello", code_pages);
	KT_ASSERT_EQ(bad, 0);
	KT_ASSERT(text_faults, "writing tm_hello's text through the direct map did not fault");
	/* the frame is free now: whoever gets it next writes it through the direct map */
	KT_ASSERT(alias_writable(text_pa, &nx), "freed text frame %lx is still read-only", text_pa);
	KT_ASSERT(!alias_write_faults(text_pa), "writing a freed text frame faulted");
}

/*
 * vm_protect carries the alias with the page, with invlpg: each write below
 * comes right after an access that cached the alias's old rights.
 */
KTEST(wx_alias, protect_changes_alias)
{
	uint64_t va, pa;
	bool nx;

	KT_ASSERT(scratch_map(&va, &pa, VM_WRITE), "cannot map a scratch page");
	bool rw0 = !alias_write_faults(pa);			/* cached writable */
	bool rx = vm_protect(va, VM_EXEC) == E_OK && alias_write_faults(pa);
	bool rw1 = vm_protect(va, VM_WRITE) == E_OK && !alias_write_faults(pa);
	bool r = vm_protect(va, 0) == E_OK && alias_write_faults(pa);
	KT_ASSERT(vm_unmap(va, NULL) == E_OK, "unmap failed");	/* from R: alias RW again */
	bool freed = alias_writable(pa, &nx) && !alias_write_faults(pa);
	frame_free(pa);
	vrange_free(va, 1);
	KT_ASSERT(rw0, "a fresh RW page's alias is not writable");
	KT_ASSERT(rx, "the alias of a page protected RX is writable");
	KT_ASSERT(rw1, "the alias of a page protected RW again is not writable");
	KT_ASSERT(r, "the alias of a page protected R is writable");
	KT_ASSERT(freed, "the alias of an unmapped R page is not writable");
}

/* The audit counts a writable alias of an executable frame, wherever it is. */
KTEST(wx_alias, audit_sees_forged_alias)
{
	struct vm_audit a, b, c, d;
	uint64_t va, pa, text_pa = frame_of((uint64_t)rewrite_word);	/* executable for sure */

	vm_audit(&a);
	KT_ASSERT(scratch_map(&va, &pa, VM_WRITE), "cannot map a scratch page");
	uint64_t *pte = leaf_pte(va), *alias = leaf_pte((uint64_t)phys_to_virt(text_pa));
	KT_ASSERT(pte && alias, "no leaf entry for %lx or the text alias", va);
	uint64_t old = *pte;
	*pte = text_pa | PTE_PRESENT | PTE_WRITE | PTE_NX;	/* a scratch VA writing .text */
	invlpg(va);
	vm_audit(&b);
	*pte = old;
	invlpg(va);
	scratch_unmap(va, pa);
	*alias |= PTE_WRITE;				/* the direct map itself writing .text */
	vm_audit(&c);
	*alias &= ~PTE_WRITE;
	invlpg((uint64_t)phys_to_virt(text_pa));
	vm_audit(&d);
	KT_ASSERT_EQ(a.wx_alias_frames, 0);
	KT_ASSERT_EQ(b.wx_alias_frames, 1);
	KT_ASSERT_EQ(b.wx_pages, 0);
	KT_ASSERT_EQ(c.wx_alias_frames, 1);
	KT_ASSERT_EQ(d.wx_alias_frames, 0);
}

/* An alias of the running text reads the same bytes, leaves the text as it was, and goes. */
KTEST(wx_alias, map_running_text)
{
	struct kt_snapshot s0, s1;
	struct vm_audit during, after;
	struct trap_record rec;
	uint64_t text = (uint64_t)rewrite_word & ~(PAGE_SIZE - 1), alias = 0;
	uint64_t pa0 = 0, f0 = 0, pa, flags, apa, aflags;

	KT_ASSERT(vm_translate(text, &pa0, &f0) == E_OK, "rewrite_word's page is not mapped");
	kt_snapshot(&s0);
	KT_ASSERT(vm_alias_map(text, 1, &alias) == E_OK, "cannot alias the page of rewrite_word");
	bool same = memcmp((void *)alias, (void *)text, PAGE_SIZE) == 0;
	bool mapped = vm_translate(alias, &apa, &aflags) == E_OK && apa == pa0;
	bool orig = vm_translate(text, &pa, &flags) == E_OK && pa == pa0 && flags == f0;
	vm_audit(&during);
	vm_alias_unmap(alias, 1);
	bool gone = fault_catch(read_word, (void *)alias, &rec);
	vm_audit(&after);
	kt_snapshot(&s1);
	KT_ASSERT(alias >= MODULE_AREA_BASE, "alias %lx outside the module area", alias);
	KT_ASSERT(same, "the alias does not read as the text");
	KT_ASSERT(mapped && (aflags & PTE_WRITE) && (aflags & PTE_NX), "alias: pa %lx flags %lx",
		  apa, aflags);
	KT_ASSERT(orig, "the text changed: pa %lx flags %lx", pa, flags);
	KT_ASSERT_EQ(during.wx_alias_frames, 1);	/* expected while the alias lives */
	KT_ASSERT_EQ(after.wx_alias_frames, 0);
	KT_ASSERT(gone && !(rec.error & PF_PRESENT), "the unmapped alias still reads");
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
}

/* Patch a loaded crate's function through an alias; the call sees it; the alias faults after. */
KTEST(wx_alias, patch_crate_text)
{
	struct kt_snapshot s0 = { 0 }, s1 = { 0 };
	struct trap_record rec;
	struct ld_crate *c;
	uint64_t alias = 0, pa0 = 0, f0 = 0, pa1 = 0, f1 = 0;
	int before = 0, after = 0;
	enum err e = E_INVALID_ARG;
	bool gone = false;

	KT_ASSERT(crates_load_boot_module("tm_hello", &c) == E_OK, "tm_hello did not load");
	uint64_t run = lookup("tm_hello_run");
	uint64_t page = run & ~(PAGE_SIZE - 1), off = run & (PAGE_SIZE - 1);
	size_t npages = off + sizeof(patch_ret_imm) > PAGE_SIZE ? 2 : 1;
	if (run) {
		before = ((int (*)(int))run)(7);
		if (vm_translate(run, &pa0, &f0) != E_OK)
			pa0 = ~0UL;
		kt_snapshot(&s0);
		e = vm_alias_map(page, npages, &alias);
	}
	if (e == E_OK) {
		memcpy((void *)(alias + off), patch_ret_imm, sizeof(patch_ret_imm));
		after = ((int (*)(int))run)(7);
		if (vm_translate(run, &pa1, &f1) != E_OK)
			pa1 = ~1UL;
		vm_alias_unmap(alias, npages);
		gone = fault_catch(read_word, (void *)(alias + off), &rec);
		kt_snapshot(&s1);
	}
	KT_ASSERT(ld_unload(crates_namespace(), c) == E_OK, "unload failed");
	KT_ASSERT(run, "tm_hello_run not found");
	KT_ASSERT(e == E_OK, "vm_alias_map: %s", err_name(e));
	KT_ASSERT(before > 7, "tm_hello_run(7) gave %d before the patch", before);
	KT_ASSERT_EQ(after, 0x12345678);
	KT_ASSERT(pa1 == pa0 && f1 == f0, "the original mapping changed: %lx/%lx -> %lx/%lx", pa0, f0,
		  pa1, f1);
	KT_ASSERT(gone && rec.cr2 == alias + off && !(rec.error & PF_PRESENT),
		  "reading the alias after vm_alias_unmap did not fault as not present");
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
}

/* A range with an unmapped page, a misaligned start or no pages: refused, nothing left. */
KTEST(wx_alias, map_refusals_leave_nothing)
{
	struct kt_snapshot s0, s1;
	uint64_t va, pa, alias = 0;

	KT_ASSERT(vrange_alloc(2, &va) == E_OK, "no module-area range");
	KT_ASSERT(frame_alloc(&pa) == E_OK, "no frame");
	KT_ASSERT(vm_map(va, pa, VM_EXEC) == E_OK, "cannot map the first page");
	kt_snapshot(&s0);
	enum err hole = vm_alias_map(va, 2, &alias);		/* page 1 is not mapped */
	enum err misaligned = vm_alias_map(va + 8, 1, &alias);
	enum err empty = vm_alias_map(va, 0, &alias);
	kt_snapshot(&s1);
	KT_ASSERT(vm_unmap(va, NULL) == E_OK, "unmap failed");
	frame_free(pa);
	vrange_free(va, 2);
	KT_ASSERT(hole == E_NOT_MAPPED, "a range with a hole gave %s", err_name(hole));
	KT_ASSERT(misaligned == E_NOT_ALIGNED, "a misaligned range gave %s", err_name(misaligned));
	KT_ASSERT(empty == E_INVALID_ARG, "an empty range gave %s", err_name(empty));
	KT_ASSERT_EQ(alias, 0);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
}
