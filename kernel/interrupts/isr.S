/*
 * Entry stubs for all 256 vectors: the CPU exceptions (0-31) and the
 * interrupts (32-255). Each pushes a dummy error code where the CPU pushes
 * none, then its vector, and joins isr_common, which saves the general
 * registers as a struct trap_frame and calls trap_dispatch(frame). If
 * trap_dispatch returns, we resume where we were (or, after a context
 * switch inside it, when this thread is switched back in).
 *
 * The frame pointer that trap_dispatch's frame saves is the trap frame's
 * address with bit 0 set (TRAP_FRAME_MARK): a stack walk that meets it
 * knows the next frame is an interrupted context, whose RIP is exact (not a
 * return address) and whose RSP and RBP are in the trap frame.
 */
	.text

.macro ISR_NOERR vec
	.balign 16
isr_\vec:
	pushq	$0
	pushq	$\vec
	jmp	isr_common
.endm

.macro ISR_ERR vec
	.balign 16
isr_\vec:
	pushq	$\vec
	jmp	isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR   8
ISR_NOERR 9
ISR_ERR   10
ISR_ERR   11
ISR_ERR   12
ISR_ERR   13
ISR_ERR   14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR   17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR   21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR   29
ISR_ERR   30
ISR_NOERR 31
.altmacro
.irp hi, 2,3,4,5,6,7,8,9,10,11,12,13,14,15
.irp lo, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	ISR_NOERR %(\hi * 16 + \lo)
.endr
.endr

	.type	isr_common, @function
isr_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	cld
	movq	%rsp, %rdi
	movq	%rsp, %rbx		/* callee-saved: the frame */
	leaq	1(%rsp), %rbp		/* TRAP_FRAME_MARK: the walk's way into the frame */
	andq	$-16, %rsp		/* ABI stack alignment for the C handler */
	call	trap_dispatch
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector and error code */
	iretq
	.size	isr_common, . - isr_common

.macro ISR_ADDR v
	.quad	isr_\v
.endm

	.section .rodata
	.balign 8
	.globl	isr_stub_table
isr_stub_table:
	.set	vec, 0
	.rept	256
	ISR_ADDR %vec
	.set	vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
