/*
 * Multiboot2 entry: GRUB jumps to _start in 32-bit protected mode with paging
 * off. We check that we were booted by a multiboot2 loader and that the CPU
 * has long mode and NX (printing a clear message on COM1 and halting if not),
 * build early page tables, enter long mode, jump to the higher half and call
 * kernel_main(magic, info). Everything before long_mode_high runs at its
 * physical address; the memory module replaces these tables with W^X ones.
 *
 * Early map (2 MiB pages, RWX, replaced later):
 *   0..4 GiB                    identity              (PML4[0])
 *   0xFFFF800000000000 + 0..4G  direct map            (PML4[256], same PDPT)
 *   0xFFFFFFFF80000000 + 0..2G  kernel image window   (PML4[511])
 */
#include <memory/layout.h>

#define MB2_HEADER_MAGIC	0xE85250D6
#define MB2_BOOT_MAGIC		0x36D76289
#define COM1			0x3F8
#define DEBUG_EXIT_PORT		0xF4
#define BOOT_EXIT_NO_MB2	0x20	/* QEMU exits with (0x20 << 1) | 1 = 65 */
#define BOOT_EXIT_NO_LM		0x21	/* 67 */
#define BOOT_EXIT_NO_NX		0x22	/* 69 */

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	0				/* architecture: i386 */
	.long	mb2_header_end - mb2_header
	.long	-(MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
	.balign 8				/* module alignment tag: page-aligned modules */
	.short	6, 0
	.long	8
	.balign 8				/* end tag */
	.short	0, 0
	.long	8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl	_start
_start:
	cli
	cld
	movl	$boot_stack32_top, %esp
	movl	%eax, %edi			/* magic: first argument of kernel_main */
	movl	%ebx, %esi			/* info (physical): second argument */

	cmpl	$MB2_BOOT_MAGIC, %eax
	jne	fail_no_mb2
	movl	$0x80000000, %eax		/* is leaf 0x80000001 there? */
	cpuid
	cmpl	$0x80000001, %eax
	jb	fail_no_lm
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 29), %edx		/* LM */
	jz	fail_no_lm
	testl	$(1 << 20), %edx		/* NX */
	jz	fail_no_nx

	call	build_early_tables

	movl	%cr4, %eax
	orl	$(1 << 5), %eax			/* PAE */
	movl	%eax, %cr4
	movl	$early_pml4, %eax
	movl	%eax, %cr3
	movl	$0xC0000080, %ecx		/* EFER */
	rdmsr
	orl	$((1 << 8) | (1 << 11)), %eax	/* LME | NXE */
	wrmsr
	movl	%cr0, %eax
	orl	$((1 << 31) | (1 << 16)), %eax	/* PG | WP */
	movl	%eax, %cr0
	lgdt	early_gdt_ptr
	ljmp	$0x08, $long_mode_low

/* Zero the early tables, then fill them: 2048 2 MiB pages cover 0..4 GiB. */
build_early_tables:
	pushl	%edi
	movl	$early_tables_start, %edi
	movl	$(early_tables_end - early_tables_start) / 4, %ecx
	xorl	%eax, %eax
	rep stosl
	movl	$early_pd, %edi			/* PD entries: phys | PS | RW | P */
	movl	$0x83, %eax
	xorl	%edx, %edx			/* high dword of the physical address */
	movl	$2048, %ecx
1:	movl	%eax, (%edi)
	movl	%edx, 4(%edi)
	addl	$0x200000, %eax
	adcl	$0, %edx
	addl	$8, %edi
	loop	1b
	movl	$early_pdpt_low, %edi		/* PDPT_low[0..3] -> the four PDs */
	movl	$early_pd + 3, %eax
	movl	$4, %ecx
2:	movl	%eax, (%edi)
	addl	$4096, %eax
	addl	$8, %edi
	loop	2b
	movl	$early_pdpt_low + 3, %eax
	movl	%eax, early_pml4		/* PML4[0]: identity */
	movl	%eax, early_pml4 + 256 * 8	/* PML4[256]: direct map */
	movl	$early_pdpt_high + 3, %eax
	movl	%eax, early_pml4 + 511 * 8	/* PML4[511]: kernel window */
	movl	$early_pd + 3, %eax
	movl	%eax, early_pdpt_high + 510 * 8
	movl	$early_pd + 4096 + 3, %eax
	movl	%eax, early_pdpt_high + 511 * 8
	popl	%edi
	ret

fail_no_mb2:
	movl	$msg_no_mb2, %esi
	movb	$BOOT_EXIT_NO_MB2, %bl
	jmp	boot_fail
fail_no_lm:
	movl	$msg_no_lm, %esi
	movb	$BOOT_EXIT_NO_LM, %bl
	jmp	boot_fail
fail_no_nx:
	movl	$msg_no_nx, %esi
	movb	$BOOT_EXIT_NO_NX, %bl
/* Print the string at %esi on COM1, signal QEMU's isa-debug-exit (ignored on
 * real hardware) with %bl, then halt for good. */
boot_fail:
1:	movb	(%esi), %cl
	testb	%cl, %cl
	jz	3f
	movw	$COM1 + 5, %dx			/* line status: wait for THR empty */
2:	inb	%dx, %al
	testb	$0x20, %al
	jz	2b
	movw	$COM1, %dx
	movb	%cl, %al
	outb	%al, %dx
	incl	%esi
	jmp	1b
3:	movb	%bl, %al
	outb	%al, $DEBUG_EXIT_PORT
4:	cli
	hlt
	jmp	4b

	.code64
long_mode_low:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs
	movabsq	$long_mode_high, %rax
	jmp	*%rax

	.section .boot.rodata, "a"
	.balign 8
/* Accessed bits preset: the CPU never needs to write these descriptors. */
early_gdt:
	.quad	0
	.quad	0x00AF9B000000FFFF		/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00CF93000000FFFF		/* 0x10: data, DPL 0 */
early_gdt_end:
early_gdt_ptr:
	.short	early_gdt_end - early_gdt - 1
	.long	early_gdt
msg_no_mb2:
	.asciz	"nanoswap: not booted by a multiboot2 loader (bad magic in EAX); halting\r\n"
msg_no_lm:
	.asciz	"nanoswap: this CPU has no long mode (x86_64); halting\r\n"
msg_no_nx:
	.asciz	"nanoswap: this CPU has no NX (execute-disable) bit; halting\r\n"

	.section .boot.bss, "aw", @nobits
	.balign 4096
early_tables_start:
early_pml4:	.skip 4096
early_pdpt_low:	.skip 4096
early_pdpt_high: .skip 4096
early_pd:	.skip 4 * 4096
early_tables_end:
	.skip 1024
boot_stack32_top:

/* Higher half from here on: this code runs at its link address. */
	.text
	.type	long_mode_high, @function
long_mode_high:
	movabsq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp			/* ends frame-pointer backtraces */
	movl	%edi, %edi			/* upper halves are undefined after */
	movl	%esi, %esi			/* the mode switch: zero-extend */
	lgdt	early_gdt_ptr_high(%rip)	/* GDT through the kernel window */
	movl	$0xC0000101, %ecx		/* GS base: cpus[0], for this_cpu() */
	movabsq	$cpus, %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
	wrmsr
	call	kernel_main
1:	cli
	hlt
	jmp	1b
	.size	long_mode_high, . - long_mode_high

	.section .rodata
	.balign 8
early_gdt_ptr_high:
	.short	early_gdt_end - early_gdt - 1
	.quad	early_gdt + KERNEL_VMA

	.bss
	.balign 16
	.globl	boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip	BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
