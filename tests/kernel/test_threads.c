/*
 * Interrupts and threads (suite threads): the timer ticks and wakes
 * sleepers, a thread that never yields is preempted, a mutex excludes, a
 * wait queue wakes, stacks have guard pages, spurious and unknown vectors
 * are counted, and every stack walks exactly.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <interrupts/irq.h>
#include <ktest/ktest.h>
#include <lib/cpu.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include <sched/sched.h>

/* The timer runs: a 20 ms sleep lets at least 20 ticks pass (the sleep
 * wakes on the tick's clock, so no elapsed time is compared). */
KTEST(threads, timer_ticks_and_wakes)
{
	uint64_t t0 = irq_ticks();

	KT_ASSERT(irq_ready(), "no timer (irq_init failed)");
	KT_ASSERT_EQ(timer_hz(), TIMER_HZ);
	thread_sleep_ms(20);
	KT_ASSERT(irq_ticks() - t0 >= 20, "%lu ticks in a 20 ms sleep", irq_ticks() - t0);
}

static volatile uint64_t spins;
static volatile bool spin_stop;

static void spin_forever(void *arg)
{
	(void)arg;
	while (!spin_stop)
		spins++;	/* never yields, never sleeps */
}

/* A thread that never gives up the CPU is preempted: this one, sleeping,
 * wakes and sees it progress, and it sees ticks on its own account. */
KTEST(threads, never_yielding_thread_is_preempted)
{
	struct thread *th;
	struct thread_info ti[SCHED_MAX_THREADS];
	unsigned n;
	uint64_t s0, ticks = 0;
	int me = (int)this_cpu()->id;

	spins = 0;
	spin_stop = false;
	KT_ASSERT(thread_pin(thread_current(), me) == E_OK, "cannot pin");	/* (one CPU for */
	KT_ASSERT(thread_create("spinner", spin_forever, NULL, &th) == E_OK, "no thread");
	KT_ASSERT(thread_pin(th, me) == E_OK, "cannot pin");		/* both of us) */
	thread_sleep_ms(10);
	s0 = spins;
	thread_sleep_ms(10);	/* (woken while the spinner holds the CPU: preempted) */
	n = sched_threads(ti, SCHED_MAX_THREADS);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(ti[i].name, "spinner") == 0)
			ticks = ti[i].ticks;
	spin_stop = true;
	thread_join(th);
	KT_ASSERT(thread_pin(thread_current(), -1) == E_OK, "cannot unpin");
	KT_ASSERT(s0 > 0 && spins > s0, "the spinner made no progress (%lu, %lu)", s0, spins);
	KT_ASSERT(ticks > 0, "the spinner ran no tick");
}

struct counter {
	struct mutex m;
	volatile uint64_t value;
	volatile unsigned inside;
	volatile bool overlap;
};

static void count_locked(void *arg)
{
	struct counter *c = arg;

	for (unsigned i = 0; i < 200; i++) {
		mutex_lock(&c->m);
		if (c->inside++)
			c->overlap = true;
		uint64_t v = c->value;
		thread_yield();		/* (hold it across a switch) */
		c->value = v + 1;
		c->inside--;
		mutex_unlock(&c->m);
	}
}

/* Four threads, each 200 increments that yield inside the mutex: none is
 * lost, no two are inside at once. */
KTEST(threads, mutex_excludes)
{
	static struct counter c = { MUTEX_INIT("test"), 0, 0, false };
	struct thread *th[4];

	c.value = 0;
	for (unsigned i = 0; i < 4; i++)
		KT_ASSERT(thread_create("counter", count_locked, &c, &th[i]) == E_OK, "no thread");
	for (unsigned i = 0; i < 4; i++)
		thread_join(th[i]);
	KT_ASSERT(!c.overlap, "two threads were inside the mutex at once");
	KT_ASSERT_EQ(c.value, 800);
}

struct gate {
	struct wait_queue q;
	volatile bool open, woke;
};

static bool gate_open(void *arg)
{
	return ((struct gate *)arg)->open;
}

static void wait_at_gate(void *arg)
{
	struct gate *g = arg;

	wait_event(&g->q, gate_open, g);
	g->woke = true;
}

/* A waiter sleeps (blocked, not running) until the condition and a wake. */
KTEST(threads, wait_queue_wakes)
{
	static struct gate g = { WAIT_QUEUE_INIT, false, false };
	struct thread *th;
	struct thread_info ti[SCHED_MAX_THREADS];
	unsigned n;
	bool blocked = false;

	g.open = g.woke = false;
	KT_ASSERT(thread_create("waiter", wait_at_gate, &g, &th) == E_OK, "no thread");
	thread_sleep_ms(5);
	n = sched_threads(ti, SCHED_MAX_THREADS);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(ti[i].name, "waiter") == 0)
			blocked = ti[i].state == THREAD_BLOCKED;
	KT_ASSERT(blocked && !g.woke, "the waiter is not blocked");
	g.open = true;
	wake_all(&g.q);
	thread_join(th);
	KT_ASSERT(g.woke, "the waiter did not wake");
}

/* Threads come and go without leaving frames, pages or heap behind. */
KTEST(threads, create_join_leaves_nothing)
{
	struct mem_stats m0, m1;
	struct heap_stats h0, h1;
	struct thread *th;

	spin_stop = true;
	KT_ASSERT(thread_create("warm", spin_forever, NULL, &th) == E_OK, "no thread");
	thread_join(th);
	mem_get_stats(&m0);
	heap_get_stats(&h0);
	for (unsigned i = 0; i < 50; i++) {
		KT_ASSERT(thread_create("brief", spin_forever, NULL, &th) == E_OK, "no thread");
		thread_join(th);
	}
	mem_get_stats(&m1);
	heap_get_stats(&h1);
	KT_ASSERT_EQ(m1.frames_used, m0.frames_used);
	KT_ASSERT_EQ(m1.vrange_pages, m0.vrange_pages);
	KT_ASSERT_EQ(h1.bytes_used, h0.bytes_used);
}

/* Below and above each thread stack, an unmapped guard page. */
KTEST(threads, stacks_have_guard_pages)
{
	struct thread_info ti[SCHED_MAX_THREADS];
	unsigned n = sched_threads(ti, SCHED_MAX_THREADS), checked = 0;
	uint64_t pa, flags;

	for (unsigned i = 0; i < n; i++) {
		if (strcmp(ti[i].name, "idle") != 0)
			continue;
		KT_ASSERT_EQ(ti[i].stack_hi - ti[i].stack_lo, THREAD_STACK_PAGES * PAGE_SIZE);
		KT_ASSERT(vm_translate(ti[i].stack_lo, &pa, &flags) == E_OK, "stack not mapped");
		KT_ASSERT(vm_translate(ti[i].stack_lo - PAGE_SIZE, &pa, &flags) != E_OK,
			  "no guard page below %lx", ti[i].stack_lo);
		KT_ASSERT(vm_translate(ti[i].stack_hi, &pa, &flags) != E_OK,
			  "no guard page above %lx", ti[i].stack_hi);
		checked++;
	}
	KT_ASSERT_EQ(checked, 1);
}

/* A vector nobody registered, and the APIC's spurious one: counted, not fatal. */
KTEST(threads, unknown_and_spurious_vectors_counted)
{
	struct irq_stats a, b;

	irq_get_stats(&a);
	__asm__ volatile("int $0x99");
	__asm__ volatile("int $0xff");
	irq_get_stats(&b);
	KT_ASSERT_EQ(b.unknown, a.unknown + 1);
	KT_ASSERT_EQ(b.spurious, a.spurious + 1);
}

struct walk_count {
	unsigned slots, exact;
	uint64_t last;
};

static bool count_slot(void *ctx, struct thread *t, const struct frame_slot *s)
{
	struct walk_count *w = ctx;

	(void)t;
	w->slots++;
	w->exact += s->exact;
	w->last = *s->slot;
	return true;
}

struct walk_all {
	unsigned threads, broken, preempted;
};

static void walk_one(void *ctx, struct thread *t)
{
	struct walk_all *a = ctx;
	struct walk_count w = { 0, 0, 0 };

	if (sched_thread_dead(t))
		return;
	a->threads++;
	if (sched_walk(t, (uint64_t)__builtin_frame_address(0), count_slot, &w) != E_OK ||
	    w.slots == 0)
		a->broken++;
	a->preempted += w.exact > 0;
}

/* With a spinner preempted mid-loop: every stack walks to its end, and the
 * spinner's walk steps through the interrupt frame (an exact pc). */
KTEST(threads, every_stack_walks)
{
	struct thread *th;
	struct walk_all a = { 0, 0, 0 };
	uint64_t f;

	spin_stop = false;
	KT_ASSERT(thread_create("spinner", spin_forever, NULL, &th) == E_OK, "no thread");
	thread_sleep_ms(10);	/* (the spinner is preempted by the tick that wakes us) */
	f = sched_stop_others();
	sched_for_each(walk_one, &a);
	sched_resume_others(f);
	spin_stop = true;
	thread_join(th);
	KT_ASSERT(a.threads >= 3 && a.broken == 0, "%u of %u stacks did not walk", a.broken,
		  a.threads);
	KT_ASSERT(a.preempted >= 1, "no walk went through an interrupt frame");
}

/* With the others stopped (the swap's commit), no other thread runs and no
 * tick arrives, however long it lasts: a spinner's count and the ticks do
 * not move over 20 million rounds (many ticks' worth had they been on). */
KTEST(threads, stopped_means_stopped)
{
	struct thread *th;
	uint64_t s0, t0, moved = 0, ticked = 0, f;

	spin_stop = false;
	KT_ASSERT(thread_create("spinner", spin_forever, NULL, &th) == E_OK, "no thread");
	thread_sleep_ms(3);
	f = sched_stop_others();
	s0 = spins;
	t0 = irq_ticks();
	for (volatile uint64_t i = 0; i < 20000000; i++) {
		moved |= spins != s0;
		ticked |= irq_ticks() != t0;
	}
	sched_resume_others(f);
	spin_stop = true;
	thread_join(th);
	KT_ASSERT(!moved, "another thread ran while the others were stopped");
	KT_ASSERT(!ticked, "a tick arrived while the others were stopped");
}

#define HAMMER_ROUNDS 200000

struct hammer {
	unsigned seed;
	volatile uint64_t bad;
};

static void hammer_heap(void *arg)
{
	struct hammer *h = arg;
	uint8_t *keep[8] = { 0 }, tag[8];
	size_t len[8];

	for (unsigned i = 0; i < HAMMER_ROUNDS; i++) {
		unsigned k = (h->seed = h->seed * 1103515245 + 12345) >> 16, s = k % 8;
		size_t n = 16 + k % 256;
		uint8_t *p = kmalloc(n);

		if (!p) {
			h->bad++;
			continue;
		}
		p[0] = p[n - 1] = (uint8_t)k;	/* (preempted by the tick, never yielding) */
		if (keep[s] && (keep[s][0] != tag[s] || keep[s][len[s] - 1] != tag[s]))
			h->bad++;	/* a kept block changed: handed out twice */
		kfree(keep[s]);
		keep[s] = p, tag[s] = (uint8_t)k, len[s] = n;
	}
	for (unsigned i = 0; i < 8; i++)
		kfree(keep[i]);
}

static void count_blocks(void *ctx, const void *p, size_t size, bool metadata)
{
	(void)p, (void)size, (void)metadata;
	(*(uint64_t *)ctx)++;
}

/* Four threads allocating and freeing as fast as they can with the timer at
 * its fastest, preempted mid-kmalloc if the heap let them: no block handed
 * out twice (each keeps its pattern), the heap walks whole, and every byte
 * comes back. */
KTEST(threads, heap_is_thread_safe)
{
	static struct hammer h[4];
	struct thread *th[4];
	struct heap_stats s0, s1;
	uint64_t blocks = 0, bad = 0;

	heap_get_stats(&s0);
	KT_ASSERT(timer_set_hz(TIMER_HZ_MAX) == E_OK, "no fast timer");
	for (unsigned i = 0; i < 4; i++) {
		h[i] = (struct hammer){ .seed = 7 * i + 1 };
		KT_ASSERT(thread_create("hammer", hammer_heap, &h[i], &th[i]) == E_OK, "no thread");
	}
	for (unsigned i = 0; i < 4; i++)
		thread_join(th[i]);
	KT_ASSERT(timer_set_hz(TIMER_HZ) == E_OK, "the timer did not go back");
	for (unsigned i = 0; i < 4; i++)
		bad += h[i].bad;
	heap_for_each_block(count_blocks, &blocks);
	heap_get_stats(&s1);
	KT_ASSERT(bad == 0, "%lu blocks lost their pattern or failed", bad);
	KT_ASSERT_EQ(blocks, s1.blocks_used);
	KT_ASSERT_EQ(s1.bytes_used, s0.bytes_used);
}

static void fault_in_block(void *ctx, const void *p, size_t size, bool metadata)
{
	(void)p, (void)size, (void)metadata;
	*(volatile uint64_t *)ctx = 1;	/* page 0 is never mapped */
}

static void walk_heap_and_fault(void *arg)
{
	(void)arg;
	heap_for_each_block(fault_in_block, arg);
}

static void print_bad_string(void *arg)
{
	kprintf("  (a bad string: %s)\n", (const char *)arg);
}

/* A fault caught while the faulting code held a spinlock (the heap's, in a
 * heap walk's callback; the console's, in kprintf) lets go of it: the heap
 * and the console work after, and nothing says "BUG". */
KTEST(threads, caught_fault_lets_go_of_locks)
{
	struct trap_record rec;
	uint64_t f;
	unsigned held;
	void *p;

	KT_ASSERT(fault_catch(walk_heap_and_fault, (void *)8, &rec), "the heap walk did not fault");
	p = kmalloc(64);
	KT_ASSERT(p, "kmalloc after the caught fault failed");
	kfree(p);
	KT_ASSERT(fault_catch(print_bad_string, (void *)0x18, &rec), "kprintf did not fault");
	kprintf("  the console prints after a fault inside kprintf\n");
	f = irq_save();		/* (this CPU's count, read on it) */
	held = this_cpu()->nlocks;
	irq_restore(f);
	KT_ASSERT(held == 0, "%u spinlocks still held", held);
	KT_ASSERT(irq_enabled(), "interrupts stayed off after the caught fault");
}
