/*
 * A module's data layout, by type: for every variable in a writable allocated
 * section of an object, its C type flattened to one row per member. Written
 * at build time by tools/layoutfp from the object's DWARF into the object's
 * non-allocated section `.nanoswap.layout`; read by nano_core_swap/layout.c,
 * which compares the running kernel's description of a variable with a new
 * object's before the swap binds the new code to the old data. Little-endian,
 * all records 8-byte aligned, the blob 8-byte aligned and a multiple of 8:
 *
 *   struct nsl_header
 *   struct nsl_symbol [nsymbols]   by ELF section index, then offset, then name
 *   struct nsl_member [nmembers]   each symbol's rows, consecutive, in symbol order
 *   char strtab[strtab_size]       NUL-terminated strings; offset 0 is "";
 *                                  NUL-padded to a multiple of 8
 *
 * A typed symbol's rows start with its root (path "", the variable's own type
 * and size), then one row per member, depth first in declaration order:
 *   - struct/union members by dotted path ("stats.count"); the members of an
 *     anonymous struct/union under their parent's path, as C names them;
 *     unnamed bit-fields (padding) have no row;
 *   - an array of structs/unions through element 0, "[]" per dimension in the
 *     path ("table[].next", "grid[][].x"), the bounds in the type of the
 *     array's own row ("struct ent[16]");
 *   - pointers are not followed: "pointer to struct node".
 * Offsets are from the start of the variable. A bit-field's row has the byte
 * holding its first bit as offset, bit_offset (0-7) within that byte and
 * bit_size its width; its type ends in ":width" ("unsigned int:3").
 *
 * Two type strings per row. `type` is canonical: typedefs resolved, base types
 * spelled the C way whichever compiler wrote them ("unsigned long", not "long
 * unsigned int"), qualifiers as prefixes ("const pointer to volatile int"),
 * array bounds as C writes them ("unsigned long[16]", "char[4][8]", "int[]"
 * when unknown), an enum with its values ("enum state{BOOT=0,READY=1}", but
 * just "enum state" behind a pointer), a pointer to an array parenthesised
 * ("pointer to (int[4])"), a function as "function(int, pointer to char)
 * returning void". `decl` is the type as declared, typedef names kept and
 * enum values left out ("uint64_t[16]"), for people. Only `type` is compared
 * and hashed: a typedef renamed over the same type is no layout change, a
 * struct tag renamed is.
 */
#ifndef NANO_CORE_SWAP_LAYOUT_H
#define NANO_CORE_SWAP_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nanoswap/err.h>

#define NSL_MAGIC		"NSLAYT01"
#define NSL_SECTION		".nanoswap.layout"

/* Bounds nsl_parse enforces (a module has a few hundred symbols). */
#define NSL_MAX_SYMBOLS		(1u << 20)
#define NSL_MAX_MEMBERS		(1u << 22)
#define NSL_MAX_STRTAB		(1u << 26)

/* nsl_symbol.flags */
#define NSL_UNTYPED		1u	/* no DWARF for it (assembly): size only, no rows */
#define NSL_FLAGS_KNOWN		NSL_UNTYPED

struct nsl_header {
	char magic[8];			/* NSL_MAGIC, no NUL */
	uint32_t nsymbols, nmembers;
	uint32_t strtab_size, reserved;	/* reserved is 0 */
};

struct nsl_symbol {
	uint32_t name;			/* the ELF symbol: "mem_counters", "p.0" */
	uint32_t section;		/* its ELF section: ".bss.mem_counters" */
	uint32_t type;			/* the root row's canonical type; "" if untyped */
	uint32_t first_member;		/* its rows: [first_member, + nmembers) */
	uint32_t nmembers;		/* 0 if untyped, else at least the root */
	uint32_t flags;			/* NSL_* */
	uint64_t offset;		/* st_value: where it starts in its section */
	uint64_t size;			/* st_size */
	uint64_t hash;			/* nsl_hash_symbol(): offset, size, rows */
};

struct nsl_member {
	uint32_t path;			/* "" (the root), "frames_used", "table[].next" */
	uint32_t type;			/* canonical; compared */
	uint32_t decl;			/* as declared; shown, not compared */
	uint32_t bit_offset;		/* 0-7 within the byte at offset; 0 unless a bit-field */
	uint64_t offset;		/* from the start of the variable */
	uint64_t size;			/* bytes (a bit-field: its declared type's) */
	uint32_t bit_size;		/* 0 unless a bit-field */
	uint32_t reserved;		/* 0 */
};

_Static_assert(sizeof(struct nsl_header) == 24, "nsl_header is 24 bytes");
_Static_assert(sizeof(struct nsl_symbol) == 48, "nsl_symbol is 48 bytes");
_Static_assert(sizeof(struct nsl_member) == 40, "nsl_member is 40 bytes");

/* A blob nsl_parse accepted: every index and string offset in it is valid. */
struct nsl_view {
	const struct nsl_header *h;
	const struct nsl_symbol *syms;
	const struct nsl_member *members;
	const char *strs;
	uint32_t nsymbols, nmembers;
};

static inline const char *nsl_str(const struct nsl_view *v, uint32_t off)
{
	return v->strs + off;
}

/*
 * FNV-1a over what nsl_same compares: the symbol's offset and size and its
 * rows' canonical fields (path, type, offset, size, bit_offset, bit_size; not
 * decl, nor the names by which the symbol is found). Equal hashes mean
 * nsl_same is true (barring a collision); the converse fails only for rows in
 * another order. The tool and the kernel compute it the same way; s's rows
 * must be in v and their strings valid.
 */
uint64_t nsl_hash_symbol(const struct nsl_view *v, const struct nsl_symbol *s);

/*
 * Where the trailing array bounds of a canonical type string start: 3 for
 * "int[4][8]", 19 for "pointer to (int[4])[8]"; strlen(t) if it has none.
 */
size_t nsl_type_bounds(const char *t);

/*
 * Check a blob and describe it in *v: the magic, the bounds above, that the
 * tables and string table fill `size` exactly, that every string offset is in
 * range, that the symbols' row ranges tile the member table in order, that
 * each typed symbol starts with its root row (path "", offset 0, no larger
 * than the symbol: a static flexible array member can make the symbol
 * larger than its type), that each row lies within its symbol, and every
 * symbol's hash. `blob` must be 8-byte aligned. Returns
 * E_SWAP_BAD_LAYOUT with the reason in why[n] (nothing is logged).
 */
enum err nsl_parse(const void *blob, size_t size, struct nsl_view *v, char *why, size_t n)
	NS_MUST_CHECK;

/*
 * The first symbol called `symbol` in section `section` (any section if
 * NULL), or NULL. A name can occur twice in one section (file statics of two
 * compilation units merged by `ld -r`): nsl_find_next gives the next one, in
 * offset order.
 */
const struct nsl_symbol *nsl_find(const struct nsl_view *v, const char *symbol,
				  const char *section);
const struct nsl_symbol *nsl_find_next(const struct nsl_view *v, const struct nsl_symbol *prev);

/*
 * Is symbol b of the new object's blob laid out as symbol a of the running
 * kernel's? Compares the root type, the size, the offset in the section,
 * then each member by path. If not, writes the first difference to why[n],
 * e.g. "mem_counters: member frames_reserved at offset 8 in the running
 * kernel, 16 in memory_v2" (new_name names the new object). Two untyped
 * symbols are the same if their sizes are.
 */
bool nsl_same(const struct nsl_view *old, const struct nsl_symbol *a,
	      const struct nsl_view *new, const struct nsl_symbol *b,
	      const char *new_name, char *why, size_t n);

#endif
