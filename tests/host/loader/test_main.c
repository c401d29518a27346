/*
 * The host test runner: runs the test tables of every test_*.c file (the
 * per-compiler ones once for gcc and once for clang objects) and prints one
 * line per test and the final `N passed, N failed`. Usage:
 * test_loader OBJDIR [ELFCHECK] [FILTER].
 */
#include "tcommon.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void tfail_v(struct tctx *t, const char *file, int line, const char *fmt, va_list ap)
{
	size_t n;

	if (t->failed)
		return;
	t->failed = true;
	vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
	n = strlen(t->reason);
	if (file)
		snprintf(t->reason + n, sizeof(t->reason) - n, " (%s:%d)", file, line);
}

void tfail(struct tctx *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tfail_v(t, NULL, 0, fmt, ap);
	va_end(ap);
}

void tfail_at(struct tctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tfail_v(t, file, line, fmt, ap);
	va_end(ap);
}

bool blob_read(const char *path, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	long n;

	b->data = NULL;
	b->size = 0;
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b->data = aligned_alloc(16, ((size_t)n + 16) & ~(size_t)15);
	if (!b->data || fread(b->data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b->data);
		return false;
	}
	fclose(f);
	b->size = (size_t)n;
	return true;
}

const char *tobj_path(struct tctx *t, const char *compiler, const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s.o", t->objdir, compiler, name);
	return path;
}

bool tobj_read(struct tctx *t, const char *compiler, const char *name, struct blob *b)
{
	const char *p = tobj_path(t, compiler, name);

	if (blob_read(p, b))
		return true;
	tfail(t, "cannot read %s", p);
	return false;
}

enum err tload(struct tctx *t, struct ld_namespace *ns, const char *name,
	       const struct ld_load_opts *opts, struct ld_crate **out)
{
	return tload_as(t, ns, name, name, opts, out);
}

enum err tload_as(struct tctx *t, struct ld_namespace *ns, const char *file,
		  const char *crate, const struct ld_load_opts *opts, struct ld_crate **out)
{
	struct blob b;
	enum err e;

	if (!tobj_read(t, t->compiler, file, &b))
		return E_INVALID_ARG;
	e = ld_load(ns, crate, b.data, b.size, opts, out);
	free(b.data);
	return e;
}

struct ld_namespace *tns(struct tctx *t)
{
	if (!t->ns && ld_namespace_create(&t->shim.svc, &t->ns) != E_OK)
		return NULL;
	return t->ns;
}

static int run_one(const struct test_case *tc, const char *compiler, const char *objdir,
		   const char *elfcheck)
{
	static struct tctx t;
	char name[128];

	memset(&t, 0, sizeof(t));
	t.compiler = compiler ? compiler : "gcc";
	t.objdir = objdir;
	t.elfcheck = elfcheck;
	shim_init(&t.shim);
	t.shim.echo = getenv("LOADER_TEST_VERBOSE") != NULL;
	snprintf(name, sizeof(name), "%s%s%s", tc->name, compiler ? "/" : "",
		 compiler ? compiler : "");
	tundef_value = NULL;
	tc->fn(&t);
	ld_namespace_destroy(t.ns);
	if (!t.failed && !shim_is_empty(&t.shim))
		tfail(&t, "shim not empty at the end: heap %ld reserved %ld mapped %ld",
		      t.shim.now.heap_live, t.shim.now.reserved_live,
		      t.shim.now.mapped_live);
	if (t.failed)
		printf("FAIL %s: %s\n", name, t.reason);
	else
		printf("ok %s\n", name);
	fflush(stdout);
	return t.failed;
}

extern const struct test_case tests_oom_log[]; /* test_oom_log.c */

int main(int argc, char **argv)
{
	const struct test_case *tables[] = { tests_load, tests_validate, tests_deps,
					     tests_fail, tests_diff, tests_scale,
					     tests_group, tests_redirect, tests_oom_log };
	static const char *compilers[] = { "gcc", "clang" };
	const char *filter = argc > 3 ? argv[3] : NULL;
	int passed = 0, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJDIR [ELFCHECK] [FILTER]\n", argv[0]);
		return 2;
	}
	for (size_t k = 0; k < sizeof(tables) / sizeof(tables[0]); k++) {
		for (const struct test_case *tc = tables[k]; tc->name; tc++) {
			if (filter && !strstr(tc->name, filter))
				continue;
			for (int c = 0; c < (tc->per_compiler ? 2 : 1); c++) {
				int r = run_one(tc, tc->per_compiler ? compilers[c] : NULL,
						argv[1], argc > 2 ? argv[2] : NULL);

				failed += r;
				passed += !r;
			}
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
