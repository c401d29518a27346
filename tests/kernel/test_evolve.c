/*
 * Live evolution: a constituent module swapped for a NEW version while the
 * kernel runs (memory_v2: the highest free frame first; heap_v2: best fit),
 * refused when its data layout differs (three memory variants, each named by
 * its type fingerprint), and a crate swapped for a version with another
 * layout, its state carried over by its transfer function and its users'
 * references redirected (tstate -> tstate_v2, used by tuser). The objects
 * are built from the tree (tests/modules/modules.mk) and ship in the ISO.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <ktest/ktest.h>
#include <memory/memory.h>
#include <nano_core_swap/swap.h>
#include "snapshot.h"
#include "swap_helpers.h"

/* Which object module's running copy came from ("memory": the one linked). */
static const char *running_object(const char *module)
{
	const char *superseded, *object;

	swap_module_generation(module, &superseded, &object);
	return object ? object : module;
}

/* Swap module for object: does it run that object now? */
static bool swap_to(const char *module, const char *object)
{
	struct swap_report r;

	return swap_module_to(module, object, &r) == E_OK &&
	       strcmp(running_object(module), object) == 0;
}

/* Each variant with another data layout is refused by the named error, and
 * nothing changes: the same copy of memory runs, the counters are the same. */
KTEST(swap_evolve, changed_layouts_refused)
{
	static const char *const variants[] = { "memory_fields", "memory_static",
						"memory_padded" };

	for (unsigned i = 0; i < 3; i++) {
		struct kt_snapshot s0, s1;
		const struct ld_symbol *before = lookup("frame_alloc");
		const char *object = running_object("memory");
		struct swap_report r;

		kt_snapshot(&s0);
		KT_ASSERT_EQ(swap_module_to("memory", variants[i], &r), E_SWAP_LAYOUT_CHANGED);
		kt_snapshot(&s1);
		KT_ASSERT_SNAPSHOT_EQ(s1, s0);
		KT_ASSERT(lookup("frame_alloc") == before, "%s: frame_alloc moved", variants[i]);
		KT_ASSERT(strcmp(running_object("memory"), object) == 0, "%s: memory changed",
			  variants[i]);
	}
}

/* An object without fingerprints passes only if it is the object linked:
 * memory.o without its .nanoswap.layout is not, and is refused by name. */
KTEST(swap_evolve, no_layout_refused)
{
	struct kt_snapshot s0, s1;
	const char *object = running_object("memory");
	struct swap_report r;

	kt_snapshot(&s0);
	KT_ASSERT_EQ(swap_module_to("memory", "memory_nolayout", &r), E_SWAP_NO_LAYOUT);
	kt_snapshot(&s1);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
	KT_ASSERT(strcmp(running_object("memory"), object) == 0, "memory changed");
}

/* memory_v2 (a new algorithm, the same layout) runs at once: frames taken
 * before are given back through it, its frames come from the top, and the
 * counters agree; then the object linked comes back the same way. */
KTEST(swap_evolve, memory_code_only)
{
	uint64_t before[4], fresh, top = 0;
	struct mem_stats m0, m1;

	for (unsigned i = 0; i < 4; i++) {
		KT_ASSERT(frame_alloc(&before[i]) == E_OK, "no frame");
		top = before[i] > top ? before[i] : top;
	}
	KT_ASSERT(swap_to("memory", "memory_v2"), "memory runs %s", running_object("memory"));
	mem_get_stats(&m0);
	KT_ASSERT(frame_alloc(&fresh) == E_OK, "memory_v2 gave no frame");
	KT_ASSERT(fresh > top, "memory_v2's frame %lx is not above %lx (top-down)", fresh, top);
	frame_free(fresh);
	for (unsigned i = 0; i < 4; i++)
		frame_free(before[i]);	/* (taken by the old copy) */
	mem_get_stats(&m1);
	KT_ASSERT_EQ(m1.frames_used + 4, m0.frames_used);
	KT_ASSERT_EQ(m1.frames_free, m0.frames_free + 4);
	KT_ASSERT_EQ(m1.frames_reserved + m1.frames_used + m1.frames_free, m1.frames_total);
	KT_ASSERT(swap_to("memory", "memory"), "memory runs %s", running_object("memory"));
}

/* Were the four blocks cut in a row (big, separator, small, separator,
 * rising), so that the small one's hole stays between its separators? */
static bool in_a_row(void *big, void *sep0, void *small, void *sep1)
{
	uint64_t a = (uint64_t)big, b = (uint64_t)sep0, c = (uint64_t)small, d = (uint64_t)sep1;

	return a < b && b < c && c < d && d - a < 24000 + 12000 + 14000 + 3 * 64;
}

/* heap_v2 (best fit) runs at once: blocks kmalloc'd by the first fit are
 * freed by it, and of two free blocks it takes the smaller that fits. */
KTEST(swap_evolve, heap_policy_changes)
{
	void *held[3], *big, *small, *sep[2], *p, *fill[16];
	struct heap_stats h0, h1;
	unsigned nfill = 0;

	KT_ASSERT(strcmp(heap_policy(), "first fit") == 0, "the heap runs %s", heap_policy());
	for (unsigned i = 0; i < 3; i++)
		held[i] = kmalloc(200 + 100 * i);
	KT_ASSERT(swap_to("heap", "heap_v2"), "heap runs %s", running_object("heap"));
	heap_get_stats(&h0);
	KT_ASSERT(strcmp(heap_policy(), "best fit") == 0, "heap_v2 runs %s", heap_policy());
	for (unsigned i = 0; i < 3; i++)
		kfree(held[i]);		/* (allocated by the first fit) */
	heap_get_stats(&h1);
	KT_ASSERT_EQ(h1.blocks_used + 3, h0.blocks_used);
	/* a big hole below a small one: best fit takes the small one. Blocks
	 * larger than the holes earlier tests leave, so that the four are cut
	 * in a row from the heap's free end and the small one's hole stays
	 * between its separators */
	for (;;) {	/* (a hole that took one of them is kept filled: again) */
		big = kmalloc(24000), sep[0] = kmalloc(12000), small = kmalloc(14000);
		sep[1] = kmalloc(12000);
		KT_ASSERT(big && sep[0] && small && sep[1], "no heap");
		if (in_a_row(big, sep[0], small, sep[1]))
			break;
		KT_ASSERT(nfill + 4 <= sizeof(fill) / sizeof(fill[0]),
			  "no four blocks in a row after %u tries", nfill / 4);
		fill[nfill++] = big, fill[nfill++] = sep[0], fill[nfill++] = small;
		fill[nfill++] = sep[1];
	}
	kfree(big);
	kfree(small);
	p = kmalloc(13000);
	KT_ASSERT(p != big, "best fit took the 24000-byte block for 13000 bytes");
	kfree(p);
	kfree(sep[0]);
	kfree(sep[1]);
	while (nfill)
		kfree(fill[--nfill]);
	KT_ASSERT(swap_to("heap", "heap"), "heap runs %s", running_object("heap"));
	KT_ASSERT(strcmp(heap_policy(), "first fit") == 0, "heap runs %s again", heap_policy());
}

typedef void add_fn(uint64_t);
typedef uint64_t get_fn(void);
typedef unsigned version_fn(void);
typedef const void *addr_fn(void);

/* Load tstate and tuser (which uses it) and add 5 and 7 through tuser. */
static bool load_pair(struct ld_crate **state, struct ld_crate **user)
{
	if (crates_load_boot_module("tstate", state) != E_OK ||
	    crates_load_boot_module("tuser", user) != E_OK)
		return false;
	((add_fn *)lookup("tuser_add")->addr)(5);
	((add_fn *)lookup("tuser_add")->addr)(7);
	return true;
}

/* tstate -> tstate_v2: another layout; the transfer carries the count and the
 * total over, tuser's references (code and data) move to the new copy, and
 * the old copy is retired and unloaded. */
KTEST(swap_evolve, crate_state_transfer)
{
	struct ld_crate *state, *user, *c;
	struct swap_report r;
	const struct ld_symbol *v2;
	unsigned gen;
	const char *superseded, *object;

	KT_ASSERT(load_pair(&state, &user), "cannot load tstate and tuser");
	KT_ASSERT_EQ(((version_fn *)lookup("tuser_version")->addr)(), 1);
	KT_ASSERT(swap_crate_to("tstate", "tstate_v2", &r) == E_OK, "swap: %s",
		  err_name(r.result));
	KT_ASSERT(ld_find_crate(crates_namespace(), "tstate", &c) != E_OK,
		  "the old copy is still loaded");
	KT_ASSERT(ld_find_crate(crates_namespace(), "tstate#2", &c) == E_OK, "no tstate#2");
	KT_ASSERT(swap_crate_version(c, &gen, &superseded, &object) && gen == 2 &&
		  strcmp(superseded, "tstate") == 0 && strcmp(object, "tstate_v2") == 0,
		  "tstate#2 is not recorded as version 2 of tstate");
	KT_ASSERT_EQ(((version_fn *)lookup("tuser_version")->addr)(), 2);
	KT_ASSERT_EQ(((get_fn *)lookup("tuser_total")->addr)(), 12);
	KT_ASSERT_EQ(((get_fn *)lookup("tstate_count")->addr)(), 2);
	v2 = lookup("tstate");
	KT_ASSERT(v2 && v2->crate == c, "tstate resolves to %s", v2 ? ld_crate_name(v2->crate) : "-");
	KT_ASSERT(((addr_fn *)lookup("tuser_state_address")->addr)() == (void *)v2->addr,
		  "tuser still sees the old data");
	((add_fn *)lookup("tuser_add")->addr)(9);
	KT_ASSERT_EQ(((get_fn *)lookup("tstate_largest")->addr)(), 9);
	KT_ASSERT_EQ(((get_fn *)lookup("tuser_total")->addr)(), 21);
	KT_ASSERT(crates_unload(user) == E_OK, "cannot unload tuser");
	KT_ASSERT(crates_unload(c) == E_OK, "cannot unload tstate#2");
}

/* A version whose layout changed and that has no transfer function is
 * refused by name, nothing changed. */
KTEST(swap_evolve, crate_without_transfer_refused)
{
	struct ld_crate *state, *user, *c;
	struct kt_snapshot s0, s1;
	struct swap_report r;

	KT_ASSERT(load_pair(&state, &user), "cannot load tstate and tuser");
	kt_snapshot(&s0);
	KT_ASSERT_EQ(swap_crate_to("tstate", "tstate_v2x", &r), E_SWAP_NO_TRANSFER);
	kt_snapshot(&s1);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
	KT_ASSERT(ld_find_crate(crates_namespace(), "tstate", &c) == E_OK && c == state,
		  "tstate changed");
	KT_ASSERT_EQ(((get_fn *)lookup("tuser_total")->addr)(), 12);
	KT_ASSERT(crates_unload(user) == E_OK, "cannot unload tuser");
	KT_ASSERT(crates_unload(state) == E_OK, "cannot unload tstate");
}

/* A run-time swap that fails at any mapping leaves the old version running,
 * with everything as it was. */
KTEST(swap_evolve, crate_swap_failure_changes_nothing)
{
	struct ld_crate *state, *user, *c;
	struct swap_report r;
	unsigned long k;

	KT_ASSERT(load_pair(&state, &user), "cannot load tstate and tuser");
	for (k = 1; k < 100; k++) {
		struct kt_snapshot s0, s1;
		enum err e;

		kt_snapshot(&s0);
		crates_fail_at(CRATES_FAIL_MAP, k);
		e = swap_crate_to("tstate", "tstate_v2", &r);
		crates_fail_at(CRATES_FAIL_MAP, 0);
		if (e == E_OK)
			break;
		kt_snapshot(&s1);
		KT_ASSERT_SNAPSHOT_EQ(s1, s0);
		KT_ASSERT(ld_find_crate(crates_namespace(), "tstate", &c) == E_OK && c == state,
			  "mapping %lu failed, yet tstate changed", k);
		KT_ASSERT_EQ(((version_fn *)lookup("tuser_version")->addr)(), 1);
		KT_ASSERT_EQ(((get_fn *)lookup("tuser_total")->addr)(), 12);
	}
	KT_ASSERT(k > 1, "the swap mapped nothing");
	KT_ASSERT(ld_find_crate(crates_namespace(), "tstate#2", &c) == E_OK, "no tstate#2");
	KT_ASSERT(crates_unload(user) == E_OK, "cannot unload tuser");
	KT_ASSERT(crates_unload(c) == E_OK, "cannot unload tstate#2");
}

/* The same layout and no transfer function (tstate for tstate again): each
 * data symbol is copied, byte for byte, into the new copy, so the count and
 * the total carry over and tuser's next add builds on them. */
KTEST(swap_evolve, same_layout_copies_the_data)
{
	struct ld_crate *state, *user, *c;
	struct swap_report r;

	KT_ASSERT(load_pair(&state, &user), "cannot load tstate and tuser");
	KT_ASSERT(swap_crate_to("tstate", "tstate", &r) == E_OK, "swap: %s", err_name(r.result));
	KT_ASSERT(ld_find_crate(crates_namespace(), "tstate#2", &c) == E_OK, "no tstate#2");
	KT_ASSERT(lookup("tstate_count")->crate == c, "tstate_count is not the new copy's");
	KT_ASSERT_EQ(((get_fn *)lookup("tstate_count")->addr)(), 2);
	KT_ASSERT_EQ(((get_fn *)lookup("tuser_total")->addr)(), 12);
	((add_fn *)lookup("tuser_add")->addr)(3);
	KT_ASSERT_EQ(((get_fn *)lookup("tuser_total")->addr)(), 15);
	KT_ASSERT(crates_unload(user) == E_OK, "cannot unload tuser");
	KT_ASSERT(crates_unload(c) == E_OK, "cannot unload tstate#2");
}
