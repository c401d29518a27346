/*
 * Step (10) of the swap: retire the old copies. An old copy (a swapped
 * module's text and rodata in the nano_core image, boot/'s long-mode code,
 * or a module's previous loaded crate) is unmapped only when it is proven
 * unused: no dependency edge from a section that stays reaches it, and a
 * conservative scan of every stack and of all writable memory (the image's
 * .data/.bss, the heap, the loaded crates' own data) finds no word pointing
 * into it. The scan skips what only describes code: the loader's bookkeeping
 * (heap blocks marked as metadata), the swap's reports (old text ranges, as
 * numbers), and the running retire's own frame; and the data NS_NOPTR
 * declares free of pointers (the frame allocator's bitmaps). A copy that
 * fails a proof stays mapped, and every offending word is logged, both ends
 * symbolized.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include <lib/util.h>
#include <memory/memory.h>
#include <nanoswap/noptr.h>
#include "swap_internal.h"

/* Each retiring section's address range, and which candidate it belongs to. */
struct retire_range {
	uint64_t lo, hi;
	unsigned cand;
	const struct ld_section *sec;
};

struct retire_scan {
	struct retire_range *r;
	size_t n;
	bool filled;                   /* sc->r: filled, sorted by address */
	uint64_t lo, hi;               /* the span of every range */
	struct swap_retiring *cands;
	unsigned ncands;
	int core_cand[SWAP_MAX_MODULES + 1]; /* nano_core module -> candidate, or -1 */
	unsigned logged[2 * SWAP_MAX_MODULES + 1]; /* per candidate */
	uint64_t swap_lo, swap_hi;     /* the image's text of this module */
	const char *where;             /* what is being scanned, for messages */
	uint64_t base;
};

/* The candidate retiring description module m's image code, or -1 (none;
 * modules past SWAP_MAX_MODULES are never swapped, so never retired). */
static int retire_core_cand(const struct retire_scan *sc, uint32_t m)
{
	return m <= SWAP_MAX_MODULES ? sc->core_cand[m] : -1;
}

/* Is `s` a section a candidate retires (text or rodata of an old copy)? */
static int retire_cand_of(const struct retire_scan *sc, const struct ld_section *s)
{
	if (s->kind == LD_KIND_DATA && (s->crate == core.crate || s->bound))
		return -1; /* the real data: live */
	if (s->crate == core.crate)
		return retire_core_cand(sc, core.desc.secs[s - core.secs].module);
	for (unsigned c = 0; c < sc->ncands; c++)
		if (s->crate == sc->cands[c].crate)
			return (int)c;
	return -1;
}

/* Candidate k's sections: its module's run of the nano_core's (the
 * description lists them module by module), or its crate's. */
static const struct ld_section *retire_sections(const struct retire_scan *sc, unsigned k,
						size_t *first, size_t *end)
{
	const struct swap_retiring *c = &sc->cands[k];

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

/* Room for every candidate section's range (filled when a word needs a
 * lookup: most swaps find none). */
static enum err retire_ranges_alloc(struct retire_scan *sc)
{
	size_t total = 0, first, end;

	for (unsigned c = 0; c < sc->ncands; c++) {
		retire_sections(sc, c, &first, &end);
		total += end - first;
	}
	sc->r = kmalloc((total ? total : 1) * sizeof(*sc->r));
	if (!sc->r) {
		pr_err("retire: %s%s: out of heap for %zu section ranges: every old copy stays "
		       "mapped\n", sc->ncands ? sc->cands[0].name : "?",
		       sc->ncands > 1 ? " and the other old copies" : "", total);
		return E_NO_HEAP;
	}
	heap_mark_metadata(sc->r); /* it names old code: the scan must not see it */
	return E_OK;
}

/* Fill sc->r with the candidates' ranges, sorted by address: text first,
 * then rodata (the image and each crate lay them out in that order, module
 * after module, so the ranges arrive nearly sorted: an insertion sort). */
static void retire_ranges_fill(struct retire_scan *sc)
{
	size_t i, end;

	sc->n = 0;
	for (enum ld_kind kind = LD_KIND_TEXT; kind <= LD_KIND_DATA; kind++)
		for (unsigned c = 0; c < sc->ncands; c++)
			for (const struct ld_section *s = retire_sections(sc, c, &i, &end); i < end; i++)
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

/* Proof 1: every edge into a candidate's section comes from a retiring
 * section. On the way, the span of all candidate sections (sc->lo, hi). */
static void retire_check_edges(struct retire_scan *sc)
{
	size_t i, end;

	sc->lo = ~0ull, sc->hi = 0;
	for (unsigned c = 0; c < sc->ncands; c++) {
		struct swap_retiring *k = &sc->cands[c];

		for (const struct ld_section *s = retire_sections(sc, c, &i, &end); i < end; i++) {
			if (!retire_covers(&s[i]))
				continue;
			sc->lo = MIN(sc->lo, s[i].addr);
			sc->hi = MAX(sc->hi, s[i].addr + s[i].size);
			for (const struct ld_dep *d = s[i].dependents; d; d = d->next_dependent) {
				if (!d->nrelocs || retire_cand_of(sc, d->source) >= 0)
					continue;
				k->kept = true;
				pr_warn("retire: %s kept: %s's %s still refers to %s\n", k->name,
					ld_crate_name(d->source->crate), d->source->name, s[i].name);
			}
		}
	}
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

/* Proof 2 and 3: scan [p, p + len) for words pointing into a candidate. */
static void retire_scan_words(struct retire_scan *sc, const void *p, size_t len)
{
	const uint64_t *w = p, *end = (const uint64_t *)((uintptr_t)p + (len & ~7ull));
	uint64_t lo = sc->lo, span = sc->hi - sc->lo;

	for (; w < end; w++) {
		const struct retire_range *r;
		struct swap_retiring *k;

		/* eight words at a time while all are zero (most of .bss is), else
		 * four while none of them can point into old code */
		for (;;) {
			if (end - w >= 8 && !(w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]))
				w += 8;
			else if (end - w >= 4 && (w[0] - lo >= span) & (w[1] - lo >= span) &
							 (w[2] - lo >= span) & (w[3] - lo >= span))
				w += 4;
			else
				break;
		}
		if (w >= end)
			break;
		if (*w - lo >= span) /* one compare: outside every old copy */
			continue;
		r = retire_find(sc, *w);
		if (!r)
			continue;
		k = &sc->cands[r->cand];
		k->kept = true;
		if (sc->logged[r->cand]++ < 4) {
			uint64_t base;
			const char *where = retire_where(sc, (uint64_t)w, &base);

			pr_warn("retire: %s kept: %s+0x%lx (%lx) -> %s:%s+0x%lx\n", k->name, where,
				(uint64_t)w - base, (uint64_t)w, ld_crate_name(r->sec->crate),
				r->sec->name, *w - r->lo);
		}
	}
}

static void retire_scan_region(struct retire_scan *sc, const char *where, uint64_t lo,
			       uint64_t hi)
{
	sc->where = where;
	sc->base = lo;
	retire_scan_words(sc, (const void *)lo, hi - lo);
}

static void retire_scan_block(void *ctx, const void *p, size_t size, bool metadata)
{
	struct retire_scan *sc = ctx;

	if (metadata)
		return; /* the loader's bookkeeping: describes code, never calls it */
	sc->where = "heap";
	sc->base = HEAP_BASE;
	retire_scan_words(sc, p, size);
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

/* The running stack from `frame` (this function's): the swap's own frames
 * are walked precisely (their return addresses checked, their slots, which
 * hold residue of the swap's work, not scanned); from its caller's frame up,
 * every word is scanned. Returns where the conservative scan starts. */
static uint64_t retire_skip_swap_frames(struct retire_scan *sc, uint64_t frame, uint64_t hi)
{
	uint64_t rbp = frame;

	while (rbp && rbp + 16 <= hi && !(rbp & 7)) {
		const uint64_t *f = (const uint64_t *)rbp;

		retire_scan_region(sc, "a return address", rbp + 8, rbp + 16);
		if (!retire_is_swap_code(sc, f[1]) || f[0] <= rbp)
			return rbp + 16; /* the caller's frame, and all above it */
		rbp = f[0];
	}
	return frame;
}

/* Is crate c one of the candidates (a crate's old copy)? */
static bool retire_is_candidate(const struct retire_scan *sc, const struct ld_crate *c)
{
	for (unsigned k = 0; k < sc->ncands; k++)
		if (sc->cands[k].crate == c)
			return true;
	return false;
}

/* Is it a section of data declared free of pointers ("memory:.bss.noptr" in
 * the nano_core, ".bss.noptr" in a crate: include/nanoswap/noptr.h)? */
static bool retire_is_noptr(const char *name)
{
	size_t n = strlen(name), k = sizeof(NS_NOPTR_SECTION) - 1;

	return n >= k && strcmp(name + n - k, NS_NOPTR_SECTION) == 0 &&
	       (n == k || name[n - k - 1] == ':');
}

/* A range of the image's data the scan leaves out. */
struct retire_skip {
	uint64_t lo, hi;
};
#define RETIRE_MAX_SKIPS (SWAP_MAX_MODULES + 2)

/* The image's data sections the scan must not see: each module's NS_NOPTR
 * section (ld -r makes one per module) and the swap's reports, sorted. One
 * more than the table holds is scanned after all: conservative. */
static unsigned retire_image_skips(struct retire_skip *skip)
{
	const struct ncd_view *v = &core.desc;
	uint32_t self = ncd_find_module(v, SWAP_MODULE_NAME);
	unsigned n = 0;

	for (uint32_t i = 0; i < v->h->nsections; i++) {
		const struct ncd_section *s = &v->secs[i];
		unsigned k = n;

		if (s->kind != NCD_DATA || !s->size || !s->nobits || n == RETIRE_MAX_SKIPS ||
		    (strcmp(ncd_str(v, s->name), NS_NOPTR_SECTION) != 0 &&
		     (s->module != self ||
		      strcmp(ncd_str(v, s->full_name), SWAP_REPORTS_SECTION) != 0)))
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

		retire_scan_words(sc, (const void *)at, to - at);
		if (i < n)
			at = MAX(skip[i].hi, at);
	}
}

/* Every stack (the running one above the swap's frames), the image's data but
 * the swap's reports and what NS_NOPTR declares free of pointers, the crates'
 * own data, and every heap block but the loader's. */
static void retire_scan_memory(struct retire_scan *sc, uint64_t frame)
{
	struct stack_range st[INTERRUPTS_MAX_STACKS];
	unsigned nst = interrupts_stacks(st);
	size_t n;

	for (unsigned i = 0; i < nst; i++) {
		uint64_t lo = st[i].lo;

		if (frame >= st[i].lo && frame < st[i].hi)
			lo = retire_skip_swap_frames(sc, frame, st[i].hi); /* the running stack */
		retire_scan_region(sc, st[i].name, lo, st[i].hi);
	}
	retire_scan_image_data(sc);
	for (const struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c)) {
		const struct ld_section *s = ld_crate_sections(c, &n);

		if (c == core.crate || retire_is_candidate(sc, c))
			continue; /* the image's data, seen above; a candidate's, retiring */
		for (size_t i = 0; i < n; i++) /* (bound ones: the image's too) */
			if (s[i].kind == LD_KIND_DATA && !s[i].bound && s[i].size &&
			    !retire_is_noptr(s[i].name))
				retire_scan_region(sc, s[i].name, s[i].addr, s[i].addr + s[i].size);
	}
	heap_for_each_block(retire_scan_block, sc);
	/* the one pointer to code the loader's bookkeeping holds: its services
	 * table (which a swap hook re-installs), and the table's own entries */
	const struct ld_services *svc = ld_namespace_services(crates_namespace());
	uint64_t at = (uint64_t)&svc;

	retire_scan_region(sc, "the loader's services pointer", at, at + sizeof(svc));
	retire_scan_region(sc, "the loader's services", (uint64_t)svc, (uint64_t)(svc + 1));
}

/* The image's pages to unmap: those whose every text/rodata section belongs
 * to a proven candidate (a page shared with anything live stays). Returns
 * the pages unmapped; the frames go back to the allocator. */
static uint64_t retire_unmap_image(struct retire_scan *sc)
{
	extern char __text_start[], __rodata_end[];
	const struct ncd_view *v = &core.desc;
	uint64_t lo = (uint64_t)__text_start, npages, done = 0, run = 0;
	int8_t *state;	/* per page: 0 nothing, 1 only retired sections, -1 keep */

	npages = (ALIGN_UP((uint64_t)__rodata_end, PAGE_SIZE) - lo) / PAGE_SIZE;
	state = kzalloc(npages);
	if (!state) {
		pr_err("retire: out of heap for %lu page states: nothing unmapped\n", npages);
		return 0;
	}
	for (uint32_t m = 0; m < v->h->nmodules; m++) { /* a module's sections: one mark */
		int c = retire_core_cand(sc, m);
		int8_t mark = c >= 0 && !sc->cands[c].kept ? 1 : -1;
		const struct ncd_section *s = &v->secs[v->mods[m].first_section];

		for (uint32_t i = 0; i < v->mods[m].nsections; i++, s++) {
			uint64_t p, last;

			if (s->kind == NCD_DATA || !s->size || s->addr < lo)
				continue; /* (boot/'s 32-bit code: at its physical address) */
			last = (s->addr + s->size - 1 - lo) / PAGE_SIZE;
			for (p = (s->addr - lo) / PAGE_SIZE; p <= last; p++)
				state[p] = state[p] < 0 ? -1 : mark;
		}
	}
	for (uint64_t p = 0; p <= npages; p++) { /* unmap runs of 1s */
		if (p < npages && state[p] == 1) {
			run++;
			continue;
		}
		if (run)
			vm_retire_image(lo + (p - run) * PAGE_SIZE, run);
		done += run;
		run = 0;
	}
	kfree(state);
	return done;
}

/* The pages a loaded crate maps of its own: each region's span. */
static uint64_t retire_crate_pages(const struct ld_crate *c)
{
	uint64_t lo[3] = { ~0ull, ~0ull, ~0ull }, hi[3] = { 0 }, pages = 0;
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++) {
		if (s[i].bound || !s[i].size)
			continue;
		lo[s[i].kind] = MIN(lo[s[i].kind], s[i].addr);
		hi[s[i].kind] = MAX(hi[s[i].kind], s[i].addr + s[i].size);
	}
	for (unsigned k = 0; k < 3; k++)
		if (hi[k])
			pages += (ALIGN_UP(hi[k], PAGE_SIZE) - ALIGN_DOWN(lo[k], PAGE_SIZE)) / PAGE_SIZE;
	return pages;
}

/* Pages of [lo, hi) still mapped. */
static unsigned retire_count_mapped(uint64_t lo, uint64_t hi)
{
	unsigned n = 0;

	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		uint64_t pa, flags;

		n += vm_translate(va, &pa, &flags) == E_OK;
	}
	return n;
}

void swap_retire(struct swap_retiring *cands, unsigned ncands, struct swap_retire_result *out)
{
	struct retire_scan sc = { .cands = cands, .ncands = ncands };
	uint32_t self = ncd_find_module(&core.desc, SWAP_MODULE_NAME);

	if (self != NCD_NONE)
		ncd_text_range(&core.desc, self, &sc.swap_lo, &sc.swap_hi);

	for (uint32_t m = 0; m <= SWAP_MAX_MODULES; m++)
		sc.core_cand[m] = -1;
	for (unsigned c = 0; c < ncands; c++)
		if (cands[c].crate == core.crate && cands[c].module <= SWAP_MAX_MODULES)
			sc.core_cand[cands[c].module] = (int)c;
	extern char __text_start[], __text_end[];
	struct ld_crate *unload[2 * SWAP_MAX_MODULES + 1];
	unsigned nunload = 0;
	uint64_t unloaded = 0;

	*out = (struct swap_retire_result){ .text_pages = (__text_end - __text_start) / PAGE_SIZE };
	if (retire_ranges_alloc(&sc) != E_OK) {
		for (unsigned c = 0; c < ncands; c++)
			cands[c].kept = true;
		return;
	}
	retire_check_edges(&sc);                                        /* proof 1 */
	retire_scan_memory(&sc, (uint64_t)__builtin_frame_address(0)); /* proofs 2, 3 */
	out->pages = retire_unmap_image(&sc);
	for (unsigned c = 0; c < ncands; c++) {
		struct swap_retiring *k = &cands[c];

		if (k->kept) {
			out->kept++;
			continue;
		}
		out->retired++;
		if (k->crate == core.crate)
			continue; /* its pages went with retire_unmap_image */
		unloaded += retire_crate_pages(k->crate);
		unload[nunload++] = k->crate;
	}
	/* old crates may use each other (in cycles): unloaded together */
	if (nunload && ld_unload_group(crates_namespace(), unload, nunload) != E_OK) {
		pr_warn("retire: the last copies could not be unloaded (logged above)\n");
		unloaded = 0;
		for (unsigned c = 0; c < ncands; c++) /* they stay: kept */
			if (!cands[c].kept && cands[c].crate != core.crate)
				cands[c].kept = true, out->kept++, out->retired--;
	} else if (nunload) {
		crates_changed();
	}
	out->kib = (out->pages + unloaded) * PAGE_SIZE / KiB;
	out->text_mapped = retire_count_mapped((uint64_t)__text_start, (uint64_t)__text_end);
	kfree(sc.r);
}
