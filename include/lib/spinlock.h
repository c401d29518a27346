/*
 * The IRQ-safe spinlock: taking it turns interrupts off on this CPU (and,
 * with more CPUs, spins until the holder lets go), so that a holder is never
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

/* Interrupts off, then the lock; the flags to hand to spin_unlock_irqrestore. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();
	uint32_t me = this_cpu()->id + 1;

	if (l->locked && l->owner == me)
		spin_bug(l);
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	l->owner = me;
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	l->owner = 0;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
	return l->locked;
}

#endif
