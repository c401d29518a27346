/*
 * The swap after boot: memory swapped again (the newest copy runs, the one
 * it replaced is retired), a copy kept while a word points into it, each
 * failing step of a swap leaving everything as it was, and a boot whose swap
 * was made to fail running on the nano_core.
 */
#include <console/console.h>
#include <console/format.h>
#include <interrupts/interrupts.h>
#include <ktest/ktest.h>
#include "snapshot.h"
#include "swap_helpers.h"

/*
 * Swap memory again (after the boot's swap): the newest copy is the one that
 * runs, the copy it replaced is unloaded and its address no longer mapped,
 * and the frame allocator's state carried over. (Its own suite: it changes
 * which crate provides memory, so it runs after the swap.* tests.)
 */
KTEST(swap_again, memory_twice)
{
	const struct ld_symbol *before = lookup("memory_probe"), *after;
	/* kept scrambled: a plain pointer into the old copy on this stack would
	 * (rightly) stop the swap from retiring it */
	uint64_t old = before->addr ^ ~0ull, frame;
	const struct ld_crate *old_crate = before->crate;
	struct trap_record rec;
	struct mem_stats m0, m1;

	mem_get_stats(&m0);
	KT_ASSERT(swap_nano_core_crates("memory") == E_OK, "swapping memory again failed");
	after = lookup("memory_probe");
	KT_ASSERT(after && after->crate != old_crate, "memory_probe still in crate %s",
		  ld_crate_name(before->crate));
	KT_ASSERT_EQ(((uint64_t (*)(void))after->addr)(), after->addr);
	for (struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c))
		KT_ASSERT(c != old_crate || c == nano_core_crate(), "the replaced copy is still loaded");
	KT_ASSERT(fault_catch(read_addr, (void *)(old ^ ~0ull), &rec), "the replaced copy is mapped");
	KT_ASSERT(mapped_pages(old ^ ~0ull, (old ^ ~0ull) + 1) == 0, "the replaced copy is mapped");
	/* a stale pointer's call goes to the live copy */
	KT_ASSERT_EQ(call_probe(old ^ ~0ull), after->addr);
	KT_ASSERT(frame_alloc(&frame) == E_OK, "no frame from the new copy");
	frame_free(frame);
	mem_get_stats(&m1);
	KT_ASSERT(m1.frames_used == m0.frames_used, "frames used %lu -> %lu", m0.frames_used,
		  m1.frames_used);
}

/* A word in writable data that points into the copy being replaced keeps
 * it mapped (the retire logs the word); once the word is gone, the next
 * retire unmaps it. */
uint64_t swap_test_held_pointer;

KTEST(swap_again, kept_while_referenced)
{
	const struct ld_symbol *before = lookup("memory_probe"), *after;
	const struct ld_crate *old_crate = before->crate;
	bool loaded = false;

	swap_test_held_pointer = before->addr;	/* a live reference to the old copy */
	KT_ASSERT(swap_nano_core_crates("memory") == E_OK, "swapping memory again failed");
	after = lookup("memory_probe");
	KT_ASSERT(after && after->crate != old_crate, "memory was not swapped");
	for (struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c))
		loaded |= c == old_crate;
	KT_ASSERT(loaded || old_crate == nano_core_crate(), "a referenced copy was unloaded");
	/* still there: the held pointer still runs the old copy */
	KT_ASSERT_EQ(((uint64_t (*)(void))swap_test_held_pointer)(), swap_test_held_pointer);
	swap_test_held_pointer = 0;
	swap_retire_old_code();
	for (struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c))
		KT_ASSERT(c != old_crate || c == nano_core_crate(), "the copy stayed after the word went");
}

/*
 * Keep is closed over references: bootinfo and lib swapped together, and a
 * word held onto the old bootinfo's bootinfo_find_module (a registration the
 * new copy forgot to make again). That keeps old bootinfo, and so old lib
 * too, whose strcmp it calls directly (an edge between two old copies of
 * one swap: never redirected). The kept copy runs, lib and all; once the
 * word goes, both are retired.
 */
uint64_t swap_test_forgotten_hook;

KTEST(swap_again, kept_copy_keeps_its_callees)
{
	typedef const struct boot_module *find_fn(const char *name);
	const struct ld_symbol *find = lookup("bootinfo_find_module");
	uint64_t old_strcmp = lookup("strcmp")->addr, old_find = find->addr;

	swap_test_forgotten_hook = old_find;
	KT_ASSERT(swap_nano_core_crates("bootinfo,lib") == E_OK, "the swap failed");
	KT_ASSERT(lookup("strcmp")->addr != old_strcmp, "lib was not swapped");
	KT_ASSERT_EQ(mapped_pages(old_find, old_find + 1), 1);
	KT_ASSERT(mapped_pages(old_strcmp, old_strcmp + 1) == 1,
		  "old lib is unmapped while the kept old bootinfo calls it");
	KT_ASSERT(((find_fn *)swap_test_forgotten_hook)("memory") == bootinfo_find_module("memory"),
		  "the kept copy does not find the boot module memory");
	swap_test_forgotten_hook = 0;
	swap_retire_old_code();
	KT_ASSERT_EQ(mapped_pages(old_strcmp, old_strcmp + 1), 0);
	KT_ASSERT_EQ(mapped_pages(old_find, old_find + 1), 0);
}

/*
 * A retired page of the image is gone at once, even one the CPU has just
 * read (its TLB entry cached): a module still on the image (a boot that did
 * not swap it) is swapped, and reading its old code faults right after.
 */
KTEST(swap_again, retired_image_page_faults_at_once)
{
	static const char *const candidates[] = { "lib", "bootinfo", "heap" };
	struct trap_record rec;

	for (unsigned i = 0; i < 3; i++) {
		char probe[48];

		fmt_snprintf(probe, sizeof(probe), "%s_probe", candidates[i]);
		const struct ld_symbol *s = lookup(probe);
		if (s->crate != nano_core_crate())
			continue; /* (swapped at boot: its image pages are gone already) */
		uint64_t old = s->addr;
		KT_ASSERT(!fault_catch(read_addr, (void *)old, &rec), "the image's %s is unreadable",
			  probe);
		KT_ASSERT(swap_nano_core_crates(candidates[i]) == E_OK, "swapping %s failed",
			  candidates[i]);
		KT_ASSERT(fault_catch(read_addr, (void *)old, &rec) && rec.cr2 == old,
			  "%s's retired image page is still readable", candidates[i]);
		return;
	}
	kprintf("  (every candidate was swapped at boot: nothing on the image to retire)\n");
}

/*
 * Failure atomicity, one test per step that can fail: the k-th call of one
 * of the loader's services fails during a swap of memory, for k = 1, 2, ...
 * until the swap gets through. After each failure the namespace, page
 * tables, frames and heap are exactly as before and the same copy of memory
 * runs, and the failure was said twice: where it happened (the loader's or
 * the swap's message naming the crate and the table) and by the swap. (The hooks run after the commit and cannot fail; the redirect's
 * writes cannot fail once its aliases are mapped: the alias step covers it.)
 */
static void swap_fail_each(struct ktest_ctx *t, enum crates_fault kind)
{
	unsigned long k, calls = 0;

	for (k = 1; k < 4000; k++) {
		struct kt_snapshot s0, s1;
		const struct ld_symbol *before = lookup("frame_alloc"), *after;
		uint64_t addr = before->addr ^ ~0ull;	/* scrambled: see memory_twice */
		enum err e;

		unsigned long said = console_errors() + crates_loader_messages();

		kt_snapshot(&s0);
		crates_fail_at(kind, k);
		e = swap_nano_core_crates("memory");
		calls = crates_fail_calls(kind);
		crates_fail_at(kind, 0);
		if (e == E_OK)
			break;
		said = console_errors() + crates_loader_messages() - said;
		KT_ASSERT(said >= 2, "failing call %lu said %lu message(s), not where it failed",
			  k, said);
		kt_snapshot(&s1);
		KT_ASSERT_SNAPSHOT_EQ(s1, s0);
		after = lookup("frame_alloc");
		KT_ASSERT(after == before && (after->addr ^ ~0ull) == addr,
			  "call %lu failed, yet frame_alloc moved", k);
	}
	KT_ASSERT(k > 1 && calls >= k - 1, "the swap made %lu calls of this kind", calls);
	kprintf("  %lu failing calls, each left everything as it was\n", k - 1);
}

KTEST(swap_fail, each_allocation)
{
	swap_fail_each(t, CRATES_FAIL_ALLOC);
}

KTEST(swap_fail, each_reservation)
{
	swap_fail_each(t, CRATES_FAIL_RESERVE);
}

KTEST(swap_fail, each_mapping)
{
	swap_fail_each(t, CRATES_FAIL_MAP);
}

KTEST(swap_fail, each_protection)
{
	swap_fail_each(t, CRATES_FAIL_PROTECT);
}

KTEST(swap_fail, each_code_alias)
{
	swap_fail_each(t, CRATES_FAIL_ALIAS);
}

/*
 * Booted with swap_fail=KIND:N (tests/boots.sh's swap_fail boot, which runs
 * only this suite): the boot's swap failed, so nothing was swapped, retired
 * or left behind, and the kernel runs on the nano_core's own code.
 */
KTEST(swap_boot_failed, kernel_runs_on_the_nano_core)
{
	extern char __text_start[], __text_end[];
	unsigned n;

	if (!strstr_cmdline("swap_fail=")) {
		kprintf("  (not the swap_fail= boot)\n");
		return;
	}
	swap_reports(&n);
	for (unsigned i = 0; i < NMODULES; i++) {
		char probe[48];
		fmt_snprintf(probe, sizeof(probe), "%s_probe", module_names[i]);
		const struct ld_symbol *s = lookup(probe);
		KT_ASSERT(s && s->crate == nano_core_crate(), "%s runs crate %s", probe,
			  s ? ld_crate_name(s->crate) : "?");
		KT_ASSERT(!swapped(module_names[i]), "%s reported swapped", module_names[i]);
	}
	KT_ASSERT_EQ(mapped_pages((uint64_t)__text_start, (uint64_t)__text_end),
		     (uint64_t)(__text_end - __text_start) / PAGE_SIZE);
	KT_ASSERT(crates_fail_calls(CRATES_FAIL_ALLOC) > 0, "the loader was never asked");
	/* the crate built lean for that swap was made whole again, so a later
	 * swap redirects the call sites of every module that stays */
	KT_ASSERT_EQ(nano_core_records_left_out(), 0);
	KT_ASSERT(swap_nano_core_crates("memory") == E_OK, "a later swap of memory failed");
	const struct ld_symbol *s = lookup("memory_probe");
	KT_ASSERT(s && s->crate != nano_core_crate(), "memory_probe still runs the nano_core's");
	call_addr((void *)s->addr);
	uint64_t pa;
	KT_ASSERT(frame_alloc(&pa) == E_OK, "frame_alloc through the redirected calls failed");
	frame_free(pa);
}
