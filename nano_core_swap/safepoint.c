/*
 * Step (10) at run time: the safe point. The shell calls swap_safe_point
 * between commands. A swap's old copies that are still running there (the
 * shell's read loop, init's continuation: frames that never return) keep
 * themselves mapped; so the safe point leaves them: init's registered resume
 * re-enters the live copy of its continuation on the kernel stack's top,
 * whose live shell loop comes back here. Then every old copy still queued is
 * proven again and retired, without waiting for another swap.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <interrupts/interrupts.h>
#include <sched/sched.h>
#include "retire_internal.h"

static void (*resume)(void);

void swap_set_resume(void (*fn)(void))
{
	resume = fn;
}

/* Does a frame of the running stack, from `frame` up, return into a queued
 * old copy's text? */
static bool swap_stack_runs_old_code(uint64_t frame)
{
	struct stack_range st[INTERRUPTS_MAX_STACKS];
	unsigned nst = interrupts_stacks(st);

	for (unsigned i = 0; i < nst; i++) {
		uint64_t rbp = frame;

		if (frame < st[i].lo || frame >= st[i].hi)
			continue;
		while (rbp && rbp >= st[i].lo && rbp + 16 <= st[i].hi && !(rbp & 7)) {
			const uint64_t *f = (const uint64_t *)rbp;

			if (swap_retiring_text_at(f[1]))
				return true;
			if (f[0] <= rbp)
				break;
			rbp = f[0];
		}
	}
	return false;
}

static void swap_safe_point_unlocked(void)
{
	struct swap_retire_result r;

	if (!swap_retire_pending())
		return;
	/* (a resume that is old code itself would come back here for ever) */
	if (resume && !swap_retiring_text_at((uint64_t)resume) &&
	    swap_stack_runs_old_code((uint64_t)__builtin_frame_address(0))) {
		pr_info("swap: leaving the old copies' frames: init's continuation re-entered\n");
		resume(); /* (does not return: the live copies run from the stack's top) */
	}
	swap_retire_apply(&r, true);	/* (proved with the others stopped) */
	swap_retire_report();
	if (r.retired)
		kprintf("swap: %u old cop%s retired at the safe point, %lu KiB returned\n",
			r.retired, r.retired == 1 ? "y" : "ies", r.kib);
}

/* (the namespace lock held: one loader or swap at a time) */
void swap_safe_point(void)
{
	crates_lock();
	swap_safe_point_unlocked();
	crates_unlock();
}
