/*
 * Interrupts from devices and the timer: the local APIC (its timer, EOI),
 * the IOAPIC (device IRQs), the legacy PIC remapped and masked. Vectors:
 * the timer VEC_TIMER, ISA IRQ n at VEC_IRQ_BASE + its GSI, the APIC's
 * spurious vector VEC_SPURIOUS; the PIC's (masked) at VEC_PIC_BASE. A
 * spurious or unknown vector is counted, never fatal.
 */
#ifndef INTERRUPTS_IRQ_H
#define INTERRUPTS_IRQ_H

#include <nanoswap/err.h>
#include <stdbool.h>
#include <stdint.h>

#define VEC_TIMER	0x20
#define VEC_IRQ_BASE	0x30
#define VEC_PIC_BASE	0xE0
#define VEC_SPURIOUS	0xFF
#define IRQ_COM1	4

#define TIMER_HZ	1000	/* the periodic tick */
#define TIMER_HZ_MAX	20000	/* the fastest timer_set_hz takes */

/*
 * Find the controllers in the MADT (rsdp: the boot loader's copy of the
 * RSDP, or NULL to search the BIOS area), remap and mask the PIC, enable the
 * local APIC, mask every IOAPIC input, calibrate the APIC timer against the
 * PIT and start it at TIMER_HZ. Interrupts stay off (irq_enable turns them
 * on). E_IRQ_NO_APIC when there is no MADT (logged).
 */
enum err irq_init(const void *rsdp) NS_MUST_CHECK;

/* Route ISA IRQ `isa` (its MADT override applied) to fn, called with
 * interrupts off, and unmask it. E_INVALID_ARG beyond 15. */
enum err irq_register_isa(unsigned isa, void (*fn)(void)) NS_MUST_CHECK;

/* Called on every timer tick, after the EOI, with interrupts off; it may
 * switch threads (the scheduler's). NULL: none. */
void irq_set_tick(void (*fn)(void));

/* This CPU's local APIC id; the MADT's CPUs' ids into out (up to max), and
 * how many it lists (enabled ones, xAPIC and x2APIC entries). */
uint32_t irq_lapic_id(void);
unsigned irq_cpu_apic_ids(uint32_t *out, unsigned max);

/* INIT, then two STARTUPs with the vector trampoline_phys >> 12 (a page
 * below 1 MiB) to the CPU apic_id (xAPIC: at most 0xFE), with the SDM's
 * delays. E_INVALID_ARG for another page or id. */
enum err irq_start_cpu(uint32_t apic_id, uint64_t trampoline_phys) NS_MUST_CHECK;
/* INIT to the CPU apic_id: it waits for a STARTUP again (one left out). */
void irq_hold_cpu(uint32_t apic_id);

/* The tick's rate, on every CPU (the others switch at their next tick);
 * E_INVALID_ARG outside [1, TIMER_HZ_MAX]. */
enum err timer_set_hz(unsigned hz) NS_MUST_CHECK;
unsigned timer_hz(void);

struct irq_stats {
	uint64_t ticks;			/* timer interrupts */
	uint64_t uptime_us;		/* time the ticks account for */
	uint64_t device;		/* device interrupts handled */
	uint64_t spurious;		/* the APIC's spurious vector and the PIC's */
	uint64_t unknown;		/* vectors nobody registered */
	uint64_t lapic_per_ms;		/* APIC timer counts per ms (calibrated) */
	uint64_t eoi;			/* EOIs written */
	unsigned ncpus;			/* CPUs the MADT lists */
};
void irq_get_stats(struct irq_stats *out);
uint64_t irq_ticks(void);
uint64_t irq_uptime_us(void);
/* Is the timer running (irq_init done)? */
bool irq_ready(void);

#endif
