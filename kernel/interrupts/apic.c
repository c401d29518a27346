/*
 * The interrupt controllers: the local APIC (timer and EOI), the IOAPIC
 * (device IRQs) and the legacy 8259 PIC, remapped to VEC_PIC_BASE and
 * masked so that only its spurious interrupts can reach us (counted). The
 * APIC timer is calibrated against the PIT's channel 0 (read back with the
 * latch command, no PIT interrupt) and then ticks at TIMER_HZ.
 */
#include <console/console.h>
#include <lib/cpu.h>
#include <lib/smp.h>
#include <interrupts/irq.h>
#include <lib/x86.h>
#include <memory/layout.h>
#include "interrupts_internal.h"

#define MSR_APIC_BASE		0x1B
#define APIC_BASE_ENABLE	(1UL << 11)

#define LAPIC_ID		0x020
#define LAPIC_TPR		0x080
#define LAPIC_EOI		0x0B0
#define LAPIC_SVR		0x0F0
#define LAPIC_ISR		0x100
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_COUNT	0x390
#define LAPIC_TIMER_DIV		0x3E0
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define ICR_PENDING		(1u << 12)
#define ICR_INIT		0x00000500u
#define ICR_STARTUP		0x00000600u
#define ICR_ASSERT		(1u << 14)
#define ICR_LEVEL		(1u << 15)
#define LVT_MASKED		(1u << 16)
#define LVT_PERIODIC		(1u << 17)
#define SVR_ENABLE		(1u << 8)
#define TIMER_DIV_16		0x3

#define IOAPIC_REGSEL		0x00
#define IOAPIC_WIN		0x10
#define IOAPIC_VER		0x01
#define IOAPIC_REDIR(n)		(0x10 + 2 * (n))
#define REDIR_MASKED		(1u << 16)
#define REDIR_LEVEL		(1u << 15)
#define REDIR_ACTIVE_LOW	(1u << 13)

#define PIT_CH0			0x40
#define PIT_CMD			0x43
#define PIT_HZ			1193182
#define CALIBRATE_MS		10


static volatile uint32_t *lapic, *ioapic;
static unsigned ioapic_inputs;
static struct madt_info madt;
static struct irq_stats stats;
static unsigned hz, timer_gen;	/* timer_gen: bumped by each timer_set_hz */
static uint64_t period_us;
static void (*tick_fn)(void);
static void (*handlers[256])(void);

static uint32_t lapic_read(unsigned reg)
{
	return lapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

static uint32_t ioapic_read(unsigned reg)
{
	ioapic[IOAPIC_REGSEL / 4] = reg;
	return ioapic[IOAPIC_WIN / 4];
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	ioapic[IOAPIC_REGSEL / 4] = reg;
	ioapic[IOAPIC_WIN / 4] = v;
}

static void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
	__atomic_fetch_add(&stats.eoi, 1, __ATOMIC_RELAXED);	/* (every CPU's) */
}

/* Device registers through the direct map (the low 4 GiB; the firmware's
 * MTRRs make the APIC range uncached whatever the page says). */
static enum err map_device(uint64_t phys, volatile uint32_t **out)
{
	if (phys >= (4UL << 30))
		return E_INVALID_ARG;
	*out = phys_to_virt(phys);
	return E_OK;
}

/* This CPU's local APIC on, its local inputs masked. */
static void lapic_enable(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

static void lapic_timer_start(void)
{
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)(stats.lapic_per_ms * 1000 / hz));
}

void lapic_cpu_init(void)
{
	lapic_enable();
	this_cpu()->timer_gen = timer_gen;
	if (hz)
		lapic_timer_start();
}


uint32_t irq_lapic_id(void)
{
	return lapic ? lapic_read(LAPIC_ID) >> 24 : 0;
}

unsigned irq_cpu_apic_ids(uint32_t *out, unsigned max)
{
	unsigned n = madt.ncpus < MADT_MAX_CPUS ? madt.ncpus : MADT_MAX_CPUS;

	for (unsigned i = 0; i < n && i < max; i++)
		out[i] = madt.cpu_apic_id[i];
	return madt.ncpus;
}

/* One interrupt command, interrupts off (an interrupt between the two writes
 * would send its own), waiting until the APIC has taken it. */
static void lapic_icr(uint32_t apic_id, uint32_t low)
{
	uint64_t f = irq_save();

	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, low);
	while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
	irq_restore(f);
}

/* The IPI sender smp_set_ipi is given: a fixed interrupt to each CPU in mask. */
static void irq_send_ipi(uint64_t mask, unsigned vec)
{
	for (unsigned i = 0; i < CPU_MAX; i++)
		if (mask >> i & 1)
			lapic_icr(cpus[i].apic_id, vec);
}

/* Wait `us` microseconds of the tick's clock (interrupts on: it must tick). */
static void tick_delay(uint64_t us)
{
	uint64_t t = irq_uptime_us();

	while (irq_uptime_us() - t < us)
		cpu_relax();
}

enum err irq_start_cpu(uint32_t apic_id, uint64_t trampoline_phys)
{
	if (!lapic || trampoline_phys >= 0x100000 || (trampoline_phys & 0xFFF) || apic_id > 0xFE)
		return E_INVALID_ARG;
	lapic_icr(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	tick_delay(10000);	/* 10 ms (Intel SDM vol. 3, 9.4.4.1) */
	for (int i = 0; i < 2; i++) {	/* two STARTUPs, 200 us apart (a tick, here) */
		lapic_icr(apic_id, ICR_STARTUP | (uint32_t)(trampoline_phys >> 12));
		tick_delay(1000);
	}
	return E_OK;
}

void irq_hold_cpu(uint32_t apic_id)
{
	if (lapic && apic_id <= 0xFE)
		lapic_icr(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
}

void irq_swapped(void)
{
	smp_set_ipi(irq_send_ipi);
}

/* ICW1-4: the PIC's vectors at VEC_PIC_BASE (never an exception's), all masked. */
static void pic_remap_and_mask(void)
{
	outb(0x20, 0x11);
	outb(0xA0, 0x11);
	outb(0x21, VEC_PIC_BASE);
	outb(0xA1, VEC_PIC_BASE + 8);
	outb(0x21, 4);
	outb(0xA1, 2);
	outb(0x21, 1);
	outb(0xA1, 1);
	outb(0x21, 0xFF);
	outb(0xA1, 0xFF);
}

/* The PIT's channel 0 count, latched. */
static uint16_t pit_read(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, 0x00);
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(lo | hi << 8);
}

/* APIC timer counts (divide by 16) in one ms: count CALIBRATE_MS of PIT time. */
static uint64_t lapic_calibrate(void)
{
	uint64_t want = (uint64_t)PIT_HZ * CALIBRATE_MS / 1000, seen = 0;
	uint16_t last;

	outb(PIT_CMD, 0x34);		/* channel 0, lo/hi byte, mode 2, binary */
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);		/* reload 65536 */
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	last = pit_read();
	lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFF);
	while (seen < want) {
		uint16_t now = pit_read();

		seen += (uint16_t)(last - now);	/* counts down, wraps at 65536 */
		last = now;
	}
	return (0xFFFFFFFFu - lapic_read(LAPIC_TIMER_COUNT)) / CALIBRATE_MS;
}

enum err timer_set_hz(unsigned want)
{
	if (want == 0 || want > TIMER_HZ_MAX || !lapic)
		return E_INVALID_ARG;
	hz = want;
	period_us = 1000000 / want;
	this_cpu()->timer_gen = ++timer_gen;	/* (the others at their next tick) */
	lapic_timer_start();
	return E_OK;
}

unsigned timer_hz(void)
{
	return hz;
}

enum err irq_init(const void *rsdp)
{
	enum err e;

	if (!madt_read(rsdp, &madt)) {
		pr_err("irq: no ACPI MADT with a local APIC and an IOAPIC: no interrupts\n");
		return E_IRQ_NO_APIC;
	}
	stats.ncpus = madt.ncpus;
	pic_remap_and_mask();
	if ((e = map_device(madt.lapic_phys, &lapic)) != E_OK ||
	    (e = map_device(madt.ioapic_phys, &ioapic)) != E_OK) {
		pr_err("irq: cannot map the APIC registers: %s\n", err_name(e));
		return e;
	}
	lapic_enable();
	cpus[0].apic_id = irq_lapic_id();
	smp_set_ipi(irq_send_ipi);
	ioapic_inputs = ((ioapic_read(IOAPIC_VER) >> 16) & 0xFF) + 1;
	for (unsigned i = 0; i < ioapic_inputs; i++)
		ioapic_write(IOAPIC_REDIR(i), REDIR_MASKED | (VEC_IRQ_BASE + i));
	stats.lapic_per_ms = lapic_calibrate();
	if (stats.lapic_per_ms < 1000 / TIMER_HZ_MAX * 1000 + 20) {
		pr_err("irq: the APIC timer counts %lu per ms: too slow to calibrate\n",
		       stats.lapic_per_ms);
		return E_IRQ_NO_APIC;
	}
	return timer_set_hz(TIMER_HZ);
}

bool irq_ready(void)
{
	return hz != 0;
}

enum err irq_register_isa(unsigned isa, void (*fn)(void))
{
	uint32_t gsi, lo, flags;

	if (isa > 15 || !ioapic)
		return E_INVALID_ARG;
	gsi = madt.isa_gsi[isa] - madt.ioapic_gsi_base;
	if (gsi >= ioapic_inputs || VEC_IRQ_BASE + gsi >= VEC_PIC_BASE)
		return E_INVALID_ARG;
	flags = madt.isa_flags[isa];
	lo = VEC_IRQ_BASE + gsi;
	if ((flags & 3) == 3)
		lo |= REDIR_ACTIVE_LOW;
	if ((flags >> 2 & 3) == 3)
		lo |= REDIR_LEVEL;
	handlers[VEC_IRQ_BASE + gsi] = fn;
	ioapic_write(IOAPIC_REDIR(gsi) + 1, lapic_read(LAPIC_ID) & 0xFF000000);
	ioapic_write(IOAPIC_REDIR(gsi), lo);
	return E_OK;
}

void irq_set_tick(void (*fn)(void))
{
	tick_fn = fn;
}

/* Is `vec` in service at the local APIC (so it needs an EOI)? */
static bool lapic_in_service(unsigned vec)
{
	return lapic && lapic_read(LAPIC_ISR + 0x10 * (vec / 32)) & (1u << (vec % 32));
}

void irq_dispatch(struct trap_frame *tf)
{
	unsigned vec = (unsigned)tf->vector;
	struct cpu_local *cpu = this_cpu();

	cpu->irq_depth++;
	if (vec == VEC_TIMER) {
		cpu->ticks++;
		if (cpu->timer_gen != timer_gen) {	/* timer_set_hz on another CPU */
			cpu->timer_gen = timer_gen;
			lapic_timer_start();
		}
		if (cpu->id == 0) {	/* (the bootstrap CPU's ticks keep the time) */
			stats.ticks++;
			stats.uptime_us += period_us;
		}
		lapic_eoi();	/* first: the tick may switch threads */
		if (tick_fn)
			tick_fn();
	} else if (vec == VEC_IPI_TLB) {
		lapic_eoi();
		tlb_serve();
	} else if (vec == VEC_IPI_WAKE) {
		lapic_eoi();	/* (it ended a parked CPU's hlt: nothing else to do) */
	} else if (vec == VEC_IPI_STOP) {
		lapic_eoi();	/* (first: the next stop's IPI may come while we park) */
		smp_park_if_asked();
	} else if (vec == VEC_SPURIOUS || (vec >= VEC_PIC_BASE && vec < VEC_PIC_BASE + 16)) {
		__atomic_fetch_add(&stats.spurious, 1, __ATOMIC_RELAXED); /* (no EOI: none due) */
	} else if (handlers[vec]) {
		__atomic_fetch_add(&stats.device, 1, __ATOMIC_RELAXED);
		handlers[vec]();
		lapic_eoi();
	} else {
		__atomic_fetch_add(&stats.unknown, 1, __ATOMIC_RELAXED);
		if (lapic_in_service(vec))
			lapic_eoi();
	}
	this_cpu()->irq_depth--;	/* (the tick may have switched threads: maybe another CPU) */
}

void irq_get_stats(struct irq_stats *out)
{
	*out = stats;
}

uint64_t irq_ticks(void)
{
	return stats.ticks;
}

uint64_t irq_uptime_us(void)
{
	return stats.uptime_us;
}
