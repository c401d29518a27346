/*
 * The swap's soundness (suite swap_sound): whatever held a pointer into the
 * copy a swap replaced never faults, and a swap that cannot stand is undone
 * whole. Stale pointers to heap's heap_policy and its string, in every kind
 * of memory the retire scans, keep the old copy until they go; a new copy
 * that faults after the commit, a hook that fails and one that faults, each
 * undone with nothing changed; 200 alternating swaps leave nothing behind
 * but the forwarder's records; a stale call no scan could see goes to the
 * live copy. The objects: tests/modules/modules.mk (tsound, heap_norela,
 * heap_hookfail, heap_hookfault).
 */
#include <console/console.h>
#include <console/format.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <lib/util.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include <nano_core_swap/swap.h>
#include "snapshot.h"
#include "swap_helpers.h"

typedef const char *policy_fn(void);

/* The object heap's running copy came from ("heap": the one linked). */
static const char *heap_object(void)
{
	const char *superseded, *object;

	swap_module_generation("heap", &superseded, &object);
	return object ? object : "heap";
}

/* Make heap run a crate of its own loaded from `object` (never the
 * nano_core's copy, whose retire unmaps the image instead of unloading a
 * crate), swapping when it does not. */
static bool heap_runs(const char *object)
{
	struct swap_report r;

	if (lookup("kmalloc")->crate != nano_core_crate() && strcmp(heap_object(), object) == 0)
		return true;
	return swap_module_to("heap", object, &r) == E_OK && strcmp(heap_object(), object) == 0;
}

/* Does the running heap_policy say `want`? noipa: its string (the running
 * copy's rodata) must not stay in a caller's frame past a later swap. */
static __attribute__((noipa)) bool policy_is(const char *want)
{
	return strcmp(heap_policy(), want) == 0;
}

/* Zero the dead frames below the caller's: a frame made there later (a
 * swap's caller's) reserves slots it never writes, and a residue of the
 * live copy's string in one would keep that copy at the next swap (the
 * conservative scan reads the live frames whole, as init wipes its own). */
static __attribute__((noipa)) void wipe_dead_stack(void)
{
	volatile uint8_t dead[2048];

	for (size_t i = 0; i < sizeof(dead); i++)
		dead[i] = 0;
}

/* Is a crate called `name` loaded? */
static bool crate_loaded(const char *name)
{
	struct ld_crate *c;

	return ld_find_crate(crates_namespace(), name, &c) == E_OK;
}

/* ---- stale pointers everywhere ------------------------------------------ */

/* The places a round of stale_pointers_never_fault keeps its two words in:
 * the running heap's heap_policy and the string it returns. */
enum place { HEAP_WORD, HEAP_PACKED, FRAME_WORD, FRAME_ODD, CRATE_BSS, STACK_LOCAL, NPLACES };
static const char *const place_names[NPLACES] = {
	"an aligned heap word", "a packed struct in a heap block", "a raw frame",
	"a raw frame at odd offsets", "tsound's .bss", "a live frame's locals",
};

/* In a heap block at offset 0: the function at byte 1, the string at 10. */
struct __attribute__((packed)) packed_pair {
	char c;
	policy_fn *fn;
	char d;
	const char *s;
};

/* In the raw frame: the words at 0 and 8, and at 0x805 and 0x80f (5 and 7
 * mod 8). */
#define FRAME_ODD_FN	0x805
#define FRAME_ODD_STR	0x80f

struct places {
	void **heap_word;		/* kzalloc(16): [0] the function, [1] the string */
	struct packed_pair *packed;	/* kzalloc'd */
	uint8_t *frame;			/* a frame_alloc'd frame, through the direct map */
	uint64_t frame_pa;
	struct ld_crate *tsound;
	void (*tsound_set)(policy_fn *fn, const char *s);
	policy_fn *(*tsound_fn)(void);
	const char *(*tsound_str)(void);
	volatile uint64_t *stack;	/* two locals of the test's own (live) frame */
};

static void place_put(struct places *p, enum place w, policy_fn *fn, const char *s)
{
	switch (w) {
	case HEAP_WORD:
		p->heap_word[0] = (void *)fn, p->heap_word[1] = (void *)s;
		break;
	case HEAP_PACKED:
		p->packed->fn = fn, p->packed->s = s;
		break;
	case FRAME_WORD:
		memcpy(p->frame, &fn, 8), memcpy(p->frame + 8, &s, 8);
		break;
	case FRAME_ODD:
		memcpy(p->frame + FRAME_ODD_FN, &fn, 8), memcpy(p->frame + FRAME_ODD_STR, &s, 8);
		break;
	case CRATE_BSS:
		p->tsound_set(fn, s);
		break;
	default:
		p->stack[0] = (uint64_t)fn, p->stack[1] = (uint64_t)s;
	}
}

static void place_get(struct places *p, enum place w, policy_fn **fn, const char **s)
{
	switch (w) {
	case HEAP_WORD:
		*fn = (policy_fn *)p->heap_word[0], *s = p->heap_word[1];
		break;
	case HEAP_PACKED:
		*fn = p->packed->fn, *s = p->packed->s;
		break;
	case FRAME_WORD:
		memcpy(fn, p->frame, 8), memcpy(s, p->frame + 8, 8);
		break;
	case FRAME_ODD:
		memcpy(fn, p->frame + FRAME_ODD_FN, 8), memcpy(s, p->frame + FRAME_ODD_STR, 8);
		break;
	case CRATE_BSS:
		*fn = p->tsound_fn(), *s = p->tsound_str();
		break;
	default:
		*fn = (policy_fn *)p->stack[0], *s = (const char *)p->stack[1];
	}
}

/* Store the running heap_policy and its string in each place of `mask`;
 * give them back scrambled (x ^ ~0: the caller's frame holds no pointer
 * into the copy). noipa: its frame, which held them, is dead after. */
static __attribute__((noipa)) void plant(struct places *p, unsigned mask, uint64_t *fn_x,
					     uint64_t *str_x)
{
	policy_fn *fn = (policy_fn *)lookup("heap_policy")->addr;
	const char *s = fn();

	for (enum place w = 0; w < NPLACES; w++)
		if (mask & 1u << w)
			place_put(p, w, fn, s);
	*fn_x = (uint64_t)fn ^ ~0ull;
	*str_x = (uint64_t)s ^ ~0ull;
}

/* A stale word used: its function called, its string read (each under
 * fault_catch); did each give "first fit"? */
struct use {
	policy_fn *fn;
	const char *s;
	bool ok;
};

static void use_call(void *arg)
{
	struct use *u = arg;

	u->ok = strcmp(u->fn(), "first fit") == 0;
}

static void use_string(void *arg)
{
	struct use *u = arg;

	u->ok = strcmp(u->s, "first fit") == 0;
}

static __attribute__((noipa)) void use_place(struct ktest_ctx *t, struct places *p,
						enum place w)
{
	struct use u = { 0 };
	struct trap_record rec;

	place_get(p, w, &u.fn, &u.s);
	KT_ASSERT(u.fn && u.s, "%s lost its words", place_names[w]);
	KT_ASSERT(!fault_catch(use_call, &u, &rec), "%s: calling the stale heap_policy faulted "
		  "at %lx", place_names[w], rec.rip);
	KT_ASSERT(u.ok, "%s: the stale heap_policy did not return \"first fit\" (forwarded to "
		  "the new copy: its old copy was retired)", place_names[w]);
	KT_ASSERT(!fault_catch(use_string, &u, &rec), "%s: reading the stale string faulted "
		  "(cr2 %lx)", place_names[w], rec.cr2);
	KT_ASSERT(u.ok, "%s: the stale string does not read \"first fit\"", place_names[w]);
}

/* Is the page of scrambled address x mapped? noipa: the address itself
 * exists only in this (then dead) frame, never in the caller's. */
static __attribute__((noipa)) unsigned mapped_scrambled(uint64_t x)
{
	return mapped_pages(x ^ ~0ull, (x ^ ~0ull) + 1);
}

/* One round: heap's copy's words in the places of `mask`, swap to heap_v2;
 * the copy is kept (loaded, its text and string mapped) and every word still
 * works; once they are cleared, the retire unmaps and unloads it. */
static void stale_round(struct ktest_ctx *t, struct places *p, unsigned mask)
{
	char old[48];
	uint64_t fn_x, str_x;
	struct swap_report r;

	KT_ASSERT(heap_runs("heap"), "heap runs %s, not a copy of heap", heap_object());
	fmt_snprintf(old, sizeof(old), "%s", ld_crate_name(lookup("heap_policy")->crate));
	plant(p, mask, &fn_x, &str_x);
	KT_ASSERT_EQ(swap_module_to("heap", "heap_v2", &r), E_OK);
	KT_ASSERT(crate_loaded(old), "%s was unloaded while %s pointed into it", old,
		  mask == (1u << NPLACES) - 1 ? "every place" : place_names[__builtin_ctz(mask)]);
	KT_ASSERT_EQ(mapped_scrambled(fn_x), 1);
	KT_ASSERT_EQ(mapped_scrambled(str_x), 1);
	for (enum place w = 0; w < NPLACES; w++)
		if (mask & 1u << w) {
			use_place(t, p, w);
			if (t->failed)
				return;
			place_put(p, w, NULL, NULL);
		}
	swap_retire_old_code();
	KT_ASSERT(!crate_loaded(old), "%s stayed loaded once nothing pointed into it", old);
	KT_ASSERT_EQ(mapped_scrambled(fn_x), 0);
	KT_ASSERT_EQ(mapped_scrambled(str_x), 0);
	KT_ASSERT(heap_runs("heap"), "heap did not swap back: it runs %s", heap_object());
}

/* Each place alone (so that each kind of scan must see its own word), then
 * every place at once. */
static void stale_rounds(struct ktest_ctx *t, struct places *p)
{
	for (enum place w = 0; w < NPLACES && !t->failed; w++)
		stale_round(t, p, 1u << w);
	if (!t->failed)
		stale_round(t, p, (1u << NPLACES) - 1);
}

/* heap_policy's string at byte `off` of block b (its words are scrambled
 * back into *str_x). noipa: the pointer lives only in this dead frame. */
static __attribute__((noipa)) void plant_string_at(uint8_t *b, size_t off, uint64_t *str_x)
{
	const char *s = ((policy_fn *)lookup("heap_policy")->addr)();

	memcpy(b + off, &s, 8);
	*str_x = (uint64_t)s ^ ~0ull;
}

/* Does the word at byte `off` of b still point to the planted string, and
 * read "first fit"? noipa, as above. */
static __attribute__((noipa)) bool string_at_reads(const uint8_t *b, size_t off, uint64_t str_x)
{
	const char *s;

	memcpy(&s, b + off, 8);
	return (uint64_t)s == (str_x ^ ~0ull) && strcmp(s, "first fit") == 0;
}

/*
 * The scan reads a heap block at every byte offset: for each offset 0-7 of
 * a block, each word of its first four (the scan's prefilter takes four at
 * a time), one across the fourth and fifth, and its last 8 bytes, the old
 * copy's string alone there keeps that copy (the string reads right); once
 * cleared, the copy is retired.
 */
KTEST(swap_sound, every_byte_offset_seen)
{
	enum { BLOCK = 64 };
	static const size_t offsets[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 24, 29, BLOCK - 8 };
	uint8_t *b = kzalloc(BLOCK);
	struct swap_report r;
	uint64_t str_x;
	char old[48];

	KT_ASSERT(b, "no heap");
	for (unsigned i = 0; i < ARRAY_SIZE(offsets) && !t->failed; i++) {
		KT_ASSERT(heap_runs("heap"), "heap runs %s", heap_object());
		fmt_snprintf(old, sizeof(old), "%s", ld_crate_name(lookup("heap_policy")->crate));
		plant_string_at(b, offsets[i], &str_x);
		KT_ASSERT_EQ(swap_module_to("heap", "heap_v2", &r), E_OK);
		KT_ASSERT(crate_loaded(old), "%s was unloaded while byte %zu of a heap block "
			  "pointed into its rodata", old, offsets[i]);
		KT_ASSERT(string_at_reads(b, offsets[i], str_x), "byte %zu: the string does not "
			  "read \"first fit\"", offsets[i]);
		memset(b, 0, BLOCK);
		swap_retire_old_code();
		KT_ASSERT(!crate_loaded(old), "%s stayed loaded once nothing pointed into it", old);
		KT_ASSERT_EQ(swap_module_to("heap", "heap", &r), E_OK);
		swap_retire_old_code();
	}
	kfree(b);
}

/* Is addr in one of crate c's own .bss sections (not bound to the image's)? */
static bool in_own_bss(const struct ld_crate *c, uint64_t addr)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].kind == LD_KIND_DATA && s[i].nobits && !s[i].bound &&
		    addr - s[i].addr < s[i].size)
			return true;
	return false;
}

/* tsound's setter and getters (NULL if it lacks one, or its words are not
 * in its own .bss). */
static bool tsound_bind(struct places *p)
{
	const struct ld_symbol *set = lookup("tsound_set"), *fn = lookup("tsound_fn_held");
	const struct ld_symbol *str = lookup("tsound_str_held"), *slots = lookup("tsound_slots");

	if (!set || !fn || !str || !slots ||
	    !in_own_bss(p->tsound, (uint64_t)((const void *(*)(void))slots->addr)()))
		return false;
	p->tsound_set = (void (*)(policy_fn *, const char *))set->addr;
	p->tsound_fn = (policy_fn *(*)(void))fn->addr;
	p->tsound_str = (const char *(*)(void))str->addr;
	return true;
}

KTEST(swap_sound, stale_pointers_never_fault)
{
	volatile uint64_t stack[2] = { 0, 0 };
	struct places p = { .stack = stack };
	bool framed, loaded, bound = false;

	p.heap_word = kzalloc(16);
	p.packed = kzalloc(sizeof(*p.packed));
	framed = frame_alloc(&p.frame_pa) == E_OK;
	loaded = crates_load_boot_module("tsound", &p.tsound) == E_OK;
	bound = loaded && tsound_bind(&p);
	if (p.heap_word && p.packed && framed && bound) {
		p.frame = phys_to_virt(p.frame_pa);
		memset(p.frame, 0, PAGE_SIZE);
		stale_rounds(t, &p);
		for (enum place w = 0; w < NPLACES; w++)
			place_put(&p, w, NULL, NULL);
	}
	kfree(p.heap_word);
	kfree(p.packed);
	if (framed)
		frame_free(p.frame_pa);
	if (loaded && crates_unload(p.tsound) != E_OK)
		ktest_fail(t, __FILE__, __LINE__, "cannot unload tsound");
	if (!heap_runs("heap"))
		ktest_fail(t, __FILE__, __LINE__, "heap does not run heap again");
	KT_ASSERT(p.heap_word && p.packed && framed && loaded, "setup failed (heap %d, frame %d, "
		  "tsound %d)", p.heap_word && p.packed, framed, loaded);
	KT_ASSERT(bound, "tsound lacks its setter or getters, or its words are not its own .bss");
}

/* ---- a swap undone after its commit ------------------------------------ */

/*
 * Swap heap to `object`, which must be undone with `want`: the swap says so,
 * and the namespace, frames, page tables, heap and module area are exactly
 * as before, the same copy runs (the same symbol, generation and object),
 * and it works for every caller (kmalloc/kfree here, the loader's through a
 * crate load and unload); a later swap goes through.
 */
static void swap_undone(struct ktest_ctx *t, const char *object, enum err want)
{
	const struct ld_symbol *before, *after;
	const char *superseded, *obj;
	unsigned gen;
	unsigned long said;
	struct kt_snapshot s0, s1;
	struct swap_report r;
	struct ld_crate *c;
	void *p;

	KT_ASSERT(heap_runs("heap"), "heap runs %s, not a copy of heap", heap_object());
	before = lookup("kmalloc");
	gen = swap_module_generation("heap", &superseded, &obj);
	said = console_errors();
	kt_snapshot(&s0);
	KT_ASSERT_EQ(swap_module_to("heap", object, &r), want);
	kt_snapshot(&s1);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
	KT_ASSERT(console_errors() > said, "the undo of %s was not said", object);
	after = lookup("kmalloc");
	KT_ASSERT(after == before, "kmalloc is %s's, not %s's", ld_crate_name(after->crate),
		  ld_crate_name(before->crate));
	KT_ASSERT_EQ(swap_module_generation("heap", &superseded, &obj), gen);
	KT_ASSERT(strcmp(heap_object(), "heap") == 0, "heap runs %s", heap_object());
	KT_ASSERT(policy_is("first fit"), "heap's policy is not first fit");
	p = kmalloc(300);
	KT_ASSERT(p, "kmalloc failed after the undo");
	memset(p, 0x5a, 300);
	kfree(p);
	KT_ASSERT(crates_load_boot_module("tm_hello", &c) == E_OK, "a load after the undo failed");
	KT_ASSERT(crates_unload(c) == E_OK, "an unload after the undo failed");
	kt_snapshot(&s1);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
	KT_ASSERT_EQ(swap_module_to("heap", "heap", &r), E_OK);
	KT_ASSERT(lookup("kmalloc")->crate != before->crate, "the later swap did not replace heap");
}

/* heap_norela's kmalloc faults (an instruction fetch from the stack) the
 * first time the probation's retire proof allocates: undone. */
KTEST(swap_sound, faulting_copy_undone)
{
	const struct trap_record *rec;

	swap_undone(t, "heap_norela", E_SWAP_FAULTED);
	if (t->failed)
		return;
	rec = trap_last();
	KT_ASSERT(rec->vector == VEC_PAGE_FAULT && (rec->error & PF_FETCH),
		  "heap_norela took exception %lu (error %lx), not a fetch page fault",
		  rec->vector, rec->error);
}

/* heap_hookfail's swap hook returns an error: undone. */
KTEST(swap_sound, failing_hook_undone)
{
	swap_undone(t, "heap_hookfail", E_SWAP_HOOK_FAILED);
}

/* heap_hookfault's swap hook reads the heap range's last word: undone. */
KTEST(swap_sound, faulting_hook_undone)
{
	const struct trap_record *rec;

	swap_undone(t, "heap_hookfault", E_SWAP_FAULTED);
	if (t->failed)
		return;
	rec = trap_last();
	KT_ASSERT(rec->vector == VEC_PAGE_FAULT && rec->cr2 == HEAP_BASE + HEAP_MAX_SIZE - 8,
		  "the hook took exception %lu at %lx, not its own page fault", rec->vector,
		  rec->cr2);
}

/* ---- 200 alternating swaps --------------------------------------------- */

#define ALTERNATIONS 100

/* The pages crate c's region of kind k spans (its own sections: what a
 * retire keeps reserved for it). */
static uint64_t region_pages(const struct ld_crate *c, enum ld_kind k)
{
	uint64_t lo = ~0ull, hi = 0;
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++)
		if (!s[i].bound && s[i].size && s[i].kind == k && s[i].elf_index) {
			lo = s[i].addr < lo ? s[i].addr : lo;
			hi = s[i].addr + s[i].size > hi ? s[i].addr + s[i].size : hi;
		}
	return hi ? (ALIGN_UP(hi, PAGE_SIZE) - ALIGN_DOWN(lo, PAGE_SIZE)) / PAGE_SIZE : 0;
}

/* Swap heap to `object`: the copy it replaces is unmapped and unloaded
 * within the call. Adds that copy's text and rodata pages to *pages. */
static void swap_and_gone(struct ktest_ctx *t, const char *object, uint64_t *pages)
{
	const struct ld_symbol *k = lookup("kmalloc");
	uint64_t text = k->addr, n;
	const struct ld_crate *old = k->crate;
	char name[48];
	struct swap_report r;

	KT_ASSERT(old != nano_core_crate(), "heap runs the nano_core's copy");
	fmt_snprintf(name, sizeof(name), "%s", ld_crate_name(old));
	n = region_pages(old, LD_KIND_TEXT) + region_pages(old, LD_KIND_RODATA);
	KT_ASSERT_EQ(swap_module_to("heap", object, &r), E_OK);
	KT_ASSERT(mapped_pages(text, text + 1) == 0, "%s's kmalloc (%lx) is still mapped", name,
		  text);
	KT_ASSERT_EQ(mapped_pages(r.old_text_start, r.old_text_end), 0);
	KT_ASSERT(!crate_loaded(name), "%s is still loaded", name);
	for (const struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c))
		KT_ASSERT(c != old, "%s is still in the namespace", name);
	*pages += n;
}

/*
 * 100 x (heap_v2, heap): after each swap the copy it replaced is gone, and
 * at the end frames, page tables, mapped pages and the module area are as at
 * the start but for what a retire keeps on purpose. Each retired copy's text
 * and rodata range stays reserved (vrange_retired_pages grows by exactly
 * those pages), which pushes new copies up the module area: one more page
 * table per 2 MiB (512 pages) of such ranges. The forwarder keeps one
 * entry per retired copy in its table of copies (one block, doubled when
 * full: 96 bytes an entry at most, so while fewer than 1024 copies are
 * retired since boot it grows by at most 96 KiB) and one list of functions
 * per object, which every copy of that object shares: heap's and heap_v2's
 * two lists are all the blocks the 200 swaps may add, besides the table's.
 */
#define LISTS_MAX	2
#define TABLE_MAX	(96 * 1024)
KTEST(swap_sound, alternating_swaps_leave_nothing)
{
	static const char *const objects[2] = { "heap_v2", "heap" };
	struct kt_snapshot s0, s1;
	struct mem_stats m0, m1;
	uint64_t pages = 0, t0;

	KT_ASSERT(heap_runs("heap"), "heap runs %s, not a copy of heap", heap_object());
	swap_retire_old_code(); /* (what earlier tests left waiting: not this test's) */
	kt_snapshot(&s0);
	mem_get_stats(&m0);
	t0 = rdtsc();
	for (unsigned i = 0; i < 2 * ALTERNATIONS && !t->failed; i++)
		swap_and_gone(t, objects[i % 2], &pages);
	if (t->failed)
		return;
	kt_snapshot(&s1);
	mem_get_stats(&m1);
	kprintf("  %u swaps in %lu cycles: %lu pages kept reserved; heap +%lu bytes in +%lu "
		"blocks, page tables +%lu\n", 2 * ALTERNATIONS, rdtsc() - t0, pages,
		s1.heap_bytes - s0.heap_bytes, s1.heap_blocks - s0.heap_blocks,
		s1.tables - s0.tables);
	KT_ASSERT(strcmp(heap_object(), "heap") == 0, "heap runs %s", heap_object());
	KT_ASSERT_EQ(m1.vrange_retired_pages - m0.vrange_retired_pages, pages);
	KT_ASSERT(pages >= 2 * 2 * ALTERNATIONS, "only %lu pages retired", pages);
	KT_ASSERT_EQ(s1.vrange, s0.vrange);
	KT_ASSERT_EQ(s1.pages, s0.pages);
	KT_ASSERT_EQ(s1.crates, s0.crates);
	KT_ASSERT_EQ(s1.frames - s1.tables, s0.frames - s0.tables);
	KT_ASSERT(s1.tables - s0.tables <= pages / 512 + 1, "page tables %lu -> %lu for %lu "
		  "pages of reserved ranges", s0.tables, s1.tables, pages);
	KT_ASSERT((int64_t)(s1.heap_blocks - s0.heap_blocks) <= LISTS_MAX + 1, "heap blocks %lu "
		  "-> %lu for %u retired copies", s0.heap_blocks, s1.heap_blocks, 2 * ALTERNATIONS);
	KT_ASSERT((int64_t)(s1.heap_bytes - s0.heap_bytes) <= TABLE_MAX + LISTS_MAX * 256,
		  "the heap grew by %lu bytes", s1.heap_bytes - s0.heap_bytes);
}

/* ---- forwarding --------------------------------------------------------- */

/* A code pointer no scan sees: scrambled in data (see test_swap_again.c). */
static uint64_t forward_scrambled;

struct stale_call {
	uint64_t fn;
	const char *got;
};

static void call_on_stack(void *arg)
{
	struct stale_call *c = arg;

	c->got = ((policy_fn *)c->fn)();
}

static void call_scrambled(void *arg)
{
	struct stale_call *c = arg;

	c->got = ((policy_fn *)(forward_scrambled ^ ~0ull))();
}

/* Hold the running heap_policy in *on_stack and scrambled in data (noipa:
 * nothing else of the copy stays in the caller's frame). */
static __attribute__((noipa)) void hold_code(volatile uint64_t *on_stack, char *crate,
						size_t size)
{
	const struct ld_symbol *k = lookup("heap_policy");

	*on_stack = k->addr;
	forward_scrambled = k->addr ^ ~0ull;
	fmt_snprintf(crate, size, "%s", ld_crate_name(k->crate));
}

/* Call the stale pointers twice from each call site: each must run the
 * live copy's heap_policy. noinline: the live copy's string stays in this
 * frame, dead once it returns (else it would keep heap_v2 at the swap back). */
static __attribute__((noipa)) void call_stale(struct ktest_ctx *t, uint64_t on_stack)
{
	struct stale_call c;
	struct trap_record rec;
	const char *live = heap_policy();

	KT_ASSERT(strcmp(live, "best fit") == 0, "heap_v2 runs %s", live);
	for (unsigned i = 0; i < 2; i++) {
		c = (struct stale_call){ .fn = on_stack };
		KT_ASSERT(!fault_catch(call_on_stack, &c, &rec), "the stale call faulted at %lx",
			  rec.rip);
		KT_ASSERT(c.got == live, "the stale call returned %p, not the live copy's %p",
			  c.got, live);
		c = (struct stale_call){ 0 };
		KT_ASSERT(!fault_catch(call_scrambled, &c, &rec), "the scrambled call faulted at %lx",
			  rec.rip);
		KT_ASSERT(c.got == live, "the scrambled call returned %p, not the live copy's %p",
			  c.got, live);
	}
}

/*
 * A pointer to heap's heap_policy only on the stack, or scrambled: no proof
 * sees it, so the copy is retired; called after the swap to heap_v2, each
 * goes to the live copy's heap_policy ("best fit", the live string), twice
 * from each call site (the forward: line is said once per site, in the
 * log), and nothing is logged as an error.
 */
KTEST(swap_sound, stale_call_forwarded)
{
	volatile uint64_t on_stack = 0;
	struct swap_report r;
	char old[48];
	unsigned long errors;

	KT_ASSERT(heap_runs("heap"), "heap runs %s, not a copy of heap", heap_object());
	hold_code(&on_stack, old, sizeof(old));
	errors = console_errors();
	KT_ASSERT_EQ(swap_module_to("heap", "heap_v2", &r), E_OK);
	KT_ASSERT(!crate_loaded(old), "%s was kept: the test's pointers were seen", old);
	KT_ASSERT_EQ(mapped_pages(on_stack, on_stack + 1), 0);
	/* its range stays reserved, so that no later load lands under the pointer */
	KT_ASSERT(vrange_claim(ALIGN_DOWN(on_stack, PAGE_SIZE), 1) == E_ALREADY_MAPPED,
		  "the retired copy's range at %lx is not kept reserved", (uint64_t)on_stack);
	call_stale(t, on_stack);
	on_stack = forward_scrambled = 0;
	wipe_dead_stack();
	if (t->failed)
		return;
	KT_ASSERT_EQ(console_errors(), errors);
	KT_ASSERT(heap_runs("heap"), "heap did not swap back: it runs %s", heap_object());
}
