/*
 * The IRQ-safe spinlock: taking it turns interrupts off on this CPU and
 * spins until the holder (on another CPU) lets go, so that a holder is never
 * preempted and an interrupt handler may take it too. It guards the heap,
 * the frame allocator and page tables, and the console. Inline, so that the
 * modules below the scheduler (memory, heap, console) use it without calling
 * sched. Taking a lock this CPU already holds is a BUG (it would deadlock):
 * spin_bug says so on COM1 by itself (the console may be the lock) and stops.
 */
#ifndef LIB_SPINLOCK_H
#define LIB_SPINLOCK_H

#include <lib/cpu.h>
#include <lib/x86.h>

struct spinlock {
	volatile uint32_t locked;
	uint32_t owner;		/* CPU id + 1 while locked */
	const char *name;
};

#define SPINLOCK_INIT(n) { 0, 0, n }

__attribute__((noreturn)) void spin_bug(const struct spinlock *l);
/* The same for a broken invariant of the lib module's own (raw COM1, then stop). */
__attribute__((noreturn)) void spin_bug_msg(const char *what);

/* Interrupts off, then the lock; the flags to hand to spin_unlock_irqrestore.
 * The CPU's list of held locks (this_cpu()->locks) records it, so that a
 * fault_catch that resumes past a fault can let go of what the faulting
 * code held. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();
	struct cpu_local *cpu = this_cpu();
	uint32_t me = cpu->id + 1;

	if ((l->locked && l->owner == me) || cpu->nlocks == CPU_MAX_LOCKS)
		spin_bug(l);
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		cpu_relax();	/* (serving other CPUs' shootdowns meanwhile) */
	l->owner = me;
	cpu->locks[cpu->nlocks++] = l;
	return flags;
}

/* Forget l in the CPU's list (the innermost is the usual one). */
static inline void spin_forget(struct cpu_local *cpu, struct spinlock *l)
{
	for (unsigned i = cpu->nlocks; i-- > 0;)
		if (cpu->locks[i] == l) {
			for (; i + 1 < cpu->nlocks; i++)
				cpu->locks[i] = cpu->locks[i + 1];
			cpu->nlocks--;
			return;
		}
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_forget(this_cpu(), l);
	l->owner = 0;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

/* A spinlock its holder may take again (the memory module's entry points
 * call each other; a fault report prints while a message is half out). */
struct rspinlock {
	struct spinlock lock;
	unsigned depth;
};

#define RSPINLOCK_INIT(n) { SPINLOCK_INIT(n), 0 }

static inline uint64_t rspin_lock_irqsave(struct rspinlock *r)
{
	uint64_t flags = irq_save();

	if (r->lock.locked && r->lock.owner == this_cpu()->id + 1) {
		r->depth++;
		return flags;
	}
	(void)spin_lock_irqsave(&r->lock);	/* (interrupts are off already) */
	r->depth = 1;
	return flags;
}

static inline void rspin_unlock_irqrestore(struct rspinlock *r, uint64_t flags)
{
	if (--r->depth == 0)
		spin_unlock_irqrestore(&r->lock, 0);
	irq_restore(flags);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
	return l->locked;
}

#endif
