/*
 * Layouts, transitively: a new version whose variables are laid out as the
 * running ones but whose data reaches another layout through a pointer
 * (heap_fields: struct block, behind free_list, with two fields exchanged),
 * or whose global function's parameter points to another layout
 * (memory_param: struct mem_stats, the parameter of mem_get_stats, which
 * other modules call), is refused before anything changes, and the refusal
 * names the path and the member. The objects are built from the tree
 * (tests/modules/modules.mk) and ship in the ISO.
 */
#include <console/console.h>
#include <ktest/ktest.h>
#include <nano_core_swap/swap.h>
#include "snapshot.h"
#include "swap_helpers.h"

/* Which object module's running copy came from ("heap": the one linked). */
static const char *running_object(const char *module)
{
	const char *superseded, *object;

	swap_module_generation(module, &superseded, &object);
	return object ? object : module;
}

static char said[512];	/* what the refused swap printed */

/* Does `said` hold `what`? */
static bool said_has(const char *what)
{
	size_t n = strlen(what);

	for (const char *p = said; *p; p++)
		if (strncmp(p, what, n) == 0)
			return true;
	return false;
}

/* swap_module_to(module, object) is refused with E_SWAP_LAYOUT_CHANGED,
 * says so once and changes nothing: frames, heap, crates, the definition of
 * `probe`, the running object. What it printed is in `said`. */
static void refused_unchanged(struct ktest_ctx *t, const char *module, const char *object,
			      const char *probe)
{
	struct kt_snapshot s0, s1;
	const struct ld_symbol *before = lookup(probe);
	const char *was = running_object(module);
	unsigned long errors = console_errors();
	struct swap_report r;
	enum err e;

	kt_snapshot(&s0);
	console_capture(said, sizeof(said));
	e = swap_module_to(module, object, &r);
	console_capture(NULL, 0);
	kt_snapshot(&s1);
	KT_ASSERT_EQ(e, E_SWAP_LAYOUT_CHANGED);
	KT_ASSERT_EQ(r.result, E_SWAP_LAYOUT_CHANGED);
	KT_ASSERT_EQ(console_errors() - errors, 1);
	KT_ASSERT_SNAPSHOT_EQ(s1, s0);
	KT_ASSERT(before && lookup(probe) == before, "%s: %s moved", object, probe);
	KT_ASSERT(strcmp(running_object(module), was) == 0, "%s: %s changed", object, module);
}

/* struct block behind free_list: the variables' own rows are the same */
KTEST(swap_layout, heap_fields_refused)
{
	refused_unchanged(t, "heap", "heap_fields", "kmalloc");
	if (t->failed)
		return;
	KT_ASSERT(said_has("swap: heap: the data layout of heap_fields differs: free_list -> "
			   "struct block: member magic at offset 8 in the running kernel, 16 in "
			   "heap_fields (a constituent module's data stays in place: its layout "
			   "may not change)\n"), "said: %s", said);
}

/* struct mem_stats behind mem_get_stats' parameter: the data is the same,
 * the interface is not, and other modules (init, ktest, shell) call it */
KTEST(swap_layout, memory_param_refused)
{
	refused_unchanged(t, "memory", "memory_param", "mem_get_stats");
	if (t->failed)
		return;
	KT_ASSERT(said_has("swap: memory: memory_param changes the interface of mem_get_stats "
			   "(struct mem_stats: member frames_used at offset 16 in the running "
			   "kernel, 24 in memory_param), which "), "said: %s", said);
	KT_ASSERT(said_has("ktest") && said_has(" still call") &&
		  said_has("(swap them in one group)\n"), "said: %s", said);
}
