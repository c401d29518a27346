/*
 * What the CPUs do for one another, below every module that needs it
 * (kernel/lib/smp.c): the TLB shootdown the memory module asks for after a
 * page-table change, and the stop rendezvous (stop_machine) the swap's
 * commit runs in. The interrupts module sends the IPIs (smp_set_ipi) and
 * calls tlb_serve / smp_park_if_asked from their handlers.
 */
#ifndef LIB_SMP_H
#define LIB_SMP_H

#include <lib/cpu.h>

#define VEC_IPI_TLB	0xF0	/* flush what tlb_shootdown published */
#define VEC_IPI_STOP	0xF1	/* park until the stopping CPU lets go */
#define VEC_IPI_WAKE	0xF2	/* leave the park's halt (the stop is over) */
#define PARK_CR8	0xE	/* a parked CPU takes only vectors 0xF0-0xFF (CR8: TPR >> 4) */
#define TLB_FLUSH_ALL	UINT64_MAX
#define TLB_FLUSH_PAGES_MAX 32	/* more pages than this: the whole TLB */

/* The IPI sender: vector vec to every CPU whose bit is in mask (never the caller). */
void smp_set_ipi(void (*send)(uint64_t mask, unsigned vec));

/*
 * After this CPU changed page-table entries for [va, va + npages pages)
 * (TLB_FLUSH_ALL: anything) and flushed its own TLB: make every other online
 * CPU flush them too, and return once each has (one IPI per operation).
 */
void tlb_shootdown(uint64_t va, uint64_t npages);
/* Carry out a shootdown published for this CPU, if any (the IPI's handler,
 * and every wait loop through cpu_relax). */
void tlb_serve(void);

/*
 * The rendezvous. With interrupts off and no spinlock held: every other
 * online CPU is parked (interrupts off, in smp_park_wait, its context saved
 * in its cpus[].parked_rsp so its thread's stack can be walked) when this
 * returns. Two CPUs stopping at once: one parks for the other first.
 */
void smp_stop_others(void);
/* Let them go: each returns from its park into whatever it was doing; this
 * returns once each has left (woken from its halt, again if need be). */
void smp_release_others(void);
/* Park here if another CPU is stopping the others (interrupts off). */
void smp_park_if_asked(void);

/* Mark cpu online, between two stops (the AP's last step before it runs threads). */
void smp_cpu_online(struct cpu_local *cpu);

/* park.S: save a switch-like frame ([r15 r14 r13 r12 rbx | rbp ret]) at
 * *save_rsp, run wait() below it, then return through the frame (whose
 * return address may have been moved meanwhile). */
void smp_park_frame(volatile uint64_t *save_rsp, void (*wait)(void));

struct smp_stats {
	uint64_t shootdowns;	/* tlb_shootdown calls that sent IPIs */
	uint64_t stops;		/* rendezvous that parked another CPU */
};
void smp_get_stats(struct smp_stats *out);

#endif
