/* A call whose 4-byte field straddles a page boundary: the redirect must
 * patch it through the aliases of both pages (test_redirect.c). */
	.section .text.straddle_call, "ax", @progbits
	.balign 4096
	.skip 4093, 0x90	/* nops: the call's opcode at 4093, its field at 4094-4097 */
	.globl	straddle_call
	.type	straddle_call, @function
straddle_call:
	call	provider_add
	ret
	.size	straddle_call, . - straddle_call

	.section .note.GNU-stack, "", @progbits
