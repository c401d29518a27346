/*
 * A workload to swap under: worker threads that each loop over kmalloc and
 * kfree of random sizes (every block filled with a pattern and checked
 * before it is freed), a frame allocated, written, checked and freed through
 * the memory module, a call through a function pointer kept in a heap block
 * (into heap or memory code), and short sleeps. The shell's `work` commands
 * and the concurrency tests drive it.
 */
#ifndef WORKLOAD_WORKLOAD_H
#define WORKLOAD_WORKLOAD_H

#include <nanoswap/err.h>
#include <stdbool.h>
#include <lib/cpu.h>
#include <stdint.h>

#define WORK_MAX_THREADS 16

struct work_stats {
	unsigned threads;
	uint64_t iterations, errors;
	uint64_t per_iterations[WORK_MAX_THREADS], per_errors[WORK_MAX_THREADS];
	unsigned per_cpu[WORK_MAX_THREADS];	/* the CPU each worker is pinned to */
	uint64_t cpu_iterations[CPU_MAX];	/* iterations done on each CPU */
};

/* Start n more workers (E_LIMIT past WORK_MAX_THREADS, nothing started),
 * worker i pinned to online CPU i mod the CPUs online. */
enum err work_start(unsigned n) NS_MUST_CHECK;
/* Stop and join every worker; the totals they reached. */
void work_stop(struct work_stats *out);
void work_get_stats(struct work_stats *out);
/* Hold every worker at the top of its loop, holding no block or frame (on:
 * returns once all are there), or let them go on. */
void work_hold(bool on);
/* The first error a worker saw, for the report ("" if none). */
const char *work_first_error(void);

#endif
