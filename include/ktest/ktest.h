/*
 * The in-kernel test framework. A test is a function registered in the
 * .ktests.* linker sections with KTEST(suite, name); ktest_run() runs them in
 * name order and prints one line per test, `ok suite.name` or
 * `FAIL suite.name: reason (file:line)`, then `N passed, N failed`.
 *
 * KT_ASSERT* records the failure and returns from the test: the meaning
 * REQUIRE* has in the host harnesses (tests/host/check.h, where CHECK* records
 * and goes on, and tests/host/loader/test.h). There is no continuing form.
 */
#ifndef KTEST_KTEST_H
#define KTEST_KTEST_H

#include <stdbool.h>

struct ktest_ctx {
	const char *name;
	bool failed;
};

struct ktest {
	const char *name;		/* "suite.name" */
	void (*fn)(struct ktest_ctx *t);
};

#define KTEST(suite, tname)                                                        \
	static void ktest_fn_##suite##_##tname(struct ktest_ctx *t);               \
	static const struct ktest ktest_##suite##_##tname                           \
		__attribute__((used, section(".ktests." #suite "." #tname), aligned(8))) = {           \
			#suite "." #tname, ktest_fn_##suite##_##tname };            \
	static void ktest_fn_##suite##_##tname(struct ktest_ctx *t)

/* Record a failure (the first one is printed as the reason). */
void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fail the test and return from it unless cond holds. */
#define KT_ASSERT(cond, ...)                                                       \
	do {                                                                        \
		if (!(cond)) {                                                      \
			ktest_fail(t, __FILE__, __LINE__, __VA_ARGS__);             \
			return;                                                     \
		}                                                                   \
	} while (0)

/* Compare two unsigned 64-bit values; the message shows both. */
#define KT_ASSERT_EQ(a, b)                                                         \
	do {                                                                        \
		unsigned long _a = (unsigned long)(a), _b = (unsigned long)(b);     \
		if (_a != _b) {                                                     \
			ktest_fail(t, __FILE__, __LINE__, "%s == %lx, expected %s == %lx", \
				   #a, _a, #b, _b);                                 \
			return;                                                     \
		}                                                                   \
	} while (0)

struct ktest_result {
	unsigned passed, failed;
};

/* Run every test whose name starts with prefix, or with one of several
 * separated by commas ("smp,threads"; "" for all). */
struct ktest_result ktest_run(const char *prefix);

/*
 * Benchmarks, registered like tests with KBENCH(suite, name) and run by the
 * `bench` command line (make bench) under QEMU -icount shift=0, where the
 * guest's rdtsc counts instructions. A benchmark prints its own
 * "bench: ..." lines and returns false if it could not measure.
 */
struct kbench {
	const char *name;
	bool (*fn)(void);
};

#define KBENCH(suite, bname)                                                       \
	static bool kbench_fn_##suite##_##bname(void);                             \
	static const struct kbench kbench_##suite##_##bname                         \
		__attribute__((used, section(".kbench." #suite "." #bname), aligned(8))) = { \
			#suite "." #bname, kbench_fn_##suite##_##bname };           \
	static bool kbench_fn_##suite##_##bname(void)

/* Run every benchmark; returns the number that failed to measure. */
unsigned kbench_run(void);

#endif
