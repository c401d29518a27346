/*
 * What the swap asks of the scheduler: stop the others, and walk every
 * thread's stack exactly. A suspended thread's walk starts at the frame its
 * context switch built; each frame gives [saved rbp][return address]; a
 * saved rbp with TRAP_FRAME_MARK set leads into an interrupted context,
 * whose RIP is exact. If that RIP is where the function's own frame is not
 * (yet, or any more) built - at `push %rbp`, at `mov %rsp,%rbp`, at `ret`
 * (we build with -fno-omit-frame-pointer and no shrink-wrapping, so a C
 * function has no other such place) - its return address is read from RSP.
 * A thread not yet started holds one more code address: its function, in
 * the frame's r12.
 */
#include <console/console.h>
#include <lib/cpu.h>
#include <lib/smp.h>
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include <lib/x86.h>
#include "sched_internal.h"

static uint64_t pause_total;

uint64_t sched_stop_others(void)
{
	uint64_t f = irq_save();
	struct cpu_local *cpu = this_cpu();

	if (cpu->stops++ == 0) {	/* (nested: the outermost stop counts) */
		cpu->pause_start = rdtsc();
		smp_stop_others();	/* (the rendezvous is part of the pause) */
	}
	return f;
}

void sched_resume_others(uint64_t flags)
{
	struct cpu_local *cpu = this_cpu();

	if (--cpu->stops == 0) {
		pause_total += rdtsc() - cpu->pause_start;	/* (the stop's holder: alone) */
		cpu->pause_start = 0;
		smp_release_others();
	}
	irq_restore(flags);
}

uint64_t thread_saved_rsp(const struct thread *t)
{
	if (t->state == THREAD_RUNNING && cpus[t->cpu].thread == t)
		return __atomic_load_n(&cpus[t->cpu].parked_rsp, __ATOMIC_ACQUIRE);
	return t->rsp;
}

uint64_t sched_pause_total(void)
{
	return pause_total;
}

static bool in_stack(const struct thread *t, uint64_t addr, uint64_t len)
{
	return addr >= t->stack_lo && addr + len <= t->stack_hi && addr + len >= addr;
}

/* Where the interrupted function's frame is not built: its return address
 * lies at RSP (+8 after `push %rbp`); -1: the frame is built (RBP is its). */
static int unbuilt_frame_ra(uint64_t rip)
{
	const uint8_t *c = (const uint8_t *)rip;

	if (c[0] == 0x55 || c[0] == 0xC3)	/* push %rbp; ret */
		return 0;
	if (c[0] == 0x48 && c[1] == 0x89 && c[2] == 0xE5)	/* mov %rsp,%rbp */
		return 8;
	return -1;
}

static enum err walk_broken(const struct thread *t, const char *why, uint64_t at)
{
	pr_err("sched: thread %u (%s): its stack cannot be walked: %s at %lx (stack %lx-%lx)\n",
	       t->id, t->name, why, at, t->stack_lo, t->stack_hi);
	return E_SCHED_UNWALKABLE;
}

/* The resume addresses of t's active fault_catch contexts (each the return
 * address of its jump_save). */
static enum err sched_walk_catches(struct thread *t,
				   bool (*fn)(void *ctx, struct thread *t, const struct frame_slot *s),
				   void *ctx)
{
	uint64_t *slots[16];
	bool running = t->state == THREAD_RUNNING && cpus[t->cpu].thread == t;
	void *top = running ? cpus[t->cpu].catch_top : t->catch_top;	/* (a CPU's, while it runs) */
	unsigned n = interrupts_catch_slots(top, slots, 16);

	for (unsigned i = 0; i < n; i++) {
		struct frame_slot s = { slots[i], false };

		if (!fn(ctx, t, &s))
			break;
	}
	return E_OK;
}

enum err sched_walk(struct thread *t, uint64_t frame,
		    bool (*fn)(void *ctx, struct thread *t, const struct frame_slot *s), void *ctx)
{
	uint64_t rbp, below;
	struct frame_slot s;

	if (t == this_cpu()->thread) {
		rbp = frame;
	} else {
		uint64_t rsp = thread_saved_rsp(t);
		uint64_t *f = (uint64_t *)(rsp + 40);	/* switch.S's (or park.S's) frame */

		if (!rsp)
			return walk_broken(t, "it runs on another CPU, not stopped", t->cpu);
		if (!in_stack(t, rsp, 56))
			return walk_broken(t, "saved RSP outside its stack", rsp);
		s = (struct frame_slot){ &f[1], false };
		if (!fn(ctx, t, &s))
			return E_OK;
		if (!t->started) {	/* its function waits in r12 (thread_frame_init) */
			s = (struct frame_slot){ (uint64_t *)(rsp + 24), true };
			if (!fn(ctx, t, &s))
				return E_OK;
		}
		rbp = f[0];
	}
	below = 0;
	while (rbp) {
		if ((rbp & 7) == TRAP_FRAME_MARK) {
			struct trap_frame *tf = (struct trap_frame *)(rbp - TRAP_FRAME_MARK);
			int ra;

			if (!in_stack(t, (uint64_t)tf, sizeof(*tf)) || (uint64_t)tf < below)
				return walk_broken(t, "an interrupt frame outside its stack", (uint64_t)tf);
			s = (struct frame_slot){ &tf->rip, true };
			if (!fn(ctx, t, &s))
				return E_OK;
			if ((ra = unbuilt_frame_ra(tf->rip)) >= 0) {
				if (!in_stack(t, tf->rsp + ra, 8))
					return walk_broken(t, "an interrupted RSP outside its stack",
							   tf->rsp);
				s = (struct frame_slot){ (uint64_t *)(tf->rsp + ra), false };
				if (!fn(ctx, t, &s))
					return E_OK;
			}
			below = (uint64_t)tf + sizeof(*tf);
			rbp = tf->rbp;
			continue;
		}
		if ((rbp & 7) || !in_stack(t, rbp, 16) || rbp < below)
			return walk_broken(t, "a frame pointer that leaves the stack or does not climb",
					   rbp);
		s = (struct frame_slot){ (uint64_t *)rbp + 1, false };
		if (!fn(ctx, t, &s))
			return E_OK;
		below = rbp + 16;
		rbp = *(uint64_t *)rbp;
	}
	return sched_walk_catches(t, fn, ctx);
}

void thread_stack(const struct thread *t, uint64_t *sp, uint64_t *hi)
{
	*sp = t == this_cpu()->thread ? (uint64_t)__builtin_frame_address(0) : thread_saved_rsp(t);
	*hi = t->stack_hi;
}

/* A snapshot's code addresses: the innermost THREAD_INFO_PCS. */
static bool info_visit(void *ctx, struct thread *t, const struct frame_slot *s)
{
	struct thread_info *ti = ctx;

	(void)t;
	if (s->exact)
		ti->exact = ti->npcs;
	ti->pcs[ti->npcs++] = *s->slot - !s->exact;
	return ti->npcs < THREAD_INFO_PCS;
}

void thread_info_fill(struct thread *t, struct thread_info *ti)
{
	*ti = (struct thread_info){ .id = t->id, .state = t->state, .ticks = t->ticks,
				    .stack_lo = t->stack_lo, .stack_hi = t->stack_hi,
				    .sp = thread_saved_rsp(t), .exact = -1, .cpu = t->cpu,
				    .pin = t->pin };
	memcpy(ti->name, t->name, THREAD_NAME_MAX);
	if (t != this_cpu()->thread && t->state != THREAD_DEAD)
		if (sched_walk(t, 0, info_visit, ti) != E_OK)
			ti->npcs = 0;
}
