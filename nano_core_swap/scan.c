/*
 * The retire's proofs (retire.c): which queued old copies something still
 * uses. Precise where the kernel knows its references (dependency edges,
 * return addresses by frame-pointer unwinding, fault_catch's saved contexts,
 * IDT gates), conservative elsewhere: every byte offset of the image's data,
 * the crates' own data, the heap's blocks and the raw frames is read as a
 * possible pointer into an old copy, and the running stack's live frames as
 * one into old rodata or data (a code pointer there is forwarded instead).
 * What is skipped describes code and never calls it: the loader's
 * bookkeeping (heap blocks marked metadata), NS_NOPTR and NS_NOSCAN data, the
 * swap's own frames.
 */
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include <lib/util.h>
#include <memory/memory.h>
#include <nanoswap/noptr.h>
#include <sched/sched.h>
#include "retire_internal.h"

int retire_core_cand(const struct retire_scan *sc, uint32_t m)
{
	return m <= SWAP_MAX_MODULES ? sc->core_cand[m] : -1;
}

/* The candidate whose section s is (text or rodata of an old copy, or an old
 * crate's own data), or -1. */
static int retire_cand_of(const struct retire_scan *sc, const struct ld_section *s)
{
	if (s->crate == core.crate)
		return s->kind == LD_KIND_DATA ? -1 /* the real data: live */
					       : retire_core_cand(sc, core.desc.secs[s - core.secs].module);
	/* a crate's sections go with it, its bound data too: that is only its
	 * view of the nano_core's data, whose own edges are redirected */
	for (unsigned c = 0; c < sc->ncands; c++)
		if (s->crate == sc->cands[c].crate)
			return (int)c;
	return -1;
}

/* Candidate k's sections: its module's run of the nano_core's (the
 * description lists them module by module), or its crate's. */
static const struct ld_section *retire_sections(const struct swap_retiring *c, size_t *first,
						size_t *end)
{
	if (c->crate != core.crate) {
		*first = 0;
		return ld_crate_sections(c->crate, end);
	}
	*first = core.desc.mods[c->module].first_section;
	*end = *first + core.desc.mods[c->module].nsections;
	return core.secs;
}

/* Is section s of a candidate retired with it: its text or rodata, mapped
 * in the higher half (boot/'s 32-bit code lies at its physical address), or
 * a crate's own data? */
static bool retire_covers(const struct ld_section *s)
{
	extern char __text_start[];

	if (s->kind == LD_KIND_DATA) /* a crate's own data goes with it (not bound data) */
		return s->crate != core.crate && !s->bound && s->size;
	return s->size && s->addr >= (uint64_t)__text_start;
}

enum err retire_scan_init(struct retire_scan *sc, struct swap_retiring *cands, unsigned ncands)
{
	uint32_t self = ncd_find_module(&core.desc, SWAP_MODULE_NAME);
	size_t total = 0, first, end;

	*sc = (struct retire_scan){ .cands = cands, .ncands = ncands, .lo = ~0ull };
	if (self != NCD_NONE)
		ncd_text_range(&core.desc, self, &sc->swap_lo, &sc->swap_hi);
	for (uint32_t m = 0; m <= SWAP_MAX_MODULES; m++)
		sc->core_cand[m] = -1;
	for (unsigned c = 0; c < ncands; c++) {
		if (cands[c].crate == core.crate && cands[c].module <= SWAP_MAX_MODULES)
			sc->core_cand[cands[c].module] = (int)c;
		retire_sections(&cands[c], &first, &end);
		total += end - first;
	}
	sc->r = kmalloc((total ? total : 1) * sizeof(*sc->r));
	if (!sc->r) {
		pr_err("retire: %s%s: out of heap for %zu section ranges: every old copy stays "
		       "mapped\n", ncands ? cands[0].name : "?",
		       ncands > 1 ? " and the other old copies" : "", total);
		return E_NO_HEAP;
	}
	heap_mark_metadata(sc->r); /* it names old code: the scan must not see it */
	return E_OK;
}

void retire_scan_free(struct retire_scan *sc)
{
	kfree(sc->r);
	sc->r = NULL;
}

/* Fill sc->r with the candidates' ranges, sorted by address: text first,
 * then rodata, then crates' data (the image and each crate lay them out in
 * that order, module after module: nearly sorted, an insertion sort). */
static void retire_ranges_fill(struct retire_scan *sc)
{
	size_t i, end;

	sc->n = 0;
	for (enum ld_kind kind = LD_KIND_TEXT; kind <= LD_KIND_DATA; kind++)
		for (unsigned c = 0; c < sc->ncands; c++)
			for (const struct ld_section *s = retire_sections(&sc->cands[c], &i, &end);
			     i < end; i++)
				if (s[i].kind == kind && retire_covers(&s[i]))
					sc->r[sc->n++] = (struct retire_range){
						s[i].addr, s[i].addr + s[i].size, c, &s[i] };
	for (i = 1; i < sc->n; i++) {
		struct retire_range v = sc->r[i];
		size_t k = i;

		for (; k > 0 && sc->r[k - 1].lo > v.lo; k--)
			sc->r[k] = sc->r[k - 1];
		sc->r[k] = v;
	}
	sc->filled = true;
}

/* The candidate range holding address a, or NULL. */
static const struct retire_range *retire_find(struct retire_scan *sc, uint64_t a)
{
	size_t lo = 0, hi;

	if (a < sc->lo || a >= sc->hi)
		return NULL;
	if (!sc->filled)
		retire_ranges_fill(sc);
	hi = sc->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sc->r[mid].hi <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < sc->n && a >= sc->r[lo].lo ? &sc->r[lo] : NULL;
}

int retire_text_owner(const struct swap_retiring *cands, unsigned n, uint64_t pc)
{
	for (unsigned c = 0; c < n; c++) {
		size_t i, end;

		for (const struct ld_section *s = retire_sections(&cands[c], &i, &end); i < end; i++)
			if (s[i].kind == LD_KIND_TEXT && retire_covers(&s[i]) &&
			    pc - s[i].addr < s[i].size)
				return (int)c;
	}
	return -1;
}

/* Keep candidate k for a reason said once per copy (a few lines each). */
static void retire_keep(struct retire_scan *sc, unsigned k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void retire_keep(struct retire_scan *sc, unsigned k, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	sc->cands[k].kept = true;
	if (sc->logged[k]++ >= 4)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* a retry's reasons were said when the copy was first kept */
	klog(sc->quiet ? LOG_DEBUG : LOG_INFO, "retire: %s kept: %s\n", sc->cands[k].name, why);
}

/* Proof 1: every edge into a candidate's section comes from a retiring
 * section. On the way, the span of all candidate sections (sc->lo, hi). */
void retire_check_edges(struct retire_scan *sc)
{
	size_t i, end;

	sc->lo = ~0ull, sc->hi = 0;
	for (unsigned c = 0; c < sc->ncands; c++) {
		for (const struct ld_section *s = retire_sections(&sc->cands[c], &i, &end); i < end;
		     i++) {
			if (!retire_covers(&s[i]))
				continue;
			sc->lo = MIN(sc->lo, s[i].addr);
			sc->hi = MAX(sc->hi, s[i].addr + s[i].size);
			for (const struct ld_dep *d = s[i].dependents; d; d = d->next_dependent)
				if (d->nrelocs && retire_cand_of(sc, d->source) < 0)
					retire_keep(sc, c, "%s's %s still refers to %s",
						    ld_crate_name(d->source->crate), d->source->name,
						    s[i].name);
		}
	}
}

/* A code address `pc` found by a precise proof (`what`): keep its copy. */
static void retire_root(struct retire_scan *sc, uint64_t pc, const char *what)
{
	const struct retire_range *r = retire_find(sc, pc);

	if (r && r->sec->kind == LD_KIND_TEXT)
		retire_keep(sc, r->cand, "%s (%lx) -> %s:%s+0x%lx", what, pc,
			    ld_crate_name(r->sec->crate), r->sec->name, pc - r->lo);
}

/* The IDT's gates (split addresses: no scan sees them). */
static void retire_check_idt(struct retire_scan *sc)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	const uint8_t *g;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	g = (const uint8_t *)idtr.base;
	for (unsigned v = 0; (v + 1) * 16 <= (unsigned)idtr.limit + 1; v++, g += 16) {
		uint64_t pc = (uint64_t)(g[0] | g[1] << 8) | (uint64_t)(g[6] | g[7] << 8) << 16 |
			      (uint64_t)(g[8] | g[9] << 8 | g[10] << 16 | (uint32_t)g[11] << 24) << 32;

		if (g[5] & 0x80) /* present */
			retire_root(sc, pc, "an IDT gate");
	}
}

/* Every code address on another thread's stack (the walk is exact: an
 * unwalkable stack keeps every candidate). */
struct roots_ctx {
	struct retire_scan *sc;
	bool broken;
};

static bool retire_thread_root(void *ctx, struct thread *t, const struct frame_slot *s)
{
	struct roots_ctx *c = ctx;

	(void)t;
	retire_root(c->sc, *s->slot - !s->exact, s->exact ? "an interrupted thread's pc" :
		    "a return address on a thread's stack");
	return true;
}

static void retire_thread_roots(void *ctx, struct thread *t)
{
	struct roots_ctx *c = ctx;

	if (t == thread_current() || sched_thread_dead(t))
		return;	/* (the running stack: walked above) */
	if (sched_walk(t, 0, retire_thread_root, c) != E_OK)
		c->broken = true;
}

/* Proof 2, precise: the return address of every frame on the running stack
 * from `frame` (the proof's own) up, and on every other thread's; every
 * context fault_catch saved; every IDT gate. */
void retire_check_roots(struct retire_scan *sc, uint64_t frame)
{
	struct stack_range st[INTERRUPTS_MAX_STACKS];
	unsigned nst = interrupts_stacks(st);
	uint64_t pcs[16];
	unsigned n = interrupts_saved_pcs(pcs, ARRAY_SIZE(pcs));

	for (unsigned i = 0; i < nst; i++) {
		uint64_t rbp = frame;

		if (frame < st[i].lo || frame >= st[i].hi)
			continue;
		while (rbp && rbp + 16 <= st[i].hi && rbp >= st[i].lo && !(rbp & 7)) {
			const uint64_t *f = (const uint64_t *)rbp;

			retire_root(sc, f[1], "a return address on the stack");
			if (f[0] <= rbp)
				break;
			rbp = f[0];
		}
	}
	for (unsigned i = 0; i < MIN(n, (unsigned)ARRAY_SIZE(pcs)); i++)
		retire_root(sc, pcs[i], "a context fault_catch saved");
	retire_check_idt(sc);
	struct roots_ctx rc = { sc, false };
	sched_for_each(retire_thread_roots, &rc);
	for (unsigned k = 0; rc.broken && k < sc->ncands; k++)
		if (!sc->cands[k].kept)
			retire_keep(sc, k, "a thread's stack cannot be walked");
}

/* What holds the word at `at`, and from where its offset counts: the region
 * being scanned, or (the image's data, scanned whole) its section. */
static const char *retire_where(const struct retire_scan *sc, uint64_t at, uint64_t *base)
{
	const struct ncd_view *v = &core.desc;

	*base = sc->base;
	if (sc->where)
		return sc->where;
	for (uint32_t i = 0; i < v->h->nsections; i++)
		if (v->secs[i].kind == NCD_DATA && at - v->secs[i].addr < v->secs[i].size) {
			*base = v->secs[i].addr;
			return ncd_str(v, v->secs[i].full_name);
		}
	return "the image's data";
}

/* The 8 bytes at p, at any alignment. */
typedef uint64_t __attribute__((aligned(1), may_alias)) retire_u64u;

#define BYTES04	0x000000FF000000FFull
#define LOW7	0x7F7F7F7F7F7F7F7Full

/* Bit 7 of each byte of w that is 0xFF, exactly. */
static inline uint64_t retire_ff_bytes(uint64_t w)
{
	uint64_t t = ~w;

	return ~(((t & LOW7) + LOW7) | t) & ~LOW7;
}

/* Bit 7 of each byte that ends four 0xFF bytes in a row (within m's word). */
static inline uint64_t retire_runs4(uint64_t m)
{
	return m & m << 8 & m << 16 & m << 24;
}

/* The word at byte `at` of [p, end) may point into a candidate: look. */
static void retire_check_word(struct retire_scan *sc, const uint8_t *at)
{
	uint64_t v = *(const retire_u64u *)at;
	const struct retire_range *r;
	uint64_t base;
	const char *where;

	if (v - sc->lo >= sc->hi - sc->lo || !(r = retire_find(sc, v)))
		return;
	if (sc->stack && r->sec->kind == LD_KIND_TEXT)
		return; /* a code pointer in a frame: forwarded if called */
	where = retire_where(sc, (uint64_t)at, &base);
	retire_keep(sc, r->cand, "%s+0x%lx (%lx) -> %s:%s+0x%lx", where, (uint64_t)at - base,
		    (uint64_t)at, ld_crate_name(r->sec->crate), r->sec->name, v - r->lo);
}

/* Word i of [p, p + len) holds a 0xFF at byte 0 or 3: find each run of four
 * 0xFF bytes ending in bytes 0-6 of it (wholly in it, or begun in the word
 * before) and look at the pointer it may be the top of. */
static __attribute__((noinline)) void retire_scan_runs(struct retire_scan *sc,
							const uint8_t *p, size_t len, size_t i)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t ff = retire_ff_bytes(w[i]), prev = i ? retire_ff_bytes(w[i - 1]) : 0;
	uint64_t ends = retire_runs4(ff) | retire_runs4(prev >> 32 | ff << 32) >> 32;

	for (ends &= ~(0x80ull << 56); ends; ends &= ends - 1) {
		size_t top = i * 8 + (size_t)__builtin_ctzll(ends) / 8; /* a pointer's byte 7 */

		if (top >= 7 && top < len)
			retire_check_word(sc, p + top - 7);
	}
}

/* Word i of [p, p + len): the aligned word itself, one compare with the
 * candidates' span [lo, lo + span); and a run of four 0xFF bytes ending in
 * its bytes 0-6 holds byte 0 or 3, so only with a 0xFF there the unaligned
 * pointers (rare: most words here are kernel pointers). */
static inline void retire_scan_word(struct retire_scan *sc, const uint8_t *p, size_t len,
				    size_t i, uint64_t lo, uint64_t span)
{
	uint64_t v = ((const uint64_t *)p)[i], t = ~v & 0xFF0000FFull;

	if (v - lo < span)
		retire_check_word(sc, p + i * 8);
	if ((t - 0x01000001ull) & ~t & 0x80000080ull)
		retire_scan_runs(sc, p, len, i);
}

/*
 * Can four 0xFF bytes in a row end in any of words a, b, c, d (of those
 * before each)? Every address a candidate can have is 0xFFFFFFFF8xxxxxxx or
 * above, so a pointer at any offset holds four 0xFF bytes in a row. A run
 * ending in bytes 0-3 of a word holds its byte 0 (or starts in the word
 * before and holds byte 0 too), one ending in bytes 4-7 holds its byte 4:
 * without a 0xFF at byte 0 or 4, no pointer into a candidate ends in the
 * word. The four words' bytes 0 and 4 are packed into the eight lanes of one
 * word: nonzero if a lane is 0xFF (and, rarely, above one that is).
 */
static inline uint64_t retire_may_end4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t x = ~((a & BYTES04) | (b & BYTES04) << 8 | (c & BYTES04) << 16 |
		       (d & BYTES04) << 24);

	return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

/* Proof 3: every word of [p, p + len) at every byte offset (p 8-aligned):
 * runs of zero words skipped eight at a time (most of .bss), four words
 * passed at once while none can end a pointer into a candidate (see
 * retire_may_end4: small numbers, text, heap and direct-map pointers, most
 * other data), else word by word. */
static void retire_scan_bytes(struct retire_scan *sc, const void *p, size_t len)
{
	const uint64_t *w = p, lo = sc->lo, span = sc->hi - sc->lo;
	size_t nw = len / 8, i = 0;

	if (sc->lo >= sc->hi)
		return;
	for (; i + 4 <= nw; i += 4) {
		if (!w[i]) {
			while (i + 8 <= nw && !(w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] |
						w[i + 5] | w[i + 6] | w[i + 7]))
				i += 8;
			if (i + 4 > nw)
				break;
		}
		if (!retire_may_end4(w[i], w[i + 1], w[i + 2], w[i + 3]))
			continue;
		for (size_t k = i; k < i + 4; k++)
			retire_scan_word(sc, p, len, k, lo, span);
	}
	for (; i < nw; i++)
		retire_scan_word(sc, p, len, i, lo, span);
}

static void retire_scan_region(struct retire_scan *sc, const char *where, uint64_t lo,
			       uint64_t hi)
{
	sc->where = where;
	sc->base = lo;
	lo = ALIGN_UP(lo, 8);
	if (hi > lo)
		retire_scan_bytes(sc, (const void *)lo, hi - lo);
}

static void retire_scan_block(void *ctx, const void *p, size_t size, bool metadata)
{
	struct retire_scan *sc = ctx;

	if (metadata)
		return; /* the loader's bookkeeping: describes code, never calls it */
	sc->where = "heap";
	sc->base = HEAP_BASE;
	retire_scan_bytes(sc, p, size);
}

static void retire_scan_frame(void *ctx, uint64_t phys)
{
	struct retire_scan *sc = ctx;

	sc->where = "a raw frame";
	sc->base = (uint64_t)phys_to_virt(phys);
	retire_scan_bytes(sc, phys_to_virt(phys), PAGE_SIZE);
}

/* Does one of crate c's text sections hold pc? */
static bool retire_text_holds(const struct ld_crate *c, uint64_t pc)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].kind == LD_KIND_TEXT && pc - s[i].addr < s[i].size)
			return true;
	return false;
}

/* Is `pc` code of the swap itself (this module, any copy: the image's text
 * range, or a text section of a crate of it)? */
static bool retire_is_swap_code(const struct retire_scan *sc, uint64_t pc)
{
	if (pc - sc->swap_lo < sc->swap_hi - sc->swap_lo)
		return true;
	for (const struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c))
		if (c != core.crate && strncmp(ld_crate_name(c), SWAP_MODULE_NAME,
					       sizeof(SWAP_MODULE_NAME) - 1) == 0 &&
		    retire_text_holds(c, pc))
			return true;
	return false;
}

/* Where the running stack's live frames begin for the conservative scan:
 * past the swap's own frames, up to the outermost one that returns into the
 * swap's code, and those it called (their slots hold residue of its work;
 * their return addresses were checked precisely). */
static uint64_t retire_skip_swap_frames(struct retire_scan *sc, uint64_t frame, uint64_t hi)
{
	uint64_t rbp = frame, from = frame;

	while (rbp && rbp + 16 <= hi && !(rbp & 7)) {
		const uint64_t *f = (const uint64_t *)rbp;

		if (f[0] <= rbp)
			break;
		if (retire_is_swap_code(sc, f[1]))
			from = f[0] + 16; /* the caller's frame (f[0]) is the swap's too */
		rbp = f[0];
	}
	return from;
}

/* Is crate c one of the candidates (a crate's old copy)? */
static bool retire_is_candidate(const struct retire_scan *sc, const struct ld_crate *c)
{
	for (unsigned k = 0; k < sc->ncands; k++)
		if (sc->cands[k].crate == c)
			return true;
	return false;
}

/* Is it a section of data declared free of pointers or never to be scanned
 * ("memory:.bss.noptr" in the nano_core, ".bss.noptr" in a crate)? */
static bool retire_is_skipped(const char *name)
{
	const char *colon = strchr(name, ':'), *tail = colon ? colon + 1 : name;

	return strcmp(tail, NS_NOPTR_SECTION) == 0 || strcmp(tail, NS_NOSCAN_SECTION) == 0;
}

/* A range of the image's data the scan leaves out. */
struct retire_skip {
	uint64_t lo, hi;
};
#define RETIRE_MAX_SKIPS (2 * SWAP_MAX_MODULES + 2)

/* The image's data sections the scan must not see: each module's NS_NOPTR
 * and NS_NOSCAN sections (ld -r makes one of each per module), sorted. One
 * more than the table holds is scanned after all: conservative. */
static unsigned retire_image_skips(struct retire_skip *skip)
{
	const struct ncd_view *v = &core.desc;
	unsigned n = 0;

	for (uint32_t i = 0; i < v->h->nsections; i++) {
		const struct ncd_section *s = &v->secs[i];
		unsigned k = n;

		if (s->kind != NCD_DATA || !s->size || !s->nobits || n == RETIRE_MAX_SKIPS ||
		    !retire_is_skipped(ncd_str(v, s->name)))
			continue;
		for (; k > 0 && skip[k - 1].lo > s->addr; k--)
			skip[k] = skip[k - 1];
		skip[k] = (struct retire_skip){ s->addr, s->addr + s->size };
		n++;
	}
	return n;
}

/* The image's data and bss, [__data_start, __bss_end), as one region but
 * what retire_image_skips leaves out (the modules' padding between is zero). */
static void retire_scan_image_data(struct retire_scan *sc)
{
	extern char __data_start[], __bss_end[];
	struct retire_skip skip[RETIRE_MAX_SKIPS];
	unsigned n = retire_image_skips(skip);
	uint64_t at = (uint64_t)__data_start;

	sc->where = NULL; /* a word found is named by its section */
	for (unsigned i = 0; i <= n; i++) {
		uint64_t to = i < n ? MAX(skip[i].lo, at) : (uint64_t)__bss_end;

		if (to > at)
			retire_scan_bytes(sc, (const void *)at, to - at);
		if (i < n)
			at = MAX(skip[i].hi, at);
	}
}

/* Another thread's live stack, from its saved RSP up (its registers are
 * saved there too). */
static void retire_scan_thread(void *ctx, struct thread *t)
{
	struct retire_scan *sc = ctx;
	uint64_t sp, hi;

	if (t == thread_current() || sched_thread_dead(t))
		return;
	thread_stack(t, &sp, &hi);
	retire_scan_region(sc, thread_name(t), sp, hi);
}

/* Proof 3: the running stack's live frames (for pointers into old rodata
 * and data), the image's data, the crates' own data, every heap block but
 * the loader's, every raw frame. */
void retire_scan_memory(struct retire_scan *sc, uint64_t frame)
{
	struct stack_range st[INTERRUPTS_MAX_STACKS];
	unsigned nst = interrupts_stacks(st);
	size_t n;

	sc->stack = true;
	for (unsigned i = 0; i < nst; i++)
		if (frame >= st[i].lo && frame < st[i].hi) /* (the others are not in use) */
			retire_scan_region(sc, st[i].name, retire_skip_swap_frames(sc, frame,
										   st[i].hi),
					   st[i].hi);
	sched_for_each(retire_scan_thread, sc);
	sc->stack = false;
	retire_scan_image_data(sc);
	for (const struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c)) {
		const struct ld_section *s = ld_crate_sections(c, &n);

		if (c == core.crate || retire_is_candidate(sc, c))
			continue; /* the image's data, seen above; a candidate's, retiring */
		for (size_t i = 0; i < n; i++) /* (bound ones: the image's too) */
			if (s[i].kind == LD_KIND_DATA && !s[i].bound && s[i].size &&
			    !retire_is_skipped(s[i].name))
				retire_scan_region(sc, s[i].name, s[i].addr, s[i].addr + s[i].size);
	}
	heap_for_each_block(retire_scan_block, sc);
	frame_for_each_raw(retire_scan_frame, sc);
}

/* Does kept candidate k's section s (of the image: the description's
 * records; of a crate: its edges) refer to another candidate? Keep it. */
static bool retire_close_section(struct retire_scan *sc, unsigned k, const struct ld_section *s)
{
	bool more = false;

	if (s->crate == core.crate) {
		const struct ncd_section *d = &core.desc.secs[s - core.secs];

		if (ncd_check_relocs(&core.desc, (uint32_t)(s - core.secs)) != E_OK)
			return false; /* (logged; the copy is kept already) */

		for (uint32_t i = d->first_reloc; i < d->first_reloc + d->nrelocs; i++) {
			uint32_t t = core.desc.relocs[i].target;
			int c = t == NCD_NONE ? -1 : retire_cand_of(sc, &core.secs[t]);

			if (c >= 0 && !sc->cands[c].kept) {
				retire_keep(sc, (unsigned)c, "kept %s refers to it (%s -> %s)",
					    sc->cands[k].name, s->name, core.secs[t].name);
				more = true;
			}
		}
		return more;
	}
	for (const struct ld_dep *d = s->deps; d; d = d->next_dep) {
		int c = retire_cand_of(sc, d->target);

		if (c >= 0 && !sc->cands[c].kept) {
			retire_keep(sc, (unsigned)c, "kept %s refers to it (%s -> %s)",
				    sc->cands[k].name, s->name, d->target->name);
			more = true;
		}
	}
	return more;
}

/* Keep is closed over references: whatever a kept copy refers to stays. */
void retire_close_keep(struct retire_scan *sc)
{
	bool more = true;

	while (more) {
		more = false;
		for (unsigned k = 0; k < sc->ncands; k++) {
			size_t i, end;
			const struct ld_section *s;

			if (!sc->cands[k].kept)
				continue;
			for (s = retire_sections(&sc->cands[k], &i, &end); i < end; i++)
				if (s[i].kind != LD_KIND_DATA || s[i].crate != core.crate)
					more |= retire_close_section(sc, k, &s[i]);
		}
	}
}
