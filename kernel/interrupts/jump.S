/*
 * jump_save/jump_restore: a minimal setjmp/longjmp over the callee-saved
 * registers, so fault_catch can resume after an exception it expected.
 */
	.text
	.globl	jump_save
	.type	jump_save, @function
jump_save:			/* int jump_save(struct jump_buf *rdi) */
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rax	/* rsp after our return */
	movq	%rax, 48(%rdi)
	movq	(%rsp), %rax	/* return address */
	movq	%rax, 56(%rdi)
	pushfq			/* the interrupt flag, for jump_restore */
	popq	64(%rdi)
	xorl	%eax, %eax
	ret
	.size	jump_save, . - jump_save

	.globl	jump_restore
	.type	jump_restore, @function
jump_restore:			/* void jump_restore(struct jump_buf *rdi, int esi) */
	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	48(%rdi), %rsp
	movl	%esi, %eax
	movq	64(%rdi), %rcx	/* the flags of jump_save (a trap turned interrupts off) */
	movq	%rcx, %rdx
	andq	$~0x200, %rdx
	pushq	%rdx
	popfq			/* all but IF */
	movq	56(%rdi), %rdx
	testq	$0x200, %rcx
	jz	1f
	sti			/* IF last: its shadow lets the jump land first */
1:	jmpq	*%rdx
	.size	jump_restore, . - jump_restore

	.section .note.GNU-stack, "", @progbits
