/*
 * layoutfp's private interface: tools/layoutfp.c reads the object (symbols,
 * relocated DWARF) and writes the blob; tools/layoutfp_type.c turns a DWARF
 * type into type names and flattened rows (include/nano_core_swap/layout.h
 * says what they look like); tools/layoutfp_blob.c builds the blob and dumps
 * one.
 */
#ifndef TOOLS_LAYOUTFP_H
#define TOOLS_LAYOUTFP_H

#include <stdint.h>
#include <stddef.h>
#include <elfutils/libdw.h>
#include <nano_core_swap/layout.h>

/* Deeper type nesting than this is refused (a loop in bad DWARF ends here). */
#define LF_MAX_DEPTH	64

/* One row of a flattened type, as layout.h's struct nsl_member, with strings. */
struct lf_row {
	char *path, *type, *decl;
	uint64_t offset, size;
	uint32_t bit_offset, bit_size;
};

struct lf_rows {
	struct lf_row *v;
	size_t n, cap;
};

/* A data symbol of the object; its rows are [first_row, + nrows) of the
 * object's lf_rows. */
struct lf_symbol {
	const char *name, *section;
	size_t shndx;
	uint64_t value, size;
	size_t first_row, nrows;	/* nrows 0: untyped */
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

/* The blob of these symbols and rows (malloc'd, 8-byte aligned), checked
 * with nsl_parse; its size in *size. */
uint8_t *lf_build_blob(const struct lf_symbol *syms, size_t nsyms, const struct lf_rows *rows,
		       size_t *size);
/* The blob of object `path`, from its symbols and DWARF (as lf_build_blob). */
uint8_t *lf_make_blob(const char *path, size_t *size);
/* Print the blob in `path` (a blob file, an object's NSL_SECTION, else an
 * object's DWARF), a line per symbol and a line per member row. */
void lf_dump(const char *path);

#endif
