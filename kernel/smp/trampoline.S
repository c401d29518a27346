/*
 * The application processors' way from real mode to the higher half. The
 * smp module (smp.c) copies this blob to AP_TRAMPOLINE_PHYS (below 1 MiB, page
 * aligned: the SIPI's vector is its page number) and fills its parameter
 * block; each AP starts here in 16-bit real mode at CS:IP = page:0, loads
 * the blob's GDT, enters protected mode, then long mode on the page tables
 * the parameters name (an identity map of the low 2 MiB beside the kernel's
 * upper half), and jumps to the 64-bit entry with its stack and argument.
 * The code runs at its copy's address: every address below is an offset
 * from ap_trampoline plus AP_TRAMPOLINE_PHYS.
 */
#include <smp/smp.h>	/* AP_TRAMPOLINE_PHYS (its C part is guarded) */
#define AT(label)		(AP_TRAMPOLINE_PHYS + (label) - ap_trampoline)

	.section .rodata
	.balign 16
	.globl	ap_trampoline, ap_trampoline_end, ap_trampoline_params
	.code16
ap_trampoline:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	AT(ap_gdt_ptr)
	movl	%cr0, %eax
	andl	$~((1 << 29) | (1 << 30)), %eax	/* NW, CD: INIT set them (caches on) */
	orl	$1, %eax			/* PE */
	movl	%eax, %cr0
	ljmpl	$0x08, $AT(ap_pm32)

	.code32
ap_pm32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr4, %eax
	orl	$(1 << 5), %eax			/* PAE */
	movl	%eax, %cr4
	movl	AT(ap_trampoline_params), %eax	/* the temporary PML4 (below 4 GiB) */
	movl	%eax, %cr3
	movl	$0xC0000080, %ecx		/* EFER: LME | NXE */
	rdmsr
	orl	$((1 << 8) | (1 << 11)), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$((1 << 31) | (1 << 16)), %eax	/* PG | WP */
	movl	%eax, %cr0
	ljmpl	$0x18, $AT(ap_lm64)

	.code64
ap_lm64:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs
	movq	AT(ap_trampoline_params) + 8, %rsp	/* its stack (higher half) */
	movq	AT(ap_trampoline_params) + 16, %rdi	/* its struct cpu_local */
	xorl	%ebp, %ebp			/* (ends frame-pointer walks) */
	jmpq	*AT(ap_trampoline_params) + 24	/* the 64-bit entry */

	.balign 8
ap_gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF		/* 0x08: 32-bit code */
	.quad	0x00CF92000000FFFF		/* 0x10: data */
	.quad	0x00AF9A000000FFFF		/* 0x18: 64-bit code */
ap_gdt_end:
ap_gdt_ptr:
	.short	ap_gdt_end - ap_gdt - 1
	.long	AT(ap_gdt)

	.balign 8
/* Filled by the BSP for each AP: cr3, rsp, argument, entry. */
ap_trampoline_params:
	.quad	0, 0, 0, 0
ap_trampoline_end:

	.section .note.GNU-stack, "", @progbits
