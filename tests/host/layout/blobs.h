/*
 * What the layout host tests share (test_layout.c, test_layout_types.c):
 * running tools/layoutfp on an object compiled at test time and parsing the
 * blob it writes.
 *
 * Environment: LAYOUTFP (build/tools/layoutfp), LAYOUT_OBJS
 * (build/host/layout), MEMORY_O (build/modules/memory.o).
 */
#ifndef TESTS_HOST_LAYOUT_BLOBS_H
#define TESTS_HOST_LAYOUT_BLOBS_H

#include <stdbool.h>
#include <sys/wait.h>

#include <nano_core_swap/layout.h>
#include "../check.h"

static inline const char *env_or(const char *name, const char *fallback)
{
	return getenv(name) ? getenv(name) : fallback;
}

#define LAYOUTFP	env_or("LAYOUTFP", "build/tools/layoutfp")
#define OBJ_DIR		env_or("LAYOUT_OBJS", "build/host/layout")
#define MEMORY_O	env_or("MEMORY_O", "build/modules/memory.o")

/* ---- helpers ----------------------------------------------------------------- */

/* Run a shell command; its stdout (malloc'd) and exit status. */
static inline char *run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline char *run(int *status, const char *fmt, ...)
{
	char cmd[1024], *out = NULL;
	size_t len = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "r"), *mem = open_memstream(&out, &len);
	int c;
	if (!f || !mem)
		exit(1);
	while ((c = fgetc(f)) != EOF)
		fputc(c, mem);
	fclose(mem);
	int st = pclose(f);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

struct blob {
	uint8_t *data;
	size_t size;
	struct nsl_view v;
};

/* layoutfp on OBJ_DIR/name.o, then nsl_parse; false (and a failed check) if either fails. */
static inline bool blob_of(struct blob *b, const char *name)
{
	char obj[512], out[512], why[256] = "";
	int status;

	snprintf(obj, sizeof(obj), "%s/%s.o", OBJ_DIR, name);
	snprintf(out, sizeof(out), "%s/%s.layout", OBJ_DIR, name);
	free(run(&status, "%s %s %s", LAYOUTFP, obj, out));
	b->data = status == 0 ? check_read_file(out, &b->size) : NULL;
	if (!b->data) {
		check_fail(__FILE__, __LINE__, "layoutfp %s failed (status %d)", obj, status);
		return false;
	}
	enum err e = nsl_parse(b->data, b->size, &b->v, why, sizeof(why));
	if (e != E_OK)
		check_fail(__FILE__, __LINE__, "nsl_parse of %s's blob: %s", name, why);
	return e == E_OK;
}

/* The symbol `name` (any section) of a blob, with a failed check if absent. */
static inline const struct nsl_symbol *sym(const struct blob *b, const char *name)
{
	const struct nsl_symbol *s = nsl_find(&b->v, name, NULL);

	if (!s)
		check_fail(__FILE__, __LINE__, "no symbol %s in the blob", name);
	return s;
}

/*
 * Each of the n corruptions (an array of the including file's struct
 * corruption: name, want, apply(struct parts *, size_t *)) applied to its own
 * copy of blob `good`, whose tables parts_of(copy, &good->v) describes, must
 * be refused by nsl_parse with `want` in its reason. (A macro: each file has
 * its own struct parts.)
 */
#define CHECK_CORRUPTIONS(good, corruptions, n, parts_of)                               \
	do {                                                                             \
		for (size_t ci_ = 0; ci_ < (n); ci_++) {                                 \
			const struct corruption *c_ = &(corruptions)[ci_];               \
			size_t size_ = (good)->size;                                     \
			uint8_t *p_ = aligned_alloc(8, (good)->size + 64);               \
			struct nsl_view v_;                                              \
			char why_[256] = "";                                             \
                                                                                         \
			memcpy(p_, (good)->data, (good)->size);                          \
			struct parts t_ = parts_of(p_, &(good)->v);                      \
			c_->apply(&t_, &size_);                                          \
			enum err e_ = nsl_parse(p_, size_, &v_, why_, sizeof(why_));     \
			if (e_ != E_SWAP_BAD_LAYOUT || !strstr(why_, c_->want))          \
				check_fail(__FILE__, __LINE__,                           \
					   "corruption '%s': %s \"%s\", want \"%s\"",   \
					   c_->name, err_name(e_), why_, c_->want);      \
			free(p_);                                                        \
		}                                                                        \
	} while (0)

#endif
