/*
 * A tiny test framework for the host unit tests. Each test is a void function
 * run through CHECK_RUN; it prints `ok NAME` or `FAIL NAME: reason (file:line)`
 * (the first failed check), and check_summary() ends the binary with
 * `N passed, N failed` and the exit status (1 if any test failed).
 *
 * The macro names mean one thing in every harness of the tree: CHECK* records
 * a failure and goes on with the test; REQUIRE* records it and returns (use it
 * when what follows depends on it). The other harnesses say the same:
 * tests/host/loader/test.h (the loader's host tests, REQUIRE* only) and
 * include/ktest/ktest.h (in the kernel; KT_ASSERT* stops, as REQUIRE does).
 * A log the code under test writes is captured with log_capture.h.
 *
 * A sanitizer report aborts the process; the death callback still prints the
 * FAIL line for the test that was running and the summary, so a wild read
 * shows up as a failed test rather than a silent crash.
 */
#ifndef TESTS_HOST_CHECK_H
#define TESTS_HOST_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<sanitizer/common_interface_defs.h>) && __has_include(<dlfcn.h>)
#include <dlfcn.h>
#include <sanitizer/common_interface_defs.h>
#define CHECK_HAVE_SANITIZER_CALLBACK 1
#endif
#endif

static unsigned check_passed, check_failed;
static const char *check_current;	/* the test being run, or NULL */
static int check_failures;		/* failed checks in the current test */
static char check_reason[512];		/* the first of them */

/* Record a failed check; only the first one of a test is reported. */
static void __attribute__((format(printf, 3, 4)))
check_fail(const char *file, int line, const char *fmt, ...)
{
	if (check_failures++)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(check_reason, sizeof(check_reason), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(check_reason))
		n = sizeof(check_reason) - 1;
	snprintf(check_reason + n, sizeof(check_reason) - (size_t)n, " (%s:%d)", file, line);
}

static void check_print_summary(void)
{
	printf("%u passed, %u failed\n", check_passed, check_failed);
	fflush(stdout);
}

#ifdef CHECK_HAVE_SANITIZER_CALLBACK
static void check_on_sanitizer_death(void)
{
	if (check_current) {
		printf("FAIL %s: sanitizer report (see stderr)\n", check_current);
		check_failed++;
	}
	check_print_summary();
}
#endif

/*
 * gcc links ASan and UBSan as two runtimes, each with its own death callback;
 * the plain call reaches ASan's, the lookup in libubsan reaches UBSan's.
 */
static void check_register_death_callback(void)
{
#ifdef CHECK_HAVE_SANITIZER_CALLBACK
	__sanitizer_set_death_callback(check_on_sanitizer_death);
	void *ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (ubsan) {
		void (*set)(void (*)(void));
		*(void **)&set = dlsym(ubsan, "__sanitizer_set_death_callback");
		if (set)
			set(check_on_sanitizer_death);
	}
#endif
}

static void check_run(const char *name, void (*fn)(void))
{
	static int registered;

	if (!registered++)
		check_register_death_callback();
	check_current = name;
	check_failures = 0;
	fn();
	if (check_failures) {
		printf("FAIL %s: %s%s\n", name, check_reason,
		       check_failures > 1 ? " [and more]" : "");
		check_failed++;
	} else {
		printf("ok %s\n", name);
		check_passed++;
	}
	check_current = NULL;
	fflush(stdout);
}

/* Print `N passed, N failed`; the value to return from main. */
static int check_summary(void)
{
	check_print_summary();
	return check_failed ? 1 : 0;
}

#define CHECK_RUN(fn) check_run(#fn, fn)

/* Continue after a failed check. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			check_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond); \
	} while (0)

/* Stop the test after a failed check (when what follows depends on it). */
#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			check_fail(__FILE__, __LINE__, "REQUIRE(%s) failed", #cond); \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_EQ_U(got, want)                                                  \
	do {                                                                   \
		unsigned long long g_ = (got), w_ = (want);                    \
		if (g_ != w_)                                                  \
			check_fail(__FILE__, __LINE__, "%s is %llu (%#llx), want %llu (%#llx)", \
				   #got, g_, g_, w_, w_);                      \
	} while (0)

#define CHECK_EQ_I(got, want)                                                  \
	do {                                                                   \
		long long g_ = (got), w_ = (want);                             \
		if (g_ != w_)                                                  \
			check_fail(__FILE__, __LINE__, "%s is %lld, want %lld", #got, g_, w_); \
	} while (0)

/* Two values of enum err, by name (err_name, from <nanoswap/err.h>). */
#define CHECK_ERR(got, want)                                                   \
	do {                                                                   \
		enum err g_ = (got), w_ = (want);                              \
		if (g_ != w_)                                                  \
			check_fail(__FILE__, __LINE__, "%s is E_%s, want E_%s", #got, \
				   err_name(g_), err_name(w_));                \
	} while (0)

/* Two C strings, either of which may be NULL. */
#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		if (!g_ || !w_ ? g_ != w_ : strcmp(g_, w_) != 0)               \
			check_fail(__FILE__, __LINE__, "%s is %s%s%s, want %s%s%s", #got, \
				   g_ ? "\"" : "", g_ ? g_ : "NULL", g_ ? "\"" : "", \
				   w_ ? "\"" : "", w_ ? w_ : "NULL", w_ ? "\"" : ""); \
	} while (0)

/* haystack (non-NULL) contains needle. */
#define CHECK_CONTAINS(haystack, needle)                                       \
	do {                                                                   \
		const char *h_ = (haystack), *n_ = (needle);                   \
		if (!h_ || !strstr(h_, n_))                                    \
			check_fail(__FILE__, __LINE__, "%s is \"%s\", want it to contain \"%s\"", \
				   #haystack, h_ ? h_ : "(NULL)", n_);         \
	} while (0)

/* The whole file `path` in a 16-byte aligned buffer rounded up to 16 bytes
 * (exact when its size is a multiple of 16); NULL when it cannot be opened,
 * exits when it cannot be read. */
static inline uint8_t *check_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	data = aligned_alloc(16, *size ? (*size + 15) & ~(size_t)15 : 16);
	if (!data || fread(data, 1, *size, f) != *size)
		exit(1);
	fclose(f);
	return data;
}

/* check_read_file of the file named by environment variable `env`, else
 * `path` (a build product); exits when it cannot be read. */
static inline uint8_t *check_read_build_file(const char *env, const char *path, size_t *size)
{
	const char *name = getenv(env) ? getenv(env) : path;
	uint8_t *data = check_read_file(name, size);

	if (!data) {
		fprintf(stderr, "cannot open %s (run make first, or set %s)\n", name, env);
		exit(1);
	}
	return data;
}

#endif
