/*
 * The context switch and a new thread's first instructions. The switch
 * builds a frame like any C function's ([rbp][return address]) under the
 * callee-saved registers, so a suspended thread's stack is walked from its
 * saved RSP exactly (sched/walk.c): [r15 r14 r13 r12 rbx | rbp ret].
 */
#include <lib/switch_frame.h>

	.text

/* void sched_context_switch(uint64_t *save_rsp, uint64_t next_rsp) */
	.globl	sched_context_switch
	.type	sched_context_switch, @function
sched_context_switch:
	SWITCH_FRAME_PUSH
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	SWITCH_FRAME_POP
	ret
	.size	sched_context_switch, . - sched_context_switch

/* Where a new thread's first switch returns: r12 = fn, r13 = arg, rbp = 0
 * (the walk's end). The switch's lock let go with interrupts on, fn(arg),
 * then thread_exit. */
	.globl	sched_thread_entry
	.type	sched_thread_entry, @function
sched_thread_entry:
	call	sched_thread_start	/* sched_lock let go, interrupts on */
	movq	%r13, %rdi
	call	*%r12
	call	thread_exit
	ud2
	.size	sched_thread_entry, . - sched_thread_entry

	.section .note.GNU-stack, "", @progbits
