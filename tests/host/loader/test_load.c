/*
 * Loading real objects compiled by gcc and clang: every relocation checked
 * arithmetically, data pointers and strings followed, W^X checked page by
 * page, symbols and dependencies queried, GOT forms and overflows exercised.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

static enum ld_prot tprot_of(enum ld_kind k)
{
	return k == LD_KIND_TEXT ? LD_PROT_RX : k == LD_KIND_RODATA ? LD_PROT_R : LD_PROT_RW;
}

/* Every page of every owned section carries its kind's protection. */
static bool tcheck_protections(struct tctx *t, const struct ld_crate *c)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++) {
		if (s[i].bound || s[i].size == 0)
			continue;
		for (uint64_t a = s[i].addr & ~(LD_PAGE_SIZE - 1); a < s[i].addr + s[i].size;
		     a += LD_PAGE_SIZE) {
			if (shim_page_prot(&t->shim, a) != (int)tprot_of(s[i].kind)) {
				tfail(t, "section %s page %lx has prot %d", s[i].name,
				      (unsigned long)a, shim_page_prot(&t->shim, a));
				return false;
			}
		}
		if (s[i].align > 1 && s[i].addr % s[i].align) {
			tfail(t, "section %s misaligned", s[i].name);
			return false;
		}
	}
	return true;
}

/* Does section `from` (by name, in crate a) depend on crate b's `to`? */
static bool tdepends(const struct ld_crate *a, const char *from, const struct ld_crate *b,
		     const char *to)
{
	const struct ld_section *src = tsection_by_name(a, from);
	const struct ld_section *dst = tsection_by_name(b, to);
	bool fwd = false, back = false;

	if (!src || !dst)
		return false;
	for (const struct ld_dep *d = ld_section_deps(src); d; d = d->next_dep)
		fwd |= d->target == dst && d->nrelocs > 0 && d->source == src;
	for (const struct ld_dep *d = ld_section_dependents(dst); d; d = d->next_dependent)
		back |= d->source == src;
	return fwd && back;
}

static void test_load_basic(struct tctx *t)
{
	struct ld_namespace *ns;
	struct ld_crate *prov, *basic;
	const struct ld_symbol *sym, *pv, *pa;
	uint64_t v, str;
	char text[32];

	ns = tns(t);
	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "provider", NULL, &prov), E_OK);
	REQUIRE_ERR(t, tload(t, ns, "basic", NULL, &basic), E_OK);
	REQUIRE(t, tcheck_relocs_of(t, ns, basic, "basic") > 10);
	/* data pointers: to another crate, to a function, to a string */
	REQUIRE_ERR(t, ld_lookup(ns, "provider_value", &pv), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "provider_add", &pa), E_OK);
	REQUIRE(t, pv->crate == prov && pa->type == STT_FUNC);
	REQUIRE_ERR(t, ld_lookup(ns, "basic_ptr_to_provider", &sym), E_OK);
	REQUIRE(t, tread(t, sym->addr, 8, &v) && v == pv->addr);
	REQUIRE_ERR(t, ld_lookup(ns, "basic_fn_ptr", &sym), E_OK);
	REQUIRE(t, tread(t, sym->addr, 8, &v) && v == pa->addr);
	REQUIRE_ERR(t, ld_lookup(ns, "basic_greeting", &sym), E_OK);
	REQUIRE(t, tread(t, sym->addr, 8, &str));
	for (int i = 0; i < 17; i++) {
		REQUIRE(t, tread(t, str + (uint64_t)i, 1, &v));
		text[i] = (char)v;
	}
	REQUIRE(t, memcmp(text, "hello from basic", 17) == 0);
	/* symbols: owner, section, locals not global */
	REQUIRE_ERR(t, ld_lookup(ns, "basic_switch", &sym), E_OK);
	REQUIRE(t, sym->crate == basic && sym->section &&
		   strcmp(sym->section->name, ".text.basic_switch") == 0);
	REQUIRE_ERR(t, ld_lookup(ns, "counter", &sym), E_LD_NOT_FOUND);
	REQUIRE_ERR(t, ld_symbolize(ns, pa->addr + 3, &sym), E_OK);
	REQUIRE(t, sym == pa);
	REQUIRE(t, tcheck_protections(t, basic) && tcheck_protections(t, prov));
	/* dependencies, both directions, across crates */
	REQUIRE(t, tdepends(basic, ".text.basic_entry", basic, ".text.basic_switch"));
	REQUIRE(t, tdepends(basic, ".data.rel.local.basic_ptr_to_provider", prov,
			    ".data.provider_value") ||
		   tdepends(basic, ".data.basic_ptr_to_provider", prov, ".data.provider_value"));
	REQUIRE_ERR(t, ld_unload(ns, prov), E_LD_IN_USE);
	REQUIRE(t, shim_log_contains(&t->shim, "still used by crate 'basic'"));
	REQUIRE_ERR(t, ld_unload(ns, basic), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "basic_switch", &sym), E_LD_NOT_FOUND);
	REQUIRE_ERR(t, ld_unload(ns, prov), E_OK);
	REQUIRE(t, ld_crate_first(ns) == NULL);
}

/* `ld -r` of basic + provider loads as one self-contained crate. */
static void test_load_combined(struct tctx *t)
{
	struct ld_namespace *ns;
	struct ld_crate *c;

	ns = tns(t);
	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "combined", NULL, &c), E_OK);
	REQUIRE(t, tcheck_relocs_of(t, ns, c, "combined") > 10);
	REQUIRE(t, tcheck_protections(t, c));
}

/* `ld -r --unique`: same-named sections stay apart; each is relocated by
 * its own index, not its name. */
static void test_load_unique(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *c;
	size_t nsec;
	const struct ld_section *s;
	int same = 0;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "unique", NULL, &c), E_OK);
	s = ld_crate_sections(c, &nsec);
	for (size_t i = 0; i < nsec; i++)
		for (size_t j = i + 1; j < nsec; j++)
			same += strcmp(s[i].name, s[j].name) == 0 && s[i].size && s[j].size;
	REQUIRE(t, tcheck_relocs_of(t, ns, c, "unique") > 10);
	REQUIREF(t, same >= 1 || strcmp(t->compiler, "clang") == 0,
		 "no two non-empty sections share a name");
}

static bool tgot_values(const char *name, uint64_t *value)
{
	if (strcmp(name, "far_sym") == 0)
		*value = 0x100000000000ull;
	else if (strcmp(name, "far_function") == 0)
		*value = 0x100000000000ull;
	else if (strcmp(name, "far_data") == 0)
		*value = 0x80000000ull;
	else
		return false;
	return true;
}

static bool tresolve_hook(void *ctx, const char *name, uint64_t *value)
{
	(void)ctx;
	return tundef_value && tundef_value(name, value);
}

/* Read the 32-bit field at symbol+off and the opcode before it. */
static bool tgot_site(struct tctx *t, struct ld_namespace *ns, const char *fn, int off,
		      uint64_t *P, uint64_t *field, uint64_t *opcode)
{
	const struct ld_symbol *s;

	if (ld_lookup(ns, fn, &s) != E_OK)
		return false;
	*P = s->addr + (uint64_t)off;
	return tread(t, *P, 4, field) && tread(t, *P - 2, 1, opcode);
}

static void test_got_forms(struct tctx *t)
{
	struct ld_load_opts opts = { .resolve_undefined = tresolve_hook };
	struct ld_namespace *ns;
	struct ld_crate *c;
	const struct ld_symbol *near;
	const struct ld_section *got;
	uint64_t P, f, op, slot;

	tundef_value = tgot_values;
	ns = tns(t);
	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "got", &opts, &c), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "near_sym", &near), E_OK);
	got = tsection_by_name(c, ".got.loader");
	REQUIRE(t, got && got->kind == LD_KIND_RODATA && got->size >= 16);
	/* near mov: relaxed to lea, S + A - P with A = -4 */
	REQUIRE(t, tgot_site(t, ns, "got_near_mov", 3, &P, &f, &op));
	REQUIRE(t, op == 0x8d && (int32_t)f == (int64_t)(near->addr - 4 - P));
	/* far mov: kept, via a GOT slot holding the far address */
	REQUIRE(t, tgot_site(t, ns, "got_far_mov", 3, &P, &f, &op));
	REQUIRE(t, op == 0x8b);
	slot = P + 4 + (uint64_t)(int64_t)(int32_t)f;
	REQUIRE(t, slot >= got->addr && slot < got->addr + got->size);
	REQUIRE(t, tread(t, slot, 8, &f) && f == 0x100000000000ull);
	/* add, call *, plain GOTPCREL: via the GOT slot of near_sym */
	REQUIRE(t, tgot_site(t, ns, "got_add", 3, &P, &f, &op) && op == 0x03);
	slot = P + 4 + (uint64_t)(int64_t)(int32_t)f;
	REQUIRE(t, tread(t, slot, 8, &f) && f == near->addr);
	REQUIRE(t, tgot_site(t, ns, "got_call", 2, &P, &f, &op) && op == 0xff);
	slot = P + 4 + (uint64_t)(int64_t)(int32_t)f;
	REQUIRE(t, tread(t, slot, 8, &f) && f == near->addr);
	REQUIRE(t, tgot_site(t, ns, "got_plain", 3, &P, &f, &op) && op == 0x8b);
	slot = P + 4 + (uint64_t)(int64_t)(int32_t)f;
	REQUIRE(t, tread(t, slot, 8, &f) && f == near->addr);
	/* the GOT depends on near_sym's section; text depends on the GOT */
	REQUIRE(t, ld_section_deps(got) && ld_section_deps(got)->target == near->section);
	REQUIRE(t, tcheck_protections(t, c));
	tundef_value = NULL;
}

/* -mcmodel=small R_X86_64_32 addresses cannot reach the module area. */
static void test_overflow_32(struct tctx *t)
{
	struct ld_namespace *ns;
	struct ld_crate *c;
	struct shim_counters before;

	ns = tns(t);
	REQUIRE(t, ns);
	before = tsnap(t);
	REQUIRE_ERR(t, tload(t, ns, "small", NULL, &c), E_LD_RELOC_OVERFLOW);
	REQUIRE(t, shim_log_contains(&t->shim, "R_X86_64_32 at offset"));
	REQUIRE_UNCHANGED(t, before);
	REQUIRE(t, ld_crate_first(ns) == NULL);
}

static uint64_t tfar_fn, tfar_data;
static bool tabs_values(const char *name, uint64_t *value)
{
	if (strcmp(name, "far_function") == 0)
		*value = tfar_fn;
	else if (strcmp(name, "far_data") == 0)
		*value = tfar_data;
	else
		return false;
	return true;
}

/* PLT32 to a far function and 32S to a non-sign-extendable address overflow;
 * near values load and relocate correctly. */
static void test_overflow_pc32_32s(struct tctx *t)
{
	struct ld_load_opts opts = { .resolve_undefined = tresolve_hook };
	struct ld_namespace *ns;
	struct ld_crate *c;
	struct shim_counters before;

	tundef_value = tabs_values;
	ns = tns(t);
	REQUIRE(t, ns);
	before = tsnap(t);
	tfar_fn = 0x100000000000ull, tfar_data = LD_CMODEL_KERNEL_BASE;
	REQUIRE_ERR(t, tload(t, ns, "absref", &opts, &c), E_LD_RELOC_OVERFLOW);
	REQUIRE(t, shim_log_contains(&t->shim, "R_X86_64_PLT32"));
	REQUIRE_UNCHANGED(t, before);
	tfar_fn = LD_CMODEL_KERNEL_BASE + 0x1000, tfar_data = 0x80000000ull;
	REQUIRE_ERR(t, tload(t, ns, "absref", &opts, &c), E_LD_RELOC_OVERFLOW);
	REQUIRE(t, shim_log_contains(&t->shim, "R_X86_64_32S"));
	REQUIRE_UNCHANGED(t, before);
	tfar_fn = LD_CMODEL_KERNEL_BASE + 0x1000, tfar_data = 0xFFFFFFFFFFFFF000ull;
	REQUIRE_ERR(t, tload(t, ns, "absref", &opts, &c), E_OK);
	REQUIRE(t, tcheck_relocs_of(t, ns, c, "absref") > 0);
	tundef_value = NULL;
}

static bool tpc32_values(const char *name, uint64_t *value)
{
	if (strcmp(name, "far_var") != 0)
		return false;
	*value = tfar_data;
	return true;
}

/* A rip-relative load overflows beyond +-2 GiB and fits within it. */
static void test_overflow_pc32(struct tctx *t)
{
	struct ld_load_opts opts = { .resolve_undefined = tresolve_hook };
	struct ld_namespace *ns = tns(t);
	struct ld_crate *c;
	struct shim_counters before;

	REQUIRE(t, ns);
	tundef_value = tpc32_values;
	before = tsnap(t);
	tfar_data = 0x100000000000ull;
	REQUIRE_ERR(t, tload(t, ns, "pc32", &opts, &c), E_LD_RELOC_OVERFLOW);
	REQUIRE(t, shim_log_contains(&t->shim, "R_X86_64_PC32 at offset"));
	REQUIRE_UNCHANGED(t, before);
	tfar_data = LD_CMODEL_KERNEL_BASE + 0x7fff0000ull; /* within 2 GiB above */
	REQUIRE_ERR(t, tload(t, ns, "pc32", &opts, &c), E_OK);
	REQUIRE(t, tcheck_relocs_of(t, ns, c, "pc32") >= 1);
	tundef_value = NULL;
}

/* Is run address `a` inside a section of `c` whose bytes come from the file? */
static bool tin_progbits(const struct ld_crate *c, uint64_t a)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++)
		if (!s[i].nobits && s[i].elf_index && a >= s[i].addr && a < s[i].addr + s[i].size)
			return true;
	return false;
}

/* Fresh frames come dirty (the shim fills them with SHIM_FRESH_BYTE, as
 * vrange_map promises nothing): every byte of every page the crate's own
 * sections touch that is not copied from the file (NOBITS, alignment gaps,
 * page tails) must be zero after the load. */
static void test_fresh_bytes_written(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *prov, *basic;
	const struct ld_section *s;
	size_t n, zeroed = 0, bss = 0;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "provider", NULL, &prov), E_OK);
	REQUIRE_ERR(t, tload(t, ns, "basic", NULL, &basic), E_OK);
	s = ld_crate_sections(basic, &n);
	for (size_t i = 0; i < n; i++) {
		uint64_t from = s[i].addr & ~(LD_PAGE_SIZE - 1);
		uint64_t to = (s[i].addr + s[i].size + LD_PAGE_SIZE - 1) & ~(LD_PAGE_SIZE - 1);

		if (s[i].bound || s[i].size == 0)
			continue;
		bss += s[i].nobits;
		for (uint64_t a = from; a < to; a++) {
			uint64_t v;

			if (tin_progbits(basic, a))
				continue;
			REQUIREF(t, tread(t, a, 1, &v) && v == 0, "byte at %lx (near '%s') is %lx",
				 (unsigned long)a, s[i].name, (unsigned long)v);
			if (v != 0)
				return;
			zeroed++;
		}
	}
	REQUIRE(t, bss > 0 && zeroed > 1000);
}

const struct test_case tests_load[] = {
	{ "fresh_bytes_written", test_fresh_bytes_written, true },
	{ "overflow_pc32", test_overflow_pc32, true },
	{ "load_basic", test_load_basic, true },
	{ "load_combined", test_load_combined, true },
	{ "load_ld_r_unique", test_load_unique, true },
	{ "got_forms", test_got_forms, true },
	{ "overflow_32", test_overflow_32, true },
	{ "overflow_pc32_32s", test_overflow_pc32_32s, true },
	{ 0 },
};
