/*
 * CPU exceptions: GDT and TSS (with IST stacks for the double fault and NMI),
 * the IDT, and handlers that report vector, error code, RIP, CR2 with the
 * decoded page-fault cause, registers and a symbolized backtrace.
 */
#ifndef INTERRUPTS_INTERRUPTS_H
#define INTERRUPTS_INTERRUPTS_H

#include <stdbool.h>
#include <stdint.h>

#define VEC_DIVIDE	0
#define VEC_NMI		2
#define VEC_BREAKPOINT	3
#define VEC_INVALID_OP	6
#define VEC_DOUBLE	8
#define VEC_GP		13
#define VEC_PAGE_FAULT	14

/* Page-fault error code bits. */
#define PF_PRESENT	(1u << 0)
#define PF_WRITE	(1u << 1)
#define PF_USER		(1u << 2)
#define PF_RESERVED	(1u << 3)
#define PF_FETCH	(1u << 4)

/* Saved by isr.S on every vector, in this order from the lowest address. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};
/* The frame pointer trap_dispatch's frame saves is its trap frame's address
 * + TRAP_FRAME_MARK: a stack walk that meets it steps into the interrupted
 * context (exact RIP, its RSP and RBP) instead of a caller's frame. */
#define TRAP_FRAME_MARK 1

/* What the handler saw; filled for every exception. */
struct trap_record {
	uint64_t vector, error, rip, rsp, rbp, cr2;
	uint64_t pcs[8];	/* rip, then the return addresses of the backtrace */
	unsigned npcs;
	unsigned count;		/* exceptions taken since boot */
	bool retired;		/* a page fault on the image's retired code or rodata */
};

/* Load our GDT (with TSS) and IDT; exceptions are reported from here on. */
void interrupts_init(void);
/* An AP's GDT, TSS (its IST stacks end at the two tops), the shared IDT and
 * its local APIC with the timer at the bootstrap CPU's rate. */
void interrupts_cpu_init(unsigned id, uint64_t ist_double_top, uint64_t ist_nmi_top);

/* The stacks the kernel runs on: [lo, hi), named. */
struct stack_range {
	const char *name;
	uint64_t lo, hi;
};
#define INTERRUPTS_FIXED_STACKS	4
#define INTERRUPTS_MAX_STACKS	(INTERRUPTS_FIXED_STACKS + 48)	/* (SCHED_MAX_THREADS) */
/* Fill out[] (INTERRUPTS_MAX_STACKS entries) with the known stacks: the boot
 * stack, the IST stacks, the kernel stack once one is set, then the threads'
 * stacks the registered source names; how many. */
unsigned interrupts_stacks(struct stack_range *out);
/* Who knows the threads' stacks (the scheduler registers it: the interrupts
 * module cannot call it by name): fills up to max, returns how many. */
void interrupts_set_thread_stacks(unsigned (*fn)(struct stack_range *out, unsigned max));
/* The stack init continues on (backtraces walk it; a retire scans it). */
void interrupts_set_kernel_stack(uint64_t lo, uint64_t hi);

/* The most recent exception (for tests that provoke one and continue). */
const struct trap_record *trap_last(void);

/*
 * Run fn(arg). If it raises an exception, the handler reports it, stores it
 * in *rec and resumes here instead of panicking: fault_catch returns true.
 * Catches nest: the innermost active one takes the fault. A breakpoint (int3)
 * is reported and resumed, never caught.
 * Returns false (rec untouched) when fn returns normally.
 */
bool fault_catch(void (*fn)(void *), void *arg, struct trap_record *rec);

/* The resume address of each active fault_catch, innermost first: saved
 * contexts that hold an instruction pointer (a retire must see them). Fills
 * up to max, returns how many there are. */
unsigned interrupts_saved_pcs(uint64_t *pcs, unsigned max);
/* The same for any thread: where the resume addresses of the catches from
 * `top` (a thread's innermost, include/lib/cpu.h's catch_top) are stored,
 * so that a swap can move them; up to max, innermost first. */
unsigned interrupts_catch_slots(void *top, uint64_t **slots, unsigned max);

/*
 * A page fault fetching the instruction at a non-present `pc` asks fn
 * (nano_core_swap's forwarder: a stale pointer to retired code): true with
 * *to set resumes there instead (the live copy of the same function), with
 * the caller's return address still on the stack. NULL: none.
 */
void interrupts_set_forwarder(bool (*fn)(uint64_t pc, uint64_t return_address, uint64_t *to));

#endif
