/* A data object without DWARF: layoutfp marks it NSL_UNTYPED, size only. */
	.section .data.asm_word, "aw"
	.globl asm_word
	.type asm_word, @object
	.size asm_word, 8
	.balign 8
asm_word:
	.quad 0
	.section .note.GNU-stack, "", @progbits
