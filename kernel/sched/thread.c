/*
 * The threads and the round-robin scheduler. One run queue (FIFO) for every
 * CPU (a pinned thread waits for its CPU), a list of sleepers woken by the
 * timer ticks, and an idle thread per CPU, which runs there only when
 * nothing else may. sched_lock guards it all, with interrupts off; a switch
 * happens in sched_schedule, called by a thread that blocks or yields, or
 * by a CPU's tick when a quantum is used up, and the lock is held across it
 * (as in xv6), so no other CPU picks a thread whose context is half saved.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <lib/cpu.h>
#include <interrupts/interrupts.h>
#include <interrupts/irq.h>
#include <lib/smp.h>
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
static struct thread boot_thread;	/* the context sched_init adopted */
static unsigned next_id;
struct spinlock sched_lock = SPINLOCK_INIT("sched");

#define current ((struct thread *)this_cpu()->thread)

struct thread *thread_current(void)
{
	return cpu_thread();
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
	if (t->idle)
		return;	/* (never queued: it runs when nothing else may) */
	t->next = NULL;
	if (runq_tail)
		runq_tail->next = t;
	else
		runq_head = t;
	runq_tail = t;
}

/* The first ready thread that may run on CPU `cpu`. */
static struct thread *runq_pop(unsigned cpu)
{
	struct thread *prev = NULL;

	for (struct thread *t = runq_head; t; prev = t, t = t->next) {
		if (t->pin >= 0 && (unsigned)t->pin != cpu)
			continue;
		if (prev)
			prev->next = t->next;
		else
			runq_head = t->next;
		if (runq_tail == t)
			runq_tail = prev;
		return t;
	}
	return NULL;
}

void sched_schedule(void)
{
	struct cpu_local *cpu = this_cpu();
	struct thread *prev = current, *next;

	bool stays = prev->state == THREAD_RUNNING &&
		     (prev->pin < 0 || (unsigned)prev->pin == cpu->id);	/* (pinned elsewhere: it goes) */

	next = cpu->online ? runq_pop(cpu->id) : NULL;	/* (an AP runs threads once online) */
	cpu->quantum = SCHED_QUANTUM_TICKS;	/* (whoever runs next, a full one) */
	if (!next) {
		if (stays)
			return;		/* nothing else to run: go on */
		next = cpu->idle;
	}
	if (prev->state == THREAD_RUNNING)
		sched_make_ready(prev);
	next->state = THREAD_RUNNING;
	next->cpu = cpu->id;
	if (next == prev)
		return;
	if (cpu->nlocks != 1 || cpu->locks[0] != &sched_lock)
		panic("BUG: thread %s gives up the CPU holding spinlock %s", prev->name,
		      cpu->locks[cpu->nlocks - 1]->name);
	prev->catch_top = cpu->catch_top;
	prev->irq_depth = cpu->irq_depth;
	cpu->catch_top = next->catch_top;
	cpu->irq_depth = next->irq_depth;
	cpu->thread = next;
	cpu->stack_canary = next->canary;	/* (per thread: a thread may move to another CPU) */
	if (!next->idle)
		cpu->threads_run++;
	next->started = true;
	sched_context_switch(&prev->rsp, next->rsp);
}

/* A new thread's first instructions (switch.S): the lock its first switch
 * was made under is let go here, with interrupts on. */
void sched_thread_start(void);
void sched_thread_start(void)
{
	spin_unlock_irqrestore(&sched_lock, RFLAGS_IF);
}

/* The timer tick (interrupts off, EOI done): wake the sleepers that are due,
 * and preempt the running thread when its quantum is used up. */
static void sched_tick(void)
{
	uint64_t now = irq_uptime_us(), f;
	struct thread **pp = &sleepers;
	struct cpu_local *cpu = this_cpu();

	if (!current || !cpu->idle)
		return;
	f = spin_lock_irqsave(&sched_lock);
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
	if (current == cpu->idle || --cpu->quantum == 0)
		sched_schedule();
	spin_unlock_irqrestore(&sched_lock, f);
}

void thread_yield(void)
{
	uint64_t f = spin_lock_irqsave(&sched_lock);

	sched_schedule();
	spin_unlock_irqrestore(&sched_lock, f);
}

void thread_sleep_ms(uint64_t ms)
{
	uint64_t f;

	if (!irq_ready()) {	/* no timer: nothing would wake us */
		thread_yield();
		return;
	}
	f = spin_lock_irqsave(&sched_lock);
	current->wake_us = irq_uptime_us() + ms * 1000;
	current->state = THREAD_SLEEPING;
	current->next = sleepers;
	sleepers = current;
	sched_schedule();
	spin_unlock_irqrestore(&sched_lock, f);
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

/* A stack-protector canary: the TSC and a count mixed (splitmix64), never 0. */
static uint64_t thread_canary(void)
{
	static uint64_t made;
	uint64_t z = rdtsc() + 0x9E3779B97F4A7C15ull * __atomic_add_fetch(&made, 1, __ATOMIC_RELAXED);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return (z ^ (z >> 31)) | 1;
}

/* A thread, queued unless it is CPU `pin`'s idle thread. */
static enum err thread_new(const char *name, void (*fn)(void *), void *arg, int pin, bool idle,
			   struct thread **out)
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
	t->pin = pin;
	t->idle = idle;
	t->canary = thread_canary();
	f = spin_lock_irqsave(&sched_lock);
	if ((slot = thread_slot_free()) < 0) {
		spin_unlock_irqrestore(&sched_lock, f);
		pr_err("sched: cannot create thread %s: SCHED_MAX_THREADS (%d) threads exist\n",
		       name, SCHED_MAX_THREADS);
		thread_stack_free(t);
		kfree(t);
		return E_LIMIT;
	}
	t->id = next_id++;
	threads[slot] = t;
	sched_make_ready(t);	/* (an idle thread is not queued) */
	if (idle)
		cpus[pin].idle = t;
	spin_unlock_irqrestore(&sched_lock, f);
	if (out)
		*out = t;
	return E_OK;
}

enum err thread_create(const char *name, void (*fn)(void *), void *arg, struct thread **out)
{
	return thread_new(name, fn, arg, -1, false, out);
}

enum err thread_create_on(const char *name, void (*fn)(void *), void *arg, int cpu,
			  struct thread **out)
{
	if (cpu >= CPU_MAX || (cpu >= 0 && !(cpu_online_mask >> cpu & 1)))
		return E_INVALID_ARG;
	return thread_new(name, fn, arg, cpu, false, out);
}

void thread_exit(void)
{
	(void)spin_lock_irqsave(&sched_lock);
	current->state = THREAD_DEAD;
	wake_all_locked(&current->joiners);
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
	f = spin_lock_irqsave(&sched_lock);	/* (its last switch is done: the lock says so) */
	for (unsigned i = 0; i < SCHED_MAX_THREADS; i++)
		if (threads[i] == t)
			threads[i] = NULL;
	spin_unlock_irqrestore(&sched_lock, f);
	thread_stack_free(t);
	kfree(t);
}

/* A CPU's idle thread: halt until an interrupt, give the CPU to whoever it
 * woke (or made ready elsewhere). An AP's marks its CPU online first. */
static void sched_idle(void *arg)
{
	(void)arg;
	if (!this_cpu()->online)
		smp_cpu_online(this_cpu());
	for (;;) {
		__asm__ volatile("sti; hlt" : : : "memory");
		thread_yield();
	}
}

/* The stacks of the threads (the adopted one is the kernel's, known already). */
static unsigned sched_stack_source(struct stack_range *out, unsigned max)
{
	uint64_t f = spin_lock_irqsave(&sched_lock);	/* (a join may free a thread meanwhile) */
	unsigned n = 0;

	for (unsigned i = 0; i < SCHED_MAX_THREADS && n < max; i++)
		if (threads[i] && threads[i]->stack_range)
			out[n++] = (struct stack_range){ threads[i]->name, threads[i]->stack_lo,
							 threads[i]->stack_hi };
	spin_unlock_irqrestore(&sched_lock, f);
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

static enum err sched_idle_create(unsigned cpu);

void sched_init(const char *name, uint64_t stack_lo, uint64_t stack_hi)
{
	struct thread *t = &boot_thread;

	thread_set_name(t, name);
	t->id = next_id++;
	t->state = THREAD_RUNNING;
	t->started = true;
	t->stack_lo = stack_lo;
	t->stack_hi = stack_hi;
	t->pin = -1;
	t->canary = thread_canary();
	threads[0] = t;
	this_cpu()->thread = t;
	this_cpu()->stack_canary = t->canary;
	this_cpu()->quantum = SCHED_QUANTUM_TICKS;
	if (sched_idle_create(0) != E_OK)
		panic("sched: no memory for the idle thread");
	(void)sched_register();
}

/* CPU `cpu`'s idle thread: made, never queued, pinned there. */
static enum err sched_idle_create(unsigned cpu)
{
	char name[THREAD_NAME_MAX] = "idle";

	if (cpu) {	/* idle1, idle2, ... */
		name[4] = cpu >= 10 ? (char)('0' + cpu / 10) : (char)('0' + cpu);
		name[5] = cpu >= 10 ? (char)('0' + cpu % 10) : '\0';
	}
	return thread_new(name, sched_idle, NULL, (int)cpu, true, NULL);
}

enum err sched_cpu_prepare(unsigned cpu)
{
	if (cpu == 0 || cpu >= CPU_MAX || cpus[cpu].idle)
		return E_INVALID_ARG;
	return sched_idle_create(cpu);
}

/* On the AP, interrupts off: into its idle thread, for good (the boot
 * stack's context is dropped). */
void sched_cpu_start(void)
{
	struct cpu_local *cpu = this_cpu();
	struct thread *t = cpu->idle;
	uint64_t dropped;

	if (!t || t->started)
		panic("BUG: sched_cpu_start on CPU %u without a fresh idle thread", cpu->id);
	(void)spin_lock_irqsave(&sched_lock);
	cpu->thread = t;
	cpu->stack_canary = t->canary;
	cpu->quantum = SCHED_QUANTUM_TICKS;
	t->state = THREAD_RUNNING;
	t->cpu = cpu->id;
	t->started = true;
	sched_context_switch(&dropped, t->rsp);
	panic("BUG: CPU %u's boot context resumed", cpu->id);
}

enum err thread_pin(struct thread *t, int cpu)
{
	if (cpu >= CPU_MAX || (cpu >= 0 && !(cpu_online_mask >> cpu & 1)) || t->idle)
		return E_INVALID_ARG;
	t->pin = cpu;
	return E_OK;
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
