/*
 * libFuzzer harness over the loader's whole input path: validate, lay out,
 * resolve, relocate, record dependencies, query, unload. The input's last
 * byte picks a mode (bit 0: bind undefined symbols to a stub address so more
 * inputs reach relocation; bit 1: load a fixed real object first, so the
 * input is a second crate in a populated namespace, resolving against it and
 * clashing with it; bits 2-7: make that heap allocation of the input's load
 * fail). After every input the host shim must be empty again: anything left
 * is a leak of heap, reservations or mappings, and aborts.
 *
 * The fixed object is FUZZ_FIRST_OBJECT (set by loader/loader.mk), or the
 * file named by $FUZZ_FIRST_OBJECT.
 *
 * Build and run: make fuzz FUZZ_SECONDS=60 (needs Debian's libclang-rt-14-dev).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <loader/loader.h>
#include "shim.h"

static bool fuzz_stub(void *ctx, const char *name, uint64_t *value)
{
	(void)ctx, (void)name;
	*value = LD_CMODEL_KERNEL_BASE + 0x1000;
	return true;
}

/* Touch everything the public API exposes about a loaded crate. */
static void fuzz_query(struct ld_namespace *ns, const struct ld_crate *c)
{
	size_t n, i;
	const struct ld_section *secs = ld_crate_sections(c, &n);
	const struct ld_symbol *syms, *s;
	volatile uint64_t sink = 0;

	for (i = 0; i < n; i++) {
		struct ld_reloc_iter it;
		struct ld_reloc r;
		uint64_t on_edges = 0, seen = 0, no_target = 0;

		for (ld_relocs_of_section(&it, &secs[i]); ld_reloc_next(&it, &r); seen++)
			no_target += r.target == NULL;
		for (const struct ld_dep *d = ld_section_deps(&secs[i]); d; d = d->next_dep) {
			sink += d->nrelocs + d->target->addr;
			on_edges += d->nrelocs;
		}
		if (seen != secs[i].nrelocs || on_edges != seen - no_target)
			__builtin_trap(); /* every relocation read back lies on one edge */
		for (const struct ld_dep *d = ld_section_dependents(&secs[i]); d;
		     d = d->next_dependent)
			sink += d->nrelocs + d->source->addr;
	}
	syms = ld_crate_symbols(c, &n);
	for (i = 0; i < n; i++) {
		if (ld_lookup(ns, syms[i].name, &s) == E_OK)
			sink += s->addr;
		if (ld_symbolize(ns, syms[i].addr, &s) == E_OK)
			sink += s->size;
	}
	(void)sink;
}

/* The fixed first object (mode bit 1), read once. */
static uint8_t *first_image;
static size_t first_size;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("FUZZ_FIRST_OBJECT");
	FILE *f;
	long n;

	(void)argc, (void)argv;
	if (!path)
		path = FUZZ_FIRST_OBJECT;
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(first_image = aligned_alloc(16, ((size_t)n + 15) & ~(size_t)15)) ||
	    fread(first_image, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz_load: cannot read the first object %s\n", path);
		abort();
	}
	first_size = (size_t)n;
	fclose(f);
	return 0;
}

/* Mode bit 1: the fixed object as crate "first"; it must load. */
static struct ld_crate *fuzz_load_first(struct ld_namespace *ns)
{
	const struct ld_load_opts opts = { .resolve_undefined = fuzz_stub };
	struct ld_crate *c;

	if (ld_load(ns, "first", first_image, first_size, &opts, &c) != E_OK)
		abort();
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shim shim;
	struct ld_load_opts opts = { 0 };
	struct ld_namespace *ns;
	struct ld_crate *c, *first = NULL;
	uint8_t *image, mode = size ? data[size - 1] : 0;

	image = aligned_alloc(16, (size + 16) & ~(size_t)15);
	if (!image)
		return 0;
	memcpy(image, data, size);
	shim_init(&shim);
	shim.area_limit = 16u << 20; /* keep huge .bss inputs cheap */
	if (mode & 1)
		opts.resolve_undefined = fuzz_stub;
	if (ld_namespace_create(&shim.svc, &ns) != E_OK)
		abort();
	if (mode & 2)
		first = fuzz_load_first(ns);
	shim.nalloc = 0;
	shim.fail_alloc_at = mode >> 2;
	if (ld_load(ns, "fuzz", image, size, &opts, &c) == E_OK) {
		shim.fail_alloc_at = 0;
		fuzz_query(ns, c);
		if (ld_unload(ns, c) != E_OK)
			abort();
	}
	shim.fail_alloc_at = 0;
	if (first) {
		fuzz_query(ns, first);
		if (ld_unload(ns, first) != E_OK)
			abort();
	}
	ld_namespace_destroy(ns);
	free(image);
	if (!shim_is_empty(&shim))
		abort();
	return 0;
}
