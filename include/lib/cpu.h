/*
 * Per-CPU state, all of it in one place: what each module keeps per CPU
 * lives in this struct, reached through this_cpu() (kernel/lib/cpu.c holds
 * it, so that every module may use it). One CPU today (cpu0);
 * the SMP bring-up gives each CPU its own and makes this_cpu() read it.
 */
#ifndef LIB_CPU_H
#define LIB_CPU_H

#include <stdint.h>

#define CPU_MAX_LOCKS 8	/* spinlocks one CPU holds at once, at most */

struct spinlock;

struct cpu_local {
	unsigned id;		/* 0: the bootstrap CPU */
	unsigned irq_depth;	/* interrupt handlers running (0: thread context) */
	void *thread;		/* sched: the thread running here (NULL before sched_init) */
	void *catch_top;	/* interrupts: this thread's innermost fault_catch */
	uint64_t pause_start;	/* sched: rdtsc when the others were stopped (0: running) */
	unsigned stops;		/* sched: sched_stop_others nesting */
	struct spinlock *locks[CPU_MAX_LOCKS];	/* the spinlocks held here, in order */
	unsigned nlocks;
};

extern struct cpu_local cpu0;

static inline struct cpu_local *this_cpu(void)
{
	return &cpu0;
}

#endif
