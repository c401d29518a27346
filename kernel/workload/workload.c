/*
 * The workers of include/workload/workload.h. Each keeps its state in a
 * heap block of its own (so a swap of heap runs under live heap data that
 * holds a code pointer), counts its iterations and errors, and stops when
 * asked at the next iteration.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <lib/cpu.h>
#include <lib/string.h>
#include <memory/memory.h>
#include <nanoswap/probe.h>
#include <sched/sched.h>
#include <workload/workload.h>

MODULE_PROBE(workload)

#define WORK_MAX_BLOCK	2048

/* One worker's state: a heap block. */
struct worker {
	volatile bool stop;
	unsigned index;
	uint64_t seed;
	volatile uint64_t iterations, errors;
	unsigned cpu;				/* where it is pinned */
	volatile unsigned held_gen;		/* the work_hold it waits in */
	void (*fn_heap)(struct heap_stats *);	/* the code pointers it calls through */
	void (*fn_mem)(struct mem_stats *);
};

static struct worker *workers[WORK_MAX_THREADS];
static struct thread *threads[WORK_MAX_THREADS];
static uint64_t cpu_iterations[CPU_MAX];
static unsigned nworkers;
static char first_error[96];
/* work_hold: the workers wait at the top of their loop, holding nothing;
 * each says which hold (hold_gen) it waits in, so that a hold right after
 * a release waits for every worker again (on other CPUs they run at once). */
static volatile bool hold;
static volatile unsigned hold_gen;
static struct wait_queue hold_q = WAIT_QUEUE_INIT, held_q = WAIT_QUEUE_INIT;

static uint64_t work_rand(struct worker *w)
{
	w->seed ^= w->seed << 13;
	w->seed ^= w->seed >> 7;
	w->seed ^= w->seed << 17;
	return w->seed;
}

static void work_error(struct worker *w, const char *what, uint64_t value)
{
	w->errors++;
	if (!first_error[0]) {
		const char *p = what;
		unsigned n = 0;

		while (*p && n + 1 < sizeof(first_error))
			first_error[n++] = *p++;
		first_error[n] = '\0';
		kprintf("work: worker %u: %s (%lx)\n", w->index, what, value);
	}
}

/* kmalloc a block of random size, fill it, check it, free it. */
static void work_heap(struct worker *w)
{
	size_t size = 1 + work_rand(w) % WORK_MAX_BLOCK;
	uint8_t *p = kmalloc(size), tag = (uint8_t)work_rand(w);

	if (!p) {
		work_error(w, "kmalloc failed", size);
		return;
	}
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)(tag + i);
	thread_yield();		/* (others allocate and free in between) */
	for (size_t i = 0; i < size; i++)
		if (p[i] != (uint8_t)(tag + i)) {
			work_error(w, "a heap block's pattern changed", (uint64_t)p + i);
			break;
		}
	kfree(p);
}

/* A frame through the memory module: written and checked through the direct map. */
static void work_frame(struct worker *w)
{
	uint64_t phys, v = work_rand(w);
	volatile uint64_t *q;

	if (frame_alloc(&phys) != E_OK) {
		work_error(w, "frame_alloc failed", 0);
		return;
	}
	q = phys_to_virt(phys);
	q[0] = v;
	q[511] = ~v;
	if (q[0] != v || q[511] != ~v)
		work_error(w, "a frame's pattern changed", phys);
	frame_free(phys);
}

/* Calls through the pointers in the worker's heap block. */
static void work_calls(struct worker *w)
{
	struct heap_stats h;
	struct mem_stats m;

	w->fn_heap(&h);
	w->fn_mem(&m);
	if (h.blocks_used == 0 || m.frames_used == 0)
		work_error(w, "heap or memory counters read zero", h.blocks_used);
}

/* Go on: the hold is over, or a new one began (say so again). */
static bool hold_released(void *arg)
{
	struct worker *w = arg;

	return !hold || w->held_gen != hold_gen;
}

static bool all_held(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < nworkers; i++)
		if (workers[i]->held_gen != hold_gen)
			return false;
	return true;
}

static void work_loop(void *arg)
{
	struct worker *w = arg;

	while (!w->stop) {
		while (hold) {
			__atomic_store_n(&w->held_gen, hold_gen, __ATOMIC_SEQ_CST);
			wake_all(&held_q);
			wait_event(&hold_q, hold_released, w);
		}
		work_heap(w);
		work_frame(w);
		work_calls(w);
		w->iterations++;
		__atomic_fetch_add(&cpu_iterations[this_cpu()->id], 1, __ATOMIC_RELAXED);
		if (w->iterations % 8 == 0)
			thread_sleep_ms(1 + work_rand(w) % 2);
	}
}

/* The (i mod online)-th online CPU. */
static unsigned online_cpu(unsigned i)
{
	unsigned k = i % cpu_online_count();

	for (unsigned c = 0; c < cpu_count; c++)
		if ((cpu_online_mask >> c & 1) && k-- == 0)
			return c;
	return 0;
}

enum err work_start(unsigned n)
{
	unsigned started = 0;

	if (nworkers + n > WORK_MAX_THREADS) {
		pr_err("work: %u more workers would pass WORK_MAX_THREADS (%d)\n", n,
		       WORK_MAX_THREADS);
		return E_LIMIT;
	}
	for (; started < n; started++) {
		unsigned i = nworkers;
		char name[THREAD_NAME_MAX] = "work";
		struct worker *w = kzalloc(sizeof(*w));
		enum err e;

		if (!w)
			return E_NO_HEAP;
		*w = (struct worker){ .index = i, .seed = 0x9E3779B97F4A7C15ull * (i + 1),
				      .fn_heap = heap_get_stats, .fn_mem = mem_get_stats };
		name[4] = (char)('0' + i / 10);
		name[5] = (char)('0' + i % 10);
		name[6] = '\0';
		w->cpu = online_cpu(i);
		workers[i] = w;
		if ((e = thread_create_on(name, work_loop, w, (int)w->cpu, &threads[i])) != E_OK) {
			workers[i] = NULL;
			kfree(w);
			return e;
		}
		nworkers++;
	}
	return E_OK;
}

void work_get_stats(struct work_stats *out)
{
	*out = (struct work_stats){ .threads = nworkers };
	for (unsigned c = 0; c < CPU_MAX; c++)
		out->cpu_iterations[c] = cpu_iterations[c];
	for (unsigned i = 0; i < nworkers; i++) {
		out->per_cpu[i] = workers[i]->cpu;
		out->per_iterations[i] = workers[i]->iterations;
		out->per_errors[i] = workers[i]->errors;
		out->iterations += workers[i]->iterations;
		out->errors += workers[i]->errors;
	}
}

void work_stop(struct work_stats *out)
{
	for (unsigned i = 0; i < nworkers; i++)
		workers[i]->stop = true;
	hold = false;
	wake_all(&hold_q);
	for (unsigned i = 0; i < nworkers; i++)
		thread_join(threads[i]);
	work_get_stats(out);
	for (unsigned i = 0; i < nworkers; i++) {
		kfree(workers[i]);
		workers[i] = NULL;
		threads[i] = NULL;
	}
	nworkers = 0;
}

void work_hold(bool on)
{
	if (on) {
		__atomic_add_fetch(&hold_gen, 1, __ATOMIC_SEQ_CST);	/* (before hold: a worker */
		__atomic_store_n(&hold, true, __ATOMIC_SEQ_CST);	/* that sees it, sees this) */
		wake_all(&hold_q);	/* (those still in the last hold say so again) */
		wait_event(&held_q, all_held, NULL);
	} else {
		__atomic_store_n(&hold, false, __ATOMIC_SEQ_CST);
		wake_all(&hold_q);
	}
}

const char *work_first_error(void)
{
	return first_error;
}
