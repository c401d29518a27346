/*
 * The other CPUs: found in the MADT, started (INIT-SIPI-SIPI into trampoline.S), each with its GDT, TSS and IST stacks, local APIC timer and
 * idle thread. From then on every CPU schedules threads (sched/), takes part
 * in TLB shootdowns and parks for a stop (lib/smp.h).
 */
#ifndef SMP_SMP_H
#define SMP_SMP_H

#define AP_TRAMPOLINE_PHYS	0x8000	/* trampoline.S runs here (below 1 MiB) */
#define AP_START_WAIT_MS	1000	/* an AP not online by then is left out */

#ifndef __ASSEMBLER__
#include <nanoswap/err.h>
#include <stdint.h>

/*
 * Start every enabled CPU the MADT lists (up to CPU_MAX), one at a time;
 * one that is not online within AP_START_WAIT_MS is reported, sent INIT
 * again, and left out. Needs the APIC (irq_init); prints
 * "smp: N of M CPUs online". E_IRQ_NO_APIC without one (one CPU runs on).
 */
enum err smp_start(void) NS_MUST_CHECK;
/* The n-th AP (from 1) will get no STARTUP, as a CPU that never answers
 * (smp_skip=): its timeout path. 0: none. */
void smp_skip_start(unsigned n);

/* What `cpus` prints: one line per CPU. */
void smp_print_cpus(void);

#endif
#endif
