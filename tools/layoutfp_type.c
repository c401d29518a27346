/*
 * layoutfp: DWARF types to type names and flattened rows. A name is built
 * recursively but never through a pointer's target beyond its name, so it
 * cannot loop; the rows follow struct/union members and array elements
 * (element 0), never pointers (layoutfp_refs.c follows those). The spellings are fixed by
 * include/nano_core_swap/layout.h; both gcc's and clang's DWARF give the same.
 */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include <nano_core_swap/layout.h>
#include "layoutfp.h"

/* ---- names ------------------------------------------------------------------ */

static char *lf_name(Dwarf_Die *die, enum lf_style style, int depth);

static unsigned long long lf_die_offset(Dwarf_Die *die)
{
	return (unsigned long long)dwarf_dieoffset(die);
}

Dwarf_Die *lf_type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute a;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a))
		return NULL;
	if (!dwarf_formref_die(&a, out))
		lf_die("DIE %#llx: bad DW_AT_type: %s", lf_die_offset(die), dwarf_errmsg(-1));
	return out;
}

uint64_t lf_type_size(Dwarf_Die *die)
{
	Dwarf_Word size;

	return die && dwarf_aggregate_size(die, &size) == 0 ? size : 0;
}

/* An unsigned attribute of a DIE; false if it has none. */
static bool lf_udata(Dwarf_Die *die, unsigned name, Dwarf_Word *v)
{
	Dwarf_Attribute a;

	if (!dwarf_attr_integrate(die, name, &a))
		return false;
	if (dwarf_formudata(&a, v) != 0)
		lf_die("DIE %#llx: attribute %#x is not a constant: %s", lf_die_offset(die), name,
		       dwarf_errmsg(-1));
	return true;
}

/* gcc spells "long unsigned int" what clang and C spell "unsigned long". */
static const char *const lf_base_spellings[][2] = {
	{ "short int", "short" },
	{ "short unsigned int", "unsigned short" },
	{ "long int", "long" },
	{ "long unsigned int", "unsigned long" },
	{ "long long int", "long long" },
	{ "long long unsigned int", "unsigned long long" },
	{ "__int128 unsigned", "unsigned __int128" },
};

static char *lf_base_name(Dwarf_Die *die)
{
	const char *name = dwarf_diename(die);

	if (!name)
		lf_die("DIE %#llx: a base type without a name", lf_die_offset(die));
	for (size_t i = 0; i < sizeof(lf_base_spellings) / sizeof(lf_base_spellings[0]); i++)
		if (strcmp(name, lf_base_spellings[i][0]) == 0)
			return strdup(lf_base_spellings[i][1]);
	return strdup(name);
}

/* "struct tag", "union <anon>" */
static char *lf_tagged_name(const char *kind, Dwarf_Die *die)
{
	const char *name = dwarf_diename(die);

	return lf_printf("%s %s", kind, name ? name : "<anon>");
}

/* Qualifiers, written in this order whatever order the DWARF nests them in. */
static const struct {
	unsigned tag;
	const char *word;
} lf_qualifiers[] = {
	{ DW_TAG_const_type, "const" },
	{ DW_TAG_volatile_type, "volatile" },
	{ DW_TAG_restrict_type, "restrict" },
	{ DW_TAG_atomic_type, "_Atomic" },
};
#define LF_NQUALIFIERS	(sizeof(lf_qualifiers) / sizeof(lf_qualifiers[0]))

/* The bit of a qualifier tag in a set of them; 0 if it is not one. */
static unsigned lf_qualifier_bit(unsigned tag)
{
	for (unsigned i = 0; i < LF_NQUALIFIERS; i++)
		if (lf_qualifiers[i].tag == tag)
			return 1u << i;
	return 0;
}

/* "const volatile X" for a chain of qualifier DIEs (and, unless LF_DECL,
 * typedefs between them: `volatile cint` is "const volatile int"). */
static char *lf_qualified_name(Dwarf_Die *die, enum lf_style style, int depth)
{
	Dwarf_Die cur = *die, next, *p = &cur;
	unsigned quals = 0, bit;

	while (p && ((bit = lf_qualifier_bit(dwarf_tag(p))) ||
		     (style != LF_DECL && dwarf_tag(p) == DW_TAG_typedef))) {
		quals |= bit;
		if (++depth > LF_MAX_DEPTH)
			lf_die("type at DIE %#llx nests deeper than LF_MAX_DEPTH (%d)",
			       lf_die_offset(die), LF_MAX_DEPTH);
		p = lf_type_of(p, &next);
		if (p)
			cur = next, p = &cur;
	}
	char *rest = lf_name(p, style, depth + 1), *s = strdup("");
	for (unsigned i = 0; i < LF_NQUALIFIERS; i++)
		if (quals & (1u << i))
			lf_append(&s, "%s ", lf_qualifiers[i].word);
	lf_append(&s, "%s", rest);
	free(rest);
	return s;
}

/* "pointer to X", "pointer to (int[4])"; enum values are not followed. */
static char *lf_pointer_name(Dwarf_Die *die, enum lf_style style, int depth)
{
	Dwarf_Die inner;
	char *to = lf_name(lf_type_of(die, &inner), style == LF_DECL ? LF_DECL : LF_SHALLOW,
			   depth + 1);
	size_t len = strlen(to);
	char *s = len && to[len - 1] == ']' ? lf_printf("pointer to (%s)", to)
					     : lf_printf("pointer to %s", to);

	free(to);
	return s;
}

/* An enumerator's value, as the enum's underlying type reads it. */
static char *lf_enumerator_value(Dwarf_Die *e, bool is_signed)
{
	Dwarf_Attribute a;
	Dwarf_Word u;
	Dwarf_Sword s;
	unsigned bits;

	if (!dwarf_attr(e, DW_AT_const_value, &a))
		lf_die("enumerator %s has no value", dwarf_diename(e));
	switch (dwarf_whatform(&a)) {
	case DW_FORM_sdata:
	case DW_FORM_implicit_const:
		if (dwarf_formsdata(&a, &s) != 0)
			break;
		return lf_printf("%lld", (long long)s);
	case DW_FORM_data1: bits = 8; goto fixed;
	case DW_FORM_data2: bits = 16; goto fixed;
	case DW_FORM_data4: bits = 32; goto fixed;
	case DW_FORM_data8: bits = 64; goto fixed;
	case DW_FORM_udata:
		bits = 64;
	fixed:
		if (dwarf_formudata(&a, &u) != 0)
			break;
		if (is_signed && bits < 64 && (u >> (bits - 1)) & 1)
			u |= ~0ull << bits;	/* sign-extend the fixed-size form */
		return is_signed ? lf_printf("%lld", (long long)u) : lf_printf("%llu", (unsigned long long)u);
	}
	lf_die("enumerator %s: unsupported value form %#x", dwarf_diename(e), dwarf_whatform(&a));
}

/* Is the enum's underlying type unsigned? Signed if it does not say. */
static bool lf_enum_signed(Dwarf_Die *die)
{
	Dwarf_Die base, peeled;
	Dwarf_Word enc;

	if (!lf_type_of(die, &base) || dwarf_peel_type(&base, &peeled) != 0 ||
	    !lf_udata(&peeled, DW_AT_encoding, &enc))
		return true;
	return enc != DW_ATE_unsigned && enc != DW_ATE_unsigned_char && enc != DW_ATE_boolean;
}

/* "enum tag", and in LF_CANON its values: "enum tag{A=0,B=1}". */
static char *lf_enum_name(Dwarf_Die *die, enum lf_style style)
{
	char *s = lf_tagged_name("enum", die);
	const char *sep = "{";
	bool is_signed = lf_enum_signed(die);
	Dwarf_Die e;

	if (style != LF_CANON)
		return s;
	if (dwarf_child(die, &e) == 0)
		do {
			if (dwarf_tag(&e) != DW_TAG_enumerator)
				continue;
			char *v = lf_enumerator_value(&e, is_signed);
			lf_append(&s, "%s%s=%s", sep, dwarf_diename(&e), v);
			free(v);
			sep = ",";
		} while (dwarf_siblingof(&e, &e) == 0);
	lf_append(&s, "%s}", *sep == '{' ? "{" : "");
	return s;
}

/* "[16]" for one subrange, "[]" if it has no bound. */
static char *lf_subrange_bound(Dwarf_Die *sub)
{
	Dwarf_Word count, upper;

	if (lf_udata(sub, DW_AT_count, &count))
		return lf_printf("[%llu]", (unsigned long long)count);
	if (lf_udata(sub, DW_AT_upper_bound, &upper))
		return lf_printf("[%llu]", (unsigned long long)(upper + 1));
	return strdup("[]");
}

/* "int[4][8]": the array's bounds go before its element's own bounds. */
static char *lf_array_name(Dwarf_Die *die, enum lf_style style, int depth)
{
	Dwarf_Die inner, sub;
	char *elem = lf_name(lf_type_of(die, &inner), style, depth + 1), *dims = strdup(""), *s;
	size_t at = nsl_type_bounds(elem);

	if (dwarf_child(die, &sub) == 0)
		do {
			if (dwarf_tag(&sub) != DW_TAG_subrange_type)
				continue;
			char *b = lf_subrange_bound(&sub);
			lf_append(&dims, "%s", b);
			free(b);
		} while (dwarf_siblingof(&sub, &sub) == 0);
	s = lf_printf("%.*s%s%s", (int)at, elem, dims, elem + at);
	free(elem);
	free(dims);
	return s;
}

/* "function(int, pointer to char, ...) returning void" (a function pointer's
 * type, or a function's own DIE) */
static char *lf_function_name(Dwarf_Die *die, enum lf_style style, int depth)
{
	enum lf_style inner_style = style == LF_DECL ? LF_DECL : LF_SHALLOW;
	bool prototyped = dwarf_hasattr_integrate(die, DW_AT_prototyped);
	char *params = strdup(""), *s;
	const char *sep = "";
	Dwarf_Die p, t;

	if (dwarf_child(die, &p) == 0)
		do {
			char *name;
			if (dwarf_tag(&p) == DW_TAG_formal_parameter)
				name = lf_name(lf_type_of(&p, &t), inner_style, depth + 1);
			else if (dwarf_tag(&p) == DW_TAG_unspecified_parameters)
				name = strdup("...");
			else
				continue;
			lf_append(&params, "%s%s", sep, name);
			free(name);
			sep = ", ";
		} while (dwarf_siblingof(&p, &p) == 0);
	char *ret = lf_name(lf_type_of(die, &t), inner_style, depth + 1);
	s = lf_printf("function(%s) returning %s", *params || !prototyped ? params : "void", ret);
	free(params);
	free(ret);
	return s;
}

static char *lf_name(Dwarf_Die *die, enum lf_style style, int depth)
{
	Dwarf_Die inner;

	if (!die)
		return strdup("void");
	if (depth > LF_MAX_DEPTH)
		lf_die("type at DIE %#llx nests deeper than LF_MAX_DEPTH (%d)", lf_die_offset(die),
		       LF_MAX_DEPTH);
	switch (dwarf_tag(die)) {
	case DW_TAG_base_type:		return lf_base_name(die);
	case DW_TAG_unspecified_type:	return strdup(dwarf_diename(die) ? dwarf_diename(die) : "void");
	case DW_TAG_typedef:
		if (style == LF_DECL && dwarf_diename(die))
			return strdup(dwarf_diename(die));
		return lf_name(lf_type_of(die, &inner), style, depth + 1);
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:	return lf_qualified_name(die, style, depth);
	case DW_TAG_pointer_type:	return lf_pointer_name(die, style, depth);
	case DW_TAG_structure_type:	return lf_tagged_name("struct", die);
	case DW_TAG_union_type:		return lf_tagged_name("union", die);
	case DW_TAG_enumeration_type:	return lf_enum_name(die, style);
	case DW_TAG_array_type:		return lf_array_name(die, style, depth);
	case DW_TAG_subroutine_type:
	case DW_TAG_subprogram:		return lf_function_name(die, style, depth);
	}
	lf_die("type at DIE %#llx has unsupported DWARF tag %#x", lf_die_offset(die), dwarf_tag(die));
}

char *lf_type_name(Dwarf_Die *die, enum lf_style style)
{
	return lf_name(die, style, 0);
}

/* ---- rows ------------------------------------------------------------------- */

static void lf_flatten(struct lf_rows *rows, Dwarf_Die *type, const char *path,
		       uint64_t offset, int depth);

static void lf_push(struct lf_rows *rows, struct lf_row row)
{
	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? 2 * rows->cap : 64;
		rows->v = realloc(rows->v, rows->cap * sizeof(*rows->v));
		if (!rows->v)
			lf_die("out of memory");
	}
	rows->v[rows->n++] = row;
}

/* "name" at the top, "parent.name" below it. */
static char *lf_join(const char *path, const char *name)
{
	return *path ? lf_printf("%s.%s", path, name) : strdup(name);
}

/* A member's byte offset in its struct: a constant, or DWARF 2's DW_OP_plus_uconst. */
static uint64_t lf_member_location(Dwarf_Die *m)
{
	Dwarf_Attribute a;
	Dwarf_Word off;
	Dwarf_Op *ops;
	size_t n;

	if (!dwarf_attr(m, DW_AT_data_member_location, &a))
		return 0;	/* a union member */
	if (dwarf_formudata(&a, &off) == 0)
		return off;
	if (dwarf_getlocation(&a, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_plus_uconst)
		return ops[0].number;
	lf_die("member %s: unsupported DW_AT_data_member_location", dwarf_diename(m));
}

/* A bit-field's first bit from its struct's start (DWARF 4+, or DWARF 2's
 * big-endian-numbered DW_AT_bit_offset within a storage unit). */
static uint64_t lf_bitfield_start(Dwarf_Die *m, Dwarf_Die *type, uint64_t bit_size)
{
	Dwarf_Word v, unit, bo;

	if (lf_udata(m, DW_AT_data_bit_offset, &v))
		return v;
	if (!lf_udata(m, DW_AT_byte_size, &unit))
		unit = lf_type_size(type);
	if (!lf_udata(m, DW_AT_bit_offset, &bo) || bo + bit_size > 8 * unit)
		lf_die("bit-field %s: no usable bit offset", dwarf_diename(m));
	return 8 * lf_member_location(m) + 8 * unit - bo - bit_size;
}

static void lf_push_bitfield(struct lf_rows *rows, Dwarf_Die *m, Dwarf_Die *type,
			     char *path, uint64_t offset)
{
	Dwarf_Word bits;
	char *type_name = lf_type_name(type, LF_CANON), *decl = lf_type_name(type, LF_DECL);

	if (!lf_udata(m, DW_AT_bit_size, &bits) || bits == 0 || bits > 64)
		lf_die("bit-field %s: bad DW_AT_bit_size", path);
	uint64_t start = 8 * offset + lf_bitfield_start(m, type, bits);
	lf_push(rows, (struct lf_row){
		.path = path, .type = lf_printf("%s:%llu", type_name, (unsigned long long)bits),
		.decl = lf_printf("%s:%llu", decl, (unsigned long long)bits),
		.offset = start / 8, .size = lf_type_size(type),
		.bit_offset = (uint32_t)(start % 8), .bit_size = (uint32_t)bits, .die = *type,
		.in_type = rows->in_type });
	free(type_name);
	free(decl);
}

/* One DW_TAG_member of a struct/union at `offset`. Unnamed: an anonymous
 * struct/union (its members under our path) or a padding bit-field (no row). */
static void lf_flatten_member(struct lf_rows *rows, Dwarf_Die *m, const char *path,
			      uint64_t offset, int depth);

/* The rows inside a value of type `type` (its members, through element 0 of arrays). */
static void lf_flatten_inside(struct lf_rows *rows, Dwarf_Die *type, const char *path,
			      uint64_t offset, int depth)
{
	Dwarf_Die peeled, child, elem;

	if (!type)
		return;
	if (depth > LF_MAX_DEPTH)
		lf_die("%s: nests deeper than LF_MAX_DEPTH (%d)", path, LF_MAX_DEPTH);
	if (dwarf_peel_type(type, &peeled) != 0)
		lf_die("%s: cannot resolve its type: %s", path, dwarf_errmsg(-1));
	switch (dwarf_tag(&peeled)) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		if (dwarf_child(&peeled, &child) == 0)
			do {
				if (dwarf_tag(&child) == DW_TAG_member)
					lf_flatten_member(rows, &child, path, offset, depth + 1);
			} while (dwarf_siblingof(&child, &child) == 0);
		break;
	case DW_TAG_array_type: {
		if (rows->in_type && lf_type_size(&peeled) == 0)
			break;	/* a flexible array member: past the type (its element is a ref) */
		char *p = strdup(path);
		if (dwarf_child(&peeled, &child) == 0)
			do {
				if (dwarf_tag(&child) == DW_TAG_subrange_type)
					lf_append(&p, "[]");
			} while (dwarf_siblingof(&child, &child) == 0);
		lf_flatten_inside(rows, lf_type_of(&peeled, &elem), p, offset, depth + 1);
		free(p);
		break;
	}
	}
}

static void lf_flatten_member(struct lf_rows *rows, Dwarf_Die *m, const char *path,
			      uint64_t offset, int depth)
{
	const char *name = dwarf_diename(m);
	Dwarf_Die tbuf, *type = lf_type_of(m, &tbuf);

	if (!type)
		lf_die("member %s of %s has no type", name ? name : "<anon>", *path ? path : "the root");
	if (dwarf_hasattr(m, DW_AT_bit_size)) {
		if (name)
			lf_push_bitfield(rows, m, type, lf_join(path, name), offset);
		return;
	}
	if (!name) {
		lf_flatten_inside(rows, type, path, offset + lf_member_location(m), depth);
		return;
	}
	char *child = lf_join(path, name);
	lf_flatten(rows, type, child, offset + lf_member_location(m), depth);
	free(child);
}

/* The row of the value at path (named by `type`), then the rows inside it. */
static void lf_flatten(struct lf_rows *rows, Dwarf_Die *type, const char *path,
		       uint64_t offset, int depth)
{
	lf_push(rows, (struct lf_row){
		.path = strdup(path), .type = lf_type_name(type, LF_CANON),
		.decl = lf_type_name(type, LF_DECL), .offset = offset,
		.size = lf_type_size(type), .die = *type, .in_type = rows->in_type });
	lf_flatten_inside(rows, type, path, offset, depth);
}

void lf_flatten_variable(struct lf_rows *rows, Dwarf_Die *type)
{
	lf_flatten(rows, type, "", 0, 0);
}

void lf_free_rows(struct lf_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		free(rows->v[i].path);
		free(rows->v[i].type);
		free(rows->v[i].decl);
	}
	free(rows->v);
}
