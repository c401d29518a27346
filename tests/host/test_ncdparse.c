/*
 * Host tests for nano_core_swap/desc.c: the description the build wrote
 * (build/nano_core.desc, or $NCDESC) parses, and every malformed variant
 * derived from it is refused with E_SWAP_BAD_DESC and one message, without
 * reading outside the buffer (ASan: each variant lives in an exact-size
 * allocation).
 */
#include <stdlib.h>

#include <console/console.h>
#include "check.h"
#include "log_capture.h"
#include "../../nano_core_swap/swap_internal.h"

/* desc.c logs through pr_err: capture it. */
void klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	log_capture_v(fmt, ap);
	va_end(ap);
}

static uint8_t *good;
static size_t good_size;

/* A private, exact-size copy of the good description. */
static uint8_t *copy(size_t size)
{
	uint8_t *p = malloc(size);

	memcpy(p, good, size < good_size ? size : good_size);
	return p;
}

/* Parse size bytes of p; must fail with E_SWAP_BAD_DESC mentioning what. */
static void expect_bad(uint8_t *p, size_t size, const char *what)
{
	struct ncd_view v;

	log_capture_reset();
	enum err e = ncd_parse(p, size, &v);
	CHECK_ERR(e, E_SWAP_BAD_DESC);
	CHECK_EQ_U(logged.calls, 1);
	CHECK_CONTAINS(logged.text, what);
	free(p);
}

static struct ncd_view view_of(uint8_t *p)
{
	struct ncd_view v;

	if (ncd_parse(p, good_size, &v) != E_OK)
		abort();
	return v;
}

static void test_good_parses(void)
{
	uint8_t *p = copy(good_size);
	struct ncd_view v;

	CHECK_ERR(ncd_parse(p, good_size, &v), E_OK);
	CHECK(v.h->nmodules >= 10 && v.h->nsections > 100 && v.h->nrelocs > 1000);
	CHECK_STR(ncd_str(&v, v.mods[0].name), "boot");
	CHECK_EQ_U(v.mods[0].constituent, 0);
	CHECK_STR(ncd_str(&v, v.mods[1].name), "memory");
	CHECK_EQ_U(v.mods[1].constituent, 1);
	CHECK_EQ_U(ncd_find_module(&v, "heap") != NCD_NONE, 1);
	CHECK_EQ_U(ncd_find_module(&v, "no_such_module"), NCD_NONE);
	free(p);
}

static void test_truncated(void)
{
	expect_bad(copy(10), 10, "bad size");
	expect_bad(copy(good_size / 2), good_size / 2, "run past the end");
	expect_bad(copy(good_size - 1), good_size - 1, "run past the end");
}

static void test_bad_magic(void)
{
	uint8_t *p = copy(good_size);

	p[0] ^= 0xff;
	expect_bad(p, good_size, "magic");
}

static void test_count_too_large(void)
{
	uint8_t *p = copy(good_size);

	((struct ncd_header *)p)->nrelocs = 0x7fffffff;
	expect_bad(p, good_size, "NCD_MAX_COUNT");
	p = copy(good_size);
	((struct ncd_header *)p)->nsymbols += 1;	/* plausible, but runs past the end */
	expect_bad(p, good_size, "run past the end");
}

static void test_strtab_unterminated(void)
{
	uint8_t *p = copy(good_size);
	struct ncd_view v = view_of(p);

	((char *)v.strs)[v.h->strtab_size - 1] = 'x';
	expect_bad(p, good_size, "not NUL-terminated");
}

static void test_bad_module(void)
{
	uint8_t *p = copy(good_size);
	struct ncd_view v = view_of(p);

	((struct ncd_module *)v.mods)[1].name = v.h->strtab_size;
	expect_bad(p, good_size, "module 1");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_module *)v.mods)[2].nsections = v.h->nsections;
	expect_bad(p, good_size, "module 2");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_module *)v.mods)[3].first_section -= 1;	/* overlaps module 2's */
	expect_bad(p, good_size, "module 3 is out of range");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_module *)v.mods)[v.h->nmodules - 1].nsections -= 1; /* one section unowned */
	((struct ncd_module *)v.mods)[v.h->nmodules - 1].ndata_sections -=
		v.secs[v.h->nsections - 1].kind == NCD_DATA; /* (its counts still agree) */
	expect_bad(p, good_size, "the modules' sections add up to");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_module *)v.mods)[1].ndata_sections += 1;
	expect_bad(p, good_size, "module 1 (memory) says");
	p = copy(good_size);
	v = view_of(p);
	CHECK(v.mods[1].layout_size > 0); /* (memory.o carries its layout blob) */
	((struct ncd_module *)v.mods)[1].layout = v.h->layouts_size - v.mods[1].layout_size + 8;
	expect_bad(p, good_size, "module 1: layout blob");
}

static void test_bad_section(void)
{
	uint8_t *p = copy(good_size);
	struct ncd_view v = view_of(p);

	((struct ncd_section *)v.secs)[5].module = v.h->nmodules;
	expect_bad(p, good_size, "section 5");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_section *)v.secs)[6].kind = 7;
	expect_bad(p, good_size, "section 6");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_section *)v.secs)[7].size = ~0UL;		/* addr + size wraps */
	expect_bad(p, good_size, "section 7");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_section *)v.secs)[8].module = 0;		/* outside its module's range */
	expect_bad(p, good_size, "section 8");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_section *)v.secs)[9].align = 24;
	expect_bad(p, good_size, "alignment 0x18 is not a power of two");
}

/* A section's full name must be its module's name, ':' and its name. */
static void test_bad_full_name(void)
{
	uint8_t *p = copy(good_size);
	struct ncd_view v = view_of(p);

	((struct ncd_section *)v.secs)[4].full_name += 1;	/* "emory:.text..." */
	expect_bad(p, good_size, "section 4 (");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_section *)v.secs)[5].full_name = v.secs[5].name; /* no module at all */
	expect_bad(p, good_size, "section 5 (");
	p = copy(good_size);
	v = view_of(p);
	((char *)v.strs)[v.secs[6].name - 1] = '.';			/* "memory.…" */
	expect_bad(p, good_size, "its full name is not");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_section *)v.secs)[7].full_name = v.secs[7].name + 1; /* past its name */
	expect_bad(p, good_size, "section 7 (");
}

static void test_bad_symbol(void)
{
	uint8_t *p = copy(good_size);
	struct ncd_view v = view_of(p);

	((struct ncd_symbol *)v.syms)[3].section = v.h->nsections;
	expect_bad(p, good_size, "symbol 3");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_module *)v.mods)[1].ndata_symbols += 1; /* a code symbol counted as data */
	expect_bad(p, good_size, "not in module 1's data");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_module *)v.mods)[2].first_symbol += 1;	/* runs that do not tile */
	expect_bad(p, good_size, "module 2: symbols");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_symbol *)v.syms)[v.h->nsymbols - 1].section = 0; /* a linker symbol in one */
	expect_bad(p, good_size, "a module's after the linker's");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_symbol *)v.syms)[4].bind = 3;
	expect_bad(p, good_size, "binding 3 is not local, global or weak");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_symbol *)v.syms)[v.h->nsymbols - 1].type = 6;	/* STT_TLS, a linker symbol */
	expect_bad(p, good_size, "type 6 is not untyped, object or function");
}

/* The first section with at least n records. */
static uint32_t section_with_records(const struct ncd_view *v, uint32_t n)
{
	for (uint32_t i = 0; i < v->h->nsections; i++)
		if (v->secs[i].nrelocs >= n)
			return i;
	abort();
}

/* The sections' runs of records tile the record table, in order. */
static void test_bad_record_runs(void)
{
	uint8_t *p = copy(good_size);
	struct ncd_view v = view_of(p);
	uint32_t i = section_with_records(&v, 1), last = v.h->nsections - 1;

	((struct ncd_section *)v.secs)[i].first_reloc += 1;	/* a gap before it */
	expect_bad(p, good_size, "do not follow");
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_section *)v.secs)[i].nrelocs = v.h->nrelocs + 1; /* past the table */
	expect_bad(p, good_size, "do not follow");
	p = copy(good_size);
	v = view_of(p);
	while (!v.secs[last].nrelocs)	/* the last section with records... */
		((struct ncd_section *)v.secs)[last--].first_reloc -= 1;
	((struct ncd_section *)v.secs)[last].nrelocs -= 1; /* ...leaves one unowned */
	expect_bad(p, good_size, "add up to");
}

/* Check section i's records; must fail with E_SWAP_BAD_DESC mentioning what. */
static void expect_bad_records(uint8_t *p, const struct ncd_view *v, uint32_t i,
			       const char *what)
{
	log_capture_reset();
	CHECK_ERR(ncd_check_relocs(v, i), E_SWAP_BAD_DESC);
	CHECK_EQ_U(logged.calls, 1);
	CHECK_CONTAINS(logged.text, what);
	free(p);
}

/* Records are checked per section, as the nano_core crate takes them. */
static void test_records_checked(void)
{
	uint8_t *p = copy(good_size);
	struct ncd_view v = view_of(p);
	uint32_t i = section_with_records(&v, 3), r = v.secs[i].first_reloc;
	char what[64];

	for (uint32_t k = 0; k < v.h->nsections; k++)
		CHECK_ERR(ncd_check_relocs(&v, k), E_OK);
	((struct ncd_reloc *)v.relocs)[r].source = i + 1;
	snprintf(what, sizeof(what), "relocation %u (of %s)", r, ncd_str(&v, v.secs[i].full_name));
	expect_bad_records(p, &v, i, what);
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_reloc *)v.relocs)[r + 1].offset = v.secs[i].size;
	snprintf(what, sizeof(what), "relocation %u (of", r + 1);
	expect_bad_records(p, &v, i, what);
	p = copy(good_size);
	v = view_of(p);
	((struct ncd_reloc *)v.relocs)[r + 2].target = v.h->nsections;
	snprintf(what, sizeof(what), "target %u", v.h->nsections);
	expect_bad_records(p, &v, i, what);
}

int main(void)
{
	good = check_read_build_file("NCDESC", "build/nano_core.desc", &good_size);
	CHECK_RUN(test_good_parses);
	CHECK_RUN(test_truncated);
	CHECK_RUN(test_bad_magic);
	CHECK_RUN(test_count_too_large);
	CHECK_RUN(test_strtab_unterminated);
	CHECK_RUN(test_bad_module);
	CHECK_RUN(test_bad_full_name);
	CHECK_RUN(test_bad_section);
	CHECK_RUN(test_bad_symbol);
	CHECK_RUN(test_bad_record_runs);
	CHECK_RUN(test_records_checked);
	free(good);
	return check_summary();
}
