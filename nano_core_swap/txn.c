/*
 * The swap transaction: ONE procedure for the boot's group swap, a run-time
 * swap of constituent modules (again, or to a new version) and a crate's new
 * version. README's "The swap" mirrors these steps; the code marks each:
 *
 *  (1) the nano_core crate, built from its description once (swap.c);
 *  (2) the members, each with its object, its layout compared with the
 *      running copy's (swap.c for a module, evolve.c for a crate);
 *  (3) load them as one group, privately (ld_group_prepare): a module's
 *      .data/.bss bound to the running sections, a crate's fresh, text and
 *      rodata fresh in the module area; each member's undefined symbols
 *      resolve against the group first, then the namespace, and only the
 *      relocations in fresh sections are applied;
 *  (4) check that each module's data sections all have their counterparts;
 *  (5) plan the redirect: every reference from what stays live into an old
 *      copy, computed against the new copy, and a writable alias of each
 *      code page to patch (redirect.c);
 *  (6) a crate: its state carried over (its NAME_state_transfer, the new
 *      copy's code, run under fault_catch and writing only its own fresh
 *      data; or the data symbols copied), inside (7)'s stop, right after
 *      its check: no write other threads make to the old data is lost;
 *  (7) commit, the only step with every other thread stopped and
 *      interrupts off (threads.c): (7a) before the stop, a survey of every
 *      thread's stack, each old section a thread is in decided (the same
 *      code in the new copy, or not); then stopped, (7b) every stack walked
 *      again: a thread in changed code ends the stop with nothing changed,
 *      and the commit is retried (SWAP_WAIT_MS) or refused, E_SWAP_BUSY;
 *      the group joins the namespace, the redirect's switch writes every
 *      planned field, and (7c) each thread's code address in same code is
 *      moved to the new copy: plain stores, so no code of a new copy runs
 *      before the commit is complete (but (6));
 *  (8) probation, under fault_catch: the new copies' swap hooks run (still
 *      stopped), then at run time the retire proves which old copies are
 *      unused (stopped again: a scan must not race the threads); a fault
 *      or a failing hook undoes the swap (every thread's code address moved
 *      back, every field and edge back, the old copies' hooks run again,
 *      the new crates unloaded) with the old loader's own code, captured
 *      before the commit;
 *  (9) keep: each member recorded as its module's (or crate's) live copy,
 *      the redirect plan finished (aliases unmapped), the old copies queued;
 * (10) leave the old code: the boot continues in the live init on a fresh
 *      stack (kernel/init/main.c); at run time each command ends at the
 *      shell's safe point, which re-enters the live copies of what runs
 *      forever (swap_safe_point);
 * (11) retire (retire.c): the old copies proven unused are unmapped and
 *      their frames given back; a kept one is tried again at each safe point.
 *
 * (1)-(6) can fail and change nothing; (7) cannot fail once (7b) passed (a
 * refused check changes nothing); (8) can, and is then undone, so that the
 * swap either happens whole or not at all.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <sched/sched.h>
#include "swap_internal.h"

/* (4) every member, in order: a module's data sections all bound. */
static enum err txn_check(void *ctx, struct ld_crate *c)
{
	struct swap_txn *t = ctx;
	struct swap_member *sm = &t->sm[t->checked++];

	if (t->checked > t->n || ld_crate_name(c)[0] != sm->crate_name[0])
		panic("BUG: swap: the check met crate %s, not member %u", ld_crate_name(c),
		      t->checked - 1);
	return sm->module == NCD_NONE ? E_OK : swap_check_module(sm);
}

/* (3)-(5): build everything privately; a failure changes nothing. */
static enum err txn_prepare(struct swap_txn *t)
{
	uint64_t t0 = rdtsc(), t1;
	enum err e;

	t->checked = 0;
	e = ld_group_prepare(crates_namespace(), t->members, t->n, txn_check, t,
			     &t->group);                                   /* (3), (4) */
	t1 = rdtsc();
	t->cost.load += t1 - t0;
	if (e != E_OK)
		return e;
	swap_plan_fill(t);
	e = swap_redirect_plan(&t->plan);                                  /* (5) */
	if (e != E_OK) {
		swap_redirect_abort(&t->plan);
		ld_group_abort(t->group);
	}
	t->cost.redirect += rdtsc() - t1;
	return e;
}

/* (8)'s body: the new copies' hooks. */
struct probation {
	struct swap_txn *t;
	enum err e;
};

static void txn_probation_body(void *arg)
{
	struct probation *p = arg;
	struct swap_txn *t = p->t;
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < t->n && p->e == E_OK; i++)
		p->e = swap_run_hooks(t->members[i].crate, &t->hooks);
	t->cost.hooks += rdtsc() - t0;
}

/* (8) continued and (11), at run time: the retire's proof, with the others
 * stopped again (a scan must not race the threads; they ran on the new
 * copies in between), still on probation: it runs the new copies' code
 * (the heap's), and a fault undoes the swap once every thread's code
 * address is moved back to the old copies (swap_threads_move_back). Then,
 * in the same stop, (9) and the unmapping of what the proof found unused. */
static void txn_retire_body(void *arg)
{
	struct swap_txn *t = arg;

	swap_queue_retire(t);
	swap_retire_prove(false);
}

/* The member whose new copy holds `pc`, or NULL. */
static const struct swap_member *txn_member_at(const struct swap_txn *t, uint64_t pc)
{
	for (unsigned i = 0; i < t->n; i++) {
		size_t n;
		const struct ld_section *s = ld_crate_sections(t->members[i].crate, &n);

		for (size_t k = 0; k < n; k++)
			if (!s[k].bound && pc - s[k].addr < s[k].size)
				return &t->sm[i];
	}
	return NULL;
}

/* Say where the new code faulted: the innermost frame of the fault's
 * backtrace in a new copy (the fault itself may be elsewhere: a wild jump),
 * its crate and function. */
static void txn_report_fault(const struct swap_txn *t, const struct trap_record *rec)
{
	const struct swap_member *sm = NULL;
	const char *fn = "?";
	uint64_t off = 0, pc = rec->rip;

	for (unsigned i = 0; i < rec->npcs && !sm; i++)
		if ((sm = txn_member_at(t, rec->pcs[i] - (i > 0))))
			pc = rec->pcs[i] - (i > 0); /* (a return address: its call) */
	if (!sm) {
		pr_err("swap: %s%s faulted after the commit: exception %lu at %lx (a wild jump: "
		       "no frame of it names a new copy's function): the swap is undone\n",
		       t->sm[0].crate_name, t->n > 1 ? " or its group" : "", rec->vector, rec->rip);
		return;
	}
	(void)crates_symbolize(pc, &fn, &off);
	pr_err("swap: %s faulted after the commit: exception %lu at %lx, in %s+0x%lx: the swap is "
	       "undone\n", sm->crate_name, rec->vector, rec->rip, fn, off);
}

/* The loader's code that a commit may redirect, as it was before the
 * commit: an undo and the plan's end run the old loader, whatever the
 * switch did to the calls. volatile: kept in the frame, never re-read from
 * the (redirected) code. */
struct txn_old_code {
	void (*volatile undo)(struct ld_redirect *r);
	void (*volatile finish)(struct ld_redirect *r);
	bool (*volatile fault_catch)(void (*fn)(void *), void *arg, struct trap_record *rec);
};

/* Undo a commit whose probation failed: the fields and edges back first (so
 * that every call reaches the old copies again), then the old copies'
 * hooks, then the new crates unloaded. */
static void txn_undo(struct swap_txn *t, const struct txn_old_code *old)
{
	struct ld_crate *fresh[SWAP_MAX_MODULES];

	old->undo(t->plan.redirect);
	old->finish(t->plan.redirect);
	t->plan.redirect = NULL;
	swap_redirect_abort(&t->plan); /* (its pairs) */
	if (!t->boot)
		swap_retire_cancel(t);
	for (unsigned i = 0; i < t->n; i++)
		if (swap_run_old_hooks(t->sm[i].module, t->sm[i].old) != E_OK)
			pr_err("swap: %s: the old copy's hooks failed again after the undo\n",
			       t->sm[i].crate_name);
	for (unsigned i = 0; i < t->n; i++)
		fresh[i] = t->members[i].crate;
	if (ld_unload_group(crates_namespace(), fresh, t->n) != E_OK)
		panic("BUG: swap: the new copies of an undone swap cannot be unloaded");
	for (unsigned i = 0; i < t->n; i++)
		t->members[i].crate = NULL;
	crates_changed();
}

/* (9) The plan finished (its aliases unmapped), each member recorded as
 * its module's (or crate's) live copy. */
static void txn_keep(struct swap_txn *t, const struct txn_old_code *old)
{
	uint64_t t0 = rdtsc();

	old->finish(t->plan.redirect);
	t->plan.redirect = NULL;
	swap_redirect_abort(&t->plan);
	t->cost.redirect += rdtsc() - t0;
	for (unsigned i = 0; i < t->n; i++)
		swap_member_keep(t, i);
}

/* Say who kept the swap from committing, and that nothing changed. */
static void txn_report_busy(const struct swap_txn *t)
{
	pr_err("swap: %s%s: thread %u (%s) stays in %s of %s, whose code the swap changes: "
	       "waited %u ms; refused, nothing changed\n", t->sm[0].crate_name,
	       t->n > 1 ? " and its group" : "", t->threads.blocker_id, t->threads.blocker,
	       t->threads.blocker_fn, t->threads.blocker_crate, SWAP_WAIT_MS);
}

/* (7) with every other thread stopped and interrupts off: the threads'
 * check, then the commit, the moves, the hooks. E_SWAP_BUSY: nothing was
 * done (try again later). */
static enum err txn_commit(struct swap_txn *t, const struct txn_old_code *old, bool *committed)
{
	struct probation p = { .t = t };
	struct trap_record rec;
	uint64_t flags = sched_stop_others(), t0 = rdtsc(), t1;
	enum err e = swap_threads_check(t, (uint64_t)__builtin_frame_address(0)); /* (7b) */

	/* (6) a crate's state, here: no write to its old data is lost since */
	t1 = rdtsc();
	for (unsigned i = 0; i < t->n && e == E_OK; i++)
		if (t->sm[i].module == NCD_NONE)
			e = swap_transfer_state(&t->sm[i], t->members[i].crate);
	t->cost.redirect += rdtsc() - t1;
	*committed = e == E_OK;
	if (e != E_OK) {
		t->pause += rdtsc() - t0;
		sched_resume_others(flags);
		return e;
	}
	t1 = rdtsc();
	ld_group_commit(t->group);                                         /* (7) */
	t->cost.load += rdtsc() - t1;
	t1 = rdtsc();
	ld_redirect_switch(t->plan.redirect, &t->rs);
	swap_threads_move(t, false);                                       /* (7c) */
	t->cost.redirect += rdtsc() - t1;
	if (old->fault_catch(txn_probation_body, &p, &rec)) {              /* (8) */
		txn_report_fault(t, &rec);
		swap_threads_move(t, true);
		txn_undo(t, old);
		e = E_SWAP_FAULTED;
	} else if (p.e != E_OK) {
		pr_err("swap: %s%s: %s: the swap is undone\n", t->sm[0].crate_name,
		       t->n > 1 ? " and its group" : "", err_name(p.e));
		swap_threads_move(t, true);
		txn_undo(t, old);
		e = p.e;
	}
	t->pause += rdtsc() - t0;
	sched_resume_others(flags);
	return e;
}

static unsigned waits_total;

unsigned swap_waits_total(void)
{
	return waits_total;
}

enum err swap_txn_run(struct swap_txn *t)
{
	struct txn_old_code old = { ld_redirect_undo, ld_redirect_finish, fault_catch };
	struct trap_record rec;
	uint64_t t0;
	bool committed = false;
	enum err e = txn_prepare(t);                                       /* (3)-(5) */

	t->pause = t->retire_pause = 0;
	t->waits = 0;
	if (e != E_OK)
		return e;
	e = swap_threads_survey(t);                                        /* (7a) */
	while (e == E_OK || e == E_SWAP_BUSY) {
		e = txn_commit(t, &old, &committed);                       /* (6)-(8) */
		if (e != E_SWAP_BUSY || (t->waits + 1) * SWAP_WAIT_STEP_MS > SWAP_WAIT_MS)
			break;
		t->waits++;
		waits_total++;
		thread_sleep_ms(SWAP_WAIT_STEP_MS);	/* for the thread to leave */
	}
	swap_threads_free(t);
	if (e == E_SWAP_BUSY)
		txn_report_busy(t);
	if (!committed) {
		swap_redirect_abort(&t->plan);	/* not committed: nothing changed */
		ld_group_abort(t->group);
		return e;
	}
	if (e != E_OK)
		return e;	/* committed and undone (txn_commit) */
	if (!t->boot) {
		uint64_t flags = sched_stop_others();		/* (the proof's own stop) */
		bool faulted;

		t0 = rdtsc();
		faulted = old.fault_catch(txn_retire_body, t, &rec);       /* (8), (11) */
		if (faulted && swap_threads_move_back(t)) {
			txn_report_fault(t, &rec);
			txn_undo(t, &old);
			e = E_SWAP_FAULTED;
		} else if (faulted) {
			pr_err("swap: %s faulted in the retire's proof (exception %lu at %lx), and a "
			       "thread runs its changed code: the swap stands, every old copy stays "
			       "mapped\n", t->sm[0].crate_name, rec.vector, rec.rip);
			swap_retire_cancel(t);	/* (never proven again: kept for good) */
		}
		if (e == E_OK) {
			txn_keep(t, &old);                                 /* (9) */
			if (!faulted)
				swap_retire_apply_proven();	/* (11) in the proof's stop */
		}
		t->retire_pause = rdtsc() - t0;
		sched_resume_others(flags);
		t->cost.retire += t->retire_pause;
		if (e == E_OK)
			crates_changed();
		return e;
	}
	txn_keep(t, &old);                                                 /* (9) */
	swap_queue_retire(t);
	crates_changed();
	return E_OK;
}
