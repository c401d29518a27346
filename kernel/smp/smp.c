/*
 * The application processors' start (Intel SDM vol. 3, 9.4 "Multiple-
 * processor initialization"): for each CPU the MADT lists, the bootstrap CPU
 * prepares its idle thread and IST stacks, fills the trampoline's parameters
 * (temporary page tables that map the trampoline's page 1:1 beside the
 * kernel's upper half, a boot stack, the entry), sends INIT-SIPI-SIPI and
 * waits until the AP's idle thread says it is online. One AP at a time: they
 * share the trampoline and the boot stack.
 */
#include <console/console.h>
#include <interrupts/interrupts.h>
#include <interrupts/irq.h>
#include <lib/smp.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <memory/layout.h>
#include <memory/memory.h>
#include <nanoswap/probe.h>
#include <sched/sched.h>
#include <smp/smp.h>

MODULE_PROBE(smp)

#define AP_BOOT_STACK_PAGES	2
#define AP_IST_PAGES		2
#define PTE_P_RW		0x3UL
#define PDE_HUGE		0x80UL

extern const uint8_t ap_trampoline[], ap_trampoline_end[], ap_trampoline_params[];

struct ap_params {
	uint64_t cr3, rsp, arg, entry;
};

static uint64_t kernel_cr3, kernel_cr4;
static uint64_t tables[3];	/* the trampoline's PML4, PDPT, PD (physical) */

static uint64_t ist_top[CPU_MAX][2];	/* each AP's double-fault and NMI stack tops */
static unsigned skip;			/* smp_skip_start's AP, 0: none */

void smp_skip_start(unsigned n)
{
	skip = n;
}

/* The AP's first C code, on the shared boot stack, interrupts off: its GS
 * base, the kernel's page tables, its GDT/TSS/IDT and APIC, then its idle
 * thread for good. */
static __attribute__((noreturn)) void smp_ap_entry(struct cpu_local *cpu)
{
	wrmsr(MSR_GS_BASE, (uint64_t)cpu);
	write_cr3(kernel_cr3);		/* (the trampoline's tables go) */
	write_cr4(kernel_cr4);
	interrupts_cpu_init(cpu->id, ist_top[cpu->id][0], ist_top[cpu->id][1]);
	sched_cpu_start();
}

/* A stack of n pages with an unmapped guard page below; its top. */
static enum err stack_alloc(size_t n, uint64_t *top)
{
	uint64_t base;
	enum err e = vrange_alloc(n + 1, &base);

	if (e != E_OK)
		return e;
	if ((e = vm_map_fresh(base + PAGE_SIZE, n, VM_WRITE)) != E_OK) {
		vrange_free(base, n + 1);
		return e;
	}
	*top = base + (n + 1) * PAGE_SIZE;
	return E_OK;
}

static void stack_free(uint64_t top, size_t n)
{
	uint64_t base = top - (n + 1) * PAGE_SIZE;

	vm_unmap_free(base + PAGE_SIZE, n);
	vrange_free(base, n + 1);
}

/* The trampoline's page tables: PML4[0] -> PDPT -> PD[0], the low 2 MiB
 * 1:1 (executable: the trampoline runs there); PML4[256..511] the kernel's. */
static enum err trampoline_tables(void)
{
	uint64_t *pml4, *pdpt, *pd, *kernel = phys_to_virt(kernel_cr3 & ~0xFFFUL);
	enum err e;

	for (unsigned i = 0; i < 3; i++) {
		if ((e = frame_alloc(&tables[i])) != E_OK || tables[i] >= (4UL << 30)) {
			pr_err("smp: no frame below 4 GiB for the trampoline's page tables\n");
			while (i-- > 0)
				frame_free(tables[i]);
			return e != E_OK ? e : E_NO_FRAMES;
		}
		memset(phys_to_virt(tables[i]), 0, PAGE_SIZE);
	}
	pml4 = phys_to_virt(tables[0]);
	pdpt = phys_to_virt(tables[1]);
	pd = phys_to_virt(tables[2]);
	pd[0] = 0 | PDE_HUGE | PTE_P_RW;
	pdpt[0] = tables[2] | PTE_P_RW;
	pml4[0] = tables[1] | PTE_P_RW;
	for (unsigned i = 256; i < 512; i++)
		pml4[i] = kernel[i];
	return E_OK;
}

/* The trampoline at AP_TRAMPOLINE_PHYS, its parameters for CPU c. */
static void trampoline_fill(struct cpu_local *c, uint64_t stack_top)
{
	uint8_t *page = phys_to_virt(AP_TRAMPOLINE_PHYS);
	struct ap_params p = { tables[0], stack_top - 8 /* (as if called) */, (uint64_t)c,
			       (uint64_t)smp_ap_entry };

	memcpy(page, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	memcpy(page + (ap_trampoline_params - ap_trampoline), &p, sizeof(p));
}

/* Wait for CPU c to come online, sleeping in 1 ms steps. */
static bool wait_online(struct cpu_local *c)
{
	uint64_t t0 = irq_uptime_us();

	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
		if (irq_uptime_us() - t0 > AP_START_WAIT_MS * 1000UL)
			return false;
		thread_sleep_ms(1);
	}
	return true;
}

/* Start the AP with APIC id `apic` as cpus[cpu_count]. */
static enum err smp_start_one(uint32_t apic, uint64_t boot_stack)
{
	unsigned id = cpu_count;
	struct cpu_local *c = &cpus[id];
	enum err e;

	*c = (struct cpu_local){ .self = c, .id = id, .apic_id = apic };
	if ((e = stack_alloc(AP_IST_PAGES, &ist_top[id][0])) != E_OK ||
	    (e = stack_alloc(AP_IST_PAGES, &ist_top[id][1])) != E_OK ||
	    (e = sched_cpu_prepare(id)) != E_OK) {
		pr_err("smp: CPU %u (APIC id %u): no memory for its stacks: %s\n", id, apic,
		       err_name(e));
		return e;
	}
	cpu_count++;
	trampoline_fill(c, boot_stack);
	if (id == skip)
		kprintf("smp: CPU %u (APIC id %u) is sent no STARTUP (smp_skip=%u)\n", id, apic, skip);
	else if ((e = irq_start_cpu(apic, AP_TRAMPOLINE_PHYS)) != E_OK) {
		pr_err("smp: CPU %u: APIC id %u cannot be sent STARTUP (xAPIC ids end at 254): "
		       "left out\n", id, apic);
		return e;
	}
	if (!wait_online(c)) {
		irq_hold_cpu(apic);	/* (INIT: it waits for a STARTUP that never comes) */
		pr_err("smp: CPU %u (APIC id %u) did not come online within %u ms: left out\n",
		       id, apic, AP_START_WAIT_MS);
		return E_SMP_CPU_TIMEOUT;
	}
	return E_OK;
}

enum err smp_start(void)
{
	uint32_t ids[CPU_MAX];
	unsigned n, bsp, lost = 0;
	uint64_t boot_stack;
	enum err e;

	if (!irq_ready())
		return E_IRQ_NO_APIC;
	n = irq_cpu_apic_ids(ids, CPU_MAX);
	bsp = irq_lapic_id();
	if (n > CPU_MAX)
		pr_warn("smp: the MADT lists %u CPUs; CPU_MAX (%d) are started\n", n, CPU_MAX);
	kernel_cr3 = read_cr3();
	kernel_cr4 = read_cr4();
	if (n <= 1)
		goto out;
	if ((e = trampoline_tables()) != E_OK)
		return e;
	if ((e = stack_alloc(AP_BOOT_STACK_PAGES, &boot_stack)) != E_OK)
		return e;
	for (unsigned i = 0; i < n && i < CPU_MAX; i++)
		if (ids[i] != bsp && smp_start_one(ids[i], boot_stack) == E_SMP_CPU_TIMEOUT)
			lost++;
	if (!lost) {	/* (one that is late may still run on them) */
		stack_free(boot_stack, AP_BOOT_STACK_PAGES);
		for (unsigned i = 0; i < 3; i++)
			frame_free(tables[i]);
	}
out:
	kprintf("smp: %u of %u CPUs online\n", cpu_online_count(), n < CPU_MAX ? n : CPU_MAX);
	return E_OK;
}

void smp_print_cpus(void)
{
	kprintf("cpu  apic  online  ticks       threads run  shootdowns served\n");
	for (unsigned i = 0; i < cpu_count; i++)
		kprintf("%-4u %-5u %-7s %-11lu %-12lu %lu\n", i, cpus[i].apic_id,
			cpus[i].online ? "yes" : "no", cpus[i].ticks, cpus[i].threads_run,
			cpus[i].tlb_served);
}
