/*
 * The frame a suspended context leaves on its stack, for the assembly that
 * builds it: the scheduler's context switch (sched/switch.S) and a parked
 * CPU (lib/park.S). Shaped like a C function's ([rbp][return address])
 * under the callee-saved registers, [r15 r14 r13 r12 rbx | rbp ret], so a
 * walk from the saved RSP reads it exactly (sched/walk.c: rbp at +40).
 */
#ifndef LIB_SWITCH_FRAME_H
#define LIB_SWITCH_FRAME_H

#ifdef __ASSEMBLER__
.macro SWITCH_FRAME_PUSH
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro SWITCH_FRAME_POP
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
.endm
#endif

#endif
