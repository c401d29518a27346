/*
 * Swap tests, on whatever the command line swapped (swap=all, swap=memory,
 * swap=none): a swapped module's functions resolve to its new copy in the
 * module area and its probe returns the new copy's address, while a module
 * that was not swapped still resolves to the nano_core; data symbols keep
 * the nano_core's addresses and state is shared across copies; a crate loaded
 * later binds to the new copies; a variant with a different data layout is
 * refused and changes nothing; and, after swap=all, the whole suite passes
 * again when run through the re-loaded copies.
 */
#include <bootinfo/bootinfo.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <console/console.h>
#include <console/format.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <memory/memory.h>
#include <nano_core_swap/swap.h>
#include "modules.h"
#include "snapshot.h"
#include "swap_helpers.h"

KTEST(swap, nano_core_crate_built)
{
	size_t nsec, nsym, nrel;

	KT_ASSERT(nano_core_crate(), "no nano_core crate in the namespace");
	ld_crate_sections(nano_core_crate(), &nsec);
	ld_crate_symbols(nano_core_crate(), &nsym);
	nrel = ld_crate_nrelocs(nano_core_crate());
	/* (the records and symbols of the text the first swap replaced are left out) */
	KT_ASSERT(nsec > 100 && nsym + nano_core_symbols_left_out() > 300 &&
		  nrel + nano_core_records_left_out() > 1000,
		  "%zu sections, %zu symbols, %zu relocs", nsec, nsym, nrel);
	const struct ld_section *bss = nano_core_section("memory", ".bss.mem_counters");
	KT_ASSERT(bss && bss->size > 0, "no memory:.bss.mem_counters section");
	const struct ld_symbol *s = core_symbol("memory", "mem_counters");
	KT_ASSERT(s && s->section == bss, "mem_counters is not in memory:.bss.mem_counters");
}

/* Every module the command line asked for was swapped (the group is all or
 * nothing: one failure fails them all). */
KTEST(swap, every_requested_module_swapped)
{
	unsigned asked = 0;

	for (unsigned i = 0; i < NMODULES; i++) {
		if (!requested(module_names[i]))
			continue;
		asked++;
		KT_ASSERT(swapped(module_names[i]), "%s was asked for but not swapped",
			  module_names[i]);
	}
	kprintf("  %u of %zu modules asked for, all swapped\n", asked, NMODULES);
}

/* The group is in link order, memory first: the boot's reports and the new
 * copies in the namespace come in the order the modules were linked. */
KTEST(swap, group_in_link_order_memory_first)
{
	unsigned n, k = 0;
	const struct swap_report *r = swap_reports(&n);
	const struct ld_crate *c = ld_crate_first(crates_namespace());

	for (unsigned i = 0; i < NMODULES; i++) {
		if (!requested(module_names[i]))
			continue;
		KT_ASSERT(k < n && strcmp(r[k].module, module_names[i]) == 0,
			  "report %u is %s, not %s", k, k < n ? r[k].module : "-", module_names[i]);
		k++;
	}
	KT_ASSERT(n == 0 || strcmp(r[0].module, "memory") == 0, "the first is %s", r[0].module);
	for (; c && c != lookup("memory_probe")->crate; c = ld_crate_next(c))
		KT_ASSERT(!swapped("memory") || c == nano_core_crate(),
			  "crate %s comes before memory's copy", ld_crate_name(c));
}

/* The nano_core section s belongs to a module that was swapped. */
static bool old_code_of_swapped(const struct ld_section *s)
{
	char module[32];
	size_t n = 0;

	if (s->crate != nano_core_crate() || s->kind == LD_KIND_DATA)
		return false;
	while (s->name[n] && s->name[n] != ':' && n < sizeof(module) - 1)
		module[n] = s->name[n], n++;
	module[n] = '\0';
	return swapped(module) != NULL;
}

/* The first swap built the nano_core crate without the records of the code
 * it replaced, and with all the others: the text and rodata of a swapped
 * module hold none, the rest theirs. */
KTEST(swap, nano_core_crate_keeps_live_records)
{
	size_t n, kept = 0, left_out = nano_core_records_left_out();
	const struct ld_section *s = ld_crate_sections(nano_core_crate(), &n);
	unsigned swapped_sections = 0;

	for (size_t i = 0; i < n; i++) {
		kept += s[i].nrelocs;
		if (!old_code_of_swapped(&s[i]))
			continue;
		swapped_sections++;
		KT_ASSERT(s[i].nrelocs == 0, "%s keeps %lu records", s[i].name, s[i].nrelocs);
	}
	KT_ASSERT(kept + left_out > 1000, "%zu records kept, %zu left out", kept, left_out);
	KT_ASSERT(!swapped_sections || left_out > 0, "%u swapped sections, nothing left out",
		  swapped_sections);
	kprintf("  %zu records kept, %zu left out\n", kept, left_out);
}

/* ... and without the symbols of that code (the new copies define them; a
 * backtrace through the old code reads the image's symbol table): every
 * symbol it keeps lies in live data, in a module not swapped, or nowhere. */
KTEST(swap, nano_core_crate_keeps_live_symbols)
{
	size_t n, nsec, left_out = nano_core_symbols_left_out();
	const struct ld_symbol *s = ld_crate_symbols(nano_core_crate(), &n);
	const struct ld_section *sec = ld_crate_sections(nano_core_crate(), &nsec);
	unsigned data = 0, swapped_sections = 0;

	for (size_t i = 0; i < n; i++) {
		KT_ASSERT(!s[i].section || !old_code_of_swapped(s[i].section),
			  "%s keeps symbol %s of swapped code", s[i].section->name, s[i].name);
		data += s[i].section && s[i].section->kind == LD_KIND_DATA;
	}
	for (size_t i = 0; i < nsec; i++)
		swapped_sections += old_code_of_swapped(&sec[i]);
	KT_ASSERT(data > 0, "no data symbol kept");
	KT_ASSERT(!swapped_sections || left_out > 0, "%u swapped sections, no symbol left out",
		  swapped_sections);
	kprintf("  %zu symbols kept, %zu left out\n", n, left_out);
}

/* No loaded crate refers to the old text or rodata of a swapped module: the
 * group resolved new copies against new copies. */
KTEST(swap, no_crate_targets_old_code)
{
	unsigned bad = 0, edges = 0;

	for (struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c)) {
		size_t n;
		const struct ld_section *s = ld_crate_sections(c, &n);

		if (c == nano_core_crate())
			continue;
		for (size_t i = 0; i < n; i++) {
			for (const struct ld_dep *d = ld_section_deps(&s[i]); d; d = d->next_dep) {
				edges++;
				if (!d->nrelocs || !old_code_of_swapped(d->target))
					continue;
				if (bad++ < 5)
					kprintf("  %s:%s -> nano_core %s (%u relocations)\n",
						ld_crate_name(c), s[i].name, d->target->name, d->nrelocs);
			}
		}
	}
	KT_ASSERT(bad == 0, "%u edges from loaded crates reach old code (of %u)", bad, edges);
}

/* The linker-script table of the tests resolves to the new ktest copy's
 * own entries, whose functions are new copies. */
KTEST(swap, test_table_is_the_new_copys)
{
	const struct ld_symbol *start = lookup("__ktests_start"), *end = lookup("__ktests_end");

	if (!requested("ktest")) {
		kprintf("  (swap= did not ask for ktest)\n");
		return;
	}
	KT_ASSERT(start && end && start->crate == end->crate, "no __ktests_start/end");
	KT_ASSERT(strcmp(ld_crate_name(start->crate), "ktest") == 0,
		  "__ktests_start is crate %s's", ld_crate_name(start->crate));
	const struct ktest *k = (const struct ktest *)start->addr;
	unsigned n = (unsigned)((end->addr - start->addr) / sizeof(*k));
	KT_ASSERT(n > 30, "only %u entries", n);
	for (unsigned i = 0; i < n; i++)
		KT_ASSERT((uint64_t)k[i].fn >= MODULE_AREA_BASE, "%s runs the nano_core's copy",
			  k[i].name);
}

/* A function that says where it runs, called through a table in .data and
 * one in .rodata; a string pointer in .data that names a string of .rodata.
 * Globals, so that the compiler cannot fold them. */
__attribute__((noinline)) uint64_t swap_test_where(void)
{
	return (uint64_t)swap_test_where;
}
uint64_t (*swap_test_data_table[1])(void) = { swap_test_where };
uint64_t (*const swap_test_rodata_table[1])(void) = { swap_test_where };
const char swap_test_marker[] = "stored before the swap";
const char *swap_test_stored_marker = swap_test_marker;

/* Whether a function pointer table is writable or not, its entries call the
 * new copy after a swap: the one in .data (bound, live) was redirected, the
 * one in .rodata was relocated fresh. */
KTEST(swap, data_and_rodata_tables_call_the_new_copy)
{
	uint64_t here = swap_test_where();

	if (!requested("ktest")) {
		kprintf("  (swap= did not ask for ktest)\n");
		return;
	}
	KT_ASSERT(here >= MODULE_AREA_BASE, "this test runs the nano_core's copy (%lx)", here);
	KT_ASSERT_EQ(swap_test_data_table[0](), here);
	KT_ASSERT_EQ(swap_test_rodata_table[0](), here);
}

/* A pointer into .rodata stored in .data before the swap still names the
 * same string as the code that runs now sees. */
KTEST(swap, string_pointer_stored_before_is_recognized)
{
	if (!requested("ktest")) {
		kprintf("  (swap= did not ask for ktest)\n");
		return;
	}
	KT_ASSERT((uint64_t)swap_test_marker >= MODULE_AREA_BASE, "the marker is the nano_core's");
	KT_ASSERT(swap_test_stored_marker == swap_test_marker, "stored %p, the string is at %p",
		  swap_test_stored_marker, swap_test_marker);
}

/* The old copy of every swapped module is gone: its text and rodata pages
 * are unmapped (all of the image's, after swap=all), reading an old function
 * faults with the retired-code report, and calling it (a stale pointer) is
 * forwarded to the live copy's same function. A module not swapped keeps
 * its pages. */
KTEST(swap, original_code_retired)
{
	extern char __text_start[], __rodata_end[];
	bool all = true;

	for (unsigned i = 0; i < NMODULES; i++) {
		const char *m = module_names[i];
		char probe[48];
		fmt_snprintf(probe, sizeof(probe), "%s_probe", m);
		uint64_t old = nano_core_symbol_addr(m, probe);
		struct trap_record rec;

		KT_ASSERT(old, "no nano_core %s", probe);
		all &= requested(m);
		if (!requested(m)) {
			KT_ASSERT(mapped_pages(old, old + 1) == 1,
				  "%s was not swapped, yet its code is unmapped", m);
			continue;
		}
		KT_ASSERT(swapped(m), "%s was asked for but not swapped", m);
		KT_ASSERT(mapped_pages(old, old + 1) == 0, "%s's old %s is mapped", m, probe);
		KT_ASSERT(fault_catch(read_addr, (void *)old, &rec), "reading %s's old copy "
			  "did not fault", m);
		KT_ASSERT(rec.vector == VEC_PAGE_FAULT && rec.cr2 == old && rec.retired,
			  "vector %lu cr2 %lx retired %d", rec.vector, rec.cr2, rec.retired);
		KT_ASSERT_EQ(call_probe(old), lookup(probe)->addr);
	}
	if (all)
		KT_ASSERT(mapped_pages((uint64_t)__text_start, (uint64_t)__rodata_end) == 0,
			  "%u pages of the image's text and rodata are mapped",
			  mapped_pages((uint64_t)__text_start, (uint64_t)__rodata_end));
}

/* The crate whose code or data holds addr, by name ("" if none). */
static const char *crate_at(uint64_t addr)
{
	const struct ld_symbol *s;

	return ld_symbolize(crates_namespace(), addr, &s) == E_OK ? ld_crate_name(s->crate) : "";
}

/* The swap hooks re-installed what was set at run time: every exception
 * gate enters the new interrupts copy, and the loader runs on the new
 * crates copy's services (so on the new heap and memory code). */
KTEST(swap, hooks_reinstalled)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	const struct ld_services *svc = ld_namespace_services(crates_namespace());

	if (!requested("interrupts") || !requested("crates")) {
		kprintf("  (swap= did not ask for interrupts and crates)\n");
		return;
	}
	__asm__ volatile("sidt %0" : "=m"(idtr));
	for (unsigned v = 0; v < 32; v++) {
		const uint8_t *g = (const uint8_t *)idtr.base + 16 * v;
		uint64_t h = (uint64_t)(g[0] | g[1] << 8) | (uint64_t)(g[6] | g[7] << 8) << 16 |
			     (uint64_t)(g[8] | g[9] << 8 | g[10] << 16 | (uint32_t)g[11] << 24) << 32;
		KT_ASSERT(strcmp(crate_at(h), "interrupts") == 0, "vector %u enters %lx in '%s'",
			  v, h, crate_at(h));
	}
	KT_ASSERT(strcmp(crate_at((uint64_t)svc), "crates") == 0, "services at %lx in '%s'",
		  (uint64_t)svc, crate_at((uint64_t)svc));
	KT_ASSERT(strcmp(crate_at((uint64_t)svc->heap_alloc), "crates") == 0,
		  "heap_alloc at %lx in '%s'", (uint64_t)svc->heap_alloc,
		  crate_at((uint64_t)svc->heap_alloc));
}

/* Each module's functions and probe: the new copy if swapped, else the nano_core's. */
KTEST(swap, functions_and_probes)
{
	char probe[48];

	for (unsigned i = 0; i < NMODULES; i++) {
		const char *m = module_names[i];
		fmt_snprintf(probe, sizeof(probe), "%s_probe", m);
		const struct ld_symbol *s = lookup(probe);
		uint64_t old = nano_core_symbol_addr(m, probe);
		KT_ASSERT(s && old, "no %s in the namespace or the nano_core", probe);
		uint64_t got = ((uint64_t (*)(void))s->addr)();
		KT_ASSERT_EQ(got, s->addr);
		if (swapped(m)) {
			KT_ASSERT(s->addr >= MODULE_AREA_BASE && s->addr != old,
				  "%s at %lx: not a new copy", probe, s->addr);
			KT_ASSERT(strcmp(ld_crate_name(s->crate), m) == 0, "%s is in crate %s", probe,
				  ld_crate_name(s->crate));
		} else {
			KT_ASSERT(s->crate == nano_core_crate(), "%s was not swapped but resolves to %s",
				  probe, ld_crate_name(s->crate));
			KT_ASSERT_EQ(s->addr, old);
		}
	}
	if (swapped("memory")) {
		const struct ld_symbol *fa = lookup("frame_alloc");
		KT_ASSERT(fa && fa->addr >= MODULE_AREA_BASE, "frame_alloc not in the module area");
		KT_ASSERT(fa->addr != nano_core_symbol_addr("memory", "frame_alloc"),
			  "frame_alloc is the nano_core's");
	}
}

/* Every data symbol of every swapped copy is the nano_core's object. */
KTEST(swap, data_identity)
{
	unsigned checked = 0;

	for (unsigned i = 0; i < NMODULES; i++) {
		struct ld_crate *c;
		size_t n;
		if (!swapped(module_names[i]))
			continue;
		KT_ASSERT(ld_find_crate(crates_namespace(), module_names[i], &c) == E_OK,
			  "no crate %s", module_names[i]);
		const struct ld_symbol *s = ld_crate_symbols(c, &n);
		for (size_t k = 0; k < n; k++) {
			if (!s[k].section || s[k].section->kind != LD_KIND_DATA)
				continue;
			const struct ld_symbol *old = core_symbol(module_names[i], s[k].name);
			KT_ASSERT(s[k].section->bound, "%s's %s is not bound", module_names[i], s[k].name);
			KT_ASSERT(old && s[k].addr == old->addr, "%s's %s at %lx, nano_core's at %lx",
				  module_names[i], s[k].name, s[k].addr, old ? old->addr : 0);
			checked++;
		}
	}
	if (swapped("memory")) {
		const struct ld_symbol *mc = lookup("mem_counters");
		extern char mem_counters[];
		KT_ASSERT(mc && mc->addr == (uint64_t)mem_counters, "mem_counters moved");
		KT_ASSERT(checked > 5, "only %u data symbols checked", checked);
	}
}

/* Frames and heap blocks taken through the nano_core's code are returned
 * through the new copies, and both copies' counters agree. */
KTEST(swap, state_continuity)
{
	const struct ld_symbol *ffree = lookup("frame_free"), *stats = lookup("mem_get_stats");
	const struct ld_symbol *kf = lookup("kfree"), *hstats = lookup("heap_get_stats");
	struct mem_stats before, mid_old, mid_new, after;
	struct heap_stats h0, h1;
	uint64_t pa[8];

	KT_ASSERT(ffree && stats && kf && hstats, "memory or heap functions missing");
	mem_get_stats(&before);
	for (int i = 0; i < 8; i++)		/* the nano_core's frame_alloc */
		KT_ASSERT(frame_alloc(&pa[i]) == E_OK, "frame_alloc failed");
	mem_get_stats(&mid_old);
	((void (*)(struct mem_stats *))stats->addr)(&mid_new);
	KT_ASSERT_EQ(mid_old.frames_used, before.frames_used + 8);
	KT_ASSERT_EQ(mid_new.frames_used, mid_old.frames_used);
	for (int i = 0; i < 8; i++)		/* the namespace's frame_free */
		((void (*)(uint64_t))ffree->addr)(pa[i]);
	mem_get_stats(&after);
	KT_ASSERT_EQ(after.frames_used, before.frames_used);

	heap_get_stats(&h0);
	void *p = kmalloc(300);
	((void (*)(void *))kf->addr)(p);
	((void (*)(struct heap_stats *))hstats->addr)(&h1);
	KT_ASSERT_EQ(h1.bytes_used, h0.bytes_used);
	KT_ASSERT_EQ(h1.blocks_used, h0.blocks_used);
}

/* A crate loaded now binds to the namespace's memory functions. */
KTEST(swap, later_crate_binds_to_new_copy)
{
	struct ld_crate *c;
	const struct ld_symbol *fa = lookup("frame_alloc");
	unsigned edges = 0;
	size_t n;

	KT_ASSERT(crates_load_boot_module("tm_mem", &c) == E_OK, "tm_mem did not load");
	const struct ld_section *secs = ld_crate_sections(c, &n);
	for (size_t i = 0; i < n; i++) {
		for (const struct ld_dep *d = ld_section_deps(&secs[i]); d; d = d->next_dep) {
			struct ld_reloc_iter it;
			struct ld_reloc rec;
			for (ld_relocs_of_dep(&it, d); ld_reloc_next(&it, &rec);) {
				const struct ld_reloc *r = &rec;
				if (r->target->addr + r->target_offset != fa->addr)
					continue;
				int32_t rel;
				uint64_t place = r->source->addr + r->offset;
				memcpy(&rel, (void *)place, 4);
				KT_ASSERT((int64_t)place + rel - r->addend == (int64_t)fa->addr,
					  "call at %lx does not reach frame_alloc at %lx", place, fa->addr);
				KT_ASSERT(d->target->crate == fa->crate, "edge to crate %s, not %s",
					  ld_crate_name(d->target->crate), ld_crate_name(fa->crate));
				edges++;
			}
		}
	}
	const struct ld_symbol *cycle = lookup("tm_mem_cycle");
	int result = cycle ? ((int (*)(void))cycle->addr)() : -2;
	KT_ASSERT(ld_unload(crates_namespace(), c) == E_OK, "unload failed");
	KT_ASSERT(edges >= 1, "no relocation of tm_mem targets frame_alloc");
	KT_ASSERT_EQ(result, 0);
	if (swapped("memory"))
		KT_ASSERT(strcmp(ld_crate_name(fa->crate), "memory") == 0, "bound to %s",
			  ld_crate_name(fa->crate));
}

/* Swapping memory from `variant` must fail with `want` and change nothing. */
static void expect_refused(struct ktest_ctx *t, const char *variant, enum err want)
{
	const struct boot_module *m = bootinfo_find_module(variant);
	const struct ld_symbol *before = lookup("frame_alloc"), *after;
	struct kt_snapshot s0, s1;
	struct swap_report r;

	KT_ASSERT(m, "no boot module %s", variant);
	kt_snapshot(&s0);
	enum err e = swap_module("memory", phys_to_virt(m->start), m->end - m->start, &r);
	kt_snapshot(&s1);
	after = lookup("frame_alloc");
	KT_ASSERT(e == want, "swap from %s gave %s, expected %s", variant, err_name(e),
		  err_name(want));
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
	KT_ASSERT(after == before, "frame_alloc now resolves elsewhere");
}

KTEST(swap, layout_extra_variable_refused)
{
	expect_refused(t, "memory_extra", E_SWAP_LAYOUT_CHANGED);
}

KTEST(swap, layout_missing_section_refused)
{
	expect_refused(t, "memory_missing", E_SWAP_LAYOUT_CHANGED);
}

KTEST(swap, layout_grown_section_refused)
{
	expect_refused(t, "memory_grown", E_LD_BAD_BINDING);
}

KTEST(swap, unknown_module_refused)
{
	struct swap_report r;
	const struct boot_module *m = bootinfo_find_module("tm_hello");

	KT_ASSERT(m, "no tm_hello boot module");
	KT_ASSERT(swap_module("tm_hello", phys_to_virt(m->start), m->end - m->start, &r) ==
			  E_SWAP_UNKNOWN_MODULE, "a non-constituent module was swapped");
}

/*
 * After swap=all: run every test again through the re-loaded ktest crate,
 * whose .ktests.* entries point at its own new copies of the test
 * functions, which call the new copies of every module.
 */
KTEST(swap, suite_reruns_on_new_copies)
{
	struct ld_crate *c;
	unsigned ran = 0, failed = 0;
	size_t n;

	if (!requested("ktest")) {
		kprintf("  (swap= did not ask for ktest: nothing to re-run)\n");
		return;
	}
	KT_ASSERT(swapped("ktest"), "ktest was asked for but not swapped");
	KT_ASSERT(ld_find_crate(crates_namespace(), "ktest", &c) == E_OK, "no ktest crate");
	const struct ld_section *secs = ld_crate_sections(c, &n);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(secs[i].name, ".ktests.", 8) != 0)
			continue;
		const struct ktest *k = (const struct ktest *)secs[i].addr;
		if (strcmp(k->name, "swap.suite_reruns_on_new_copies") == 0)
			continue;
		KT_ASSERT((uint64_t)k->fn >= MODULE_AREA_BASE, "%s runs the nano_core's copy", k->name);
		struct ktest_ctx ctx = { .name = k->name, .failed = false };
		k->fn(&ctx);
		ran++;
		failed += ctx.failed;
		if (!ctx.failed)
			kprintf("  rerun ok %s\n", k->name);
	}
	KT_ASSERT(ran > 30, "only %u tests re-ran", ran);
	KT_ASSERT(failed == 0, "%u of %u tests failed on the swapped kernel", failed, ran);
}
