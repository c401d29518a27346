/*
 * The IDT: interrupt gates for all 256 vectors (the 32 CPU exceptions and
 * the interrupts), all into isr.S. The double fault and NMI run on their
 * own IST stacks.
 */
#include <console/console.h>
#include <interrupts/backtrace.h>
#include <interrupts/interrupts.h>
#include <nanoswap/noptr.h>
#include <nanoswap/swap_hook.h>
#include "interrupts_internal.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

#define GATE_INTERRUPT	0x8E	/* present, DPL 0, 64-bit interrupt gate */

/* Its gates are checked exactly (retire_check_idt): not scanned as words,
 * where 256 gates hold code-address-like byte runs. */
static struct idt_gate idt[256] NS_NOSCAN;

static void idt_set(unsigned vec, uint64_t handler, unsigned ist)
{
	idt[vec] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = GDT_KERNEL_CODE,
		.ist = ist,
		.type_attr = GATE_INTERRUPT,
		.offset_mid = handler >> 16 & 0xffff,
		.offset_high = handler >> 32,
	};
}

/* This CPU's IDTR: the one IDT every CPU shares. */
void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, isr_stub_table[v], 0);
	idt_set(VEC_DOUBLE, isr_stub_table[VEC_DOUBLE], IST_DOUBLE);
	idt_set(VEC_NMI, isr_stub_table[VEC_NMI], IST_NMI);
	idt_load();
}

/* After a swap, the new copy points every gate at its own stubs, and panic
 * at its own backtrace. */
static enum err idt_swapped(void)
{
	idt_init();
	console_set_backtrace(backtrace_print);
	irq_swapped();
	return E_OK;
}
SWAP_HOOK(idt_swapped);
