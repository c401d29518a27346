/*
 * What happens on a CPU exception: report it (vector, error code, RIP, CR2
 * and the decoded page-fault cause, registers, a symbolized backtrace), then
 * either resume (a breakpoint, or a fault that fault_catch expected) or panic.
 */
#include <console/console.h>
#include <interrupts/backtrace.h>
#include <lib/cpu.h>
#include <lib/smp.h>
#include <lib/spinlock.h>
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <stddef.h>
#include "interrupts_internal.h"
#include <nanoswap/noptr.h>
#include <nanoswap/probe.h>

MODULE_PROBE(interrupts)

static const char *const vector_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 FP error", "alignment check", "machine check",
	"SIMD FP error", "virtualization", "control protection",
};

/* It names where the last trap was (a number, never called): not scanned. */
static struct trap_record last NS_NOSCAN;
static struct trap_record last_on[CPU_MAX] NS_NOSCAN;	/* each CPU's, for its catch */
static unsigned count;		/* exceptions taken, on every CPU */
/* One per active fault_catch, innermost first (the shell's catch around a
 * command may hold a test's own catch). */
struct catch_frame {
	struct jump_buf buf;
	struct trap_record *rec;
	struct catch_frame *outer;
	unsigned nlocks, irq_depth, stops;	/* this CPU's, at the catch */
};
/* The innermost catch is per thread: this_cpu()->catch_top, which the
 * scheduler saves and restores with each thread. */
#define catch_top (*(struct catch_frame **)&this_cpu()->catch_top)

const struct trap_record *trap_last(void)
{
	return &last;
}

unsigned interrupts_saved_pcs(uint64_t *pcs, unsigned max)
{
	unsigned n = 0;

	for (const struct catch_frame *f = catch_top; f; f = f->outer, n++)
		if (n < max)
			pcs[n] = f->buf.rip;
	return n;
}

unsigned interrupts_catch_slots(void *top, uint64_t **slots, unsigned max)
{
	unsigned n = 0;

	for (struct catch_frame *f = top; f && n < max; f = f->outer)
		slots[n++] = &f->buf.rip;
	return n;
}

/* Who forwards a call into retired code (nano_core_swap registers it). */
static bool (*forwarder)(uint64_t pc, uint64_t return_address, uint64_t *to);

void interrupts_set_forwarder(bool (*fn)(uint64_t pc, uint64_t return_address, uint64_t *to))
{
	forwarder = fn;
}

/* An instruction fetch from a non-present page at a retired function's
 * start: a stale pointer's call, resumed at the live copy's same function. */
static bool forward_call(struct trap_frame *tf, uint64_t cr2)
{
	uint64_t to;

	if (tf->vector != VEC_PAGE_FAULT || !forwarder ||
	    (tf->error & (PF_FETCH | PF_PRESENT)) != PF_FETCH || cr2 != tf->rip ||
	    !stack_contains(tf->rsp, 8))
		return false;
	if (!forwarder(tf->rip, *(const uint64_t *)tf->rsp, &to))
		return false;
	tf->rip = to;
	return true;
}

/* A fault on a non-present page of the image's text or rodata: code that
 * a swap retired (nothing else unmaps the image). */
static bool retired_code(uint64_t error, uint64_t cr2)
{
	extern char __text_start[], __rodata_end[];

	return !(error & PF_PRESENT) && cr2 >= (uint64_t)__text_start &&
	       cr2 < (uint64_t)__rodata_end;
}

/* "executing retired text of memory (.text.vm_map+0x12)" */
static void print_retired(uint64_t error, uint64_t cr2)
{
	const char *crate, *section, *colon;
	uint64_t off;

	if (!interrupts_section_at(cr2, &crate, &section, &off)) {
		kprintf("  %s retired code at %p\n", error & PF_FETCH ? "executing" : "reading",
			(void *)cr2);
		return;
	}
	colon = strchr(section, ':'); /* the nano_core's: "module:section" */
	kprintf("  %s retired %s of %.*s (%s+0x%lx)\n",
		error & PF_FETCH ? "executing" : "reading",
		strncmp(colon ? colon + 1 : section, ".text", 5) == 0 ? "text" : "rodata",
		colon ? (int)(colon - section) : (int)strlen(crate), colon ? section : crate,
		colon ? colon + 1 : section, off);
}

static void print_page_fault(uint64_t error, uint64_t cr2)
{
	kprintf("  CR2 %p: %s %s, %s mode%s\n", (void *)cr2,
		error & PF_FETCH ? "instruction fetch from" :
		error & PF_WRITE ? "write to" : "read from",
		error & PF_PRESENT ? "a page it may not access (protection)" : "a non-present page",
		error & PF_USER ? "user" : "kernel",
		error & PF_RESERVED ? ", reserved bit set in a page-table entry" : "");
	if (retired_code(error, cr2))
		print_retired(error, cr2);
}

static void print_registers(const struct trap_frame *tf)
{
	kprintf("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("  RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	kprintf("  R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n", tf->r8, tf->r9, tf->r10, tf->r11);
	kprintf("  R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n", tf->r12, tf->r13, tf->r14, tf->r15);
	kprintf("  CS %lx SS %lx RFLAGS %016lx\n", tf->cs, tf->ss, tf->rflags);
}

static void record(const struct trap_frame *tf, uint64_t cr2)
{
	struct trap_record *r = &last_on[this_cpu()->id];

	*r = (struct trap_record){
		.vector = tf->vector, .error = tf->error, .rip = tf->rip,
		.rsp = tf->rsp, .rbp = tf->rbp, .cr2 = cr2,
		.count = __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED),
		.retired = tf->vector == VEC_PAGE_FAULT && retired_code(tf->error, cr2),
	};
	r->pcs[0] = tf->rip;
	r->npcs = 1 + backtrace_collect(tf->rbp, r->pcs + 1, 7);
	last = *r;	/* (trap_last: the most recent on any CPU) */
}

static void report(const struct trap_frame *tf, uint64_t cr2)
{
	const char *name = tf->vector < 32 && vector_names[tf->vector] ?
			   vector_names[tf->vector] : "reserved";
	uint64_t flags = console_hold();

	kprintf("exception %lu (%s), error code %lx\n", tf->vector, name, tf->error);
	kprintf("  RIP ");
	backtrace_print_addr(tf->rip);
	kprintf("\n");
	if (tf->vector == VEC_PAGE_FAULT)
		print_page_fault(tf->error, cr2);
	print_registers(tf);
	kprintf("  backtrace:\n");
	backtrace_print(tf->rbp);
	console_release(flags);
}

/* The spinlocks the faulting code took after the catch: let go (it will
 * never release them), each said. */
static void catch_release_locks(const struct catch_frame *f)
{
	struct cpu_local *cpu = this_cpu();

	while (cpu->nlocks > f->nlocks) {
		struct spinlock *l = cpu->locks[cpu->nlocks - 1];

		kprintf("  (fault_catch lets go of spinlock %s, which the faulting code held)\n",
			l->name);
		spin_forget(cpu, l);
		l->owner = 0;
		__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	}
}

void trap_dispatch(struct trap_frame *tf)
{
	static unsigned depth_on[CPU_MAX]; /* a fault while reporting a fault, per CPU */
	unsigned *depth = &depth_on[this_cpu()->id];
	uint64_t cr2;

	if (tf->vector >= 32) {
		irq_dispatch(tf);
		return;
	}
	cr2 = read_cr2();
	if (forward_call(tf, cr2))
		return;
	record(tf, cr2);
	if ((*depth)++ == 0)
		report(tf, cr2);
	else
		kprintf("exception %lu at %p while reporting one\n", tf->vector, (void *)tf->rip);
	*depth = 0;
	if (tf->vector == VEC_BREAKPOINT)
		return;	/* int3 is a trap: RIP is already past it; resume, caught or not */
	if (catch_top && this_cpu()->irq_depth != catch_top->irq_depth)
		panic("BUG: exception %lu in an interrupt handler (the interrupted thread's "
		      "fault_catch cannot resume it)", tf->vector);
	if (catch_top) {
		struct catch_frame *f = catch_top;
		*f->rec = last_on[this_cpu()->id];
		catch_top = f->outer;	/* the innermost catch is used up */
		kprintf("  (expected by fault_catch: resuming)\n");
		catch_release_locks(f);
		if (this_cpu()->stops && !f->stops) {	/* a stop the faulting code made is over: */
			this_cpu()->pause_start = 0;
			smp_release_others();		/* the other CPUs go on */
		}
		this_cpu()->stops = f->stops;
		jump_restore(&f->buf, 1);
	}
	panic("unhandled exception %lu at %p", tf->vector, (void *)tf->rip);
}

/* (The per-CPU fields are read and written with interrupts off: between
 * reading %gs:0 and the field, a preempted thread may move to another CPU.) */
bool fault_catch(void (*fn)(void *), void *arg, struct trap_record *rec)
{
	uint64_t flags = irq_save();
	struct catch_frame f = { .rec = rec, .outer = catch_top, .nlocks = this_cpu()->nlocks,
				 .irq_depth = this_cpu()->irq_depth, .stops = this_cpu()->stops };

	irq_restore(flags);
	if (jump_save(&f.buf))
		return true;	/* resumed by trap_dispatch, which popped f */
	flags = irq_save();
	catch_top = &f;
	irq_restore(flags);
	fn(arg);
	flags = irq_save();
	catch_top = f.outer;
	irq_restore(flags);
	return false;
}

void interrupts_init(void)
{
	gdt_init();
	idt_init();
	console_set_backtrace(backtrace_print); /* (panic's; console cannot name it) */
}
