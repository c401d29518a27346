/*
 * A minimal test harness for the loader's host tests: each test is a function
 * taking a context, listed in its file's test table; test_main.c runs every
 * table, printing `ok NAME` or `FAIL NAME: reason (file:line)` (the first
 * failure), then `N passed, N failed`.
 *
 * The macro names mean one thing in every harness of the tree: REQUIRE*
 * records the failure and returns from the test; CHECK* would record it and
 * go on. The loader's tests only stop (what follows a failed load or lookup
 * depends on it), so this harness defines REQUIRE* alone. The other
 * harnesses: tests/host/check.h (the host unit tests; CHECK* and REQUIRE) and
 * include/ktest/ktest.h (in the kernel; KT_ASSERT* stops, as REQUIRE does).
 */
#ifndef TESTS_HOST_LOADER_TEST_H
#define TESTS_HOST_LOADER_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <loader/loader.h>
#include "shim.h"

struct tctx {
	const char *compiler; /* "gcc" or "clang" for per-compiler tests */
	const char *objdir;   /* build/host/loader/objs */
	const char *elfcheck; /* path of build/tools/elfcheck */
	bool failed;
	char reason[600];
	struct shim shim;
	struct ld_namespace *ns; /* destroyed by the runner after the test */
};

struct test_case {
	const char *name;
	void (*fn)(struct tctx *t);
	bool per_compiler;
};

/* Record a failure; only the first one of a test is reported. tfail_at adds
 * " (file:line)" after the reason. */
void tfail(struct tctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tfail_at(struct tctx *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Stop the test unless cond holds. */
#define REQUIRE(t, cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			tfail_at((t), __FILE__, __LINE__, "REQUIRE(%s) failed", #cond); \
			return;                                                 \
		}                                                               \
	} while (0)

/* Stop the test unless cond holds; the reason is fmt's. */
#define REQUIREF(t, cond, fmt, ...)                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			tfail_at((t), __FILE__, __LINE__, fmt, ##__VA_ARGS__);  \
			return;                                                 \
		}                                                               \
	} while (0)

/* Stop the test unless enum err `got` == `want`; the reason names both and
 * the shim's last log line. */
#define REQUIRE_ERR(t, got, want)                                               \
	do {                                                                    \
		enum err g_ = (got), w_ = (want);                               \
		if (g_ != w_) {                                                 \
			tfail_at((t), __FILE__, __LINE__,                       \
				 "%s is E_%s, want E_%s (log: %s)", #got,       \
				 err_name(g_), err_name(w_),                    \
				 shim_last_log(&(t)->shim));                    \
			return;                                                 \
		}                                                               \
	} while (0)

/* A file's bytes in an 8-aligned buffer; free with free(). */
struct blob {
	uint8_t *data;
	size_t size;
};
bool blob_read(const char *path, struct blob *b);
/* objdir/compiler/name.o, read; fails the test when missing. */
bool tobj_read(struct tctx *t, const char *compiler, const char *name, struct blob *b);
const char *tobj_path(struct tctx *t, const char *compiler, const char *name);

/* Load `name.o` of t->compiler as crate `name` into ns; report on failure. */
enum err tload(struct tctx *t, struct ld_namespace *ns, const char *name,
	       const struct ld_load_opts *opts, struct ld_crate **out);

/* Load object `file` as crate `crate`. */
enum err tload_as(struct tctx *t, struct ld_namespace *ns, const char *file,
		  const char *crate, const struct ld_load_opts *opts, struct ld_crate **out);
/* A namespace over the test's shim, owned by the test context. */
struct ld_namespace *tns(struct tctx *t);

/* Test tables of each file. */
extern const struct test_case tests_load[], tests_validate[], tests_deps[],
	tests_fail[], tests_diff[], tests_scale[], tests_group[], tests_redirect[];

#endif
