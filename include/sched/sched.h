/*
 * Kernel threads, preemptive round-robin on every CPU's timer tick (one
 * run queue under one lock; a thread may be pinned to a CPU):
 * create, exit, join, sleep, yield, wait queues and a mutex (the IRQ-safe
 * spinlock is lib/spinlock.h). Each thread has its own stack between two
 * unmapped guard pages; an idle thread halts when nothing else is ready.
 *
 * For the swap, the scheduler can stop every other CPU and thread (and
 * interrupts) and walk each thread's stack exactly: its saved context, every frame by
 * its frame pointer, every interrupt frame on it; a chain that leaves the
 * stack or does not climb is E_SCHED_UNWALKABLE, never a guess.
 */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include <nanoswap/err.h>
#include <stdbool.h>
#include <stdint.h>

#define SCHED_MAX_THREADS	48	/* threads at once, each CPU's idle thread included */
#define THREAD_STACK_PAGES	4	/* 16 KiB, plus a guard page each side */
#define SCHED_QUANTUM_TICKS	4	/* a thread runs at most this many ticks in a row */
#define THREAD_NAME_MAX		16

struct thread;

enum thread_state {
	THREAD_READY, THREAD_RUNNING, THREAD_SLEEPING, THREAD_BLOCKED, THREAD_DEAD,
};

/* The running context becomes thread "name" (on the stack [lo, hi)), and an
 * idle thread is made; the tick handler and the stack source are
 * registered. Interrupts stay as they are. */
void sched_init(const char *name, uint64_t stack_lo, uint64_t stack_hi);
/* The running thread moved to the stack [lo, hi) (init's fresh kernel stack). */
void sched_set_current_stack(uint64_t lo, uint64_t hi);

/* A thread that runs fn(arg) on a fresh stack and exits when fn returns.
 * E_LIMIT past SCHED_MAX_THREADS; E_NO_FRAMES, E_NO_HEAP. */
enum err thread_create(const char *name, void (*fn)(void *), void *arg,
		       struct thread **out) NS_MUST_CHECK;
/* The same, pinned to CPU `cpu` (-1: any) from the start; E_INVALID_ARG
 * for a CPU that is not online. */
enum err thread_create_on(const char *name, void (*fn)(void *), void *arg, int cpu,
			  struct thread **out) NS_MUST_CHECK;
__attribute__((noreturn)) void thread_exit(void);
/* Wait until t has exited; its stack and record are freed. */
void thread_join(struct thread *t);
void thread_yield(void);
void thread_sleep_ms(uint64_t ms);
struct thread *thread_current(void);
/* Run t only on CPU `cpu` (-1: on any), from its next switch on;
 * E_INVALID_ARG for a CPU that is not online. */
enum err thread_pin(struct thread *t, int cpu) NS_MUST_CHECK;
/* The bootstrap side of an AP's start: its idle thread, made here (not yet
 * running); the AP's side: sched_cpu_start, on its boot stack, switches
 * into it and never returns (the idle thread marks the CPU online). */
enum err sched_cpu_prepare(unsigned cpu) NS_MUST_CHECK;
__attribute__((noreturn)) void sched_cpu_start(void);

/* A snapshot of one thread, for ps and tests. */
#define THREAD_INFO_PCS 8
struct thread_info {
	unsigned id;
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	uint64_t ticks;		/* timer ticks it was running on */
	unsigned cpu;		/* the CPU it runs on (or ran on last) */
	int pin;		/* the only CPU it may run on, or -1 */
	uint64_t stack_lo, stack_hi, sp;
	uint64_t pcs[THREAD_INFO_PCS];	/* innermost first: the code it is in (each a
					 * return address - 1, or an interrupted pc) */
	unsigned npcs;		/* 0 for the running thread */
	int exact;		/* index of the interrupted pc in pcs, or -1 */
};
/* Fill up to max, in id order; how many threads there are. */
unsigned sched_threads(struct thread_info *out, unsigned max);
const char *thread_state_name(enum thread_state s);
unsigned thread_id(const struct thread *t);
const char *thread_name(const struct thread *t);
void thread_set_name(struct thread *t, const char *name);

/* Threads waiting for a condition. */
struct wait_queue {
	struct thread *head;
};
#define WAIT_QUEUE_INIT { 0 }
/* Sleep until cond(arg) holds (checked with interrupts off, before each sleep). */
void wait_event(struct wait_queue *q, bool (*cond)(void *arg), void *arg);
/* Make every waiter ready (from threads or interrupt handlers). */
void wake_all(struct wait_queue *q);

/* A sleeping lock: a waiter blocks, it does not spin. Not from interrupts. */
struct mutex {
	struct thread *owner;
	struct wait_queue waiters;
	const char *name;
};
#define MUTEX_INIT(n) { 0, WAIT_QUEUE_INIT, n }
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held_by_me(const struct mutex *m);

/* ---- for the swap -------------------------------------------------------- */

/* Stop every other thread: interrupts off here, every other CPU parked
 * (smp_stop_others; none may hold a spinlock); the flags to resume with. Instructions spent stopped are counted
 * (sched_pause_total). */
uint64_t sched_stop_others(void);
void sched_resume_others(uint64_t flags);
/* Instructions (rdtsc) spent with the others stopped, since boot. */
uint64_t sched_pause_total(void);

/* One code address a stack holds: *slot, a return address, or the exact pc
 * of an interrupted context. */
struct frame_slot {
	uint64_t *slot;
	bool exact;
};
/* Call fn for every code address on t's stack, innermost first, then the
 * resume address of each fault_catch it is inside; from `frame` (the
 * caller's frame pointer) for the running thread. With the others stopped. E_SCHED_UNWALKABLE (logged with the thread) if the chain
 * breaks; fn returning false stops the walk (E_OK). */
enum err sched_walk(struct thread *t, uint64_t frame,
		    bool (*fn)(void *ctx, struct thread *t, const struct frame_slot *s),
		    void *ctx) NS_MUST_CHECK;
/* Has t exited (its stack is never resumed)? */
bool sched_thread_dead(const struct thread *t);
/* Every thread, the running one included (with the others stopped). */
void sched_for_each(void (*fn)(void *ctx, struct thread *t), void *ctx);
/* t's live stack: [sp, hi) (sp: its saved one; the running thread's is the
 * caller's own). */
void thread_stack(const struct thread *t, uint64_t *sp, uint64_t *hi);

#endif
