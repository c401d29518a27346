/* Private to the interrupts module. */
#ifndef INTERRUPTS_INTERNAL_H
#define INTERRUPTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <interrupts/interrupts.h>

#define GDT_KERNEL_CODE	0x08
#define GDT_KERNEL_DATA	0x10
#define GDT_TSS		0x18
#define IST_DOUBLE	1
#define IST_NMI		2

void gdt_init(void);
void idt_init(void);
void idt_load(void);
/* apic.c: this AP's local APIC, as the bootstrap CPU's (its timer at the same rate). */
void lapic_cpu_init(void);
/* apic.c: what the interrupts module registered below it, again (a swap hook's part). */
void irq_swapped(void);
void trap_dispatch(struct trap_frame *tf);
/* Does [addr, addr+len) lie within one kernel stack (boot or IST)? Backtraces
 * walk only frames there. */
int stack_contains(uint64_t addr, uint64_t len);

/* jump.S: setjmp/longjmp for fault_catch. */
struct jump_buf {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip, rflags;
};
int jump_save(struct jump_buf *buf) __attribute__((returns_twice));
__attribute__((noreturn)) void jump_restore(struct jump_buf *buf, int value);

extern const uint64_t isr_stub_table[256];

/* The registered symbolizer's section answer (backtrace.c); false if none. */
bool interrupts_section_at(uint64_t addr, const char **crate, const char **section,
			   uint64_t *offset);

/* madt.c: what the MADT says about the interrupt controllers and CPUs. */
#define MADT_MAX_CPUS 64
struct madt_info {
	uint64_t lapic_phys, ioapic_phys;
	uint32_t ioapic_gsi_base;
	uint32_t isa_gsi[16];		/* ISA IRQ -> GSI (identity unless overridden) */
	uint16_t isa_flags[16];		/* MPS INTI flags: polarity bits 0-1, trigger 2-3 */
	uint32_t cpu_apic_id[MADT_MAX_CPUS];	/* bootstrap CPU's first (see madt_read) */
	unsigned ncpus;
};
/* Fill *m from the ACPI tables (rsdp_copy: the boot loader's, or NULL);
 * false when there is no MADT with a local APIC and an IOAPIC. */
bool madt_read(const void *rsdp_copy, struct madt_info *m);

/* apic.c: an interrupt vector (32-255) arrived. */
void irq_dispatch(struct trap_frame *tf);

#endif
