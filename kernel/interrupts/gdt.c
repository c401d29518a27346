/*
 * Our GDT (kernel code, kernel data, TSS) and the TSS whose IST stacks give
 * the double-fault and NMI handlers a known-good stack even when the kernel
 * stack is gone. Replaces the boot stub's GDT.
 */
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include "interrupts_internal.h"

#define IST_STACK_SIZE	(8 * 1024)

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[5];
static uint8_t ist_double_stack[IST_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t ist_nmi_stack[IST_STACK_SIZE] __attribute__((aligned(16)));

extern uint8_t boot_stack_bottom[], boot_stack_top[];

/* The stack init runs on after the swap (interrupts_set_kernel_stack). */
static uint64_t kernel_stack_lo, kernel_stack_hi;

void interrupts_set_kernel_stack(uint64_t lo, uint64_t hi)
{
	kernel_stack_lo = lo;
	kernel_stack_hi = hi;
}

static unsigned (*thread_stacks)(struct stack_range *out, unsigned max);

void interrupts_set_thread_stacks(unsigned (*fn)(struct stack_range *out, unsigned max))
{
	thread_stacks = fn;
}

unsigned interrupts_stacks(struct stack_range *out)
{
	unsigned n = 3;

	out[0] = (struct stack_range){ "boot", (uint64_t)boot_stack_bottom, (uint64_t)boot_stack_top };
	out[1] = (struct stack_range){ "double fault", (uint64_t)ist_double_stack,
				       (uint64_t)ist_double_stack + IST_STACK_SIZE };
	out[2] = (struct stack_range){ "NMI", (uint64_t)ist_nmi_stack,
				       (uint64_t)ist_nmi_stack + IST_STACK_SIZE };
	if (kernel_stack_hi)
		out[n++] = (struct stack_range){ "kernel", kernel_stack_lo, kernel_stack_hi };
	if (thread_stacks)
		n += thread_stacks(out + n, INTERRUPTS_MAX_STACKS - n);
	return n;
}

int stack_contains(uint64_t addr, uint64_t len)
{
	struct stack_range stacks[INTERRUPTS_MAX_STACKS];
	unsigned n = interrupts_stacks(stacks);

	for (unsigned i = 0; i < n; i++)
		if (addr >= stacks[i].lo && addr + len <= stacks[i].hi)
			return 1;
	return 0;
}

static void gdt_set_tss(unsigned index, uint64_t base, uint32_t limit)
{
	gdt[index] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89UL << 40 |
		     (uint64_t)(limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
	gdt[index + 1] = base >> 32;
}

void gdt_init(void)
{
	struct gdt_ptr ptr = { sizeof(gdt) - 1, (uint64_t)gdt };

	memset(&tss, 0, sizeof(tss));
	tss.ist[IST_DOUBLE - 1] = (uint64_t)(ist_double_stack + IST_STACK_SIZE);
	tss.ist[IST_NMI - 1] = (uint64_t)(ist_nmi_stack + IST_STACK_SIZE);
	tss.iomap_base = sizeof(tss);	/* no I/O bitmap */

	gdt[0] = 0;
	gdt[1] = 0x00AF9B000000FFFFUL;	/* 0x08: 64-bit code, DPL 0, accessed */
	gdt[2] = 0x00CF93000000FFFFUL;	/* 0x10: data, DPL 0, accessed */
	gdt_set_tss(3, (uint64_t)&tss, sizeof(tss) - 1);

	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w2, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"ltr %w3"
		: : "m"(ptr), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
		: "rax", "memory");
}
