/*
 * Wait queues and the mutex. A waiter checks its condition with interrupts
 * off and only then sleeps, so a wake_all between the check and the sleep
 * cannot be missed (one CPU: interrupts off is the lock).
 */
#include <console/console.h>
#include <lib/cpu.h>
#include <lib/x86.h>
#include <stddef.h>
#include "sched_internal.h"

void wait_event(struct wait_queue *q, bool (*cond)(void *arg), void *arg)
{
	uint64_t f = irq_save();
	struct thread *me = this_cpu()->thread;

	while (!cond(arg)) {
		me->state = THREAD_BLOCKED;
		me->next = q->head;
		q->head = me;
		sched_schedule();
	}
	irq_restore(f);
}

void wake_all(struct wait_queue *q)
{
	uint64_t f = irq_save();
	struct thread *t = q->head;

	q->head = NULL;
	while (t) {
		struct thread *next = t->next;

		if (t->state == THREAD_BLOCKED)
			sched_make_ready(t);
		t = next;
	}
	irq_restore(f);
}

static bool mutex_free(void *arg)
{
	return !((struct mutex *)arg)->owner;
}

void mutex_lock(struct mutex *m)
{
	uint64_t f = irq_save();
	struct thread *me = this_cpu()->thread;

	if (m->owner == me && me)
		panic("BUG: mutex %s locked twice by thread %s", m->name, me->name);
	wait_event(&m->waiters, mutex_free, m);
	m->owner = me;
	irq_restore(f);
}

void mutex_unlock(struct mutex *m)
{
	if (m->owner != this_cpu()->thread)
		panic("BUG: mutex %s unlocked by a thread that does not hold it", m->name);
	m->owner = NULL;
	wake_all(&m->waiters);
}

bool mutex_held_by_me(const struct mutex *m)
{
	return m->owner && m->owner == this_cpu()->thread;
}
