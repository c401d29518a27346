/*
 * The threads and the round-robin scheduler. One run queue (FIFO), a list of
 * sleepers woken by the timer tick, and the idle thread, which runs only
 * when nothing else is ready. Everything here runs with interrupts off (one
 * CPU: that is the lock); a switch happens in sched_schedule, called by a
 * thread that blocks or yields, or by the tick when a quantum is used up.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <lib/cpu.h>
#include <interrupts/interrupts.h>
#include <interrupts/irq.h>
#include <lib/spinlock.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include <nanoswap/probe.h>
#include <nanoswap/swap_hook.h>
#include "sched_internal.h"

MODULE_PROBE(sched)

static struct thread *threads[SCHED_MAX_THREADS];	/* by slot; NULL: free */
static struct thread *runq_head, *runq_tail;
static struct thread *sleepers;
static struct thread *idle;
static struct thread boot_thread;	/* the context sched_init adopted */
static unsigned next_id, quantum;

#define current ((struct thread *)this_cpu()->thread)

struct thread *thread_current(void)
{
	return current;
}

unsigned thread_id(const struct thread *t)
{
	return t->id;
}

const char *thread_name(const struct thread *t)
{
	return t->name;
}

void sched_make_ready(struct thread *t)
{
	t->state = THREAD_READY;
	if (t == idle)
		return;	/* (never queued: it runs when the queue is empty) */
	t->next = NULL;
	if (runq_tail)
		runq_tail->next = t;
	else
		runq_head = t;
	runq_tail = t;
}

static struct thread *runq_pop(void)
{
	struct thread *t = runq_head;

	if (t && !(runq_head = t->next))
		runq_tail = NULL;
	return t;
}

void sched_schedule(void)
{
	struct cpu_local *cpu = this_cpu();
	struct thread *prev = current, *next = runq_pop();

	quantum = SCHED_QUANTUM_TICKS;	/* (whoever runs next, a full one) */
	if (!next) {
		if (prev->state == THREAD_RUNNING)
			return;		/* nothing else to run: go on */
		next = idle;
	}
	if (prev->state == THREAD_RUNNING)
		sched_make_ready(prev);
	next->state = THREAD_RUNNING;
	if (next == prev)
		return;
	if (cpu->nlocks)
		panic("BUG: thread %s gives up the CPU holding spinlock %s", prev->name,
		      cpu->locks[cpu->nlocks - 1]->name);
	prev->catch_top = cpu->catch_top;
	prev->irq_depth = cpu->irq_depth;
	cpu->catch_top = next->catch_top;
	cpu->irq_depth = next->irq_depth;
	cpu->thread = next;
	next->started = true;
	sched_context_switch(&prev->rsp, next->rsp);
}

/* The timer tick (interrupts off, EOI done): wake the sleepers that are due,
 * and preempt the running thread when its quantum is used up. */
static void sched_tick(void)
{
	uint64_t now = irq_uptime_us();
	struct thread **pp = &sleepers;

	if (!current)
		return;
	current->ticks++;
	while (*pp) {
		struct thread *t = *pp;

		if (t->wake_us <= now) {
			*pp = t->next;
			sched_make_ready(t);
		} else {
			pp = &t->next;
		}
	}
	if (current == idle || --quantum == 0)
		sched_schedule();
}

void thread_yield(void)
{
	uint64_t f = irq_save();

	sched_schedule();
	irq_restore(f);
}

void thread_sleep_ms(uint64_t ms)
{
	uint64_t f;

	if (!irq_ready()) {	/* no timer: nothing would wake us */
		thread_yield();
		return;
	}
	f = irq_save();
	current->wake_us = irq_uptime_us() + ms * 1000;
	current->state = THREAD_SLEEPING;
	current->next = sleepers;
	sleepers = current;
	sched_schedule();
	irq_restore(f);
}

static int thread_slot_free(void)
{
	for (int i = 0; i < SCHED_MAX_THREADS; i++)
		if (!threads[i])
			return i;
	return -1;
}

void thread_set_name(struct thread *t, const char *name)
{
	size_t n = strlen(name);

	if (n >= THREAD_NAME_MAX)
		n = THREAD_NAME_MAX - 1;
	memcpy(t->name, name, n);
	t->name[n] = '\0';
}

/* A stack of THREAD_STACK_PAGES between two unmapped guard pages. */
static enum err thread_stack_alloc(struct thread *t)
{
	enum err e = vrange_alloc(THREAD_STACK_PAGES + 2, &t->stack_range);

	if (e != E_OK)
		return e;
	e = vm_map_fresh(t->stack_range + PAGE_SIZE, THREAD_STACK_PAGES, VM_WRITE);
	if (e != E_OK) {
		vrange_free(t->stack_range, THREAD_STACK_PAGES + 2);
		return e;
	}
	t->stack_lo = t->stack_range + PAGE_SIZE;
	t->stack_hi = t->stack_lo + THREAD_STACK_PAGES * PAGE_SIZE;
	return E_OK;
}

static void thread_stack_free(struct thread *t)
{
	vm_unmap_free(t->stack_lo, THREAD_STACK_PAGES);
	vrange_free(t->stack_range, THREAD_STACK_PAGES + 2);
}

/* The first switch into t pops zeroed registers (r12 = fn, r13 = arg,
 * rbp = 0) and returns into sched_thread_entry with RSP 16-aligned. */
static void thread_frame_init(struct thread *t, void (*fn)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)(t->stack_hi - 16);

	*--sp = (uint64_t)sched_thread_entry;
	*--sp = 0;			/* rbp */
	*--sp = 0;			/* rbx */
	*--sp = (uint64_t)fn;		/* r12 */
	*--sp = (uint64_t)arg;		/* r13 */
	*--sp = 0;			/* r14 */
	*--sp = 0;			/* r15 */
	t->rsp = (uint64_t)sp;
}

enum err thread_create(const char *name, void (*fn)(void *), void *arg, struct thread **out)
{
	struct thread *t;
	uint64_t f;
	int slot;
	enum err e;

	if (!(t = kzalloc(sizeof(*t))))
		return E_NO_HEAP;
	if ((e = thread_stack_alloc(t)) != E_OK) {
		kfree(t);
		return e;
	}
	thread_set_name(t, name);
	thread_frame_init(t, fn, arg);
	f = irq_save();
	if ((slot = thread_slot_free()) < 0) {
		irq_restore(f);
		pr_err("sched: cannot create thread %s: SCHED_MAX_THREADS (%d) threads exist\n",
		       name, SCHED_MAX_THREADS);
		thread_stack_free(t);
		kfree(t);
		return E_LIMIT;
	}
	t->id = next_id++;
	threads[slot] = t;
	sched_make_ready(t);
	irq_restore(f);
	if (out)
		*out = t;
	return E_OK;
}

void thread_exit(void)
{
	irq_disable();
	current->state = THREAD_DEAD;
	wake_all(&current->joiners);
	sched_schedule();
	panic("BUG: sched: dead thread %s ran again", current->name);
}

static bool thread_is_dead(void *arg)
{
	return ((struct thread *)arg)->state == THREAD_DEAD;
}

void thread_join(struct thread *t)
{
	uint64_t f;

	wait_event(&t->joiners, thread_is_dead, t);
	f = irq_save();
	for (unsigned i = 0; i < SCHED_MAX_THREADS; i++)
		if (threads[i] == t)
			threads[i] = NULL;
	irq_restore(f);
	thread_stack_free(t);
	kfree(t);
}

/* The idle thread: halt until an interrupt, give the CPU to whoever it woke. */
static void sched_idle(void *arg)
{
	(void)arg;
	for (;;) {
		__asm__ volatile("sti; hlt" : : : "memory");
		thread_yield();
	}
}

/* The stacks of the threads (the adopted one is the kernel's, known already). */
static unsigned sched_stack_source(struct stack_range *out, unsigned max)
{
	uint64_t f = irq_save();	/* (a join may free a thread meanwhile) */
	unsigned n = 0;

	for (unsigned i = 0; i < SCHED_MAX_THREADS && n < max; i++)
		if (threads[i] && threads[i]->stack_range)
			out[n++] = (struct stack_range){ threads[i]->name, threads[i]->stack_lo,
							 threads[i]->stack_hi };
	irq_restore(f);
	return n;
}

/* The console's reader sleeps here until its interrupt brings a byte. */
static struct wait_queue input_waiters = WAIT_QUEUE_INIT;

static bool input_ready(void *arg)
{
	return ((bool (*)(void))arg)();
}

static void sched_input_wait(bool (*ready)(void))
{
	wait_event(&input_waiters, input_ready, (void *)ready);
}

static void sched_input_wake(void)
{
	wake_all(&input_waiters);
}

/* What the scheduler registered with the modules below it, again: after a
 * swap, their pointers name this copy's functions. */
static enum err sched_register(void)
{
	irq_set_tick(sched_tick);
	interrupts_set_thread_stacks(sched_stack_source);
	console_set_input_waiter(sched_input_wait, sched_input_wake);
	return E_OK;
}
SWAP_HOOK(sched_register);

void sched_set_current_stack(uint64_t lo, uint64_t hi)
{
	if (current) {
		current->stack_lo = lo;
		current->stack_hi = hi;
	}
}

void sched_init(const char *name, uint64_t stack_lo, uint64_t stack_hi)
{
	struct thread *t = &boot_thread;

	thread_set_name(t, name);
	t->id = next_id++;
	t->state = THREAD_RUNNING;
	t->started = true;
	t->stack_lo = stack_lo;
	t->stack_hi = stack_hi;
	threads[0] = t;
	this_cpu()->thread = t;
	quantum = SCHED_QUANTUM_TICKS;
	if (thread_create("idle", sched_idle, NULL, &idle) != E_OK)
		panic("sched: no memory for the idle thread");
	runq_head = runq_tail = NULL;	/* (idle is never queued) */
	idle->state = THREAD_READY;
	(void)sched_register();
}

unsigned sched_threads(struct thread_info *out, unsigned max)
{
	uint64_t f = sched_stop_others();
	unsigned n = 0;

	for (unsigned i = 0; i < SCHED_MAX_THREADS; i++)
		if (threads[i] && n < max)
			thread_info_fill(threads[i], &out[n++]);
		else if (threads[i])
			n++;
	sched_resume_others(f);
	return n;
}

bool sched_thread_dead(const struct thread *t)
{
	return t->state == THREAD_DEAD;
}

void sched_for_each(void (*fn)(void *ctx, struct thread *t), void *ctx)
{
	for (unsigned i = 0; i < SCHED_MAX_THREADS; i++)
		if (threads[i])
			fn(ctx, threads[i]);
}

const char *thread_state_name(enum thread_state s)
{
	static const char *const names[] = {
		[THREAD_READY] = "ready", [THREAD_RUNNING] = "running",
		[THREAD_SLEEPING] = "sleeping", [THREAD_BLOCKED] = "blocked",
		[THREAD_DEAD] = "dead",
	};
	return (unsigned)s <= THREAD_DEAD ? names[s] : "?";
}
