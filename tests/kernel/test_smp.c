/*
 * Every CPU (suite smp): each CPU the MADT lists is online, runs threads
 * pinned to it and sees its own per-CPU data through GS (the canary at
 * %gs:0x28); a stop parks every other CPU until the resume; a page unmapped
 * while another CPU reads it in a loop faults there once the unmap returns
 * (the TLB shootdown); an object built with Linux's stack protector reads
 * its canary at %gs:0x28 on every CPU. Tests that need two CPUs say "skipped: one CPU" in a
 * one-CPU boot; the -smp boots reject that line.
 */
#include <console/console.h>
#include <crates/crates.h>
#include <interrupts/interrupts.h>
#include <interrupts/irq.h>
#include <ktest/ktest.h>
#include <heap/heap.h>
#include <lib/smp.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <loader/loader.h>
#include <memory/memory.h>
#include <sched/sched.h>

static void unpin_me(void)
{
	if (thread_pin(thread_current(), -1) != E_OK)
		panic("BUG: a thread cannot be unpinned");
}

static bool two_cpus(void)
{
	if (cpu_online_count() >= 2)
		return true;
	kprintf("  (skipped: one CPU online; the -smp boots run it)\n");
	return false;
}

/* What a thread pinned to one CPU saw there. */
struct seen {
	unsigned want, id;
	struct cpu_local *self;
	uint64_t canary, slot, cr3;	/* %gs:0x28, and its cpus[] entry's canary */
	volatile bool done;
};

static void look_around(void *arg)
{
	struct seen *s = arg;
	uint64_t canary, f;

	thread_yield();		/* (a switch later: still there) */
	f = irq_save();		/* (all of it on one CPU) */
	__asm__ volatile("movq %%gs:0x28, %0" : "=r"(canary));
	s->canary = canary;
	s->self = this_cpu();
	s->slot = this_cpu()->stack_canary;
	s->id = this_cpu()->id;
	s->cr3 = read_cr3();
	irq_restore(f);
	s->done = true;
}

/* Every CPU the MADT lists is online; a thread pinned to each runs there,
 * finds its cpus[] entry at %gs:0 and the running thread's canary at
 * %gs:0x28 (each thread its own, never 0), and the same page tables as this
 * CPU; each CPU has run threads. */
KTEST(smp, every_cpu_online_runs_pinned_threads)
{
	static struct seen seen[CPU_MAX];
	uint32_t ids[CPU_MAX];
	unsigned n = irq_cpu_apic_ids(ids, CPU_MAX);
	struct thread *th[CPU_MAX];

	KT_ASSERT(n >= 1, "the MADT lists no CPU");
	KT_ASSERT_EQ(cpu_online_count(), n < CPU_MAX ? n : CPU_MAX);
	KT_ASSERT_EQ(cpu_count, cpu_online_count());
	for (unsigned c = 0; c < cpu_count; c++) {
		bool listed = false;

		for (unsigned i = 0; i < n && i < CPU_MAX; i++)
			listed |= ids[i] == cpus[c].apic_id;
		KT_ASSERT(cpus[c].online && listed, "CPU %u (APIC id %u): online %d, listed %d", c,
			  cpus[c].apic_id, cpus[c].online, listed);
		seen[c] = (struct seen){ .want = c };
		KT_ASSERT(thread_create_on("look", look_around, &seen[c], (int)c, &th[c]) == E_OK,
			  "no thread on CPU %u", c);
	}
	for (unsigned c = 0; c < cpu_count; c++) {
		thread_join(th[c]);
		KT_ASSERT(seen[c].done && seen[c].id == c && seen[c].self == &cpus[c],
			  "the thread pinned to CPU %u ran on CPU %u (%%gs:0 %p)", c, seen[c].id,
			  (void *)seen[c].self);
		KT_ASSERT(seen[c].canary == seen[c].slot && seen[c].canary != 0,
			  "CPU %u: %%gs:0x28 is %lx, its cpus[] canary %lx", c, seen[c].canary,
			  seen[c].slot);
		KT_ASSERT(seen[c].cr3 == read_cr3(), "CPU %u runs on CR3 %lx, this one on %lx", c,
			  seen[c].cr3, read_cr3());
		KT_ASSERT(cpus[c].threads_run > 0, "CPU %u has run no thread", c);
		for (unsigned d = 0; d < c; d++)
			KT_ASSERT(seen[d].canary != seen[c].canary, "CPUs %u and %u share a canary", d,
				  c);
	}
	memset(seen, 0, sizeof(seen));
}

static volatile uint64_t smp_spin_count[CPU_MAX];
static volatile bool smp_spin_stop;

static void spin_here(void *arg)
{
	unsigned c = (unsigned)(uint64_t)arg;

	while (!smp_spin_stop)
		smp_spin_count[c]++;	/* never yields */
}

/* Start a spinner pinned to every CPU but this one's; wait until each spins. */
static bool spinners_start(struct thread **th, unsigned *me)
{
	smp_spin_stop = false;
	for (unsigned c = 0; c < cpu_count; c++) {
		smp_spin_count[c] = 0;
		th[c] = NULL;
	}
	if (thread_pin(thread_current(), (int)this_cpu()->id) != E_OK)
		return false;
	thread_yield();
	*me = this_cpu()->id;
	for (unsigned c = 0; c < cpu_count; c++)
		if (c != *me && thread_create_on("spin", spin_here, (void *)(uint64_t)c, (int)c,
						 &th[c]) != E_OK)
			return false;
	for (unsigned c = 0; c < cpu_count; c++)
		while (c != *me && smp_spin_count[c] == 0)
			thread_sleep_ms(1);
	return true;
}

static void spinners_stop(struct thread **th)
{
	smp_spin_stop = true;
	for (unsigned c = 0; c < cpu_count; c++)
		if (th[c])
			thread_join(th[c]);
	unpin_me();
}

/* While this CPU has the others stopped, none of them runs a thread (their
 * spinners' counts stand still through 200,000 pause loops) and each is
 * parked with a saved context; once resumed they spin on. */
KTEST(smp, stop_parks_every_other_cpu)
{
	struct thread *th[CPU_MAX];
	uint64_t before[CPU_MAX], f;
	unsigned me = 0, moved = CPU_MAX, unparked = CPU_MAX;

	if (!two_cpus())
		return;
	KT_ASSERT(spinners_start(th, &me), "the spinners did not start");
	f = sched_stop_others();
	for (unsigned c = 0; c < cpu_count; c++)
		before[c] = smp_spin_count[c];
	for (unsigned i = 0; i < 200000; i++)
		__asm__ volatile("pause");
	for (unsigned c = 0; c < cpu_count; c++) {
		if (c != me && smp_spin_count[c] != before[c])
			moved = c;
		if (c != me && !cpus[c].parked_rsp)
			unparked = c;
	}
	sched_resume_others(f);
	for (unsigned c = 0; c < cpu_count; c++)
		before[c] = smp_spin_count[c];
	for (unsigned c = 0; c < cpu_count; c++)	/* (up to 1000 ms: not a timing) */
		for (unsigned i = 0; i < 1000 && c != me && smp_spin_count[c] == before[c]; i++)
			thread_sleep_ms(1);
	for (unsigned c = 0; c < cpu_count; c++)
		if (c != me && smp_spin_count[c] == before[c]) {
			unparked = CPU_MAX + c;
			kprintf("  CPU %u: thread %s, parked at %lx, %lu ticks\n", c,
				cpus[c].thread ? thread_name(cpus[c].thread) : "-", cpus[c].parked_rsp,
				cpus[c].ticks);
		}
	spinners_stop(th);
	KT_ASSERT(moved == CPU_MAX, "CPU %u ran a thread while the others were stopped", moved);
	KT_ASSERT(unparked == CPU_MAX, unparked < CPU_MAX ? "CPU %u was not parked in the stop" :
		  "CPU %u did not run on after the resume", unparked % CPU_MAX);
}

/* The page the reader reads, and what it saw. */
static volatile uint64_t *tlb_page;
static volatile uint64_t tlb_reads, tlb_reads_at_fault;
static volatile bool tlb_faulted, tlb_stop;

/* Reads in runs of 100,000 with interrupts off: a shootdown that did not
 * wait for this CPU would return while it reads on through its TLB. */
static void tlb_read_loop(void *arg)
{
	(void)arg;
	while (!tlb_stop) {
		uint64_t f = irq_save();

		for (unsigned i = 0; i < 100000 && !tlb_stop; i++) {
			(void)*tlb_page;
			tlb_reads++;
		}
		irq_restore(f);
	}
}

static void tlb_reader(void *arg)
{
	struct trap_record rec;

	(void)arg;
	if (fault_catch(tlb_read_loop, NULL, &rec)) {
		tlb_reads_at_fault = tlb_reads;
		tlb_faulted = rec.vector == 14 && rec.cr2 == (uint64_t)tlb_page;
	}
}

/* A page another CPU reads in a loop (so its TLB holds the translation) is
 * unmapped here; the shootdown returns only once that CPU has flushed it
 * (it acknowledges between its runs of reads), so its next read faults: at
 * most the read under way when vm_unmap returned completes. */
KTEST(smp, unmapped_page_faults_on_the_reading_cpu)
{
	struct thread *th;
	uint64_t va, pa, at_unmap;
	unsigned me, other;

	if (!two_cpus())
		return;
	KT_ASSERT(thread_pin(thread_current(), (int)this_cpu()->id) == E_OK, "cannot pin");
	thread_yield();
	me = this_cpu()->id;
	other = me == 0 ? 1 : 0;
	KT_ASSERT(vrange_alloc(1, &va) == E_OK && vm_map_fresh(va, 1, VM_WRITE) == E_OK,
		  "no page");
	tlb_page = (volatile uint64_t *)va;
	tlb_reads = tlb_reads_at_fault = 0;
	tlb_faulted = tlb_stop = false;
	KT_ASSERT(thread_create_on("reader", tlb_reader, NULL, (int)other, &th) == E_OK,
		  "no reader thread");
	while (tlb_reads < 100000)
		thread_yield();
	KT_ASSERT(vm_unmap(va, &pa) == E_OK, "unmap failed");
	at_unmap = tlb_reads;
	for (unsigned i = 0; i < 1000 && !tlb_faulted; i++)
		thread_sleep_ms(1);
	tlb_stop = true;
	thread_join(th);
	unpin_me();
	frame_free(pa);
	vrange_free(va, 1);
	tlb_page = NULL;	/* (a stale address here would keep what reuses the range) */
	KT_ASSERT(tlb_faulted, "CPU %u read the unmapped page on (%lu reads after the unmap): "
		  "its TLB kept the translation", other, tlb_reads - at_unmap);
	KT_ASSERT(tlb_reads_at_fault <= at_unmap + 1,
		  "CPU %u read the page %lu times after the unmap returned", other,
		  tlb_reads_at_fault - at_unmap);
}

/* tm_ssp's functions, run on one CPU. */
struct ssp_run {
	unsigned long (*sum)(const char *);
	void (*smash)(uint64_t);
	unsigned long got;
	uint64_t canary, slot;
	bool caught;
	struct trap_record rec;
};

static void ssp_smash(void *arg)
{
	struct ssp_run *r = arg;

	r->smash(0x5A5A5A5A5A5A5A5AUL);
}

static void ssp_on_cpu(void *arg)
{
	struct ssp_run *r = arg;

	uint64_t f;

	thread_yield();
	r->got = r->sum("nanoswap");
	f = irq_save();
	__asm__ volatile("movq %%gs:0x28, %0" : "=r"(r->canary));
	r->slot = this_cpu()->stack_canary;
	irq_restore(f);
	r->caught = fault_catch(ssp_smash, r, &r->rec);
}

static unsigned long ssp_sum_here(const char *s)
{
	unsigned long sum = 0;

	for (; *s; s++)
		sum = sum * 31 + (unsigned char)*s;
	return sum;
}

/* An object built as Linux builds its stack protector (tm_ssp: canary at
 * %gs:0x28) runs on every CPU with that CPU's canary; when a function's
 * canary is overwritten, __stack_chk_fail names the crate and the function,
 * and the fault it raises is caught. */
KTEST(smp, stack_protector_reads_the_canary_at_gs_0x28)
{
	struct ssp_run *runs = kzalloc(CPU_MAX * sizeof(*runs));	/* (its fault records name
									 * code: not in ktest's data) */
	struct ld_crate *c;
	const struct ld_symbol *sum, *smash;
	struct thread *th[CPU_MAX];
	unsigned reports = crates_stack_chk_last()->count, bad = CPU_MAX;
	struct ssp_run r;

	KT_ASSERT(runs, "no heap");
	if (crates_load_boot_module("tm_ssp", &c) != E_OK) {
		kfree(runs);
		KT_ASSERT(0, "tm_ssp did not load");
	}
	KT_ASSERT(ld_lookup(crates_namespace(), "tm_ssp_sum", &sum) == E_OK &&
		  ld_lookup(crates_namespace(), "tm_ssp_smash", &smash) == E_OK, "no tm_ssp symbols");
	for (unsigned i = 0; i < cpu_count; i++) {
		runs[i] = (struct ssp_run){ .sum = (unsigned long (*)(const char *))sum->addr,
					    .smash = (void (*)(uint64_t))smash->addr };
		KT_ASSERT(thread_create_on("ssp", ssp_on_cpu, &runs[i], (int)i, &th[i]) == E_OK,
			  "no thread on CPU %u", i);
	}
	for (unsigned i = 0; i < cpu_count; i++)
		thread_join(th[i]);
	KT_ASSERT(crates_unload(c) == E_OK, "tm_ssp did not unload");
	for (unsigned i = 0; i < cpu_count && bad == CPU_MAX; i++)
		if (runs[i].got != ssp_sum_here("nanoswap") || runs[i].canary != runs[i].slot ||
		    !runs[i].caught || runs[i].rec.vector != 6) {
			bad = i;
			r = runs[i];
		}
	kfree(runs);
	if (bad < CPU_MAX) {
		KT_ASSERT_EQ(r.got, ssp_sum_here("nanoswap"));
		KT_ASSERT(r.canary == r.slot, "CPU %u: %%gs:0x28 %lx, cpus[] canary %lx", bad,
			  r.canary, r.slot);
		KT_ASSERT(0, "CPU %u: the smashed canary was not caught as #UD (caught %d, vector %lu)",
			  bad, r.caught, r.rec.vector);
	}
	KT_ASSERT_EQ(crates_stack_chk_last()->count, reports + cpu_count);
	KT_ASSERT(strcmp(crates_stack_chk_last()->crate, "tm_ssp") == 0 &&
		  strcmp(crates_stack_chk_last()->function, "tm_ssp_smash") == 0,
		  "__stack_chk_fail named %s in crate %s", crates_stack_chk_last()->function,
		  crates_stack_chk_last()->crate);
}

/* One memory operation, one shootdown: unmapping 16 pages sends one IPI
 * round, which each other CPU serves once. */
KTEST(smp, one_shootdown_per_operation)
{
	struct smp_stats s0, s1;
	uint64_t served[CPU_MAX], va, f;
	unsigned me;

	if (!two_cpus())
		return;
	KT_ASSERT(vrange_alloc(16, &va) == E_OK && vm_map_fresh(va, 16, VM_WRITE) == E_OK,
		  "no pages");
	for (unsigned i = 0; i < 16; i++)
		(void)*(volatile uint64_t *)(va + i * PAGE_SIZE);	/* (in every TLB that cares) */
	f = irq_save();		/* (this CPU's counts, no switch between) */

	me = this_cpu()->id;
	for (unsigned c = 0; c < cpu_count; c++)
		served[c] = cpus[c].tlb_served;
	smp_get_stats(&s0);
	vm_unmap_free(va, 16);
	smp_get_stats(&s1);
	irq_restore(f);
	vrange_free(va, 16);
	KT_ASSERT(s1.shootdowns == s0.shootdowns + 1, "%lu shootdowns for one unmap of 16 pages",
		  s1.shootdowns - s0.shootdowns);
	for (unsigned c = 0; c < cpu_count; c++)
		KT_ASSERT(c == me || cpus[c].tlb_served == served[c] + 1,
			  "CPU %u served %lu shootdowns for one unmap", c,
			  cpus[c].tlb_served - served[c]);
}

#define SSP_LOOPS 1000000

struct ssp_loop {
	unsigned long (*loop)(unsigned long);
	unsigned long got;
};

static void ssp_loop_thread(void *arg)
{
	struct ssp_loop *l = arg;

	l->got = l->loop(SSP_LOOPS);
}

/* The same as tm_ssp_loop, here. */
static unsigned long ssp_loop_here(unsigned long n)
{
	unsigned char buf[16];
	unsigned long sum = 0, each = ssp_sum_here("migrate");

	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)i;
	for (unsigned long i = 0; i < n; i++) {
		buf[i % sizeof(buf)] = (unsigned char)i;
		sum += each + buf[(i * 7) % sizeof(buf)];
	}
	return sum;
}

/* The canary is the thread's, not the CPU's: threads running protected
 * code (one long frame, calls all along) are preempted and moved from CPU
 * to CPU (pinned to the next every 4 ms; seen by ps's snapshot), and no
 * check fails. */
KTEST(smp, stack_protector_survives_migration)
{
	struct ssp_loop l[2 * CPU_MAX];
	struct thread *th[2 * CPU_MAX];
	struct thread_info *ti = kzalloc(SCHED_MAX_THREADS * sizeof(*ti));
	unsigned n = 2 * cpu_count, reports = crates_stack_chk_last()->count, moved = 0;
	bool pin_failed = false;
	int where[2 * CPU_MAX];
	struct ld_crate *c;
	const struct ld_symbol *loop;

	if (!two_cpus() || !ti) {
		kfree(ti);
		return;
	}
	KT_ASSERT(crates_load_boot_module("tm_ssp", &c) == E_OK, "tm_ssp did not load");
	KT_ASSERT(ld_lookup(crates_namespace(), "tm_ssp_loop", &loop) == E_OK, "no tm_ssp_loop");
	for (unsigned i = 0; i < n; i++) {
		l[i] = (struct ssp_loop){ (unsigned long (*)(unsigned long))loop->addr, 0 };
		where[i] = -1;
		KT_ASSERT(thread_create("ssploop", ssp_loop_thread, &l[i], &th[i]) == E_OK,
			  "no thread");
	}
	for (unsigned k = 0; k < 3000 && !moved; k++) {	/* (ps until one has moved) */
		unsigned m = sched_threads(ti, SCHED_MAX_THREADS);
		bool running = false;

		for (unsigned j = 0; j < m && j < SCHED_MAX_THREADS; j++)
			for (unsigned i = 0; i < n; i++)
				if (ti[j].id == thread_id(th[i]) && ti[j].state == THREAD_RUNNING) {
					moved += where[i] >= 0 && where[i] != (int)ti[j].cpu;
					where[i] = (int)ti[j].cpu;
				}
		for (unsigned j = 0; j < m && j < SCHED_MAX_THREADS; j++)
			for (unsigned i = 0; i < n; i++)
				running |= ti[j].id == thread_id(th[i]) && ti[j].state != THREAD_DEAD;
		if (!running)
			break;
		if (k % 4 == 0)	/* (moved on: each to the next CPU, at its next switch) */
			for (unsigned i = 0; i < n; i++)
				pin_failed |= thread_pin(th[i], (int)((k / 4 + i) % cpu_count)) != E_OK;
		thread_sleep_ms(1);
	}
	for (unsigned i = 0; i < n; i++)
		thread_join(th[i]);
	kfree(ti);
	KT_ASSERT(crates_unload(c) == E_OK, "tm_ssp did not unload");
	KT_ASSERT(!pin_failed, "a thread could not be pinned to an online CPU");
	KT_ASSERT(moved, "no thread was seen on two CPUs");
	KT_ASSERT_EQ(crates_stack_chk_last()->count, reports);
	for (unsigned i = 0; i < n; i++)
		KT_ASSERT_EQ(l[i].got, ssp_loop_here(SSP_LOOPS));
}

static volatile uint64_t depth_bad, depth_checks;

static void depth_check_loop(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 300000; i++) {
		uint64_t f = irq_save();	/* (the field and its CPU read together) */

		if (this_cpu()->irq_depth != 0)
			__atomic_fetch_add(&depth_bad, 1, __ATOMIC_RELAXED);
		irq_restore(f);
		__atomic_fetch_add(&depth_checks, 1, __ATOMIC_RELAXED);
	}
}

/* Threads preempted by the tick and resumed on another CPU leave no
 * interrupt depth behind: in thread context it is 0 on every CPU. */
KTEST(smp, preempted_threads_leave_no_interrupt_depth)
{
	struct thread *th[2 * CPU_MAX];
	unsigned n = 2 * cpu_count;

	if (!two_cpus())
		return;
	depth_bad = depth_checks = 0;
	for (unsigned i = 0; i < n; i++)
		KT_ASSERT(thread_create("depth", depth_check_loop, NULL, &th[i]) == E_OK, "no thread");
	for (unsigned i = 0; i < n; i++)
		thread_join(th[i]);
	KT_ASSERT_EQ(depth_checks, 300000UL * n);
	KT_ASSERT(depth_bad == 0, "%lu of %lu checks in thread context saw an interrupt depth",
		  depth_bad, depth_checks);
}
