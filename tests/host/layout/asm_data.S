/* A data object and a global function without DWARF: layoutfp marks them
 * NSL_UNTYPED (the object: size only). */
	.section .data.asm_word, "aw"
	.globl asm_word
	.type asm_word, @object
	.size asm_word, 8
	.balign 8
asm_word:
	.quad 0

	.section .text.asm_func, "ax"
	.globl asm_func
	.type asm_func, @function
asm_func:
	ret
	.size asm_func, . - asm_func

	.section .note.GNU-stack, "", @progbits
