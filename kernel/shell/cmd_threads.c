/*
 * The shell commands about threads, CPUs and time: ps, cpus, uptime and the
 * workload (work start N, work, work stop).
 */
#include <console/console.h>
#include <crates/crates.h>
#include <interrupts/irq.h>
#include <lib/string.h>
#include <sched/sched.h>
#include <smp/smp.h>
#include <workload/workload.h>
#include "shell_internal.h"

/* Is `name` the scheduler's or the interrupt path's own (not where a thread is)? */
static bool ps_machinery(const char *name)
{
	static const char *const prefixes[] = {
		"sched_", "thread_", "wait_event", "mutex_lock", "irq_dispatch", "trap_dispatch",
		"isr_", "console_getc", "smp_park", "cpu_relax",
	};

	for (unsigned i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* Where a thread is: its interrupted pc, else its innermost frame that is
 * not the scheduler's. */
static void ps_print_where(const struct thread_info *ti)
{
	const char *name = "?";
	uint64_t off = 0;

	if (ti->npcs == 0) {
		kprintf("%s", ti->state == THREAD_RUNNING ? "(running: this command)" : "-");
		return;
	}
	for (unsigned i = 0; i < ti->npcs; i++) {
		if (!crates_symbolize(ti->pcs[i], &name, &off))
			continue;
		if ((int)i == ti->exact || !ps_machinery(name)) {
			kprintf("%s+0x%lx", name, off);
			return;
		}
	}
	kprintf("%s+0x%lx", name, off);
}

enum err cmd_ps(int argc, char **argv)
{
	struct thread_info ti[SCHED_MAX_THREADS];
	unsigned n = sched_threads(ti, SCHED_MAX_THREADS);

	(void)argc, (void)argv;
	kprintf("  id name         state     cpu  ticks  in\n");
	for (unsigned i = 0; i < n; i++) {
		kprintf("%4u %-12s %-8s %3u%c %6lu  ", ti[i].id, ti[i].name,
			thread_state_name(ti[i].state),
			ti[i].pin >= 0 ? (unsigned)ti[i].pin : ti[i].cpu, ti[i].pin >= 0 ? '*' : ' ',
			ti[i].ticks);
		ps_print_where(&ti[i]);
		kprintf("\n");
	}
	return E_OK;
}

enum err cmd_cpus(int argc, char **argv)
{
	(void)argc, (void)argv;
	smp_print_cpus();
	return E_OK;
}

enum err cmd_uptime(int argc, char **argv)
{
	struct irq_stats s;

	(void)argc, (void)argv;
	irq_get_stats(&s);
	kprintf("uptime: %lu ticks at %u Hz, %lu.%03lu s; %lu device interrupts, %lu spurious, "
		"%lu unknown\n", s.ticks, timer_hz(), s.uptime_us / 1000000,
		s.uptime_us / 1000 % 1000, s.device, s.spurious, s.unknown);
	return E_OK;
}

static void work_print_total(const struct work_stats *w)
{
	kprintf("work: %u threads, %lu iterations, %lu errors\n", w->threads, w->iterations,
		w->errors);
}

enum err cmd_work(int argc, char **argv)
{
	struct work_stats w;

	if (argc == 1) {
		work_get_stats(&w);
		for (unsigned i = 0; i < w.threads; i++)
			kprintf("work%02u: %lu iterations, %lu errors, on CPU %u\n", i,
				w.per_iterations[i], w.per_errors[i], w.per_cpu[i]);
		work_print_total(&w);
		return E_OK;
	}
	if (strcmp(argv[1], "start") == 0 && argc == 3) {
		unsigned long n = 0;
		enum err e;

		for (const char *p = argv[2]; *p; p++) {
			if (*p < '0' || *p > '9' || n > WORK_MAX_THREADS)
				return E_SHELL_USAGE;
			n = n * 10 + (unsigned long)(*p - '0');
		}
		if (n == 0)
			return E_SHELL_USAGE;
		if ((e = work_start((unsigned)n)) != E_OK)
			return e;
		work_get_stats(&w);
		kprintf("work: %u threads running\n", w.threads);
		return E_OK;
	}
	if (strcmp(argv[1], "stop") == 0 && argc == 2) {
		work_stop(&w);
		work_print_total(&w);
		return E_OK;
	}
	return E_SHELL_USAGE;
}
