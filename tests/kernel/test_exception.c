/*
 * Exception tests: int3 is reported with a symbolized backtrace and
 * execution continues; an invalid opcode is caught by fault_catch.
 */
#include <bootinfo/ksym.h>
#include <crates/crates.h>
#include <interrupts/backtrace.h>
#include <interrupts/interrupts.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <memory/layout.h>

__attribute__((noinline)) static void after_int3(void)
{
	__asm__ volatile("" ::: "memory");
}

/* Not a leaf, so it has a frame the backtrace can walk. */
__attribute__((noinline)) static void int3_site(void)
{
	__asm__ volatile("int3" ::: "memory");
	after_int3();
}

__attribute__((noinline)) static void ud2_site(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2" ::: "memory");
}

static bool symbol_is(uint64_t addr, const char *want)
{
	const char *name;
	uint64_t off;

	return crates_symbolize(addr, &name, &off) && strcmp(name, want) == 0;
}

KTEST(exception, int3_reported_and_resumed)
{
	unsigned before = trap_last()->count;

	int3_site();
	const struct trap_record *r = trap_last();
	KT_ASSERT_EQ(r->count, before + 1);
	KT_ASSERT_EQ(r->vector, VEC_BREAKPOINT);
	KT_ASSERT(symbol_is(r->rip - 1, "int3_site"), "RIP %lx is not in int3_site", r->rip);
	KT_ASSERT(r->npcs >= 3, "backtrace has %u frames", r->npcs);
	KT_ASSERT(symbol_is(r->pcs[1] - 1, "ktest_fn_exception_int3_reported_and_resumed"),
		  "caller frame %lx is not this test", r->pcs[1]);
}

/* What the printed backtrace names comes from the symbolizer crates
 * registered with interrupts (interrupts cannot call crates by name). */
KTEST(exception, backtrace_names_through_registered_symbolizer)
{
	const char *name;
	uint64_t off, at = (uint64_t)int3_site + 1;

	KT_ASSERT(backtrace_symbolize(at, &name, &off), "no symbolizer names %lx", at);
	KT_ASSERT(strcmp(name, "int3_site") == 0 && off == 1, "got %s+%lu", name, off);
}

KTEST(exception, invalid_opcode_caught)
{
	struct trap_record rec;

	KT_ASSERT(fault_catch(ud2_site, NULL, &rec), "ud2 did not raise an exception");
	KT_ASSERT_EQ(rec.vector, VEC_INVALID_OP);
	KT_ASSERT(symbol_is(rec.rip, "ud2_site"), "RIP %lx is not in ud2_site", rec.rip);
}

KTEST(exception, symbols_resolve)
{
	const char *name;
	uint64_t off, main = ksym_find("kernel_main");

	KT_ASSERT(ksym_count() > 100, "only %u kernel symbols", ksym_count());
	KT_ASSERT(main >= KERNEL_VMA, "kernel_main at %lx is not in the kernel image", main);
	KT_ASSERT(ksym_lookup(main + 5, &name, &off), "no symbol at kernel_main+5");
	KT_ASSERT(strcmp(name, "kernel_main") == 0 && off == 5, "got %s+%lu", name, off);
}

/* The inner catch takes the first fault; the outer one is still armed. */
static void nested_catch_site(void *arg)
{
	struct trap_record inner;
	bool *inner_caught = arg;

	*inner_caught = fault_catch(ud2_site, NULL, &inner) && inner.vector == VEC_INVALID_OP;
	(void)*(volatile uint64_t *)0x8000000000000000UL;	/* non-canonical: #GP */
}

static void noop_site(void *arg)
{
	(void)arg;
}

KTEST(exception, nested_catch)
{
	struct trap_record outer;
	bool inner_caught = false;

	KT_ASSERT(fault_catch(nested_catch_site, &inner_caught, &outer),
		  "the fault after the inner catch was not caught by the outer one");
	KT_ASSERT(inner_caught, "the inner catch did not see the ud2");
	KT_ASSERT_EQ(outer.vector, VEC_GP);
	KT_ASSERT(!fault_catch(noop_site, NULL, &outer), "a clean call was reported as a fault");
}

static void int3_site_arg(void *arg)
{
	(void)arg;
	int3_site();
}

/* int3 is a trap that resumes: a fault_catch around it (the shell's around
 * `test`) must not take it. */
KTEST(exception, int3_inside_catch_resumes)
{
	struct trap_record rec;
	unsigned before = trap_last()->count;

	KT_ASSERT(!fault_catch(int3_site_arg, NULL, &rec), "fault_catch took the breakpoint");
	KT_ASSERT_EQ(trap_last()->count, before + 1);
	KT_ASSERT_EQ(trap_last()->vector, VEC_BREAKPOINT);
}
