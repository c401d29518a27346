/* Private to the scheduler. */
#ifndef SCHED_INTERNAL_H
#define SCHED_INTERNAL_H

#include <lib/spinlock.h>
#include <sched/sched.h>

struct thread {
	uint64_t rsp;			/* saved, while it does not run */
	unsigned id;
	char name[THREAD_NAME_MAX];
	enum thread_state state;
	uint64_t stack_lo, stack_hi;	/* the mapped stack */
	uint64_t stack_range;		/* its virtual range (guards included); 0: not ours */
	uint64_t ticks;
	uint64_t wake_us;		/* sleeping: when to wake */
	struct thread *next;		/* in the run queue, a wait queue or the sleepers */
	struct wait_queue joiners;
	bool started;			/* switched to once (before: fn waits in its frame) */
	void *catch_top;		/* this_cpu()'s, while it does not run */
	unsigned irq_depth;
	unsigned cpu;			/* where it runs (RUNNING) or ran last */
	int pin;			/* the only CPU it may run on, or -1 */
	bool idle;			/* a CPU's idle thread: never queued */
	uint64_t canary;		/* its stack protector's, at %gs:0x28 while it runs */
};

/* Guards every thread's state, the run queue, the sleepers and the wait
 * queues. Held across a context switch: the thread switched to lets go. */
extern struct spinlock sched_lock;

void sched_context_switch(uint64_t *save_rsp, uint64_t next_rsp);
void sched_thread_entry(void);

/* With sched_lock held: make t ready / give the CPU to the next ready
 * thread (the caller has set its own state; RUNNING means it stays ready),
 * returning with the lock held again. */
void sched_make_ready(struct thread *t);
void sched_schedule(void);
void wake_all_locked(struct wait_queue *q);
/* The saved RSP a walk of t starts at: its own, or its CPU's park frame
 * when it runs on another (stopped) CPU; 0 when it runs there unparked. */
uint64_t thread_saved_rsp(const struct thread *t);

void thread_info_fill(struct thread *t, struct thread_info *ti);

#endif
