/* Private to the scheduler. */
#ifndef SCHED_INTERNAL_H
#define SCHED_INTERNAL_H

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
};

void sched_context_switch(uint64_t *save_rsp, uint64_t next_rsp);
void sched_thread_entry(void);

/* With interrupts off: make t ready / give the CPU to the next ready thread
 * (the caller has set its own state; RUNNING means it stays ready). */
void sched_make_ready(struct thread *t);
void sched_schedule(void);

void thread_info_fill(struct thread *t, struct thread_info *ti);

#endif
