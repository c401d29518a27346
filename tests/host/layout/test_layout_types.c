/*
 * Host tests of the types a layout description reaches: tools/layoutfp on
 * ptrs.c and its variants (this directory; layout.mk), each changing one
 * thing behind a pointer while every variable keeps its own rows, and
 * nano_core_swap/layout_walk.c pairing and comparing what they reach: the
 * data (nsl_same_data) and each global function's interface
 * (nsl_same_interface), the first difference named with its path. The
 * type, function and ref tables corrupted in every field, and truncated,
 * are refused.
 */
#include <stdbool.h>

#include "blobs.h"

/* ---- comparing two whole descriptions ----------------------------------- */

enum verdict { SAME, DATA_DIFFERS, INTERFACE_DIFFERS };

struct outcome {
	enum verdict verdict;
	char why[256];
	char func[64];		/* INTERFACE_DIFFERS: the first function */
	bool own_rows_same;	/* every symbol's own rows were the same (nsl_same) */
};

/* Old object against new one, as the kernel's fingerprint.c compares them. */
static void compare_all(const char *old_obj, const char *new_obj, struct outcome *o)
{
	struct blob a, b;
	struct nsl_walk w;

	*o = (struct outcome){ .verdict = SAME, .own_rows_same = true };
	snprintf(o->why, sizeof(o->why), "(not compared)");
	if (!blob_of(&a, old_obj))
		return;
	if (!blob_of(&b, new_obj)) {
		free(a.data);
		return;
	}
	for (uint32_t i = 0; i < a.v.nsymbols; i++) {
		const struct nsl_symbol *sb = nsl_find(&b.v, nsl_str(&a.v, a.v.syms[i].name), NULL);
		char why[256];
		if (!sb || !nsl_same(&a.v, &a.v.syms[i], &b.v, sb, new_obj, why, sizeof(why)))
			o->own_rows_same = false;
	}
	void *scratch = malloc(nsl_walk_size(&a.v) + 1);
	nsl_walk_init(&w, scratch, &a.v, &b.v, new_obj);
	if (!nsl_same_data(&w, o->why, sizeof(o->why))) {
		o->verdict = DATA_DIFFERS;
	} else {
		o->why[0] = '\0';
		for (uint32_t i = 0; i < a.v.nfuncs; i++)
			if (!nsl_same_interface(&w, &a.v.funcs[i], o->why, sizeof(o->why))) {
				o->verdict = INTERFACE_DIFFERS;
				snprintf(o->func, sizeof(o->func), "%s", nsl_str(&a.v, a.v.funcs[i].name));
				break;
			}
	}
	free(scratch);
	free(a.data);
	free(b.data);
}

/* The data of new_obj differs from old_obj's behind a pointer, with this
 * first difference; every variable's own rows are the same. */
static void expect_data(const char *old_obj, const char *new_obj, const char *want)
{
	struct outcome o;

	compare_all(old_obj, new_obj, &o);
	CHECK_EQ_I(o.verdict, DATA_DIFFERS);
	CHECK_STR(o.why, want);
	CHECK(o.own_rows_same);
}

static void expect_same(const char *old_obj, const char *new_obj)
{
	struct outcome o;

	compare_all(old_obj, new_obj, &o);
	CHECK_EQ_I(o.verdict, SAME);
	CHECK_STR(o.why, "");
}

/* ---- behind pointers ---------------------------------------------------------- */

/* struct block's size and magic exchanged: the same pointers, another block;
 * the first symbol in the blob's order that reaches it (outer_p, through a
 * union member) names it */
static void test_struct_behind_pointer(void)
{
	expect_data("ptrs", "ptr_behind",
		    "outer_p -> struct outer.v.blk -> struct block: member size at offset 0 in the "
		    "running kernel, 8 in ptr_behind");
}

/* A list that points at itself: the walk ends, and sees a change */
static void test_cycle(void)
{
	expect_same("ptrs", "ptrs_again");
	expect_data("ptrs", "ptr_cycle",
		    "ring_head -> struct ring: member key type int in the running kernel, "
		    "unsigned int in ptr_cycle");
	expect_data("ptr_cycle", "ptrs",
		    "ring_head -> struct ring: member key type unsigned int in the running kernel, "
		    "int in ptrs");
}

/* Two structs that point at each other: the path goes through both */
static void test_mutual_cycle(void)
{
	expect_data("ptrs", "ptr_chain",
		    "table_ping -> struct ping.pong -> struct pong: member misses type int in the "
		    "running kernel, short in ptr_chain");
}

/* A union, an array of structs and a nested struct inside a struct behind a
 * pointer, an anonymous struct behind a pointer, a flexible array member */
static void test_union_array_nested(void)
{
	expect_data("ptrs", "ptr_union",
		    "outer_p -> struct outer: member v.word type long in the running kernel, "
		    "unsigned long in ptr_union");
	expect_data("ptrs", "ptr_nested",
		    "outer_p -> struct outer: member in[].a at offset 8 in the running kernel, 10 "
		    "in ptr_nested");
	expect_data("ptrs", "ptr_anon",
		    "anon_p -> struct <anon>: member x at offset 0 in the running kernel, 4 in "
		    "ptr_anon");
	expect_data("ptrs", "ptr_flex",
		    "chunk_p -> struct chunk.items -> struct item: member a at offset 0 in the "
		    "running kernel, 4 in ptr_flex");
}

/* An opaque type: recorded as such, compared by name only */
static void test_opaque(void)
{
	struct blob b;
	struct outcome o;
	const struct nsl_type *hidden = NULL;

	REQUIRE(blob_of(&b, "ptrs"));
	for (uint32_t i = 0; i < b.v.ntypes; i++)
		if (strcmp(nsl_str(&b.v, b.v.types[i].name), "struct hidden") == 0)
			hidden = &b.v.types[i];
	REQUIRE(hidden);
	CHECK_EQ_U(hidden->flags, NSL_TYPE_OPAQUE);
	CHECK_EQ_U(hidden->nmembers, 0);
	free(b.data);
	expect_same("ptrs", "ptr_defined");	/* the same name, one side defines it */
	expect_same("ptr_defined", "ptrs");
	compare_all("ptrs", "ptr_opaque", &o);	/* another name */
	CHECK_EQ_I(o.verdict, DATA_DIFFERS);
	CHECK_STR(o.why, "hidden_p: type pointer to struct hidden in the running kernel, pointer "
			 "to struct hidden_other in ptr_opaque");
}

/* A declaration takes the object's definition from another unit: not opaque */
static void test_declared_here_defined_there(void)
{
	struct blob b;

	REQUIRE(blob_of(&b, "split"));
	const struct nsl_symbol *s = nsl_find(&b.v, "shared_p", NULL);
	REQUIRE(s && b.v.members[s->first_member].nrefs == 1);
	const struct nsl_type *t = &b.v.types[b.v.refs[b.v.members[s->first_member].first_ref]];
	CHECK_STR(nsl_str(&b.v, t->name), "struct shared");
	CHECK_EQ_U(t->flags, 0);
	CHECK_EQ_U(t->size, 8);
	CHECK(nsl_find_func(&b.v, "split_sum") != NULL);
	free(b.data);
	expect_data("split", "split_other",
		    "shared_p -> struct shared: member a at offset 0 in the running kernel, 4 in "
		    "split_other");
}

/* One struct of the running kernel's, two of the new object's (its units
 * define it otherwise): the second pointer's is a difference, though the
 * first pointer's was found the same */
static void test_one_type_becomes_two(void)
{
	struct blob b;

	REQUIRE(blob_of(&b, "twodef"));
	CHECK_EQ_U(b.v.ntypes, 1);	/* the units' alike definitions: one entry */
	free(b.data);
	REQUIRE(blob_of(&b, "twodef_other"));
	CHECK_EQ_U(b.v.ntypes, 2);
	free(b.data);
	expect_same("twodef", "twodef");
	expect_data("twodef", "twodef_other",
		    "pair_second -> struct pair: here twodef_other has another definition of it "
		    "than the one reached before (struct pair, type 0 and 1)");
}

/* ---- interfaces ---------------------------------------------------------------- */

/* The parameter's struct changed: the data is the same, the interface not */
static void test_parameter_struct(void)
{
	struct outcome o;

	compare_all("ptrs", "ptr_param", &o);
	CHECK_EQ_I(o.verdict, INTERFACE_DIFFERS);
	CHECK_STR(o.func, "ptrs_get_stats");
	CHECK_STR(o.why, "struct stats: member used at offset 0 in the running kernel, 8 in "
			 "ptr_param");
}

static void test_signature(void)
{
	struct outcome o;

	compare_all("ptrs", "ptr_signature", &o);
	CHECK_EQ_I(o.verdict, INTERFACE_DIFFERS);
	CHECK_STR(o.func, "ptrs_count");
	CHECK_STR(o.why, "type function(int) returning int in the running kernel, "
			 "function(long) returning int in ptr_signature");
}

/* The signatures as written: sorted, with what they reach; asm is untyped */
static void test_functions_recorded(void)
{
	struct blob b, t;

	REQUIRE(blob_of(&b, "ptrs"));
	const struct nsl_func *f = nsl_find_func(&b.v, "ptrs_get_stats");
	REQUIRE(f && b.v.nfuncs == 2);
	CHECK_STR(nsl_str(&b.v, f->section), ".text.ptrs_get_stats");
	CHECK_STR(nsl_str(&b.v, f->type), "function(pointer to struct stats) returning void");
	REQUIRE(f->nrefs == 1);
	CHECK_STR(nsl_str(&b.v, b.v.types[b.v.refs[f->first_ref]].name), "struct stats");
	CHECK(nsl_find_func(&b.v, "ptrs_count") == &b.v.funcs[0]);
	CHECK(nsl_find_func(&b.v, "nosuch") == NULL);
	free(b.data);
	REQUIRE(blob_of(&t, "twocu"));
	f = nsl_find_func(&t.v, "asm_func");
	REQUIRE(f);
	CHECK_EQ_U(f->flags, NSL_UNTYPED);
	CHECK_EQ_U(f->type, 0);
	CHECK(nsl_find_func(&t.v, "cu_a_counter") != NULL);
	free(t.data);
	expect_same("twocu", "twocu");
}

/* clang's DWARF orders sections, and so the types, differently: the same */
static void test_gcc_and_clang_agree(void)
{
	expect_same("ptrs", "ptrs_clang");
	expect_same("ptrs_clang", "ptrs");
	expect_same("shapes", "shapes_clang");
}

/* ---- malformed tables ---------------------------------------------------------- */

struct parts {
	struct nsl_header *h;
	struct nsl_symbol *syms;
	struct nsl_type *types;
	struct nsl_func *funcs;
	struct nsl_member *members;
	uint32_t *refs;
	char *strs;
	struct nsl_type *block, *hidden;	/* defined with rows; opaque */
	struct nsl_func *get_stats;		/* with a ref */
	struct nsl_member *free_list;		/* a row with a ref */
};

static struct parts parts_of(uint8_t *p, const struct nsl_view *good)
{
	struct parts t = { .h = (void *)p };

	t.syms = (void *)(t.h + 1);
	t.types = (void *)(t.syms + t.h->nsymbols);
	t.funcs = (void *)(t.types + t.h->ntypes);
	t.members = (void *)(t.funcs + t.h->nfuncs);
	t.refs = (void *)(t.members + t.h->nmembers);
	t.strs = (char *)(t.refs + ((t.h->nrefs + 1) & ~1u));
	for (uint32_t i = 0; i < good->ntypes; i++) {
		if (strcmp(nsl_str(good, good->types[i].name), "struct block") == 0)
			t.block = &t.types[i];
		if (strcmp(nsl_str(good, good->types[i].name), "struct hidden") == 0)
			t.hidden = &t.types[i];
	}
	t.get_stats = &t.funcs[nsl_find_func(good, "ptrs_get_stats") - good->funcs];
	t.free_list = &t.members[nsl_find(good, "free_list", NULL)->first_member];
	return t;
}

/* One more 8 bytes of refs (a ref to type 0, and the pad word `pad`). */
static void grow_refs(struct parts *t, size_t *size, uint32_t pad)
{
	char *at = (char *)(t->refs + t->h->nrefs);

	memmove(at + 8, at, t->h->strtab_size);
	((uint32_t *)at)[0] = 0, ((uint32_t *)at)[1] = pad;
	t->h->nrefs++;
	*size += 8;
}

struct corruption {
	const char *name, *want;
	void (*apply)(struct parts *t, size_t *size);
};

#define EDIT(name, ...) \
	static void name(struct parts *t, size_t *size) { (void)size; __VA_ARGS__; }

EDIT(c_ntypes_max, t->h->ntypes = NSL_MAX_TYPES + 1)
EDIT(c_nfuncs_max, t->h->nfuncs = NSL_MAX_FUNCS + 1)
EDIT(c_nrefs_max, t->h->nrefs = NSL_MAX_REFS + 1)
EDIT(c_ntypes, t->h->ntypes++)
EDIT(c_nfuncs, t->h->nfuncs--)
EDIT(c_type_name, t->block->name = t->h->strtab_size)
EDIT(c_type_flags, t->block->flags |= 2)
EDIT(c_type_first, t->block->first_member++)
EDIT(c_type_count, t->block->nmembers = 1000)
EDIT(c_opaque_rows, t->block->flags = NSL_TYPE_OPAQUE)
EDIT(c_defined_no_rows, t->hidden->flags = 0)
EDIT(c_opaque_size, t->hidden->size = 8)
EDIT(c_type_size, t->block->size = 32)
EDIT(c_type_row_out, t->members[t->block->first_member + 3].offset = 24)
EDIT(c_type_root, t->members[t->block->first_member].path = t->members[t->block->first_member + 1].path)
EDIT(c_type_hash, t->block->hash ^= 1)
EDIT(c_type_row_moved, t->members[t->block->first_member + 1].offset = 16)
EDIT(c_func_name, t->get_stats->name = t->h->strtab_size)
EDIT(c_func_section, t->get_stats->section = ~0u)
EDIT(c_func_type, t->get_stats->type = t->h->strtab_size + 8)
EDIT(c_func_decl, t->get_stats->decl = t->h->strtab_size)
EDIT(c_func_flags, t->get_stats->flags |= 2)
EDIT(c_func_reserved, t->get_stats->reserved = 1)
EDIT(c_func_untyped, t->get_stats->flags = NSL_UNTYPED)
EDIT(c_func_typeless, t->get_stats->type = 0)
EDIT(c_func_order, uint32_t n0 = t->funcs[0].name; t->funcs[0].name = t->funcs[1].name;
     t->funcs[1].name = n0)
EDIT(c_func_first_ref, t->get_stats->first_ref++)
EDIT(c_func_nrefs, t->get_stats->nrefs = 1000)
EDIT(c_row_first_ref, t->free_list->first_ref++)
EDIT(c_row_nrefs, t->free_list->nrefs = 0)
EDIT(c_ref_value, t->refs[t->free_list->first_ref] = t->h->ntypes)
EDIT(c_ref_huge, t->refs[t->free_list->first_ref] = ~0u)
static void c_ref_uncovered(struct parts *t, size_t *size) { grow_refs(t, size, 0); }
static void c_ref_pad(struct parts *t, size_t *size) { grow_refs(t, size, 1); }

static const struct corruption corruptions[] = {
	{ "ntypes bound", "more than NSL_MAX_TYPES", c_ntypes_max },
	{ "nfuncs bound", "more than NSL_MAX_FUNCS", c_nfuncs_max },
	{ "nrefs bound", "more than NSL_MAX_REFS", c_nrefs_max },
	{ "ntypes", "header says", c_ntypes },
	{ "nfuncs", "header says", c_nfuncs },
	{ "type name", "its name is past the string table", c_type_name },
	{ "type flags", "unknown flags 0x2", c_type_flags },
	{ "type first row", "do not follow", c_type_first },
	{ "type row count", "do not follow", c_type_count },
	{ "opaque with rows", "opaque, yet it has a size or rows", c_opaque_rows },
	{ "defined without rows", "defined, yet it has no rows", c_defined_no_rows },
	{ "opaque with a size", "opaque, yet it has a size or rows", c_opaque_size },
	{ "type size", "its root row is 24 bytes, the type 32", c_type_size },
	{ "type row outside", "outside the type's 24", c_type_row_out },
	{ "type root row", "its first row is not its root", c_type_root },
	{ "type hash", "struct block: hash", c_type_hash },
	{ "type row under its hash", "does not match its rows", c_type_row_moved },
	{ "function name", "a string offset is past", c_func_name },
	{ "function section", "a string offset is past", c_func_section },
	{ "function type", "a string offset is past", c_func_type },
	{ "function decl", "a string offset is past", c_func_decl },
	{ "function flags", "unknown flags 0x2", c_func_flags },
	{ "function reserved", "reserved field 1", c_func_reserved },
	{ "function untyped with a type", "untyped, yet it has a type or refs", c_func_untyped },
	{ "function typed without a type", "typed, yet it has no type", c_func_typeless },
	{ "functions out of order", "does not sort after", c_func_order },
	{ "function refs start", "do not follow", c_func_first_ref },
	{ "function ref count", "do not follow", c_func_nrefs },
	{ "row refs start", "do not follow", c_row_first_ref },
	{ "row ref count", "do not follow", c_row_nrefs },
	{ "ref past the types", "names type 10 of 10", c_ref_value },
	{ "ref far past the types", "names type 4294967295", c_ref_huge },
	{ "uncovered ref", "the rows and functions cover", c_ref_uncovered },
	{ "pad word", "the word after the 17 refs is 1", c_ref_pad },
};

/* Each corruption of ptrs' blob is refused, for the reason it breaks. */
static void test_corrupt_tables(void)
{
	struct blob good;

	REQUIRE(blob_of(&good, "ptrs"));
	REQUIRE(good.v.nrefs == 16 && good.v.ntypes == 10);	/* the wants below */
	CHECK_CORRUPTIONS(&good, corruptions, sizeof(corruptions) / sizeof(corruptions[0]),
			  parts_of);
	free(good.data);
}

/* Every truncation refused, reading nothing past the end; every byte
 * flipped refused, or accepted and then compared (data and interfaces)
 * without a wild read. */
static void test_truncated_and_flipped(void)
{
	struct blob good;
	char why[256];
	struct nsl_view v;
	struct nsl_walk w;
	unsigned accepted = 0;

	REQUIRE(blob_of(&good, "ptrs"));
	for (size_t size = 0; size < good.size; size++) {
		uint8_t *p = malloc(size ? size : 1);	/* exact: ASan sees any overread */
		memcpy(p, good.data, size);
		if (nsl_parse(p, size, &v, why, sizeof(why)) != E_SWAP_BAD_LAYOUT)
			check_fail(__FILE__, __LINE__, "truncated to %zu bytes: accepted", size);
		free(p);
	}
	void *scratch = malloc(nsl_walk_size(&good.v));
	for (size_t i = 0; i < good.size; i++) {
		uint8_t *p = aligned_alloc(8, good.size);
		memcpy(p, good.data, good.size);
		p[i] ^= 0xff;
		if (nsl_parse(p, good.size, &v, why, sizeof(why)) == E_OK) {
			accepted++;
			nsl_walk_init(&w, scratch, &good.v, &v, "flipped");
			(void)nsl_same_data(&w, why, sizeof(why));
			for (uint32_t j = 0; j < good.v.nfuncs; j++)
				(void)nsl_same_interface(&w, &good.v.funcs[j], why, sizeof(why));
		}
		free(p);
	}
	free(scratch);
	CHECK(accepted < good.size / 2);
	free(good.data);
}

int main(void)
{
	CHECK_RUN(test_struct_behind_pointer);
	CHECK_RUN(test_cycle);
	CHECK_RUN(test_mutual_cycle);
	CHECK_RUN(test_union_array_nested);
	CHECK_RUN(test_opaque);
	CHECK_RUN(test_declared_here_defined_there);
	CHECK_RUN(test_one_type_becomes_two);
	CHECK_RUN(test_parameter_struct);
	CHECK_RUN(test_signature);
	CHECK_RUN(test_functions_recorded);
	CHECK_RUN(test_gcc_and_clang_agree);
	CHECK_RUN(test_corrupt_tables);
	CHECK_RUN(test_truncated_and_flipped);
	return check_summary();
}
