/* Test module: every GOT-indirect form. `mov` (REX_GOTPCRELX) can relax to
 * lea when the target is near; `add` (REX_GOTPCRELX, opcode 03) and
 * `call *` (GOTPCRELX, ff 15) cannot; plain GOTPCREL is never relaxed. */
	.text
	.globl got_near_mov
got_near_mov:
	movq near_sym@GOTPCREL(%rip), %rax
	ret
	.globl got_far_mov
got_far_mov:
	movq far_sym@GOTPCREL(%rip), %rax
	ret
	.globl got_add
got_add:
	addq near_sym@GOTPCREL(%rip), %rax
	ret
	.globl got_call
got_call:
	call *near_sym@GOTPCREL(%rip)
	ret
	.globl got_plain
got_plain:
	movq 0(%rip), %rax
	.reloc . - 4, R_X86_64_GOTPCREL, near_sym - 4
	ret
	.data
	.globl near_sym
near_sym:
	.quad 0x1122334455667788
	.section .note.GNU-stack,"",@progbits
