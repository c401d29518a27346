/*
 * Host tests of type-level layout checks: tools/layoutfp run on objects
 * compiled at test time with the kernel's flags (this directory; layout.mk),
 * and nano_core_swap/layout.c reading and comparing what it wrote. Each
 * variant of base.c keeps every variable's size, so only these checks can
 * tell it apart; a blob corrupted in any field is refused; the real
 * build/modules/memory.o carries its blob in a non-allocated section.
 *
 * Environment: LAYOUTFP (build/tools/layoutfp), LAYOUT_OBJS
 * (build/host/layout), MEMORY_O (build/modules/memory.o).
 */
#include <elf.h>
#include <stdbool.h>
#include <sys/wait.h>

#include "blobs.h"

/* The row of symbol s with this path, or NULL. */
static const struct nsl_member *row(const struct blob *b, const struct nsl_symbol *s,
				    const char *path)
{
	for (uint32_t i = 0; i < s->nmembers; i++)
		if (strcmp(nsl_str(&b->v, b->v.members[s->first_member + i].path), path) == 0)
			return &b->v.members[s->first_member + i];
	return NULL;
}

/*
 * Symbol `name` of old_obj's blob against the same symbol of new_obj's: is it
 * the same? nsl_same's message ("" if the same) in why; whether the two
 * symbols have one size in *same_size.
 */
static bool compare(const char *old_obj, const char *new_obj, const char *name, char *why,
		    size_t n, bool *same_size)
{
	struct blob a, b;
	bool same = false;

	snprintf(why, n, "(not compared)");
	if (!blob_of(&a, old_obj))
		return false;
	if (blob_of(&b, new_obj)) {
		const struct nsl_symbol *sa = sym(&a, name), *sb = sym(&b, name);
		if (sa && sb) {
			same = nsl_same(&a.v, sa, &b.v, sb, new_obj, why, n);
			*same_size = sa->size == sb->size;
		}
		free(b.data);
	}
	free(a.data);
	return same;
}

/* old_obj and new_obj differ in `name`, with this first difference. */
static void expect_difference(const char *old_obj, const char *new_obj, const char *name,
			      const char *want, bool want_same_size)
{
	char why[256];
	bool same_size = !want_same_size;

	CHECK(!compare(old_obj, new_obj, name, why, sizeof(why), &same_size));
	CHECK_STR(why, want);
	CHECK(same_size == want_same_size);
}

/* ---- the variants of base.c: same sizes, different layouts ----------------- */

/* (a) frames_reserved and frames_used exchanged */
static void test_fields_exchanged(void)
{
	expect_difference("base", "swapped", "mem_counters",
			  "mem_counters: member frames_reserved at offset 8 in the running kernel, "
			  "16 in swapped", true);
}

/* (b) static int p -> static unsigned int p */
static void test_static_local_type(void)
{
	expect_difference("base", "local_type", "p.0",
			  "p.0: type int in the running kernel, unsigned int in local_type", true);
}

/* (c) a member added in the tail padding, both ways */
static void test_member_in_padding(void)
{
	expect_difference("base", "padding", "mem_counters",
			  "mem_counters: member extra (offset 44) only in padding", true);
	expect_difference("padding", "base", "mem_counters",
			  "mem_counters: member extra (offset 44) only in the running kernel", true);
}

/* (d) MEM_READY = 4 */
static void test_enum_value(void)
{
	expect_difference("base", "enum_value", "mem_counters",
			  "mem_counters: member state: enum mem_state value MEM_READY is 1 in the "
			  "running kernel, 4 in enum_value", true);
}

/* an enumerator added (or, the other way, removed) */
static void test_enum_added(void)
{
	expect_difference("base", "enum_added", "mem_counters",
			  "mem_counters: member state: enum mem_state value MEM_RETIRED (= 3) only in "
			  "enum_added", true);
	expect_difference("enum_added", "base", "mem_counters",
			  "mem_counters: member state: enum mem_state value MEM_RETIRED (= 3) only in "
			  "the running kernel", true);
}

/* the same variable further into its section (another linked in front of it) */
static void test_symbol_moved(void)
{
	expect_difference("base", "moved", "mem_counters",
			  "mem_counters: at offset 0 of .bss.mem_counters in the running kernel, "
			  "32 in moved", true);
}

/* (e) base.c built again: every symbol the same */
static void test_identical_rebuild(void)
{
	struct blob a, b;
	char why[256];

	REQUIRE(blob_of(&a, "base") && blob_of(&b, "base_again"));
	CHECK_EQ_U(a.v.nsymbols, b.v.nsymbols);
	CHECK(a.v.nsymbols >= 2);
	for (uint32_t i = 0; i < a.v.nsymbols && i < b.v.nsymbols; i++) {
		strcpy(why, "(untouched)");
		CHECK(nsl_same(&a.v, &a.v.syms[i], &b.v, &b.v.syms[i], "base_again", why,
			       sizeof(why)));
		CHECK_STR(why, "");
	}
	free(a.data);
	free(b.data);
}

/* ---- shapes.c: how each kind of member is flattened ------------------------ */

struct want_row {
	const char *path, *type, *decl;
	uint64_t offset, size;
	uint32_t bit_offset, bit_size;
};

static const struct want_row shapes_rows[] = {
	{ "", "struct table", "struct table", 0, 168, 0, 0 },
	{ "ents", "struct node[4]", "node_t[4]", 0, 64, 0, 0 },
	{ "ents[].next", "pointer to struct node", "pointer to struct node", 0, 8, 0, 0 },
	{ "ents[].key", "unsigned long", "u64", 8, 8, 0, 0 },
	{ "flags", "unsigned int:3", "unsigned int:3", 64, 4, 0, 3 },
	{ "mode", "unsigned int:5", "unsigned int:5", 64, 4, 3, 5 },
	{ "i", "int", "int", 68, 4, 0, 0 },
	{ "bytes", "unsigned char[4]", "unsigned char[4]", 68, 4, 0, 0 },
	{ "cv", "const volatile unsigned int", "volatile cu32", 72, 4, 0, 0 },
	{ "pairs", "struct <anon>[2][3]", "struct <anon>[2][3]", 76, 12, 0, 0 },
	{ "pairs[][].a", "char", "char", 76, 1, 0, 0 },
	{ "pairs[][].b", "char", "char", 77, 1, 0, 0 },
	{ "cb", "pointer to function(int, pointer to const char, ...) returning void",
	  "pointer to function(int, pointer to const char, ...) returning void", 88, 8, 0, 0 },
	{ "grid", "pointer to (int[4])", "pointer to (int[4])", 96, 8, 0, 0 },
	{ "color", "enum color{RED=-1,GREEN=1,BLUE=2147483647}", "enum color", 104, 4, 0, 0 },
	{ "colorp", "pointer to enum color", "pointer to enum color", 112, 8, 0, 0 },
	{ "wide", "long long", "long long", 120, 8, 0, 0 },
	{ "s", "short", "short", 128, 2, 0, 0 },
	{ "us", "unsigned short", "unsigned short", 130, 2, 0, 0 },
	{ "b", "_Bool", "_Bool", 132, 1, 0, 0 },
	{ "big", "enum big{BIG_LOW=1,BIG_HIGH=2147483648}", "enum big", 136, 4, 0, 0 },
	{ "matrix", "int[2][3]", "int[2][3]", 140, 24, 0, 0 },	/* gcc folds row_t in */
};
#define NSHAPES_ROWS (sizeof(shapes_rows) / sizeof(shapes_rows[0]))

/* Every row, in order: no unnamed bit-field, no row for the anonymous union. */
static void test_shapes_rows(void)
{
	struct blob b;

	REQUIRE(blob_of(&b, "shapes"));
	const struct nsl_symbol *s = sym(&b, "table");
	REQUIRE(s && !(s->flags & NSL_UNTYPED));
	CHECK_STR(nsl_str(&b.v, s->section), ".bss.table");
	CHECK_STR(nsl_str(&b.v, s->type), "struct table");
	CHECK_EQ_U(s->size, 168);
	CHECK_EQ_U(s->nmembers, NSHAPES_ROWS);
	for (uint32_t i = 0; i < s->nmembers && i < NSHAPES_ROWS; i++) {
		const struct nsl_member *m = &b.v.members[s->first_member + i];
		const struct want_row *w = &shapes_rows[i];
		CHECK_STR(nsl_str(&b.v, m->path), w->path);
		CHECK_STR(nsl_str(&b.v, m->type), w->type);
		CHECK_STR(nsl_str(&b.v, m->decl), w->decl);
		CHECK_EQ_U(m->offset, w->offset);
		CHECK_EQ_U(m->size, w->size);
		CHECK_EQ_U(m->bit_offset, w->bit_offset);
		CHECK_EQ_U(m->bit_size, w->bit_size);
	}
	free(b.data);
}

/* ents[4] -> ents[8]: the bound, not the size that follows from it */
static void test_array_bound(void)
{
	expect_difference("shapes", "shapes_bound", "table",
			  "table: member ents bounds [4] in the running kernel, [8] in shapes_bound",
			  false);
}

/* flags:3 -> flags:4 */
static void test_bitfield_width(void)
{
	expect_difference("shapes", "shapes_bits", "table",
			  "table: member flags type unsigned int:3 in the running kernel, "
			  "unsigned int:4 in shapes_bits", true);
}

/* u64 renamed word_t: recorded in decl, not a difference */
static void test_typedef_rename_is_same(void)
{
	struct blob b;
	char why[256];
	bool same_size = false;

	CHECK(compare("shapes", "shapes_typedef", "table", why, sizeof(why), &same_size));
	CHECK_STR(why, "");
	REQUIRE(blob_of(&b, "shapes_typedef"));
	const struct nsl_symbol *s = sym(&b, "table");
	const struct nsl_member *key = s ? row(&b, s, "ents[].key") : NULL;
	REQUIRE(key);
	CHECK_STR(nsl_str(&b.v, key->decl), "word_t");
	free(b.data);
}

/* clang's DWARF spells the same types differently; the blob does not */
static void test_gcc_and_clang_agree(void)
{
	char why[256];
	bool same_size = false;

	CHECK(compare("shapes", "shapes_clang", "table", why, sizeof(why), &same_size));
	CHECK_STR(why, "");
}

/* ---- one `ld -r` object: a name twice, a symbol without DWARF ----------- */

/* Each `counter` gets its own compilation unit's type: matched by offset, not name. */
static void test_same_name_two_units(void)
{
	struct blob b;

	REQUIRE(blob_of(&b, "twocu"));
	const struct nsl_symbol *first = nsl_find(&b.v, "counter", ".bss.counter");
	REQUIRE(first);
	const struct nsl_symbol *second = nsl_find_next(&b.v, first);
	REQUIRE(second);
	CHECK_EQ_U(first->offset, 0);
	CHECK_STR(nsl_str(&b.v, first->type), "int");
	CHECK_EQ_U(second->offset, 8);
	CHECK_STR(nsl_str(&b.v, second->type), "long");
	CHECK(nsl_find_next(&b.v, second) == NULL);
	CHECK(nsl_find(&b.v, "counter", ".bss.other") == NULL);
	free(b.data);
}

static void test_untyped_symbol(void)
{
	struct blob a, b;
	char why[256];

	REQUIRE(blob_of(&a, "base") && blob_of(&b, "twocu"));
	const struct nsl_symbol *w = nsl_find(&b.v, "asm_word", ".data.asm_word");
	REQUIRE(w);
	CHECK_EQ_U(w->flags, NSL_UNTYPED);
	CHECK_EQ_U(w->size, 8);
	CHECK_EQ_U(w->nmembers, 0);
	CHECK(nsl_same(&b.v, w, &b.v, w, "twocu", why, sizeof(why)));
	const struct nsl_symbol *mc = sym(&a, "mem_counters");
	REQUIRE(mc);
	CHECK(!nsl_same(&a.v, mc, &b.v, w, "twocu", why, sizeof(why)));
	CHECK_STR(why, "mem_counters: type struct mem_counters in the running kernel, "
		       "no type information in twocu");
	free(a.data);
	free(b.data);
}

/* ---- the tool's other faces ------------------------------------------------- */

static void test_dump(void)
{
	int status;
	char *out = run(&status, "%s --dump %s/base.o", LAYOUTFP, OBJ_DIR);

	CHECK_EQ_I(status, 0);
	CHECK_CONTAINS(out, "base.o: computed from its DWARF, ");
	CHECK_CONTAINS(out, "\np.0: .bss.p.0+0, 4 bytes, int, hash ");
	CHECK_CONTAINS(out, "\nmem_counters: .bss.mem_counters+0, 48 bytes, struct mem_counters, hash ");
	CHECK_CONTAINS(out, "\n  +8              8  frames_reserved  unsigned long (declared uint64_t)\n");
	CHECK_CONTAINS(out, "\n  +40             4  state  enum mem_state{MEM_BOOT=0,MEM_READY=1,"
			    "MEM_SWAPPED=2} (declared enum mem_state)\n");
	free(out);
}

/* A bad input is an error naming the file, with status 1. */
static void test_tool_errors(void)
{
	int status;
	char *out = run(&status, "%s tests/host/layout/base.c %s/x.layout 2>&1", LAYOUTFP, OBJ_DIR);

	CHECK_EQ_I(status, 1);
	CHECK_STR(out, "layoutfp: tests/host/layout/base.c: not an ELF file\n");
	free(out);
	out = run(&status, "%s 2>&1", LAYOUTFP);
	CHECK_EQ_I(status, 1);
	CHECK_CONTAINS(out, "usage: layoutfp OBJ.o OUT.bin");
	free(out);
	out = run(&status, "%s %s/base.o /nonexistent/dir/x 2>&1", LAYOUTFP, OBJ_DIR);
	CHECK_EQ_I(status, 1);
	CHECK_CONTAINS(out, "base.o: cannot create /nonexistent/dir/x");
	free(out);
}

/* ---- the real build ------------------------------------------------------------ */

/* Section `name` of an ELF64 image: its header in *sh, its bytes copied 8-byte
 * aligned; NULL if there is no such section. */
static uint8_t *elf_section(const uint8_t *img, size_t size, const char *name, Elf64_Shdr *sh)
{
	const Elf64_Ehdr *eh = (const void *)img;

	if (size < sizeof(*eh) || eh->e_shoff > size ||
	    (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum || eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	const Elf64_Shdr *shdrs = (const void *)(img + eh->e_shoff);
	const char *names = (const char *)img + shdrs[eh->e_shstrndx].sh_offset;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (strcmp(names + shdrs[i].sh_name, name) != 0 || shdrs[i].sh_offset > size ||
		    shdrs[i].sh_size > size - shdrs[i].sh_offset)
			continue;
		uint8_t *p = aligned_alloc(8, (shdrs[i].sh_size + 8) & ~(size_t)7);
		memcpy(p, img + shdrs[i].sh_offset, shdrs[i].sh_size);
		*sh = shdrs[i];
		return p;
	}
	return NULL;
}

/* memory.o carries its blob, not allocated, current, with mem_counters typed. */
static void test_memory_o(void)
{
	size_t size, fresh_size;
	uint8_t *img = check_read_file(MEMORY_O, &size), *fresh;
	Elf64_Shdr sh;
	struct nsl_view v;
	char why[256], out[512];
	int status;

	REQUIRE(img);
	uint8_t *blob = elf_section(img, size, NSL_SECTION, &sh);
	free(img);
	REQUIRE(blob);
	CHECK_EQ_U(sh.sh_flags & SHF_ALLOC, 0);
	CHECK_EQ_U(sh.sh_addralign, 8);
	CHECK_EQ_U(sh.sh_offset % 8, 0);
	REQUIRE(nsl_parse(blob, sh.sh_size, &v, why, sizeof(why)) == E_OK);
	const struct nsl_symbol *s = nsl_find(&v, "mem_counters", ".bss.mem_counters");
	REQUIRE(s);
	CHECK_EQ_U(s->flags, 0);
	CHECK_STR(nsl_str(&v, s->type), "struct mem_counters");
	REQUIRE(s->nmembers >= 3);
	const struct nsl_member *m = &v.members[s->first_member + 1];
	CHECK_STR(nsl_str(&v, m->path), "frames_total");
	CHECK_STR(nsl_str(&v, m->type), "unsigned long");
	CHECK_STR(nsl_str(&v, m->decl), "uint64_t");
	CHECK_EQ_U(m->offset, 0);
	CHECK_STR(nsl_str(&v, m[1].path), "frames_reserved");
	CHECK_EQ_U(m[1].offset, 8);
	/* what layoutfp says of memory.o now is what the build embedded */
	snprintf(out, sizeof(out), "%s/memory.layout", OBJ_DIR);
	free(run(&status, "%s %s %s", LAYOUTFP, MEMORY_O, out));
	CHECK_EQ_I(status, 0);
	fresh = check_read_file(out, &fresh_size);
	REQUIRE(fresh);
	CHECK(fresh_size == sh.sh_size && memcmp(fresh, blob, fresh_size) == 0);
	free(fresh);
	free(blob);
}

/* ---- malformed blobs ----------------------------------------------------------- */

/* A blob's parts, for editing a copy of it. */
struct parts {
	struct nsl_header *h;
	struct nsl_symbol *syms;
	struct nsl_member *members;
	char *strs;
	uint32_t mc;		/* index of mem_counters */
	struct nsl_member *frames_total;
};

static struct parts parts_of(uint8_t *p, const struct nsl_view *good)
{
	struct parts t = { .h = (void *)p };

	t.syms = (void *)(t.h + 1);
	t.members = (void *)((uint8_t *)(t.syms + t.h->nsymbols) +
			     t.h->ntypes * sizeof(struct nsl_type) +
			     t.h->nfuncs * sizeof(struct nsl_func));
	t.strs = (char *)(t.members + t.h->nmembers) + ((4 * t.h->nrefs + 7) & ~7u);
	t.mc = (uint32_t)(nsl_find(good, "mem_counters", NULL) - good->syms);
	t.frames_total = &t.members[t.syms[t.mc].first_member + 1];
	return t;
}

/* One corruption: changes the copy (and maybe its size). */
struct corruption {
	const char *name, *want;	/* want: in nsl_parse's reason */
	void (*apply)(struct parts *t, size_t *size);
};

/* A corruption that edits the copy in place, its size unchanged. */
#define EDIT(name, ...) \
	static void name(struct parts *t, size_t *size) { (void)size; __VA_ARGS__; }

EDIT(c_magic, t->h->magic[0] ^= 1)
EDIT(c_reserved, t->h->reserved = 1)
EDIT(c_nsymbols_max, t->h->nsymbols = NSL_MAX_SYMBOLS + 1)
EDIT(c_nmembers_max, t->h->nmembers = NSL_MAX_MEMBERS + 1)
EDIT(c_strtab_max, t->h->strtab_size = NSL_MAX_STRTAB + 1)
EDIT(c_nsymbols, t->h->nsymbols++)
EDIT(c_strtab_end, t->strs[t->h->strtab_size - 1] = 'x')
EDIT(c_strtab_start, t->strs[0] = 'x')
EDIT(c_sym_name, t->syms[0].name = t->h->strtab_size)
EDIT(c_sym_section, t->syms[0].section = ~0u)
EDIT(c_sym_type, t->syms[t->mc].type = t->h->strtab_size)
EDIT(c_sym_flags, t->syms[0].flags |= 2)
EDIT(c_sym_first, t->syms[0].first_member++)
EDIT(c_sym_count, t->syms[t->mc].nmembers = 1000)
EDIT(c_untyped_rows, t->syms[t->mc].flags = NSL_UNTYPED)
EDIT(c_typed_no_rows, t->syms[t->mc].nmembers = 0)
EDIT(c_row_path, t->frames_total->path = t->h->strtab_size)
EDIT(c_row_type, t->frames_total->type = ~0u)
EDIT(c_row_decl, t->frames_total->decl = t->h->strtab_size + 8)
EDIT(c_row_reserved, t->frames_total->reserved = 1)
EDIT(c_row_offset, t->frames_total->offset = 48)
EDIT(c_row_size, t->frames_total->size = 49)
EDIT(c_row_wrap, t->frames_total->size = ~0ull)
EDIT(c_bit_offset, t->frames_total->bit_offset = 1)
EDIT(c_bit_over, t->frames_total->bit_size = 1, t->frames_total->bit_offset = 8)
EDIT(c_bit_wide, t->frames_total->bit_size = 65)
EDIT(c_root, t->frames_total[-1].path = t->frames_total->path)
EDIT(c_hash, t->syms[t->mc].hash ^= 1)
EDIT(c_sym_offset, t->syms[t->mc].offset += 8)
EDIT(c_row_moved, t->frames_total->offset = 8)

/* Corruptions that change the size too. */
static void c_trailing(struct parts *t, size_t *size) { (void)t; *size += 8; }
static void c_strtab_size(struct parts *t, size_t *size) { t->h->strtab_size--; (*size)--; }

/* One more (zeroed, valid) member record that no symbol's rows cover. */
static void c_uncovered(struct parts *t, size_t *size)
{
	memmove(t->strs + sizeof(struct nsl_member), t->strs, t->h->strtab_size);
	memset(t->strs, 0, sizeof(struct nsl_member));
	t->h->nmembers++;
	*size += sizeof(struct nsl_member);
}

static const struct corruption corruptions[] = {
	{ "magic", "bad magic", c_magic },
	{ "reserved", "reserved header field is 1", c_reserved },
	{ "nsymbols bound", "more than NSL_MAX_SYMBOLS", c_nsymbols_max },
	{ "nmembers bound", "more than NSL_MAX_MEMBERS", c_nmembers_max },
	{ "strtab bound", "more than NSL_MAX_STRTAB", c_strtab_max },
	{ "nsymbols", "header says", c_nsymbols },
	{ "trailing bytes", "header says", c_trailing },
	{ "strtab end", "not NUL-terminated", c_strtab_end },
	{ "strtab start", "does not start with", c_strtab_start },
	{ "strtab size", "not a positive multiple of 8", c_strtab_size },
	{ "symbol name", "symbol 0: a string offset is past", c_sym_name },
	{ "symbol section", "symbol 0: a string offset is past", c_sym_section },
	{ "symbol type", "a string offset is past", c_sym_type },
	{ "symbol flags", "unknown flags 0x2", c_sym_flags },
	{ "symbol first row", "do not follow", c_sym_first },
	{ "symbol row count", "do not follow", c_sym_count },
	{ "untyped with rows", "untyped, yet", c_untyped_rows },
	{ "typed without rows", "typed, yet it has no rows", c_typed_no_rows },
	{ "row path", "mem_counters: row", c_row_path },
	{ "row type", "a string offset is past", c_row_type },
	{ "row decl", "a string offset is past", c_row_decl },
	{ "row reserved", "reserved field is 1", c_row_reserved },
	{ "row offset", "outside the symbol's 48", c_row_offset },
	{ "row size", "outside the symbol's 48", c_row_size },
	{ "row size wraps", "outside the symbol's 48", c_row_wrap },
	{ "bit offset of a whole member", "bit-field at bit 1, 0 wide", c_bit_offset },
	{ "bit offset over 7", "bit-field at bit 8, 1 wide", c_bit_over },
	{ "bit-field over 64", "is malformed", c_bit_wide },
	{ "root row", "its first row is not its root", c_root },
	{ "hash", "does not match its rows", c_hash },
	{ "symbol offset under its hash", "does not match its rows", c_sym_offset },
	{ "row under its hash", "does not match its rows", c_row_moved },
	{ "uncovered row", "the symbols' and types' rows cover", c_uncovered },
};

/* Each corruption of base's blob is refused, for the reason it breaks. */
static void test_corrupt_fields(void)
{
	struct blob good;

	REQUIRE(blob_of(&good, "base"));
	CHECK_CORRUPTIONS(&good, corruptions, sizeof(corruptions) / sizeof(corruptions[0]),
			  parts_of);
	free(good.data);
}

/* Misaligned, and every truncation: refused, reading nothing past the end. */
static void test_misaligned_and_truncated(void)
{
	struct blob good;
	char why[256];
	struct nsl_view v;

	REQUIRE(blob_of(&good, "base"));
	uint8_t *odd = malloc(good.size + 1);
	memcpy(odd + 1, good.data, good.size);
	CHECK_EQ_I(nsl_parse(odd + 1, good.size, &v, why, sizeof(why)), E_SWAP_BAD_LAYOUT);
	CHECK_CONTAINS(why, "is not 8-byte aligned");
	free(odd);
	for (size_t size = 0; size < good.size; size++) {
		uint8_t *p = malloc(size ? size : 1);	/* exact: ASan sees any overread */
		memcpy(p, good.data, size);
		if (nsl_parse(p, size, &v, why, sizeof(why)) != E_SWAP_BAD_LAYOUT)
			check_fail(__FILE__, __LINE__, "truncated to %zu bytes: accepted", size);
		free(p);
	}
	free(good.data);
}

/*
 * Every byte flipped: refused, or accepted and then compared without a
 * wild read. The header's bytes are never accepted flipped.
 */
static void test_byte_flips(void)
{
	struct blob good;
	char why[256];
	struct nsl_view v;
	unsigned accepted = 0;

	REQUIRE(blob_of(&good, "base"));
	for (size_t i = 0; i < good.size; i++) {
		uint8_t *p = malloc(good.size);
		memcpy(p, good.data, good.size);
		p[i] ^= 0xff;
		if (nsl_parse(p, good.size, &v, why, sizeof(why)) == E_OK) {
			accepted++;
			if (i < sizeof(struct nsl_header))
				check_fail(__FILE__, __LINE__, "header byte %zu flipped: accepted", i);
			for (uint32_t j = 0; j < v.nsymbols; j++)
				(void)nsl_same(&good.v, &good.v.syms[j], &v, &v.syms[j], "flipped", why,
					       sizeof(why));
		}
		free(p);
	}
	CHECK(accepted < good.size / 4);
	free(good.data);
}

int main(void)
{
	CHECK_RUN(test_fields_exchanged);
	CHECK_RUN(test_static_local_type);
	CHECK_RUN(test_member_in_padding);
	CHECK_RUN(test_enum_value);
	CHECK_RUN(test_enum_added);
	CHECK_RUN(test_symbol_moved);
	CHECK_RUN(test_identical_rebuild);
	CHECK_RUN(test_shapes_rows);
	CHECK_RUN(test_array_bound);
	CHECK_RUN(test_bitfield_width);
	CHECK_RUN(test_typedef_rename_is_same);
	CHECK_RUN(test_gcc_and_clang_agree);
	CHECK_RUN(test_same_name_two_units);
	CHECK_RUN(test_untyped_symbol);
	CHECK_RUN(test_dump);
	CHECK_RUN(test_tool_errors);
	CHECK_RUN(test_memory_o);
	CHECK_RUN(test_corrupt_fields);
	CHECK_RUN(test_misaligned_and_truncated);
	CHECK_RUN(test_byte_flips);
	return check_summary();
}
