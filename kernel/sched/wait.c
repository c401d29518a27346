/*
 * Wait queues and the mutex. A waiter checks its condition under
 * sched_lock and only then sleeps, holding it into the switch, so a
 * wake_all on any CPU between the check and the sleep cannot be missed.
 */
#include <console/console.h>
#include <lib/cpu.h>
#include <lib/x86.h>
#include <stddef.h>
#include "sched_internal.h"

/* With sched_lock held: sleep on q until cond(arg) (evaluated under the lock). */
static void wait_locked(struct wait_queue *q, bool (*cond)(void *arg), void *arg)
{
	struct thread *me = this_cpu()->thread;

	while (!cond(arg)) {
		me->state = THREAD_BLOCKED;
		me->next = q->head;
		q->head = me;
		sched_schedule();
		me = this_cpu()->thread;	/* (the same thread, maybe on another CPU) */
	}
}

void wait_event(struct wait_queue *q, bool (*cond)(void *arg), void *arg)
{
	uint64_t f = spin_lock_irqsave(&sched_lock);

	wait_locked(q, cond, arg);
	spin_unlock_irqrestore(&sched_lock, f);
}

void wake_all_locked(struct wait_queue *q)
{
	struct thread *t = q->head;

	q->head = NULL;
	while (t) {
		struct thread *next = t->next;

		if (t->state == THREAD_BLOCKED)
			sched_make_ready(t);
		t = next;
	}
}

void wake_all(struct wait_queue *q)
{
	uint64_t f = spin_lock_irqsave(&sched_lock);

	wake_all_locked(q);
	spin_unlock_irqrestore(&sched_lock, f);
}

static bool mutex_free(void *arg)
{
	return !((struct mutex *)arg)->owner;
}

void mutex_lock(struct mutex *m)
{
	uint64_t f = spin_lock_irqsave(&sched_lock);
	struct thread *me = this_cpu()->thread;

	if (m->owner == me && me)
		panic("BUG: mutex %s locked twice by thread %s", m->name, me->name);
	wait_locked(&m->waiters, mutex_free, m);
	m->owner = me;		/* (still under the lock the check was made under) */
	spin_unlock_irqrestore(&sched_lock, f);
}

void mutex_unlock(struct mutex *m)
{
	uint64_t f;

	if (m->owner != cpu_thread())
		panic("BUG: mutex %s unlocked by a thread that does not hold it", m->name);
	f = spin_lock_irqsave(&sched_lock);
	m->owner = NULL;
	wake_all_locked(&m->waiters);
	spin_unlock_irqrestore(&sched_lock, f);
}

bool mutex_held_by_me(const struct mutex *m)
{
	return m->owner && m->owner == cpu_thread();
}
