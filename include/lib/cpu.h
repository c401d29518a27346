/*
 * Per-CPU state, all of it in one place: what each module keeps per CPU
 * lives in this struct, reached through this_cpu(), which reads the struct's
 * own address at %gs:0 (the GS base of each CPU points at its cpus[] entry;
 * boot/ sets the bootstrap CPU's before kernel_main). The layout keeps
 * Linux's fixed_percpu_data: the stack protector's canary at %gs:0x28, so
 * objects built for x86_64 Linux (-mstack-protector-guard=tls, reg gs,
 * offset 40) find theirs.
 */
#ifndef LIB_CPU_H
#define LIB_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPU_MAX		64	/* CPUs brought up, at most (the masks are 64 bits) */
#define CPU_MAX_LOCKS	8	/* spinlocks one CPU holds at once, at most */
#define MSR_GS_BASE	0xC0000101

struct spinlock;

struct cpu_local {
	struct cpu_local *self;	/* 0x00: this_cpu() reads it */
	unsigned id;		/* 0x08: index in cpus[] (0: the bootstrap CPU) */
	unsigned irq_depth;	/* interrupt handlers running (0: thread context) */
	void *thread;		/* 0x10 sched: the thread running here (NULL before sched_init) */
	void *catch_top;	/* 0x18 interrupts: this thread's innermost fault_catch */
	uint64_t pause_start;	/* 0x20 sched: rdtsc when the others were stopped (0: running) */
	uint64_t stack_canary;	/* 0x28: -fstack-protector's guard (Linux: %gs:40) */
	unsigned stops;		/* sched_stop_others nesting */
	unsigned nlocks;
	struct spinlock *locks[CPU_MAX_LOCKS];	/* the spinlocks held here, in order */
	uint32_t apic_id;	/* its local APIC's id (the MADT's) */
	volatile bool online;	/* running the scheduler */
	void *idle;		/* sched: this CPU's idle thread */
	unsigned quantum;	/* sched: ticks left to the running thread */
	uint64_t ticks;		/* timer interrupts taken here */
	uint64_t threads_run;	/* sched: switches into a thread other than idle */
	volatile uint64_t parked_rsp;	/* in a stop: the context smp_park saved (0: not parked) */
	uint64_t tlb_served;	/* shootdowns this CPU carried out for another */
	uint64_t park_gen;	/* the stop it parks for (kernel/lib/smp.c) */
	unsigned timer_gen;	/* interrupts: the timer_set_hz its APIC timer follows */
};

_Static_assert(offsetof(struct cpu_local, stack_canary) == 0x28,
	       "the stack protector's canary must be at %gs:0x28");
_Static_assert(offsetof(struct cpu_local, thread) == 0x10, "cpu_thread reads %gs:0x10");

extern struct cpu_local cpus[CPU_MAX];
extern unsigned cpu_count;		/* cpus[] entries in use (online or not) */
extern volatile uint64_t cpu_online_mask;	/* bit id: online */

static inline struct cpu_local *this_cpu(void)
{
	struct cpu_local *c;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/* The running thread, in one instruction (this_cpu()->thread is two: a
 * thread preempted between them may read another CPU's). */
static inline void *cpu_thread(void)
{
	void *t;

	__asm__ volatile("movq %%gs:0x10, %0" : "=r"(t));
	return t;
}

static inline unsigned cpu_online_count(void)
{
	unsigned n = 0;

	for (uint64_t m = cpu_online_mask; m; m &= m - 1)	/* (no popcnt: libgcc's) */
		n++;
	return n;
}

/* Every wait loop's body (spinlocks, acknowledgements): do what other CPUs
 * ask of this one that cannot wait (a TLB shootdown; in a stop's own wait,
 * also parking for another CPU's stop), then pause. */
void cpu_relax(void);

#endif
