/*
 * The swap among threads (suite swap_threads): with worker threads running
 * and the timer at 1 kHz, swaps of heap, memory, interrupts, sched and
 * console work and leave nothing behind; a thread parked inside heap code
 * is moved to the new copy when the code is the same, waited for when it
 * is not, and the swap refused by name when it stays; a storm of timer
 * interrupts and injected failures change nothing.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <interrupts/irq.h>
#include <ktest/ktest.h>
#include <lib/cpu.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include <nano_core_swap/swap.h>
#include <sched/sched.h>
#include <workload/workload.h>
#include "snapshot.h"
#include "swap_helpers.h"

/* The object heap's running copy came from. */
static const char *heap_now(void)
{
	const char *superseded, *object;

	swap_module_generation("heap", &superseded, &object);
	return object ? object : "heap";
}

/* One run-time swap: "heap heap_v2" (a new version) or "heap" (again, from
 * its own object). */
static enum err swap_one(const char *module, const char *object)
{
	struct swap_report r;

	return swap_module_to(module, object ? object : module, &r);
}

/* Heap runs a crate loaded from its own object (not heap_v2, not the image). */
static bool heap_plain(void)
{
	return (strcmp(heap_now(), "heap") == 0 && lookup("kmalloc")->crate != nano_core_crate()) ||
	       swap_one("heap", "heap") == E_OK;
}

/* ---- a thread parked inside heap code ----------------------------------- */

struct park {
	struct wait_queue q;
	volatile bool release, parked;
	volatile uint64_t leave_after_wait;	/* set: leave once a swap waited for it */
	volatile uint64_t return_address;	/* into heap_run_inside, read after waking */
	volatile unsigned result;
};

static bool park_released(void *arg)
{
	return ((struct park *)arg)->release;
}

/* Called by heap_run_inside: sleep in it. noinline: its return address is
 * heap_run_inside's, the one a swap must move. */
static __attribute__((noinline)) void park_here(void *arg)
{
	struct park *p = arg;
	unsigned w0 = swap_waits_total();

	p->parked = true;
	if (p->leave_after_wait)
		while (swap_waits_total() == w0)
			thread_sleep_ms(1);	/* (still inside heap_run_inside) */
	else
		wait_event(&p->q, park_released, p);
	p->return_address = (uint64_t)__builtin_return_address(0);
}

static void park_thread(void *arg)
{
	struct park *p = arg;

	p->result = heap_run_inside(park_here, p);
}

static void park_start(struct ktest_ctx *t, struct park *p, bool leave_after_wait,
		       struct thread **th)
{
	*p = (struct park){ WAIT_QUEUE_INIT, false, false, leave_after_wait, 0, 0 };
	KT_ASSERT(thread_create("parked", park_thread, p, th) == E_OK, "no thread");
	while (!p->parked)
		thread_yield();
}

static void park_end(struct park *p, struct thread *th)
{
	p->release = true;
	wake_all(&p->q);
	thread_join(th);
}

/* Is addr inside the running copy's heap_run_inside? */
static bool in_live_run_inside(uint64_t addr)
{
	const struct ld_symbol *s = lookup("heap_run_inside");

	return s && addr >= s->addr && addr < s->addr + s->size;
}

/* Same code (heap swapped from its own object): the parked thread's return
 * address is moved, and it wakes in the new copy. */
KTEST(swap_threads, parked_in_same_code_wakes_in_new_copy)
{
	struct park p;
	struct thread *th;
	const struct ld_symbol *before;

	KT_ASSERT(heap_plain(), "heap does not run its own object");
	before = lookup("heap_run_inside");
	park_start(t, &p, false, &th);
	if (t->failed)
		return;
	KT_ASSERT(swap_one("heap", "heap") == E_OK, "swap heap failed with a thread parked in it");
	KT_ASSERT(lookup("heap_run_inside")->addr != before->addr, "heap_run_inside did not move");
	park_end(&p, th);
	KT_ASSERT(in_live_run_inside(p.return_address),
		  "the parked thread woke at %lx, not in the new copy's heap_run_inside",
		  p.return_address);
	KT_ASSERT_EQ(p.result, 1);
}

/* Changed code (heap_v2's heap_run_inside differs): the swap waits for the
 * thread to leave (it does once the swap has waited once), then completes. */
KTEST(swap_threads, parked_in_changed_code_is_waited_for)
{
	struct park p;
	struct thread *th;

	KT_ASSERT(heap_plain(), "heap does not run its own object");
	park_start(t, &p, true, &th);
	if (t->failed)
		return;
	KT_ASSERT(swap_one("heap", "heap_v2") == E_OK, "swap heap heap_v2 did not wait and succeed");
	KT_ASSERT(swap_last_phases()->waits > 0, "the swap did not wait for the parked thread");
	park_end(&p, th);
	KT_ASSERT_EQ(p.result, 1);	/* it finished in the old copy's code */
	KT_ASSERT(strcmp(heap_now(), "heap_v2") == 0, "heap runs %s", heap_now());
	KT_ASSERT(heap_plain(), "swapping back to heap failed");
}

/* Parked past the bound: refused, by name, and nothing changed. */
KTEST(swap_threads, parked_beyond_the_bound_refused)
{
	struct park p;
	struct thread *th;
	struct kt_snapshot s0, s1;
	const struct ld_symbol *before;
	const char *superseded, *object;
	unsigned gen;
	enum err e;

	KT_ASSERT(heap_plain(), "heap does not run its own object");
	park_start(t, &p, false, &th);
	if (t->failed)
		return;
	before = lookup("kmalloc");
	gen = swap_module_generation("heap", &superseded, &object);
	kt_snapshot(&s0);
	e = swap_one("heap", "heap_v2");
	kt_snapshot(&s1);
	park_end(&p, th);
	KT_ASSERT_EQ(e, E_SWAP_BUSY);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
	KT_ASSERT(lookup("kmalloc") == before, "kmalloc moved");
	KT_ASSERT_EQ(swap_module_generation("heap", &superseded, &object), gen);
	KT_ASSERT(strcmp(heap_now(), "heap") == 0, "heap runs %s", heap_now());
}

/* ---- swaps under workers ---------------------------------------------- */

struct counters {
	uint64_t frames, tables, vrange, heap_bytes;
};

static void counters(struct counters *c)
{
	struct mem_stats m;
	struct heap_stats h;

	mem_get_stats(&m);
	heap_get_stats(&h);
	*c = (struct counters){ m.frames_used - h.bytes_mapped / PAGE_SIZE, m.table_frames,
				m.vrange_pages, h.bytes_used };
}

/* What the forwarder keeps of each retired copy, at most (a record; the
 * copies of one object share its function list). */
#define FORWARD_RECORD_MAX 128

static const struct { const char *module, *object; } cycle[] = {
	{ "heap", "heap_v2" }, { "heap", "heap" }, { "memory", "memory_v2" },
	{ "memory", "memory" }, { "interrupts", NULL }, { "sched", NULL }, { "console", NULL },
};
#define NCYCLE (sizeof(cycle) / sizeof(cycle[0]))

/* Every old copy proven unused retired (the workers stopped: their stale
 * code pointers went with their blocks). */
static void retire_all(void)
{
	swap_retire_old_code();
}

/* Did the boot swap every module of the cycle? Where a run-time swap
 * retires the image's own copies, the heap keeps more than the forwarder's
 * record per copy (README: what is missing), so the counts below are made
 * from loaded copies on. */
static bool cycle_runs_loaded_copies(void)
{
	for (unsigned i = 0; i < NCYCLE; i++)
		if (!swapped(cycle[i].module)) {
			kprintf("  (skipped: the boot did not swap %s; this boot's command line: %s)\n",
				cycle[i].module, boot_info.cmdline);
			return false;
		}
	return true;
}

static void swaps_under_workers(struct ktest_ctx *t, unsigned nswaps, unsigned hz)
{
	struct counters c0, c1;
	struct work_stats w0, w1, w2;
	uint64_t ticks0;
	unsigned traps0 = trap_last()->count;
	unsigned nworkers = cpu_online_count() > 1 ? 8 : 4;	/* (pinned round the CPUs) */

	if (!cycle_runs_loaded_copies())
		return;

	/* one cycle first: each object's function list, which the forwarder keeps
	 * once per object, exists before the counts */
	for (unsigned i = 0; i < NCYCLE; i++)
		KT_ASSERT(swap_one(cycle[i].module, cycle[i].object) == E_OK, "warm-up swap %u failed",
			  i);
	retire_all();
	counters(&c0);
	KT_ASSERT(work_start(nworkers) == E_OK, "the workers did not start");
	if (hz != TIMER_HZ)
		KT_ASSERT(timer_set_hz(hz) == E_OK, "timer_set_hz(%u) failed", hz);
	thread_sleep_ms(5);
	work_get_stats(&w0);
	ticks0 = irq_ticks();
	for (unsigned i = 0; i < nswaps; i++) {
		enum err e = swap_one(cycle[i % NCYCLE].module, cycle[i % NCYCLE].object);

		if (e != E_OK) {
			if (timer_set_hz(TIMER_HZ) != E_OK)
				kprintf("  (the timer did not go back to 1 kHz)\n");
			work_stop(&w2);
			KT_ASSERT(0, "swap %u (%s %s) failed: %s", i, cycle[i % NCYCLE].module,
				  cycle[i % NCYCLE].object ? cycle[i % NCYCLE].object : "", err_name(e));
		}
	}
	work_get_stats(&w1);
	KT_ASSERT(timer_set_hz(TIMER_HZ) == E_OK, "the timer did not go back to 1 kHz");
	work_stop(&w2);
	retire_all();
	counters(&c1);
	KT_ASSERT(irq_ticks() > ticks0, "no tick during the swaps");
	KT_ASSERT(w2.errors == 0, "%lu worker errors: %s", w2.errors, work_first_error());
	for (unsigned i = 0; i < nworkers; i++)
		KT_ASSERT(w1.per_iterations[i] > w0.per_iterations[i],
			  "worker %u (CPU %u) made no progress during the swaps (%lu iterations)", i,
			  w1.per_cpu[i], w1.per_iterations[i]);
	for (unsigned c = 0; c < cpu_count; c++)
		KT_ASSERT(w1.cpu_iterations[c] > w0.cpu_iterations[c],
			  "no worker progressed on CPU %u during the swaps", c);
	/* no CPU ran retired text (it would have faulted: caught or not, counted) */
	KT_ASSERT(trap_last()->count == traps0, "%u exceptions during the swaps (the last: "
		  "vector %lu at %lx, retired code %d)", trap_last()->count - traps0,
		  trap_last()->vector, trap_last()->rip, trap_last()->retired);
	/* (page tables are kept once made: the module area's next 2 MiB may
	 * have needed one) */
	KT_ASSERT(c1.frames - c1.tables == c0.frames - c0.tables && c1.tables <= c0.tables + 2 &&
		  c1.vrange == c0.vrange,
		  "frames %lu -> %lu, page tables %lu -> %lu, module-area pages %lu -> %lu",
		  c0.frames, c1.frames, c0.tables, c1.tables, c0.vrange, c1.vrange);
	KT_ASSERT(c1.heap_bytes <= c0.heap_bytes + nswaps * FORWARD_RECORD_MAX,
		  "heap %lu -> %lu bytes (beyond the forwarder's records, %u bytes a swap)",
		  c0.heap_bytes, c1.heap_bytes, FORWARD_RECORD_MAX);
	kprintf("  %u swaps under %u workers on %u CPUs: %lu iterations, %lu ticks, %lu heap "
		"bytes kept\n", nswaps, nworkers, cpu_online_count(), w2.iterations,
		irq_ticks() - ticks0, c1.heap_bytes - c0.heap_bytes);
}

/* Zero the dead stack below the caller's frame: the frames made there next
 * reserve slots they never write, and a residue of an old copy's address in
 * one would keep that copy (the conservative scan reads live frames whole). */
static __attribute__((noipa)) void wipe_dead_stack(void)
{
	volatile uint8_t dead[4096];

	for (size_t i = 0; i < sizeof(dead); i++)
		dead[i] = 0;
}

/* 200 swaps cycling heap heap_v2, heap, memory memory_v2, memory,
 * interrupts, sched and console with four workers running. */
KTEST(swap_threads, two_hundred_swaps_under_workers)
{
	wipe_dead_stack();
	swaps_under_workers(t, 200, TIMER_HZ);
}

/* The same with the timer at its fastest. */
KTEST(swap_threads, interrupt_storm_changes_nothing)
{
	wipe_dead_stack();
	swaps_under_workers(t, 2 * NCYCLE, TIMER_HZ_MAX);
}

/* The counts with every worker held at the top of its loop (no block or
 * frame of theirs outstanding), then let go on. */
static void held_counts(struct kt_snapshot *s, struct work_stats *w)
{
	work_hold(true);
	kt_snapshot(s);
	work_get_stats(w);
	work_hold(false);
}

/* Each failing loader service call of a swap of heap heap_v2, with the
 * workers running: everything as before (workers held for the counts),
 * and the workers still running. */
KTEST(swap_threads, each_failure_with_workers_running)
{
	static const enum crates_fault kinds[] = {
		CRATES_FAIL_ALLOC, CRATES_FAIL_RESERVE, CRATES_FAIL_MAP, CRATES_FAIL_PROTECT,
		CRATES_FAIL_ALIAS,
	};
	struct work_stats w0, w1;
	unsigned failures = 0;

	KT_ASSERT(heap_plain(), "heap does not run its own object");
	KT_ASSERT(work_start(4) == E_OK, "the workers did not start");
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (unsigned long n = 1; n <= 4; n++) {
			struct kt_snapshot s0, s1;
			const struct ld_symbol *before = lookup("kmalloc");
			enum err e;

			held_counts(&s0, &w0);
			crates_fail_at(kinds[k], n);
			e = swap_one("heap", "heap_v2");
			crates_fail_at(kinds[k], 0);
			if (e == E_OK) {	/* fewer calls of this kind: back, next kind */
				KT_ASSERT(heap_plain(), "swapping back to heap failed");
				break;
			}
			failures++;
			thread_sleep_ms(2);
			held_counts(&s1, &w1);
			if (!(s1.frames == s0.frames && s1.heap_bytes == s0.heap_bytes &&
			      s1.crates == s0.crates && lookup("kmalloc") == before &&
			      w1.iterations > w0.iterations)) {
				work_stop(&w1);
				KT_ASSERT(0, "failing call %lu of kind %u: frames %lu -> %lu, heap %lu -> "
					  "%lu, crates %lu -> %lu, iterations %lu -> %lu", n, k,
					  s0.frames, s1.frames, s0.heap_bytes, s1.heap_bytes,
					  s0.crates, s1.crates, w0.iterations, w1.iterations);
			}
		}
	}
	work_stop(&w1);
	KT_ASSERT(w1.errors == 0, "%lu worker errors: %s", w1.errors, work_first_error());
	KT_ASSERT(failures >= 5, "only %u swaps failed", failures);
}

/* ---- a stack that cannot be walked ------------------------------------- */

static void park_wait(void *arg)
{
	struct park *p = arg;

	p->parked = true;
	wait_event(&p->q, park_released, p);
}

/* Sleeps with a frame pointer that points nowhere (0x1000): its chain
 * leaves the stack. */
static void bogus_frame_thread(void *arg)
{
	__asm__ volatile("push %%rbp\n\tmov $0x1000, %%rbp\n\tcall *%1\n\tpop %%rbp"
			 : "+D"(arg) : "r"(park_wait)
			 : "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc");
}

/* A thread whose stack cannot be walked: the swap is refused by name
 * (E_SCHED_UNWALKABLE), not guessed, and nothing changed. */
KTEST(swap_threads, unwalkable_stack_refused)
{
	struct park p = { WAIT_QUEUE_INIT, false, false, 0, 0, 0 };
	struct thread *th;
	struct kt_snapshot s0, s1;
	const struct ld_symbol *before;
	enum err e;

	KT_ASSERT(heap_plain(), "heap does not run its own object");
	KT_ASSERT(thread_create("bogus", bogus_frame_thread, &p, &th) == E_OK, "no thread");
	while (!p.parked)
		thread_yield();
	before = lookup("kmalloc");
	kt_snapshot(&s0);
	e = swap_one("heap", "heap");
	kt_snapshot(&s1);
	park_end(&p, th);
	KT_ASSERT_EQ(e, E_SCHED_UNWALKABLE);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
	KT_ASSERT(lookup("kmalloc") == before, "kmalloc moved");
}

/* A new copy whose hook fails, and one whose hook faults (inside the stop,
 * before any other thread ran it), with the workers running: undone, the
 * counts as before, the workers unharmed and still running. */
KTEST(swap_threads, failing_hooks_undone_with_workers_running)
{
	static const struct { const char *object; enum err want; } bad[] = {
		{ "heap_hookfail", E_SWAP_HOOK_FAILED }, { "heap_hookfault", E_SWAP_FAULTED },
	};
	struct work_stats w0, w1;

	KT_ASSERT(heap_plain(), "heap does not run its own object");
	KT_ASSERT(work_start(4) == E_OK, "the workers did not start");
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kt_snapshot s0, s1;
		const struct ld_symbol *before = lookup("kmalloc");
		enum err e;

		held_counts(&s0, &w0);
		e = swap_one("heap", bad[i].object);
		thread_sleep_ms(2);
		held_counts(&s1, &w1);
		if (e != bad[i].want || s1.frames != s0.frames || s1.heap_bytes != s0.heap_bytes ||
		    s1.crates != s0.crates || lookup("kmalloc") != before ||
		    w1.iterations <= w0.iterations) {
			work_stop(&w1);
			KT_ASSERT(0, "%s: %s (want %s), frames %lu -> %lu, heap %lu -> %lu, crates %lu "
				  "-> %lu, iterations %lu -> %lu", bad[i].object, err_name(e),
				  err_name(bad[i].want), s0.frames, s1.frames, s0.heap_bytes,
				  s1.heap_bytes, s0.crates, s1.crates, w0.iterations, w1.iterations);
		}
	}
	work_stop(&w1);
	KT_ASSERT(w1.errors == 0, "%lu worker errors: %s", w1.errors, work_first_error());
}

/* ---- a thread inside fault_catch --------------------------------------- */

struct caught {
	struct park p;		/* (first: park_wait takes the whole) */
	volatile uint64_t *bad;	/* what it writes once woken: page 0 */
	volatile bool caught;
	struct trap_record rec;
};

static void park_then_fault(void *arg)
{
	struct caught *c = arg;

	park_wait(&c->p);
	*c->bad = 1;
}

static void catch_thread(void *arg)
{
	struct caught *c = arg;

	c->caught = fault_catch(park_then_fault, c, &c->rec);
}

/* A thread asleep inside fault_catch while `swap interrupts` (same code)
 * retires the copy it entered: its catch's resume address moved with it,
 * so its fault is caught by the new copy. */
KTEST(swap_threads, parked_in_fault_catch_resumes_in_new_copy)
{
	static struct caught c;
	struct thread *th;
	const struct ld_symbol *before = lookup("fault_catch");
	bool caught;
	uint64_t cr2;

	c = (struct caught){ .p = { WAIT_QUEUE_INIT, false, false, 0, 0, 0 },
			     .bad = (volatile uint64_t *)8 };
	KT_ASSERT(thread_create("catcher", catch_thread, &c, &th) == E_OK, "no thread");
	while (!c.p.parked)
		thread_yield();
	KT_ASSERT(swap_one("interrupts", NULL) == E_OK, "swap interrupts failed");
	swap_retire_old_code();
	KT_ASSERT(lookup("fault_catch")->addr != before->addr, "fault_catch did not move");
	park_end(&c.p, th);
	caught = c.caught;
	cr2 = c.rec.cr2;
	c = (struct caught){ 0 };	/* (its record names old code: no keeping it) */
	KT_ASSERT(caught, "the parked thread's fault was not caught");
	KT_ASSERT_EQ(cr2, 8);
}

/* ---- a retired image copy depends on nothing --------------------------- */

/* Once heap's image copy is retired by a run-time swap (the swap=memory
 * and swap=none boots; after swap=all the image's text carries no edges
 * at all), its sections' edges are gone: they would keep the copies they
 * name, which could then never be unloaded. */
KTEST(swap_threads, retired_image_copy_drops_its_edges)
{
	const struct ld_section *s = nano_core_section("heap", ".text.kmalloc");

	KT_ASSERT(s, "no nano_core section heap:.text.kmalloc");
	KT_ASSERT(heap_plain(), "heap does not run its own object");
	swap_retire_old_code();
	KT_ASSERT(!ld_section_deps(s), "heap's retired image text still has edges (to %s)",
		  ld_section_deps(s)->target->name);
}
