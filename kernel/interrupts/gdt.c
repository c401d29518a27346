/*
 * Each CPU's GDT (kernel code, kernel data, its TSS) and the TSS whose IST
 * stacks give the double-fault and NMI handlers a known-good stack even when
 * the kernel stack is gone. The bootstrap CPU's replaces the boot stub's
 * GDT and has static IST stacks; an AP's come from the smp module.
 */
#include <console/console.h>
#include <interrupts/interrupts.h>
#include <lib/cpu.h>
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

static struct tss tss[CPU_MAX];
static uint64_t gdt[CPU_MAX][5];
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

static void gdt_set_tss(uint64_t *g, unsigned index, uint64_t base, uint32_t limit)
{
	g[index] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89UL << 40 |
		   (uint64_t)(limit >> 16 & 0xf) << 48 | (base >> 24 & 0xff) << 56;
	g[index + 1] = base >> 32;
}

/* Load CPU `id`'s GDT and TSS (IST stacks ending at the two tops). */
static void gdt_load(unsigned id, uint64_t double_top, uint64_t nmi_top)
{
	uint64_t *g = gdt[id];
	struct tss *t = &tss[id];
	struct gdt_ptr ptr = { sizeof(gdt[id]) - 1, (uint64_t)g };

	memset(t, 0, sizeof(*t));
	t->ist[IST_DOUBLE - 1] = double_top;
	t->ist[IST_NMI - 1] = nmi_top;
	t->iomap_base = sizeof(*t);	/* no I/O bitmap */

	g[0] = 0;
	g[1] = 0x00AF9B000000FFFFUL;	/* 0x08: 64-bit code, DPL 0, accessed */
	g[2] = 0x00CF93000000FFFFUL;	/* 0x10: data, DPL 0, accessed */
	gdt_set_tss(g, 3, (uint64_t)t, sizeof(*t) - 1);

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

void gdt_init(void)
{
	gdt_load(0, (uint64_t)(ist_double_stack + IST_STACK_SIZE),
		 (uint64_t)(ist_nmi_stack + IST_STACK_SIZE));
}

void interrupts_cpu_init(unsigned id, uint64_t ist_double_top, uint64_t ist_nmi_top)
{
	if (id == 0 || id >= CPU_MAX)
		panic("BUG: interrupts_cpu_init: CPU %u is not an AP", id);
	gdt_load(id, ist_double_top, ist_nmi_top);
	idt_load();
	lapic_cpu_init();
}
