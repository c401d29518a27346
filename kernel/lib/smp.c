/*
 * The CPUs' state (cpus[], include/lib/cpu.h) and what they do for one
 * another: the TLB shootdown and the stop rendezvous (include/lib/smp.h).
 * Both wait with interrupts off, so every wait loop here and in the
 * spinlocks serves what others ask of this CPU meanwhile (cpu_relax): a CPU
 * waiting for a lock the shootdown's sender holds still acknowledges it.
 * Parking happens only where this CPU holds no spinlock, so the stopping
 * CPU, which holds none either, never waits for a lock a parked CPU keeps.
 */
#include <lib/smp.h>
#include <lib/spinlock.h>

struct cpu_local cpus[CPU_MAX] = { [0] = { .self = &cpus[0], .online = true } };
unsigned cpu_count = 1;
volatile uint64_t cpu_online_mask = 1;

static void (*ipi_send)(uint64_t mask, unsigned vec);
static struct smp_stats stats;

void smp_set_ipi(void (*send)(uint64_t mask, unsigned vec))
{
	ipi_send = send;
}

void smp_get_stats(struct smp_stats *out)
{
	*out = stats;
}

void cpu_relax(void)
{
	tlb_serve();
	__asm__ volatile("pause" : : : "memory");
}

static uint64_t others_online(void)
{
	return __atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE) & ~(1UL << this_cpu()->id);
}

/* ---- TLB shootdown ---------------------------------------------------- */

static struct spinlock tlb_lock = SPINLOCK_INIT("tlb");
static volatile uint64_t tlb_va, tlb_npages;
static volatile uint64_t tlb_pending;	/* CPUs that have yet to flush */

void tlb_serve(void)
{
	uint64_t flags = irq_save();	/* (one CPU's bit, flushed on that CPU, once) */
	uint64_t bit = 1UL << this_cpu()->id;

	if (__atomic_load_n(&tlb_pending, __ATOMIC_ACQUIRE) & bit) {
		if (tlb_npages > TLB_FLUSH_PAGES_MAX)
			write_cr3(read_cr3());	/* (no global pages: this flushes all) */
		else
			for (uint64_t i = 0; i < tlb_npages; i++)
				invlpg(tlb_va + i * 4096);
		this_cpu()->tlb_served++;
		__atomic_fetch_and(&tlb_pending, ~bit, __ATOMIC_RELEASE);
	}
	irq_restore(flags);
}

void tlb_shootdown(uint64_t va, uint64_t npages)
{
	uint64_t others = others_online(), flags;

	if (!others || !ipi_send || npages == 0)
		return;
	flags = spin_lock_irqsave(&tlb_lock);
	others = others_online();	/* (one may have come online meanwhile) */
	tlb_va = va & ~4095UL;
	tlb_npages = npages;
	__atomic_store_n(&tlb_pending, others, __ATOMIC_SEQ_CST);
	ipi_send(others, VEC_IPI_TLB);
	while (__atomic_load_n(&tlb_pending, __ATOMIC_ACQUIRE))
		cpu_relax();
	stats.shootdowns++;
	spin_unlock_irqrestore(&tlb_lock, flags);
}

/* ---- the stop rendezvous ---------------------------------------------- */

/* The stop word: the stop's generation << 8 | the stopping CPU's id + 1
 * (0 while none). A CPU parks for one generation and waits until that one
 * is released, so a CPU that saw a stop just before it ended leaves at once. */
#define STOP_OWNER(w)	((uint32_t)((w) & 0xFF))
#define STOP_GEN(w)	((w) >> 8)
static volatile uint64_t stop_word;
static volatile uint64_t released_gen;
static volatile uint64_t parked_gen[CPU_MAX];	/* the generation each CPU parked for */
static volatile uint64_t left_gen[CPU_MAX];	/* ... and the last one it left */

static uint64_t stopped;	/* the CPUs the current stop parked */

/* Below the park frame: say so, then wait to be let go, halted with only
 * the IPIs let through (the task priority keeps the timer and devices out,
 * so nothing but a shootdown or the wake-up runs here), so that a parked
 * CPU leaves its host CPU to the one working. */
static void smp_park_wait(void)
{
	struct cpu_local *cpu = this_cpu();
	uint64_t gen = cpu->park_gen;

	__atomic_store_n(&parked_gen[cpu->id], gen, __ATOMIC_SEQ_CST);
	write_cr8(PARK_CR8);
	while (__atomic_load_n(&released_gen, __ATOMIC_ACQUIRE) < gen) {
		tlb_serve();
		__asm__ volatile("sti; hlt; cli" : : : "memory");	/* (an IPI ends the hlt) */
	}
	write_cr8(0);
	__atomic_store_n(&left_gen[cpu->id], gen, __ATOMIC_RELEASE);
}

void smp_park_if_asked(void)
{
	struct cpu_local *cpu = this_cpu();

	for (;;) {	/* (again: a STOP taken while parked was for the next stop) */
		uint64_t w = __atomic_load_n(&stop_word, __ATOMIC_ACQUIRE);

		if (!STOP_OWNER(w) || STOP_OWNER(w) == cpu->id + 1 || cpu->nlocks ||
		    !cpu->online || cpu->parked_rsp)	/* (parked already: the outer loop sees it) */
			return;
		cpu->park_gen = STOP_GEN(w);
		smp_park_frame(&cpu->parked_rsp, smp_park_wait);
	}
}

/* Take the stop word (gen, no owner) -> (gen + 1, me): false if another has it. */
static bool stop_word_take(unsigned id, uint64_t *gen)
{
	uint64_t w = __atomic_load_n(&stop_word, __ATOMIC_ACQUIRE);

	if (STOP_OWNER(w))
		return false;
	*gen = STOP_GEN(w) + 1;
	return __atomic_compare_exchange_n(&stop_word, &w, *gen << 8 | (id + 1), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static bool all_parked(uint64_t others, uint64_t gen)
{
	for (unsigned i = 0; i < CPU_MAX; i++)
		if ((others >> i & 1) && __atomic_load_n(&parked_gen[i], __ATOMIC_ACQUIRE) != gen)
			return false;
	return true;
}

/* Has every CPU in mask left its park for stop gen? */
static bool all_left(uint64_t mask, uint64_t gen)
{
	for (unsigned i = 0; i < CPU_MAX; i++)
		if ((mask >> i & 1) && __atomic_load_n(&left_gen[i], __ATOMIC_ACQUIRE) < gen)
			return false;
	return true;
}

void smp_stop_others(void)
{
	struct cpu_local *cpu = this_cpu();
	uint64_t others, gen;

	if (cpu->nlocks && others_online())
		spin_bug_msg("smp_stop_others with a spinlock held (a parked CPU could wait for it)");
	while (!stop_word_take(cpu->id, &gen)) {
		smp_park_if_asked();	/* (another CPU stops us first) */
		cpu_relax();
	}
	stopped = 0;
	if (!(others = others_online()) || !ipi_send)
		return;
	stopped = others;
	ipi_send(others, VEC_IPI_STOP);
	while (!all_parked(others, gen))
		cpu_relax();
	stats.stops++;
}

void smp_release_others(void)
{
	uint64_t w = __atomic_load_n(&stop_word, __ATOMIC_RELAXED);
	uint64_t wake = stopped;	/* (the next stop may set it once the word is free) */

	if (STOP_OWNER(w) != this_cpu()->id + 1)
		spin_bug_msg("smp_release_others by a CPU that did not stop the others");
	__atomic_store_n(&released_gen, STOP_GEN(w), __ATOMIC_SEQ_CST);
	__atomic_store_n(&stop_word, STOP_GEN(w) << 8, __ATOMIC_RELEASE);
	if (!wake || !ipi_send)
		return;
	ipi_send(wake, VEC_IPI_WAKE);	/* (out of their hlt) */
	for (unsigned spins = 1; !all_left(wake, STOP_GEN(w)); spins++)
		if (spins % 65536 == 0)	/* (a wake-up lost: again) */
			ipi_send(wake, VEC_IPI_WAKE);
		else
			cpu_relax();
}

/* An AP joins between stops, never during one (its thread would run on). */
void smp_cpu_online(struct cpu_local *cpu)
{
	uint64_t gen;

	while (!stop_word_take(cpu->id, &gen))
		cpu_relax();
	cpu->online = true;
	__atomic_fetch_or(&cpu_online_mask, 1UL << cpu->id, __ATOMIC_SEQ_CST);
	__atomic_store_n(&released_gen, gen, __ATOMIC_SEQ_CST);
	__atomic_store_n(&stop_word, gen << 8, __ATOMIC_RELEASE);
	if (ipi_send && others_online())	/* (one may have parked for this "stop") */
		ipi_send(others_online(), VEC_IPI_WAKE);
}
