/*
 * In-kernel loader tests on the test crates GRUB loaded (tests/modules/):
 * a crate calling the nano_core, one with data/bss/function pointers, one
 * depending on another crate, and the bad ones (unresolved symbol, corrupt
 * header, unreachable relocation), each of which must fail with its named
 * error and leave every counter as it was. Then W^X of loaded pages, unload
 * refusal while depended on, unload and reload.
 */
#include <bootinfo/bootinfo.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include "snapshot.h"

static uint64_t lookup(const char *name)
{
	const struct ld_symbol *sym;

	return ld_lookup(crates_namespace(), name, &sym) == E_OK ? sym->addr : 0;
}

static bool in_crate(const struct ld_crate *c, uint64_t addr, enum ld_kind kind)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].kind == kind && addr >= s[i].addr && addr < s[i].addr + s[i].size)
			return true;
	return false;
}

KTEST(loader, hello_calls_kernel)
{
	struct kt_snapshot s0, s1;
	struct ld_crate *c;
	const char *greeting = "hello from a loaded crate";
	int want = 7;

	for (size_t i = 0; greeting[i]; i++)
		want += greeting[i];
	kt_snapshot(&s0);
	KT_ASSERT(crates_load_boot_module("tm_hello", &c) == E_OK, "tm_hello did not load");
	uint64_t run = lookup("tm_hello_run");
	KT_ASSERT(run && in_crate(c, run, LD_KIND_TEXT), "tm_hello_run at %lx not in the crate", run);
	KT_ASSERT(run >= MODULE_AREA_BASE, "tm_hello_run at %lx outside the module area", run);
	int got = ((int (*)(int))run)(7);
	KT_ASSERT(ld_unload(crates_namespace(), c) == E_OK, "unload failed");
	KT_ASSERT_EQ(got, want);
	KT_ASSERT(lookup("tm_hello_run") == 0, "symbol still published after unload");
	kt_snapshot(&s1);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
}

KTEST(loader, data_bss_function_pointers)
{
	struct ld_crate *c;

	KT_ASSERT(crates_load_boot_module("tm_data", &c) == E_OK, "tm_data did not load");
	int *counter = (int *)lookup("tm_data_counter");
	int (*const *ops)(int, int) = (void *)lookup("tm_data_ops");
	const char **name = (const char **)lookup("tm_data_name");
	int (*bump)(void) = (void *)lookup("tm_data_bump");
	int (*apply)(int, int, int) = (void *)lookup("tm_data_apply");
	int (*hook)(int, int) = (void *)lookup("tm_data_call_hook");
	void (*bss_set)(int, int) = (void *)lookup("tm_data_bss_set");
	int (*bss_sum)(void) = (void *)lookup("tm_data_bss_sum");
	int (*classify)(int) = (void *)lookup("tm_data_classify");
	bool all = counter && ops && name && bump && apply && hook && bss_set && bss_sum && classify;
	bool placed = all && in_crate(c, (uint64_t)counter, LD_KIND_DATA) &&
		      in_crate(c, (uint64_t)ops, LD_KIND_RODATA) &&
		      in_crate(c, (uint64_t)ops[1], LD_KIND_TEXT) &&
		      in_crate(c, (uint64_t)*name, LD_KIND_RODATA);
	int r[8] = { 0 };
	if (all) {
		r[0] = *counter;
		r[1] = bump();
		r[2] = bump();
		r[3] = apply(0, 6, 7) + apply(1, 6, 7) + apply(2, 6, 7);	/* 13 + 42 - 1 */
		r[4] = hook(3, 5);
		r[5] = bss_sum();
		bss_set(3, 40);
		bss_set(99, 2);
		r[6] = bss_sum();
		r[7] = classify(0) + classify(5) + classify(7) + classify(8);	/* 11+67+89-1 */
	}
	bool name_ok = all && strcmp(*name, "tm_data") == 0;
	KT_ASSERT(ld_unload(crates_namespace(), c) == E_OK, "unload failed");
	KT_ASSERT(all, "a tm_data symbol is missing");
	KT_ASSERT(placed, "a symbol or pointer is in the wrong region of the crate");
	KT_ASSERT(name_ok, "tm_data_name does not point at \"tm_data\"");
	KT_ASSERT_EQ(r[0], 5);
	KT_ASSERT_EQ(r[1], 6);
	KT_ASSERT_EQ(r[2], 7);
	KT_ASSERT_EQ(r[3], 54);
	KT_ASSERT_EQ(r[4], 15);
	KT_ASSERT_EQ(r[5], 0);
	KT_ASSERT_EQ(r[6], 42);
	KT_ASSERT_EQ(r[7], 166);
}

/* The edge from tm_dep's text to tm_data's, with the call bytes it produced. */
static bool check_call_edge(struct ktest_ctx *t, const struct ld_crate *dep,
			    const struct ld_crate *data)
{
	size_t n;
	const struct ld_section *secs = ld_crate_sections(dep, &n);

	for (size_t i = 0; i < n; i++) {
		for (const struct ld_dep *d = ld_section_deps(&secs[i]); d; d = d->next_dep) {
			if (d->target->crate != data || d->target->kind != LD_KIND_TEXT)
				continue;
			struct ld_reloc_iter it;
			struct ld_reloc rec;
			ld_relocs_of_dep(&it, d);
			if (!ld_reloc_next(&it, &rec)) {
				ktest_fail(t, __FILE__, __LINE__, "edge with %u relocations yields none",
					   d->nrelocs);
				return false;
			}
			const struct ld_reloc *r = &rec;
			uint64_t place = r->source->addr + r->offset;
			int32_t rel;
			memcpy(&rel, (void *)place, 4);
			/* S + A - P, as the call instruction holds it */
			int64_t want = (int64_t)(r->target->addr + r->target_offset) + r->addend -
				       (int64_t)place;
			if (rel != want) {
				ktest_fail(t, __FILE__, __LINE__, "call at %lx holds %x, expected %lx",
					   place, rel, (uint64_t)want);
				return false;
			}
			bool back = false;	/* and the target knows its dependent */
			for (const struct ld_dep *b = ld_section_dependents(d->target); b;
			     b = b->next_dependent)
				back |= b == d;
			if (!back)
				ktest_fail(t, __FILE__, __LINE__, "edge missing from the dependents");
			return back;
		}
	}
	ktest_fail(t, __FILE__, __LINE__, "no dependency from tm_dep's text to tm_data's");
	return false;
}

KTEST(loader, dependency_between_crates)
{
	struct ld_crate *data, *dep;
	struct kt_snapshot s0, s1;

	kt_snapshot(&s0);
	KT_ASSERT(crates_load_boot_module("tm_data", &data) == E_OK, "tm_data did not load");
	KT_ASSERT(crates_load_boot_module("tm_dep", &dep) == E_OK, "tm_dep did not load");
	int (*run)(void) = (void *)lookup("tm_dep_run");
	int (*read)(void) = (void *)lookup("tm_dep_read_counter");
	int r1 = run ? run() : -1, r2 = read ? read() : -1;
	bool edge_ok = check_call_edge(t, dep, data);
	enum err refused = ld_unload(crates_namespace(), data);
	KT_ASSERT(ld_unload(crates_namespace(), dep) == E_OK, "unload tm_dep failed");
	KT_ASSERT(ld_unload(crates_namespace(), data) == E_OK, "unload tm_data failed");
	if (!edge_ok)
		return;
	KT_ASSERT_EQ(r1, 60);
	KT_ASSERT_EQ(r2, 6);
	KT_ASSERT(refused == E_LD_IN_USE, "unloading a depended-on crate gave %s, expected LD_IN_USE",
		  err_name(refused));
	kt_snapshot(&s1);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
}

/* Loading `name` must fail with `want` and change nothing. */
static void expect_rejected(struct ktest_ctx *t, const char *name, enum err want)
{
	struct kt_snapshot s0, s1;
	struct ld_crate *c = NULL;

	kt_snapshot(&s0);
	enum err e = crates_load_boot_module(name, &c);
	kt_snapshot(&s1);
	KT_ASSERT(e == want, "loading %s gave %s, expected %s", name, err_name(e), err_name(want));
	KT_ASSERT(ld_find_crate(crates_namespace(), name, &c) == E_LD_NOT_FOUND,
		  "a failed crate is in the namespace");
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
}

KTEST(loader, unresolved_rejected)
{
	expect_rejected(t, "tm_unresolved", E_LD_UNRESOLVED);
	KT_ASSERT(lookup("tm_unresolved_run") == 0, "symbol of a failed load published");
}

KTEST(loader, corrupt_rejected)
{
	expect_rejected(t, "tm_corrupt", E_ELF_BAD_SHSTRNDX);
}

KTEST(loader, overflow_rejected)
{
	expect_rejected(t, "tm_far", E_LD_RELOC_OVERFLOW);
}

KTEST(loader, duplicate_symbol_rejected)
{
	struct ld_crate *c, *again = NULL;
	struct kt_snapshot s0, s1;
	const struct boot_module *m = bootinfo_find_module("tm_data");
	const struct ld_load_opts opts = { .resolve_undefined = crates_resolve_kernel_symbol };

	KT_ASSERT(m, "no tm_data boot module");
	KT_ASSERT(crates_load_boot_module("tm_data", &c) == E_OK, "tm_data did not load");
	kt_snapshot(&s0);
	/* the same object again under another name: its globals are duplicates */
	enum err e = ld_load(crates_namespace(), "tm_data_again", phys_to_virt(m->start),
			     m->end - m->start, &opts, &again);
	kt_snapshot(&s1);
	KT_ASSERT(ld_unload(crates_namespace(), c) == E_OK, "unload failed");
	KT_ASSERT(e == E_LD_DUPLICATE_SYMBOL, "second definition gave %s", err_name(e));
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
}

/* Every page of every section has its region's rights, and nothing is W+X. */
KTEST(loader, loaded_pages_wx)
{
	struct ld_crate *c;
	struct vm_audit a;
	size_t n;

	KT_ASSERT(crates_load_boot_module("tm_data", &c) == E_OK, "tm_data did not load");
	const struct ld_section *secs = ld_crate_sections(c, &n);
	unsigned bad = 0, pages = 0;
	for (size_t i = 0; i < n; i++) {
		for (uint64_t va = secs[i].addr & ~(PAGE_SIZE - 1); va < secs[i].addr + secs[i].size;
		     va += PAGE_SIZE) {
			uint64_t pa, flags;
			bool w = secs[i].kind == LD_KIND_DATA, x = secs[i].kind == LD_KIND_TEXT;
			pages++;
			if (vm_translate(va, &pa, &flags) != E_OK || !!(flags & PTE_WRITE) != w ||
			    !(flags & PTE_NX) != x)
				bad++;
		}
	}
	vm_audit(&a);
	KT_ASSERT(ld_unload(crates_namespace(), c) == E_OK, "unload failed");
	KT_ASSERT(pages >= 3, "only %u pages in tm_data", pages);
	KT_ASSERT_EQ(bad, 0);
	KT_ASSERT_EQ(a.wx_pages, 0);
}

KTEST(loader, unload_and_reload)
{
	struct kt_snapshot s0, s1;
	struct ld_crate *c;
	int first = 0, second = 0;

	kt_snapshot(&s0);
	for (int round = 0; round < 3; round++) {
		KT_ASSERT(crates_load_boot_module("tm_data", &c) == E_OK, "load %d failed", round);
		int (*bump)(void) = (void *)lookup("tm_data_bump");
		int v = bump ? bump() : -1;	/* fresh data each time: 6 */
		KT_ASSERT(ld_unload(crates_namespace(), c) == E_OK, "unload %d failed", round);
		if (round == 0)
			first = v;
		second = v;
	}
	kt_snapshot(&s1);
	KT_ASSERT_EQ(first, 6);
	KT_ASSERT_EQ(second, 6);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
}
