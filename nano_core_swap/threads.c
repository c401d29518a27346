/*
 * The swap among threads (steps (7a) and (7b) of txn.c). Every other thread
 * is suspended somewhere; if that is inside an old copy's text, it must not
 * resume there once the copy retires. The consistency model:
 *
 *  - survey (world stopped, briefly): walk every thread's stack exactly
 *    (sched_walk: saved context, frames, interrupt frames) and note which old
 *    text sections hold a code address; then (running) decide for each such
 *    section whether the new copy's namesake is the same code: same size,
 *    same bytes outside the relocated fields, the same relocations (offset,
 *    type, addend, target by name);
 *  - check (world stopped, as part of the commit's pause): walk again; each
 *    address in a same-code section is moved to the same offset of the new
 *    copy at the commit; one in changed code (or code the new copy lacks)
 *    blocks the swap: the pause ends, nothing was changed, and the swap waits
 *    (SWAP_WAIT_MS, in steps) for that thread to leave, then refuses with
 *    E_SWAP_BUSY naming the thread and the function.
 *
 * The running thread's own frames are moved too where the code is the same;
 * where it is not, they are left to the safe point (step (10)), as before.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <lib/string.h>
#include <loader/elf.h>
#include <lib/util.h>
#include <sched/sched.h>
#include "swap_internal.h"

/* The name a section has in its own object ("heap:.text.kmalloc" is the
 * nano_core's ".text.kmalloc" of heap). */
static const char *object_name(const struct ld_section *s)
{
	const char *colon = s->crate == core.crate ? strchr(s->name, ':') : NULL;

	return colon ? colon + 1 : s->name;
}

/* The bytes a relocation of `type` writes; 0: one we do not compare. */
static unsigned reloc_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return 4;
	default:
		return 0;
	}
}

/* The relocations of a section in offset order: a loaded crate's from its
 * RELA entries, the nano_core's from its description's records. */
struct reloc_walk {
	const struct ld_section *sec;
	struct ld_reloc_iter it;
	uint32_t next, end;	/* the nano_core's records [next, end) */
};

static bool reloc_walk_init(struct reloc_walk *w, const struct ld_section *s, uint64_t *count)
{
	w->sec = s;
	if (s->crate != core.crate) {
		ld_relocs_of_section(&w->it, s);
		*count = s->nrelocs;
		return true;
	}
	uint32_t idx = (uint32_t)(s - core.secs);

	if (ncd_check_relocs(&core.desc, idx) != E_OK)
		return false;
	w->next = core.desc.secs[idx].first_reloc;
	w->end = w->next + core.desc.secs[idx].nrelocs;
	*count = core.desc.secs[idx].nrelocs;
	return true;
}

/* The next relocation: offset, type, addend, and its target's object name
 * and offset (NULL: absolute). */
static bool reloc_walk_next(struct reloc_walk *w, struct ld_reloc *out, const char **target)
{
	if (w->sec->crate == core.crate) {
		const struct ncd_reloc *r;

		if (w->next >= w->end)
			return false;
		r = &core.desc.relocs[w->next++];
		*out = (struct ld_reloc){ .offset = r->offset, .type = r->type, .addend = r->addend,
					  .target_offset = r->target_offset };
		*target = r->target == NCD_NONE ? NULL : object_name(&core.secs[r->target]);
		return true;
	}
	if (!ld_reloc_next(&w->it, out))
		return false;
	*target = out->target ? object_name(out->target) : NULL;
	return true;
}

static bool same_reloc(const struct ld_reloc *a, const char *ta, const struct ld_reloc *b,
		       const char *tb)
{
	if (a->offset != b->offset || a->type != b->type || a->addend != b->addend ||
	    a->target_offset != b->target_offset)
		return false;
	return ta && tb ? strcmp(ta, tb) == 0 : ta == tb;
}

/* Is new_ the same code as old: same size, the same bytes outside the
 * relocated fields, the same relocations (in offset order)? */
bool swap_same_code(const struct ld_section *old, const struct ld_section *new_)
{
	struct reloc_walk wo, wn;
	struct ld_reloc ro, rn;
	const char *to, *tn;
	uint64_t at = 0, no, nn;

	if (old->size != new_->size || !reloc_walk_init(&wo, old, &no) ||
	    !reloc_walk_init(&wn, new_, &nn) || no != nn)
		return false;
	while (reloc_walk_next(&wn, &rn, &tn)) {
		unsigned w = reloc_width(rn.type);

		if (!reloc_walk_next(&wo, &ro, &to) || !same_reloc(&ro, to, &rn, tn) || !w ||
		    rn.offset < at || rn.offset + w > new_->size)
			return false;
		if (memcmp((const void *)(old->addr + at), (const void *)(new_->addr + at),
			   rn.offset - at) != 0)
			return false;
		at = rn.offset + w;
	}
	return memcmp((const void *)(old->addr + at), (const void *)(new_->addr + at),
		      new_->size - at) == 0;
}

static int range_cmp(const struct swap_text_range *a, const struct swap_text_range *b)
{
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* Insertion of one range into the sorted array (built once per swap). */
static void ranges_sort(struct swap_text_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct swap_text_range x = r[i];
		size_t j = i;

		for (; j > 0 && range_cmp(&r[j - 1], &x) > 0; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

static void add_member_ranges(struct swap_threads *st, unsigned i, const struct ld_section *s,
			      size_t first, size_t end)
{
	for (size_t k = first; k < end; k++)
		if (s[k].kind == LD_KIND_TEXT && s[k].size && !s[k].bound)
			st->r[st->n++] = (struct swap_text_range){
				.lo = s[k].addr, .hi = s[k].addr + s[k].size, .old = &s[k],
				.member = i };
}

/* Every old text section of every member, sorted by address. */
static enum err build_ranges(struct swap_txn *t)
{
	struct swap_threads *st = &t->threads;
	size_t total = 0, n;

	for (unsigned i = 0; i < t->plan.n; i++)
		if (t->plan.old[i] == core.crate)
			total += core.desc.mods[t->plan.module[i]].nsections;
		else if (t->plan.old[i]) {
			ld_crate_sections(t->plan.old[i], &n);
			total += n;
		}
	st->r = kmalloc((total ? total : 1) * sizeof(*st->r));
	if (!st->r) {
		pr_err("swap: out of heap for %zu text ranges (the threads' check)\n", total);
		return E_NO_HEAP;
	}
	heap_mark_metadata(st->r);	/* (names old code: not a reference to it) */
	st->n = 0;
	for (unsigned i = 0; i < t->plan.n; i++) {
		if (t->plan.old[i] == core.crate) {
			const struct ncd_module *m = &core.desc.mods[t->plan.module[i]];

			add_member_ranges(st, i, core.secs, m->first_section,
					  m->first_section + m->nsections);
		} else if (t->plan.old[i]) {
			const struct ld_section *s = ld_crate_sections(t->plan.old[i], &n);

			add_member_ranges(st, i, s, 0, n);
		}
	}
	ranges_sort(st->r, st->n);
	return E_OK;
}

static struct swap_text_range *range_at(struct swap_threads *st, uint64_t pc)
{
	size_t lo = 0, hi = st->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (pc < st->r[mid].lo)
			hi = mid;
		else if (pc >= st->r[mid].hi)
			lo = mid + 1;
		else
			return &st->r[mid];
	}
	return NULL;
}

/* A range's verdict: its new namesake, and whether it is the same code. */
static void range_decide(struct swap_txn *t, struct swap_text_range *r)
{
	const struct ld_section *to;

	if (r->decided)
		return;
	r->decided = true;
	if (ld_crate_find_section(t->plan.new_[r->member], object_name(r->old), &to) == E_OK &&
	    to->kind == LD_KIND_TEXT && swap_same_code(r->old, to))
		r->to = to;
}

/* One thread's code address: a return address names its call (pc - 1). */
static struct swap_text_range *slot_range(struct swap_threads *st, const struct frame_slot *s)
{
	return range_at(st, *s->slot - !s->exact);
}

static bool survey_visit(void *ctx, struct thread *th, const struct frame_slot *s)
{
	struct swap_threads *st = ctx;
	struct swap_text_range *r = slot_range(st, s);

	(void)th;
	if (r)
		r->hit = true;
	return true;
}

struct check_ctx {
	struct swap_txn *t;
	struct thread *self;
	enum err e;
};

static bool check_visit(void *ctx, struct thread *th, const struct frame_slot *s)
{
	struct check_ctx *c = ctx;
	struct swap_threads *st = &c->t->threads;
	struct swap_text_range *r = slot_range(st, s);

	if (!r)
		return true;
	range_decide(c->t, r);	/* (surveyed: decided already, but for a newcomer) */
	if (r->to) {
		if (st->nmoves == SWAP_MAX_MOVES) {
			pr_err("swap: more than SWAP_MAX_MOVES (%d) code addresses on the threads' "
			       "stacks to move\n", SWAP_MAX_MOVES);
			c->e = E_LIMIT;
			return false;
		}
		st->moves[st->nmoves++] = (struct swap_move){
			s->slot, *s->slot, r->to->addr + (*s->slot - r->lo) };
		return true;
	}
	if (th == c->self)
		return true;	/* changed code under our own frames: the safe point's */
	st->blocker_id = thread_id(th);
	memcpy(st->blocker, thread_name(th), THREAD_NAME_MAX);
	st->blocker_fn = object_name(r->old);
	st->blocker_crate = ld_crate_name(r->old->crate);
	c->e = E_SWAP_BUSY;
	return false;
}

struct each_ctx {
	struct swap_txn *t;
	bool (*visit)(void *ctx, struct thread *th, const struct frame_slot *s);
	void *ctx;
	uint64_t frame;
	enum err e;
	const enum err *visit_e;	/* the visitor's verdict: set, the walks stop */
};

static void each_thread(void *arg, struct thread *th)
{
	struct each_ctx *c = arg;
	enum err e;

	if (c->e != E_OK || (c->visit_e && *c->visit_e != E_OK) ||
	    (thread_current() != th && sched_thread_dead(th)))
		return;
	if ((e = sched_walk(th, c->frame, c->visit, c->ctx)) != E_OK)
		c->e = e;
}

enum err swap_threads_survey(struct swap_txn *t)
{
	struct swap_threads *st = &t->threads;
	struct each_ctx c = { t, survey_visit, st, (uint64_t)__builtin_frame_address(0), E_OK,
			      NULL };
	uint64_t flags;
	enum err e = build_ranges(t);

	if (e != E_OK)
		return e;
	flags = sched_stop_others();
	sched_for_each(each_thread, &c);
	sched_resume_others(flags);
	for (size_t i = 0; i < st->n && c.e == E_OK; i++)
		if (st->r[i].hit)
			range_decide(t, &st->r[i]);
	if (c.e != E_OK)
		swap_threads_free(t);
	return c.e;
}

enum err swap_threads_check(struct swap_txn *t, uint64_t frame)
{
	struct check_ctx cc = { t, thread_current(), E_OK };
	struct each_ctx c = { t, check_visit, &cc, frame, E_OK, &cc.e };

	t->threads.nmoves = 0;
	sched_for_each(each_thread, &c);
	return c.e != E_OK ? c.e : cc.e;
}

void swap_threads_move(struct swap_txn *t, bool back)
{
	for (unsigned i = 0; i < t->threads.nmoves; i++)
		*t->threads.moves[i].slot = back ? t->threads.moves[i].from : t->threads.moves[i].to;
}

void swap_threads_free(struct swap_txn *t)
{
	kfree(t->threads.r);
	t->threads.r = NULL;
	t->threads.n = 0;
}

/* ---- the undo of a commit after the others ran (the retire's proof faulted) */

struct back_ctx {
	struct swap_txn *t;
	uint64_t frame;		/* the running thread's walk starts here */
	bool apply;		/* the second pass: move (the first only looks) */
	bool stuck;
};

/* The member whose new copy's text holds pc: its section there, or NULL. */
static const struct ld_section *new_text_at(struct swap_txn *t, uint64_t pc, unsigned *member)
{
	for (unsigned i = 0; i < t->n; i++) {
		size_t n;
		const struct ld_section *s = ld_crate_sections(t->members[i].crate, &n);

		for (size_t k = 0; k < n; k++)
			if (s[k].kind == LD_KIND_TEXT && !s[k].bound && pc - s[k].addr < s[k].size) {
				*member = i;
				return &s[k];
			}
	}
	return NULL;
}

static bool back_visit(void *ctx, struct thread *th, const struct frame_slot *s)
{
	struct back_ctx *c = ctx;
	uint64_t pc = *s->slot - !s->exact;
	unsigned i;
	const struct ld_section *now = new_text_at(c->t, pc, &i), *was = NULL;

	(void)th;
	if (!now)
		return true;
	if (c->t->plan.old[i] == core.crate)
		was = nano_core_section(c->t->sm[i].bind.name, now->name);
	else if (ld_crate_find_section(c->t->plan.old[i], now->name, &was) != E_OK)
		was = NULL;
	if (!was || was->kind != LD_KIND_TEXT || !swap_same_code(was, now))
		c->stuck = true;
	else if (c->apply)
		*s->slot = was->addr + (*s->slot - now->addr);
	return !c->stuck;
}

static void back_thread(void *arg, struct thread *th)
{
	struct back_ctx *c = arg;

	if (!c->stuck && !sched_thread_dead(th) && sched_walk(th, c->frame, back_visit, c) != E_OK)
		c->stuck = true;
}

bool swap_threads_move_back(struct swap_txn *t)
{
	struct back_ctx c = { t, (uint64_t)__builtin_frame_address(0), false, false };

	sched_for_each(back_thread, &c);	/* can every one go back? */
	if (c.stuck)
		return false;
	c.apply = true;
	sched_for_each(back_thread, &c);
	return true;
}
