/*
 * A parked CPU's frame: the same shape as the scheduler's context switch
 * ([r15 r14 r13 r12 rbx | rbp ret]), saved where the stopping CPU's walker
 * reads it (cpus[].parked_rsp), so a thread parked on another CPU is walked
 * like one switched out, and its return addresses may be moved. Leaving,
 * the frame is popped again and its (maybe moved) return address taken.
 */
#include <lib/switch_frame.h>

	.text

/* void smp_park_frame(volatile uint64_t *save_rsp, void (*wait)(void)) */
	.globl	smp_park_frame
	.type	smp_park_frame, @function
smp_park_frame:
	SWITCH_FRAME_PUSH
	movq	%rdi, %rbx		/* (callee-saved: kept across wait) */
	movq	%rsp, %r12
	movq	%rsp, (%rdi)
	pushq	%rdi			/* (RSP 16-aligned at the call) */
	call	*%rsi
	movq	$0, (%rbx)
	movq	%r12, %rsp
	SWITCH_FRAME_POP
	ret
	.size	smp_park_frame, . - smp_park_frame

	.section .note.GNU-stack, "", @progbits
