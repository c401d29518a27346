/*
 * The namespace's rules and the dependency graph: weak and strong
 * definitions, duplicates, unresolved symbols reported together, dependency
 * edges in both directions, unload refusal, binding data sections to an
 * existing crate's, iteration and symbolization.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

/* The value the PLT32 call in user_call() reaches. */
static bool tuser_target(struct tctx *t, struct ld_namespace *ns, uint64_t *target)
{
	const struct ld_symbol *s;
	struct ld_reloc_iter it;
	struct ld_reloc r;
	struct ld_crate *c;

	if (ld_find_crate(ns, "user", &c) != E_OK && ld_find_crate(ns, "user2", &c) != E_OK)
		return false;
	if (ld_lookup(ns, "user_call", &s) != E_OK)
		return false;
	(void)t;
	for (ld_relocs_of_section(&it, s->section); ld_reloc_next(&it, &r);) {
		if (r.type == R_X86_64_PLT32 || r.type == R_X86_64_PC32) {
			*target = r.target->addr + r.target_offset;
			return true;
		}
	}
	return false;
}

static void test_weak_rule(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *prov, *strong, *user, *user2;
	const struct ld_symbol *s;
	uint64_t target;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "provider", NULL, &prov), E_OK);
	REQUIRE_ERR(t, tload(t, ns, "user", NULL, &user), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "provider_weak_fn", &s), E_OK);
	REQUIRE(t, s->crate == prov && s->bind == STB_WEAK);
	REQUIRE(t, tuser_target(t, ns, &target) && target == s->addr);
	/* a strong definition is not a duplicate of a weak one, and wins */
	REQUIRE_ERR(t, tload(t, ns, "strong", NULL, &strong), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "provider_weak_fn", &s), E_OK);
	REQUIRE(t, s->crate == strong && s->bind == STB_GLOBAL);
	/* user stays bound to the weak one; a new user binds to the strong one */
	REQUIRE_ERR(t, ld_unload(ns, user), E_OK);
	REQUIRE_ERR(t, tload_as(t, ns, "user", "user2", NULL, &user2), E_OK);
	REQUIRE(t, tuser_target(t, ns, &target) && target == s->addr);
	REQUIRE_ERR(t, ld_unload(ns, strong), E_LD_IN_USE);
	REQUIRE(t, shim_log_contains(&t->shim, "still used by crate 'user2'"));
	REQUIRE_ERR(t, ld_unload(ns, user2), E_OK);
	REQUIRE_ERR(t, ld_unload(ns, strong), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "provider_weak_fn", &s), E_OK);
	REQUIRE(t, s->crate == prov);
}

static void test_duplicates(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *p1, *p2;
	struct shim_counters before;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload_as(t, ns, "provider", "p1", NULL, &p1), E_OK);
	before = tsnap(t);
	REQUIRE_ERR(t, tload_as(t, ns, "provider", "p2", NULL, &p2), E_LD_DUPLICATE_SYMBOL);
	REQUIRE(t, shim_log_contains(&t->shim, "'provider_value' is already defined by crate 'p1'"));
	REQUIRE(t, shim_log_contains(&t->shim, "'provider_add' is already defined by crate 'p1'"));
	REQUIRE_UNCHANGED(t, before);
	REQUIRE_ERR(t, tload_as(t, ns, "strong", "p1", NULL, &p2), E_LD_DUPLICATE_CRATE);
	REQUIRE_UNCHANGED(t, before);
	REQUIRE(t, ld_crate_first(ns) == p1 && ld_crate_next(p1) == NULL);
}

static void test_unresolved_all(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *c;
	struct shim_counters before = tsnap(t);

	REQUIRE(t, ns);
	before = tsnap(t);
	REQUIRE_ERR(t, tload(t, ns, "basic", NULL, &c), E_LD_UNRESOLVED);
	REQUIRE(t, shim_log_contains(&t->shim, "undefined symbol 'provider_value'"));
	REQUIRE(t, shim_log_contains(&t->shim, "undefined symbol 'provider_add'"));
	REQUIRE(t, shim_log_contains(&t->shim, "undefined symbol 'provider_array'"));
	REQUIRE(t, !shim_log_contains(&t->shim, "'optional_missing'")); /* weak: 0 */
	REQUIRE(t, shim_log_contains(&t->shim, "3 unresolved symbols"));
	REQUIRE_UNCHANGED(t, before);
	REQUIRE(t, ld_crate_first(ns) == NULL);
}

/* Every record belongs to an edge of its source section, both directions. */
static void test_dep_graph(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *prov, *basic;
	const struct ld_section *secs;
	struct ld_reloc_iter it;
	struct ld_reloc r;
	size_t nsec, nrec = 0, on_edges = 0, cross = 0, no_target = 0;
	struct blob b;
	size_t nonnull = 0;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "provider", NULL, &prov), E_OK);
	REQUIRE_ERR(t, tload(t, ns, "basic", NULL, &basic), E_OK);
	secs = ld_crate_sections(basic, &nsec);
	for (size_t i = 0; i < nsec; i++) {
		for (ld_relocs_of_section(&it, &secs[i]); ld_reloc_next(&it, &r); nrec++) {
			REQUIRE(t, r.source == &secs[i]);
			no_target += r.target == NULL;
		}
		for (const struct ld_dep *d = ld_section_deps(&secs[i]); d; d = d->next_dep) {
			size_t k = 0;
			bool found = false;

			REQUIRE(t, d->source == &secs[i]);
			for (ld_relocs_of_dep(&it, d); ld_reloc_next(&it, &r); k++)
				REQUIRE(t, r.source == d->source && r.target == d->target);
			REQUIRE(t, k == d->nrelocs);
			on_edges += k;
			cross += d->target->crate != basic;
			for (const struct ld_dep *x = ld_section_dependents(d->target); x;
			     x = x->next_dependent)
				found |= x == d;
			REQUIRE(t, found);
		}
	}
	REQUIRE(t, nrec == ld_crate_nrelocs(basic));
	REQUIRE(t, on_edges + no_target == nrec && cross >= 3 && no_target >= 1);
	/* as many records as non-NONE applied relocations in the object */
	REQUIRE(t, tobj_read(t, t->compiler, "basic", &b));
	for (unsigned i = 1; i < eu_ehdr(&b)->e_shnum; i++) {
		Elf64_Shdr *s = eu_shdr(&b, i);
		Elf64_Rela *r = (Elf64_Rela *)(b.data + s->sh_offset);

		if (s->sh_type != SHT_RELA || !(eu_shdr(&b, s->sh_info)->sh_flags & SHF_ALLOC))
			continue;
		for (size_t k = 0; k < s->sh_size / sizeof(*r); k++)
			nonnull += ELF64_R_TYPE(r[k].r_info) != R_X86_64_NONE;
	}
	free(b.data);
	REQUIRE(t, nonnull == nrec);
}

static const struct ld_crate *tbind_from;
static bool tbind_wrong_size;
static enum err tbind_hook(void *ctx, const char *name, uint64_t size, bool nobits,
			   const struct ld_section **out)
{
	const struct ld_section *s;

	(void)ctx, (void)size, (void)nobits;
	*out = NULL;
	if (ld_crate_find_section(tbind_from, name, &s) != E_OK)
		return E_OK;
	if (tbind_wrong_size) {
		static struct ld_section fake;

		fake = *s;
		fake.size++;
		*out = &fake;
		return E_OK;
	}
	*out = s;
	return E_OK;
}

/* A new copy of provider with its data bound to the old copy's data. */
static void test_bind_data(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *old, *new;
	struct ld_load_opts opts = { .bind_section = tbind_hook };
	const struct ld_section *os, *nsec;
	const struct ld_symbol *s;
	struct shim_counters before;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload_as(t, ns, "provider", "old", NULL, &old), E_OK);
	tbind_from = old;
	opts.supersedes = old;
	before = tsnap(t);
	tbind_wrong_size = true;
	REQUIRE_ERR(t, tload_as(t, ns, "provider", "new", &opts, &new), E_LD_BAD_BINDING);
	REQUIRE(t, shim_log_contains(&t->shim, "the layout changed"));
	REQUIRE_UNCHANGED(t, before);
	tbind_wrong_size = false;
	REQUIRE_ERR(t, tload_as(t, ns, "provider", "new", &opts, &new), E_OK);
	REQUIRE(t, (os = tsection_by_name(old, ".data.provider_value")) != NULL);
	REQUIRE(t, (nsec = tsection_by_name(new, ".data.provider_value")) != NULL);
	REQUIRE(t, nsec->bound && nsec->bound_to == os && nsec->addr == os->addr);
	REQUIRE(t, ld_section_deps(nsec) && ld_section_deps(nsec)->target == os &&
		   ld_section_deps(nsec)->nrelocs == 0);
	REQUIRE(t, tsection_by_name(new, ".text.provider_add")->addr !=
		   tsection_by_name(old, ".text.provider_add")->addr);
	REQUIRE_ERR(t, ld_lookup(ns, "provider_add", &s), E_OK);
	REQUIRE(t, s->crate == new);
	REQUIRE_ERR(t, ld_lookup(ns, "provider_value", &s), E_OK);
	REQUIRE(t, s->crate == new && s->addr == os->addr);
	REQUIRE_ERR(t, ld_unload(ns, old), E_LD_IN_USE);
	REQUIRE(t, shim_log_contains(&t->shim, "still used by crate 'new'"));
	REQUIRE_ERR(t, ld_unload(ns, new), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "provider_add", &s), E_OK);
	REQUIRE(t, s->crate == old);
	REQUIRE_ERR(t, ld_unload(ns, old), E_OK);
}

/* Relocations whose place is in a bound (live) section are recorded, not
 * written: the old crate's data keeps its run-time value. */
static void test_bind_keeps_live_data(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *prov, *old, *new;
	struct ld_load_opts opts = { .bind_section = tbind_hook };
	const struct ld_symbol *s;
	const struct ld_section *sec;
	uint64_t *live, v;
	size_t recorded = 0;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "provider", NULL, &prov), E_OK);
	REQUIRE_ERR(t, tload_as(t, ns, "basic", "old", NULL, &old), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "basic_fn_ptr", &s), E_OK);
	live = t->shim.svc.vrange_writable(&t->shim, s->addr, 8);
	REQUIRE(t, live);
	*live = 0x1234567887654321ull; /* changed at run time */
	tbind_from = old;
	opts.supersedes = old;
	REQUIRE_ERR(t, tload_as(t, ns, "basic", "new", &opts, &new), E_OK);
	REQUIRE(t, tread(t, s->addr, 8, &v) && v == 0x1234567887654321ull);
	sec = tsection_by_name(new, s->section->name);
	REQUIRE(t, sec && sec->bound && sec->addr == s->section->addr);
	for (const struct ld_dep *d = ld_section_deps(sec); d; d = d->next_dep)
		recorded += d->nrelocs;
	REQUIRE(t, recorded == 1);
	REQUIRE_ERR(t, ld_lookup(ns, "basic_fn_ptr", &s), E_OK);
	REQUIRE(t, s->crate == new);
}

static void test_iterate(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *prov, *basic;
	const struct ld_symbol *syms, *s;
	size_t n;
	bool local_helper = false;

	REQUIRE(t, ns);
	REQUIRE_ERR(t, tload(t, ns, "provider", NULL, &prov), E_OK);
	REQUIRE_ERR(t, tload(t, ns, "basic", NULL, &basic), E_OK);
	REQUIRE(t, ld_crate_first(ns) == prov && ld_crate_next(prov) == basic);
	REQUIRE(t, strcmp(ld_crate_name(basic), "basic") == 0);
	syms = ld_crate_symbols(basic, &n);
	for (size_t i = 0; i < n; i++)
		local_helper |= strncmp(syms[i].name, "helper", 6) == 0 &&
				syms[i].bind == STB_LOCAL && syms[i].section;
	REQUIRE(t, local_helper || strcmp(t->compiler, "clang") == 0);
	for (size_t i = 0; i < n; i++) {
		if (!syms[i].section || !syms[i].size)
			continue;
		REQUIRE_ERR(t, ld_symbolize(ns, syms[i].addr + syms[i].size - 1, &s), E_OK);
		REQUIRE(t, s->addr == syms[i].addr);
	}
	REQUIRE_ERR(t, ld_symbolize(ns, 0x1234, &s), E_LD_NOT_FOUND);
}

/* A hand-built "nano_core" over existing host memory provides what basic
 * needs; it is queried, depended on, refused unload, and never mapped. */
static void test_existing_crate(struct tctx *t)
{
	static uint8_t memory[3 * 4096] __attribute__((aligned(4096)));
	const uint64_t run = 0xFFFFFFFFC0000000ull;
	struct ld_namespace *ns = tns(t);
	struct ld_crate *core, *basic, *bad;
	const struct ld_section *text, *val, *arr;
	const struct ld_symbol *s;
	struct shim_counters before;
	bool used = false;

	REQUIRE(t, ns && shim_register_external(&t->shim, run, memory, sizeof(memory)));
	before = tsnap(t);
	REQUIRE_ERR(t, ld_existing_begin(ns, "nano_core", 3, 6, 6, &core), E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(core, ".text.provider_add", LD_KIND_TEXT, run,
					       64, 16, &text), E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(core, ".data.provider_value", LD_KIND_DATA,
					       run + 0x1000, 4, 4, &val), E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(core, ".data.provider_array", LD_KIND_DATA,
					       run + 0x1010, 16, 16, &arr), E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(core, ".bss", LD_KIND_DATA, run + 0x2000, 4, 4,
					       NULL), E_LIMIT);
	REQUIRE_ERR(t, ld_existing_add_symbol(core, "provider_add", run, 64, text, STB_GLOBAL,
					      STT_FUNC), E_OK);
	REQUIRE_ERR(t, ld_existing_add_symbol(core, "provider_value", run + 0x1000, 4, val,
					      STB_GLOBAL, STT_OBJECT), E_OK);
	REQUIRE_ERR(t, ld_existing_add_symbol(core, "provider_array", run + 0x1010, 16, arr,
					      STB_GLOBAL, STT_OBJECT), E_OK);
	REQUIRE_ERR(t, ld_existing_add_symbol(core, "calls", run + 0x1020, 4, arr, STB_LOCAL,
					      STT_OBJECT), E_OK);
	{ /* in bulk, names from a string table: one bad field refuses the batch */
		static const char strtab[] = "\0bulk_global\0bulk_local";
		struct ld_existing_symbol bulk[2] = {
			{ .name = 1, .section = 0, .bind = STB_GLOBAL, .type = STT_FUNC,
			  .addr = run + 16, .size = 8 },
			{ .name = 13, .section = 9, .bind = STB_LOCAL, .type = STT_FUNC,
			  .addr = run + 24 },
		};
		size_t n;

		REQUIRE_ERR(t, ld_existing_add_symbols(core, bulk, 2, strtab, sizeof(strtab)),
			    E_INVALID_ARG);
		REQUIRE(t, shim_log_contains(&t->shim, "symbol 1: name at 13 of 24, section 9 of 3"));
		bulk[1].section = LD_NO_SECTION;
		bulk[1].name = sizeof(strtab);
		REQUIRE_ERR(t, ld_existing_add_symbols(core, bulk, 2, strtab, sizeof(strtab)),
			    E_INVALID_ARG);
		bulk[1].name = 0; /* the empty name */
		REQUIRE_ERR(t, ld_existing_add_symbols(core, bulk, 2, strtab, sizeof(strtab)),
			    E_INVALID_ARG);
		bulk[1].name = 13;
		REQUIRE_ERR(t, ld_existing_add_symbols(core, bulk, 2, strtab, sizeof(strtab) - 1),
			    E_INVALID_ARG); /* the table does not end in NUL */
		ld_crate_symbols(core, &n);
		REQUIRE(t, n == 4); /* nothing added by the refused batches */
		REQUIRE_ERR(t, ld_existing_add_symbols(core, bulk, 2, strtab, sizeof(strtab)), E_OK);
		ld_crate_symbols(core, &n);
		REQUIRE(t, n == 6);
	}
	/* records in any order: the commit groups them by source section */
	REQUIRE_ERR(t, ld_existing_add_reloc(core, text, 20, R_X86_64_PC32, -4, arr, 8), E_OK);
	REQUIRE_ERR(t, ld_existing_add_reloc(core, val, 0, R_X86_64_32, 0, text, 16), E_OK);
	REQUIRE_ERR(t, ld_existing_add_reloc(core, text, 40, R_X86_64_PC32, -4, arr, 12), E_OK);
	{ /* in bulk: a bad section index refuses the whole batch */
		struct ld_existing_reloc bulk[2] = {
			{ .source = 0, .target = 2, .type = R_X86_64_PC32, .offset = 60 },
			{ .source = 0, .target = 7, .type = R_X86_64_PC32, .offset = 64 },
		};
		REQUIRE_ERR(t, ld_existing_add_relocs(core, bulk, 2), E_INVALID_ARG);
		REQUIRE(t, ld_crate_nrelocs(core) == 3 && text->nrelocs == 2);
		REQUIRE(t, shim_log_contains(&t->shim, "names section 0 or 7 of 3"));
	}
	REQUIRE_ERR(t, ld_existing_add_relocs(core, &(struct ld_existing_reloc){
			  .source = 0, .target = LD_NO_SECTION, .type = R_X86_64_64, .offset = 50,
			  .target_offset = 0x1234 }, 1), E_OK);
	REQUIRE(t, ld_crate_first(ns) == NULL); /* invisible until committed */
	REQUIRE_ERR(t, ld_existing_commit(core), E_OK);
	REQUIRE(t, ld_crate_nrelocs(core) == 4 && text->nrelocs == 3 && val->nrelocs == 1);
	REQUIRE(t, ld_section_dependents(arr) && ld_section_dependents(arr)->source == text &&
		   ld_section_dependents(arr)->nrelocs == 2 && !ld_section_dependents(arr)->next_dependent);
	REQUIRE(t, ld_section_dependents(text) && ld_section_dependents(text)->source == val &&
		   ld_section_dependents(text)->nrelocs == 1);
	{
		struct ld_reloc_iter it;
		struct ld_reloc r;
		uint64_t offsets = 0;
		unsigned n = 0;

		for (ld_relocs_of_dep(&it, ld_section_dependents(arr)); ld_reloc_next(&it, &r); n++)
			offsets = offsets * 100 + r.offset + r.target_offset;
		REQUIRE(t, n == 2 && offsets == 28 * 100 + 52); /* in the order they came */
		ld_relocs_of_section(&it, text);
		for (n = 0; ld_reloc_next(&it, &r); n++)
			REQUIRE(t, r.source == text);
		REQUIRE(t, n == 3);
	}
	REQUIRE_ERR(t, tload(t, ns, "basic", NULL, &basic), E_OK);
	REQUIRE_ERR(t, ld_lookup(ns, "provider_value", &s), E_OK);
	REQUIRE(t, s->crate == core && s->addr == run + 0x1000);
	REQUIRE_ERR(t, ld_lookup(ns, "bulk_global", &s), E_OK); /* a bulk symbol, hashed */
	REQUIRE(t, s->crate == core && s->addr == run + 16 && s->section == text &&
		   strcmp(s->name, "bulk_global") == 0);
	REQUIRE_ERR(t, ld_lookup(ns, "bulk_local", &s), E_LD_NOT_FOUND);
	REQUIRE(t, tcheck_relocs_of(t, ns, basic, "basic") > 10);
	for (const struct ld_dep *d = ld_section_dependents(val); d; d = d->next_dependent)
		used |= d->source->crate == basic;
	REQUIRE(t, used);
	/* a second strong definition is refused at commit; abort frees it */
	REQUIRE_ERR(t, ld_existing_begin(ns, "other", 1, 1, 0, &bad), E_OK);
	REQUIRE_ERR(t, ld_existing_add_symbol(bad, "provider_add", 0x1000, 0, NULL,
					      STB_GLOBAL, STT_FUNC), E_OK);
	REQUIRE_ERR(t, ld_existing_commit(bad), E_LD_DUPLICATE_SYMBOL);
	ld_existing_abort(bad);
	REQUIRE_ERR(t, ld_unload(ns, core), E_LD_IN_USE);
	REQUIRE_ERR(t, ld_unload(ns, basic), E_OK);
	REQUIRE_ERR(t, ld_unload(ns, core), E_OK);
	before.heap_live++; /* the namespace's symbol table, made on first publish */
	REQUIRE_UNCHANGED(t, before);
}

/* Every section's relocations read back lie on its edges, counted exactly. */
static bool tedges_count_exactly(struct tctx *t, const struct ld_crate *c, size_t *total)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	*total = 0;
	for (size_t i = 0; i < n; i++) {
		struct ld_reloc_iter it;
		struct ld_reloc r;
		uint64_t seen = 0, no_target = 0, on_edges = 0;

		for (ld_relocs_of_section(&it, &s[i]); ld_reloc_next(&it, &r); seen++)
			no_target += r.target == NULL;
		for (const struct ld_dep *d = ld_section_deps(&s[i]); d; d = d->next_dep)
			on_edges += d->nrelocs;
		if (seen != s[i].nrelocs || on_edges != seen - no_target) {
			tfail(t, "section %s: %lu read back, %lu counted, %lu on edges", s[i].name,
			      (unsigned long)seen, (unsigned long)s[i].nrelocs,
			      (unsigned long)on_edges);
			return false;
		}
		*total += seen;
	}
	return true;
}

/* A section patched by two RELA sections (the first one's entries split in
 * two; a debug RELA header reused for the second half): both are applied,
 * and the edges count every relocation once. */
static void test_two_rela_one_section(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *prov, *c;
	struct blob good, b;
	unsigned a = 0, d = 0, i;
	size_t total;

	REQUIRE(t, ns && tobj_read(t, t->compiler, "basic", &good));
	b = eu_copy(&good);
	free(good.data);
	for (i = 1; i < eu_ehdr(&b)->e_shnum; i++) {
		Elf64_Shdr *s = eu_shdr(&b, i);
		bool applied = s->sh_type == SHT_RELA &&
			       (eu_shdr(&b, s->sh_info)->sh_flags & SHF_ALLOC);

		if (applied && !a && s->sh_size >= 4 * sizeof(Elf64_Rela))
			a = i;
		if (s->sh_type == SHT_RELA && !applied && !d)
			d = i;
	}
	REQUIRE(t, a && d);
	{
		Elf64_Shdr *sa = eu_shdr(&b, a), *sd = eu_shdr(&b, d);
		uint64_t half = sa->sh_size / sizeof(Elf64_Rela) / 2 * sizeof(Elf64_Rela);

		sd->sh_info = sa->sh_info;
		sd->sh_offset = sa->sh_offset + half;
		sd->sh_size = sa->sh_size - half;
		sa->sh_size = half;
	}
	REQUIRE_ERR(t, tload(t, ns, "provider", NULL, &prov), E_OK);
	REQUIRE_ERR(t, ld_load(ns, "split", b.data, b.size, NULL, &c), E_OK);
	REQUIRE(t, tedges_count_exactly(t, c, &total) && total == ld_crate_nrelocs(c));
	REQUIRE(t, tcheck_relocs(t, ns, c, &b) > 10);
	free(b.data);
}

/* A hand-built crate given far more room for records than it used: the
 * records are trimmed at commit, read back whole, and freed with it. */
static void test_existing_trimmed(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct shim_counters before = tsnap(t);
	const struct ld_section *text, *data;
	struct ld_reloc_iter it;
	struct ld_reloc r;
	struct ld_crate *c;
	unsigned n = 0;

	REQUIRE_ERR(t, ld_existing_begin(ns, "trimmed", 2, 0, 100, &c), E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(c, "t:.text", LD_KIND_TEXT, 0x1000, 64, 16, &text),
		    E_OK);
	REQUIRE_ERR(t, ld_existing_add_section(c, "t:.data", LD_KIND_DATA, 0x2000, 16, 8, &data),
		    E_OK);
	REQUIRE_ERR(t, ld_existing_add_reloc(c, text, 4, R_X86_64_PC32, -4, data, 8), E_OK);
	REQUIRE_ERR(t, ld_existing_add_reloc(c, data, 0, R_X86_64_64, 0, text, 16), E_OK);
	REQUIRE_ERR(t, ld_existing_commit(c), E_OK);
	REQUIRE(t, ld_crate_nrelocs(c) == 2);
	for (ld_relocs_of_section(&it, text); ld_reloc_next(&it, &r); n++)
		REQUIRE(t, r.source == text && r.target == data && r.offset == 4 &&
			   r.target_offset == 8 && r.addend == -4);
	for (ld_relocs_of_section(&it, data); ld_reloc_next(&it, &r); n++)
		REQUIRE(t, r.source == data && r.target == text && r.target_offset == 16);
	REQUIRE(t, n == 2 && ld_section_dependents(data) && ld_section_dependents(text));
	REQUIRE_ERR(t, ld_unload(ns, c), E_OK);
	REQUIRE_UNCHANGED(t, before); /* (no symbol: no table made) */
}

const struct test_case tests_deps[] = {
	{ "existing_trimmed", test_existing_trimmed, true },
	{ "two_rela_one_section", test_two_rela_one_section, true },
	{ "existing_crate", test_existing_crate, true },
	{ "weak_rule", test_weak_rule, true },
	{ "duplicate_symbols", test_duplicates, true },
	{ "unresolved_all_reported", test_unresolved_all, true },
	{ "dependency_graph", test_dep_graph, true },
	{ "bind_data_sections", test_bind_data, true },
	{ "bind_keeps_live_data", test_bind_keeps_live_data, true },
	{ "iterate_symbolize", test_iterate, true },
	{ 0 },
};
