/*
 * layoutfp's private interface: tools/layoutfp.c reads the object (symbols,
 * relocated DWARF, global functions) and writes the blob;
 * tools/layoutfp_type.c turns a DWARF type into type names and flattened
 * rows (include/nano_core_swap/layout.h says what they look like);
 * tools/layoutfp_refs.c follows the rows' pointers to the types they reach
 * and keeps the table of those; tools/layoutfp_blob.c builds the blob and
 * dumps one.
 */
#ifndef TOOLS_LAYOUTFP_H
#define TOOLS_LAYOUTFP_H

#include <stdint.h>
#include <stddef.h>
#include <elfutils/libdw.h>
#include <nano_core_swap/layout.h>

/* Deeper type nesting than this is refused (a loop in bad DWARF ends here). */
#define LF_MAX_DEPTH	64

/* One row of a flattened type, as layout.h's struct nsl_member, with strings,
 * and the DWARF type it was named from (for its refs). */
struct lf_row {
	char *path, *type, *decl;
	uint64_t offset, size;
	uint32_t bit_offset, bit_size;
	Dwarf_Die die;
	bool in_type;			/* a type entry's row (see lf_rows.in_type) */
	size_t first_ref, nrefs;
};

struct lf_rows {
	struct lf_row *v;
	size_t n, cap;
	/* flattening a type entry, not a variable: an array of no size (a
	 * flexible array member) lies past the type, so its elements are not
	 * expanded: the element type is a ref instead */
	bool in_type;
};

/* A data symbol of the object; its rows are [first_row, + nrows) of the
 * object's lf_rows. */
struct lf_symbol {
	const char *name, *section;
	size_t shndx;
	uint64_t value, size;
	size_t first_row, nrows;	/* nrows 0: untyped */
};

/* An entry of the type table: a struct, union or enum a row reaches through a
 * pointer (or a function's signature), with its rows until the blob takes
 * them (then [first_row, + nrows) of the description's rows). */
struct lf_type {
	char *name;
	uint32_t flags;			/* NSL_TYPE_OPAQUE */
	struct lf_rows own;
	size_t first_row, nrows;
	uint64_t size;
};

/* A global function of the object: its signature and what it reaches. */
struct lf_func {
	const char *name, *section;
	char *type, *decl;		/* NULL: untyped */
	size_t first_ref, nrefs;	/* in lf_desc.func_refs */
};

struct lf_refs {
	uint32_t *v;
	size_t n, cap;
};

/* Maps for the type table: a string or a DIE offset to an index. */
struct lf_map {
	struct lf_map_slot { uint64_t hash; const char *key; size_t value; bool used; } *slots;
	size_t nslots, used;
};

/* Everything the blob holds, as the tool builds it. */
struct lf_desc {
	struct lf_symbol *syms;
	size_t nsyms;
	struct lf_rows rows;		/* the symbols', then (lf_types_finish) the types' */
	struct lf_type *types;
	size_t ntypes, types_cap;
	struct lf_func *funcs;
	size_t nfuncs;
	struct lf_refs refs;		/* the rows' refs, in row order */
	struct lf_refs func_refs;	/* the functions' */
	struct lf_map by_die;		/* DIE offset -> type */
	struct lf_map by_name;		/* "struct tag" -> its first type (chained by next_same) */
	size_t *next_same;		/* [types_cap]: the next type of that name, or SIZE_MAX */
	struct lf_map defs;		/* "struct tag" -> index into def_dies: the object's definitions */
	Dwarf_Die *def_dies;
	size_t ndefs, defs_cap;
};

/* How a type is named. */
enum lf_style {
	LF_CANON,	/* typedefs resolved, enums with their values */
	LF_SHALLOW,	/* the same without enum values: behind a pointer, in a signature */
	LF_DECL,	/* as declared: typedef names kept, no enum values */
};

/* Errors name the file and, while one is being described, the symbol. */
extern const char *lf_file, *lf_symbol;

/* Print "layoutfp: FILE: SYMBOL: message" and exit 1. */
void lf_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *lf_alloc(size_t n);
/* A malloc'd formatted string / *s with formatted text appended (realloc'd). */
char *lf_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lf_append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The type `die` (NULL: void) named in `style`; malloc'd. */
char *lf_type_name(Dwarf_Die *die, enum lf_style style);
/* The byte size of a type; 0 if it has none (void, a flexible array). */
uint64_t lf_type_size(Dwarf_Die *die);
/* The type of a DIE (DW_AT_type, through specification/abstract origin) in
 * *out; NULL for none (void). */
Dwarf_Die *lf_type_of(Dwarf_Die *die, Dwarf_Die *out);
/* Append the rows of a variable of type `type`: its root, then its members. */
void lf_flatten_variable(struct lf_rows *rows, Dwarf_Die *type);
void lf_free_rows(struct lf_rows *rows);

/* A string-keyed lf_map (the key is not copied: it must outlive the map). */
void lf_map_put_str(struct lf_map *m, const char *key, size_t value);
bool lf_map_get_str(struct lf_map *m, const char *key, size_t *value);
/* Note a struct/union/enum definition DIE (for declarations elsewhere). */
void lf_note_definition(struct lf_desc *d, Dwarf_Die *die);
/* The refs of row i of d->rows, appended to d->refs (types added as needed). */
void lf_row_refs(struct lf_desc *d, size_t i);
/* The refs of a function's signature (subprogram `fn`), appended to
 * d->func_refs: each parameter's, then the return type's. */
void lf_func_refs(struct lf_desc *d, Dwarf_Die *fn);
/* Give every type its rows' refs (adding the types those reach, until none
 * is new), then move the types' rows after the symbols' in d->rows. */
void lf_types_finish(struct lf_desc *d);
void lf_desc_free(struct lf_desc *d);

/* The blob of description d (malloc'd, 8-byte aligned), checked with
 * nsl_parse; its size in *size. */
uint8_t *lf_build_blob(const struct lf_desc *d, size_t *size);
/* The blob of object `path`, from its symbols and DWARF (as lf_build_blob). */
uint8_t *lf_make_blob(const char *path, size_t *size);
/* Print the blob in `path` (a blob file, an object's NSL_SECTION, else an
 * object's DWARF), a line per symbol and a line per member row. */
void lf_dump(const char *path);

#endif
