/*
 * A minimal test harness for the loader's host tests: each test is a function
 * taking a context; CHECK records the first failure with its reason and
 * returns. main() runs every registered test, printing `ok NAME` or
 * `FAIL NAME: reason`, then `N passed, N failed`.
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

void tfail(struct tctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CHECK(t, cond)                                                          \
	do {                                                                    \
		if (!(cond)) {                                                  \
			tfail((t), "%s:%d: %s", __FILE__, __LINE__, #cond);     \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECKF(t, cond, fmt, ...)                                               \
	do {                                                                    \
		if (!(cond)) {                                                  \
			tfail((t), "%s:%d: " fmt, __FILE__, __LINE__, ##__VA_ARGS__); \
			return;                                                 \
		}                                                               \
	} while (0)

/* Expect enum err `got` == `want`; on mismatch report names and last log. */
#define CHECK_ERR(t, got, want)                                                 \
	do {                                                                    \
		enum err g_ = (got), w_ = (want);                               \
		if (g_ != w_) {                                                 \
			tfail((t), "%s:%d: got %s, want %s (log: %s)", __FILE__,    \
			      __LINE__, err_name(g_), err_name(w_),             \
			      shim_last_log(&(t)->shim));                       \
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
