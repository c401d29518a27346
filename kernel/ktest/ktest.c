/*
 * Runs the tests that KTEST() placed in the .ktests section (bounded by
 * __ktests_start/__ktests_end in linker.ld) and prints the results in the
 * format the QEMU test runner reads.
 */
#include <console/console.h>
#include <heap/heap.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <memory/memory.h>
#include <nanoswap/probe.h>

MODULE_PROBE(ktest)

extern const struct ktest __ktests_start[], __ktests_end[];
extern const struct kbench __kbench_start[], __kbench_end[];

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (t->failed)
		return;	/* the first failure is the reason */
	t->failed = true;
	kprintf("FAIL %s: ", t->name);
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf(" (%s:%d)\n", file, line);
}

/* Length of the suite part of "suite.name". */
static size_t suite_len(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot ? (size_t)(dot - name) : strlen(name);
}

/* Say that prefix matched nothing, and list the suites (the table is sorted). */
static void print_no_match(const char *prefix)
{
	const char *prev = NULL;

	kprintf("ktest: no test matched '%s'; the suites are:", prefix);
	for (const struct ktest *k = __ktests_start; k < __ktests_end; k++) {
		size_t n = suite_len(k->name);
		if (prev && suite_len(prev) == n && strncmp(prev, k->name, n) == 0)
			continue;
		kprintf(" %.*s", (int)n, k->name);
		prev = k->name;
	}
	kprintf("\n");
}

/* Does name start with one of the comma-separated prefixes ("" matches all)? */
static bool prefix_match(const char *name, const char *prefixes)
{
	const char *p = prefixes;

	do {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (strncmp(name, p, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	} while (p);
	return false;
}

struct ktest_result ktest_run(const char *prefix)
{
	struct ktest_result r = { 0, 0 };

	for (const struct ktest *k = __ktests_start; k < __ktests_end; k++) {
		if (!prefix_match(k->name, prefix))
			continue;
		struct ktest_ctx t = { .name = k->name, .failed = false };
		k->fn(&t);
		if (t.failed) {
			r.failed++;
		} else {
			r.passed++;
			kprintf("ok %s\n", k->name);
		}
	}
	if (r.passed + r.failed == 0)
		print_no_match(prefix);
	kprintf("%u passed, %u failed\n", r.passed, r.failed);
	return r;
}

unsigned kbench_run(void)
{
	unsigned failed = 0;

	for (const struct kbench *b = __kbench_start; b < __kbench_end; b++) {
		if (!b->fn()) {
			kprintf("bench: %s: FAILED to measure\n", b->name);
			failed++;
		}
	}
	kprintf("bench: done, %u failed\n", failed);
	return failed;
}
