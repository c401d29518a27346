/*
 * Step (11) of the swap (txn.c): retire the old copies. An old copy (a
 * swapped module's text and rodata in the image, boot/'s long-mode code, or
 * a module's or crate's previous loaded crate) is unmapped only once proven
 * unused (swap_retire_prove):
 *   - no dependency edge from a section that stays reaches it;
 *   - no return address on the running stack (frame-pointer unwinding), no
 *     context fault_catch saved and no IDT gate points into its text;
 *   - no word, at any alignment, of the image's data, the crates' own data,
 *     a heap block or a raw frame points into it, nor a word of the running
 *     stack's live frames into its rodata or its own data (scan.c);
 *   - and no copy that stays refers to it: keep is closed over references.
 * A stale pointer to its code that no proof could see (a register, a stack
 * slot) is forwarded to the live copy's same function (forward.c): the
 * copy's range stays reserved, unmapped. A kept copy stays queued and is
 * tried again at the next safe point (swap_safe_point) or swap.
 */
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include <lib/util.h>
#include <lib/x86.h>
#include <lib/cpu.h>
#include <memory/memory.h>
#include <nanoswap/noptr.h>
#include <sched/sched.h>
#include "retire_internal.h"

/* The old copies waiting (kept ones stay listed and are tried again). */
static struct swap_retiring queue[2 * SWAP_MAX_MODULES + 1];
static unsigned nqueue;
static bool proved;	/* swap_retire_prove ran since the queue last changed */
static bool boot_queued; /* boot/'s long-mode code: queued with the first swap */
/* The proof's state: candidate ranges and bounds (never scanned itself). */
static struct retire_scan scan NS_NOSCAN;

/* Queue an old copy. */
static void queue_add(const char *name, uint32_t module, struct ld_crate *crate,
		      const struct swap_txn *t)
{
	struct swap_retiring *k = &queue[nqueue];

	if (nqueue == ARRAY_SIZE(queue)) {
		pr_warn("retire: more than %zu old copies waiting: %s stays mapped\n",
			ARRAY_SIZE(queue), name);
		return;
	}
	*k = (struct swap_retiring){ .module = module, .crate = crate, .txn = t };
	fmt_snprintf(k->name, sizeof(k->name), "%s", name);
	nqueue++;
	proved = false;
}

void swap_queue_retire(const struct swap_txn *t)
{
	uint32_t boot = ncd_find_module(&core.desc, "boot");

	if (!boot_queued && boot != NCD_NONE)
		queue_add(ncd_str(&core.desc, core.desc.mods[boot].name), boot, core.crate, t);
	boot_queued = true;
	for (unsigned i = 0; i < t->n; i++)
		queue_add(t->sm[i].old == core.crate ? t->sm[i].base : ld_crate_name(t->sm[i].old),
			  t->sm[i].module, t->sm[i].old, t);
}

void swap_retire_cancel(const struct swap_txn *t)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nqueue; i++) {
		if (queue[i].txn == t && strcmp(queue[i].name, "boot") == 0)
			boot_queued = false;
		if (queue[i].txn != t)
			queue[k++] = queue[i];
	}
	nqueue = k;
	retire_scan_free(&scan);
	proved = false;
}

bool swap_retire_pending(void)
{
	return nqueue > 0;
}

unsigned swap_superseded_mapped(void)
{
	return nqueue;
}

/* Is `pc` in the text of a queued old copy? Its name, or NULL. */
const char *swap_retiring_text_at(uint64_t pc)
{
	int c = retire_text_owner(queue, nqueue, pc);

	return c >= 0 ? queue[c].name : NULL;
}

void swap_retire_prove(bool quiet)
{
	if (!nqueue || !core.crate)
		return;
	for (unsigned i = 0; i < nqueue; i++)
		queue[i].kept = queue[i].proven = false;
	retire_scan_free(&scan);
	if (retire_scan_init(&scan, queue, nqueue) != E_OK) {
		for (unsigned c = 0; c < nqueue; c++)
			queue[c].kept = true;
		proved = true;
		return;
	}
	scan.quiet = quiet;
	retire_check_edges(&scan);				/* no live edge */
	retire_check_roots(&scan, (uint64_t)__builtin_frame_address(0)); /* return addresses */
	retire_scan_memory(&scan, (uint64_t)__builtin_frame_address(0)); /* no stale word */
	retire_close_keep(&scan);				/* what a kept copy uses */
	for (unsigned c = 0; c < nqueue; c++)
		queue[c].proven = !queue[c].kept;
	proved = true;
}

/* The image's pages to unmap: those whose every text/rodata section belongs
 * to a proven candidate (a page shared with anything live stays). Returns
 * the pages unmapped; the frames go back to the allocator. */
static uint64_t retire_unmap_image(void)
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
		int c = retire_core_cand(&scan, m);
		int8_t mark = c >= 0 && queue[c].proven ? 1 : -1;
		const struct ncd_section *s = &v->secs[v->mods[m].first_section];

		for (uint32_t i = 0; i < v->mods[m].nsections; i++, s++) {
			uint64_t p, last;

			if (s->kind != NCD_DATA && mark > 0) /* never runs again: its edges go */
				ld_section_drop_deps(core.crate, v->mods[m].first_section + i);
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

/* A loaded crate's region of kind k (text, rodata): its page span, or 0. */
static uint64_t crate_region(const struct ld_crate *c, enum ld_kind k, uint64_t *lo)
{
	uint64_t hi = 0;
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	*lo = ~0ull;
	for (size_t i = 0; i < n; i++)
		if (!s[i].bound && s[i].size && s[i].kind == k && s[i].elf_index) {
			*lo = MIN(*lo, s[i].addr);
			hi = MAX(hi, s[i].addr + s[i].size);
		}
	if (!hi)
		return 0;
	*lo = ALIGN_DOWN(*lo, PAGE_SIZE);
	return (ALIGN_UP(hi, PAGE_SIZE) - *lo) / PAGE_SIZE;
}

/* The pages a loaded crate maps of its own: each region's span. */
static uint64_t retire_crate_pages(const struct ld_crate *c)
{
	uint64_t lo, pages = 0;

	for (enum ld_kind k = LD_KIND_TEXT; k <= LD_KIND_DATA; k++)
		pages += crate_region(c, k, &lo);
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

/* Unload the proven old crates together (they may use each other); their
 * text and rodata ranges stay reserved and known to the forwarder. */
static uint64_t retire_unload(void)
{
	struct ld_crate *unload[ARRAY_SIZE(queue)];
	struct { uint64_t lo, pages; } keep[2 * ARRAY_SIZE(queue)];
	unsigned nunload = 0, nkeep = 0;
	uint64_t pages = 0;

	for (unsigned c = 0; c < nqueue; c++) {
		struct ld_crate *k = queue[c].crate;

		if (!queue[c].proven || k == core.crate)
			continue;
		swap_forward_remember(k, queue[c].module);
		for (enum ld_kind kind = LD_KIND_TEXT; kind <= LD_KIND_RODATA; kind++) {
			keep[nkeep].pages = crate_region(k, kind, &keep[nkeep].lo);
			nkeep += keep[nkeep].pages != 0;
		}
		pages += retire_crate_pages(k);
		unload[nunload++] = k;
	}
	if (!nunload)
		return 0;
	if (ld_unload_group(crates_namespace(), unload, nunload) != E_OK) {
		pr_warn("retire: the last copies could not be unloaded (logged above)\n");
		for (unsigned c = 0; c < nqueue; c++) /* they stay: kept */
			if (queue[c].proven && queue[c].crate != core.crate)
				queue[c].proven = false, queue[c].kept = true;
		swap_forward_forget_unloaded();
		return 0;
	}
	swap_forward_unloaded();
	for (unsigned i = 0; i < nkeep; i++)
		if (vrange_claim(keep[i].lo, keep[i].pages) != E_OK)
			pr_warn("retire: the range at %lx (%lu pages) could not be kept reserved\n",
				keep[i].lo, keep[i].pages);
	crates_changed();
	return pages;
}

/* The last apply made in a swap's own stop, for its caller to report. */
static struct swap_retire_result applied;
static bool applied_pending;

static void retire_unmap_proven(struct swap_retire_result *out);

void swap_retire_apply(struct swap_retire_result *out, bool quiet)
{
	uint64_t flags;

	if (applied_pending) {	/* done in the swap's stop: just say it */
		*out = applied;
		applied_pending = false;
		return;
	}
	/* the proof and the unmapping in one stop: a thread that ran since an
	 * earlier proof may have called into a copy it proved unused (a code
	 * address in a register or a stack slot, which the proof lets the
	 * forwarder handle once the copy is gone) and be inside it now */
	flags = sched_stop_others();
	swap_retire_prove(quiet || proved);	/* (a re-proof: its reasons were said) */
	retire_unmap_proven(out);
	out->pause = rdtsc() - this_cpu()->pause_start;
	sched_resume_others(flags);
}

void swap_retire_apply_proven(void)
{
	retire_unmap_proven(&applied);
	applied_pending = true;
}

/* Unmap and unload what the proof just made (in this stop) found unused. */
static void retire_unmap_proven(struct swap_retire_result *out)
{
	extern char __text_start[], __text_end[];
	uint64_t unloaded;

	*out = (struct swap_retire_result){ .text_pages = (__text_end - __text_start) / PAGE_SIZE };
	if (nqueue) {
		out->pages = retire_unmap_image();
		unloaded = retire_unload();
		out->kib = (out->pages + unloaded) * PAGE_SIZE / KiB;
	}
	for (unsigned i = 0; i < nqueue; i++) {
		out->retired += queue[i].proven;
		out->kept += !queue[i].proven;
	}
	proved = false;
	retire_scan_free(&scan);
	out->text_mapped = retire_count_mapped((uint64_t)__text_start, (uint64_t)__text_end);
}

void swap_retire_report(void)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nqueue; i++) {
		if (queue[i].proven) {
			kprintf("retire: %-14s old text and rodata unmapped\n", queue[i].name);
			continue;
		}
		if (queue[i].txn) /* (said once: when its swap queued it) */
			kprintf("retire: %-14s kept mapped (see above why; tried again at the "
				"next safe point)\n", queue[i].name);
		queue[k] = queue[i];
		queue[k].txn = NULL;
		queue[k].proven = queue[k].kept = false;
		k++;
	}
	nqueue = k;
}
