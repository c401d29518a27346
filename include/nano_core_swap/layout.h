/*
 * A module's data layout and interfaces, by type: every variable in a
 * writable allocated section of an object, with its C type flattened to one
 * row per member; every struct, union and enum those rows reach through a
 * pointer, flattened the same way, and what those reach in turn (cycles
 * included); and every global function's signature with the types it
 * reaches. Written at build time by tools/layoutfp from the object's DWARF
 * into its non-allocated section `.nanoswap.layout`; read by
 * nano_core_swap/layout.c, which compares the running kernel's description
 * with a new object's before the swap binds the new code to the old data.
 * Little-endian, all records 8-byte aligned, the blob a multiple of 8:
 *
 *   struct nsl_header
 *   struct nsl_symbol [nsymbols]   by ELF section index, then offset, then name
 *   struct nsl_type   [ntypes]     in the order they are first reached
 *   struct nsl_func   [nfuncs]     by name, each name once
 *   struct nsl_member [nmembers]   the symbols' rows, then the types', each
 *                                  owner's consecutive, in owner order
 *   uint32_t refs     [nrefs]      type indices: the rows' in row order, then
 *                                  the functions'; a 0 word after an odd count
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
 *   - a pointer's row says what it points to ("pointer to struct node") and
 *     its refs say which entry of the type table that is.
 * Offsets are from the start of the variable. A bit-field's row has the byte
 * holding its first bit as offset, bit_offset (0-7) within that byte and
 * bit_size its width; its type ends in ":width" ("unsigned int:3").
 *
 * A row's refs are the struct/union/enum types its type names without
 * expanding them: behind a pointer, an array of pointers, in a function
 * pointer's parameters and return type; one ref per such name, in the order
 * the type string names them ("pointer to function(pointer to struct a)
 * returning pointer to struct b": a, then b). Types expanded in place (a
 * struct member, an array of structs, an enum with its values) have none:
 * their rows are the variable's own. A type entry is rows like a variable's,
 * relative to the type: a struct's members, or an enum's one root row with
 * its values. One entry per definition: an object's compilation units share
 * an entry for a struct they all define alike (same name, same rows); a
 * declaration (`struct foo;`) takes the object's definition of that name,
 * and a type the object never defines is NSL_TYPE_OPAQUE (no rows, size 0):
 * compared by name only. Entries are not found by name: a comparison pairs
 * the running kernel's and the new object's types through the rows that
 * reach them (the same symbol, the same path, the same ref), so an anonymous
 * struct behind a pointer ("struct <anon>") is known by the path that
 * reaches it, and two definitions of one tag in two units are two entries.
 *
 * A global function (STB_GLOBAL STT_FUNC defined in the object) has its
 * signature as a canonical type, "function(pointer to struct mem_stats)
 * returning void", and the refs of its parameters and return type, in that
 * order; NSL_UNTYPED if it has no DWARF (assembly).
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

#define NSL_MAGIC		"NSLAYT02"
#define NSL_SECTION		".nanoswap.layout"

/* Bounds nsl_parse enforces (a module has a few hundred symbols and types). */
#define NSL_MAX_SYMBOLS		(1u << 20)
#define NSL_MAX_TYPES		(1u << 20)
#define NSL_MAX_FUNCS		(1u << 20)
#define NSL_MAX_MEMBERS		(1u << 22)
#define NSL_MAX_REFS		(1u << 22)
#define NSL_MAX_STRTAB		(1u << 26)

#define NSL_NONE		0xFFFFFFFFu	/* no index */

/* nsl_symbol.flags, nsl_func.flags */
#define NSL_UNTYPED		1u	/* no DWARF for it (assembly): size only, no rows */
#define NSL_FLAGS_KNOWN		NSL_UNTYPED
/* nsl_type.flags */
#define NSL_TYPE_OPAQUE		1u	/* declared, never defined in the object: no rows */
#define NSL_TYPE_FLAGS_KNOWN	NSL_TYPE_OPAQUE

struct nsl_header {
	char magic[8];			/* NSL_MAGIC, no NUL */
	uint32_t nsymbols, nmembers;
	uint32_t ntypes, nfuncs;
	uint32_t nrefs, strtab_size;
	uint64_t reserved;		/* 0 */
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
	uint64_t hash;			/* nsl_hash_rows(): offset, size, rows */
};

struct nsl_type {
	uint32_t name;			/* "struct block", "enum color", "union <anon>" */
	uint32_t flags;			/* NSL_TYPE_* */
	uint32_t first_member;		/* its rows, the root first; none if opaque */
	uint32_t nmembers;
	uint64_t size;			/* the root row's; 0 if opaque */
	uint64_t hash;			/* nsl_hash_rows(): 0, size, rows */
};

struct nsl_func {
	uint32_t name;			/* "mem_get_stats" */
	uint32_t section;		/* ".text.mem_get_stats" */
	uint32_t type;			/* canonical signature; "" if untyped */
	uint32_t decl;			/* as declared */
	uint32_t flags;			/* NSL_* */
	uint32_t first_ref;		/* the types its parameters and return type */
	uint32_t nrefs;			/* name: [first_ref, + nrefs) of refs */
	uint32_t reserved;		/* 0 */
};

struct nsl_member {
	uint32_t path;			/* "" (the root), "frames_used", "table[].next" */
	uint32_t type;			/* canonical; compared */
	uint32_t decl;			/* as declared; shown, not compared */
	uint32_t bit_offset;		/* 0-7 within the byte at offset; 0 unless a bit-field */
	uint64_t offset;		/* from the start of the variable (or type) */
	uint64_t size;			/* bytes (a bit-field: its declared type's) */
	uint32_t bit_size;		/* 0 unless a bit-field */
	uint32_t reserved;		/* 0 */
	uint32_t first_ref;		/* the types its type names unexpanded: */
	uint32_t nrefs;			/* [first_ref, + nrefs) of refs */
};

_Static_assert(sizeof(struct nsl_header) == 40, "nsl_header is 40 bytes");
_Static_assert(sizeof(struct nsl_symbol) == 48, "nsl_symbol is 48 bytes");
_Static_assert(sizeof(struct nsl_type) == 32, "nsl_type is 32 bytes");
_Static_assert(sizeof(struct nsl_func) == 32, "nsl_func is 32 bytes");
_Static_assert(sizeof(struct nsl_member) == 48, "nsl_member is 48 bytes");

/* A blob nsl_parse accepted: every index and string offset in it is valid. */
struct nsl_view {
	const struct nsl_header *h;
	const struct nsl_symbol *syms;
	const struct nsl_type *types;
	const struct nsl_func *funcs;
	const struct nsl_member *members;
	const uint32_t *refs;
	const char *strs;
	uint32_t nsymbols, ntypes, nfuncs, nmembers, nrefs;
};

static inline const char *nsl_str(const struct nsl_view *v, uint32_t off)
{
	return v->strs + off;
}

/*
 * FNV-1a over what nsl_same compares: the owner's offset and size (a
 * symbol's, or 0 and a type's size) and its rows' canonical fields (path,
 * type, offset, size, bit_offset, bit_size; not decl, nor the refs, nor the
 * names by which the owner is found). Equal hashes mean the rows compare the
 * same (barring a collision); the converse fails only for rows in another
 * order. The tool and the kernel compute it the same way; the rows must be
 * in v and their strings valid.
 */
uint64_t nsl_hash_rows(const struct nsl_view *v, uint64_t offset, uint64_t size,
		       uint32_t first_member, uint32_t nmembers);

static inline uint64_t nsl_hash_symbol(const struct nsl_view *v, const struct nsl_symbol *s)
{
	return nsl_hash_rows(v, s->offset, s->size, s->first_member, s->nmembers);
}

static inline uint64_t nsl_hash_type(const struct nsl_view *v, const struct nsl_type *t)
{
	return nsl_hash_rows(v, 0, t->size, t->first_member, t->nmembers);
}

/*
 * Where the trailing array bounds of a canonical type string start: 3 for
 * "int[4][8]", 19 for "pointer to (int[4])[8]"; strlen(t) if it has none.
 */
size_t nsl_type_bounds(const char *t);

/*
 * Check a blob and describe it in *v: the magic, the bounds above, that the
 * tables and string table fill `size` exactly, that every string offset is in
 * range, that the symbols' and then the types' row ranges tile the member
 * table in order, that each typed symbol or defined type starts with its
 * root row (path "", offset 0; no larger than the symbol: a static flexible
 * array member can make the symbol larger than its type; a type's own size),
 * that each row lies within its owner, every hash, that the rows' and then
 * the functions' refs tile the ref table and each names a type, that an
 * opaque type has no rows and the functions are sorted by name. `blob` must
 * be 8-byte aligned. Returns E_SWAP_BAD_LAYOUT with the reason in why[n]
 * (nothing is logged).
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
/* The global function called `name` (a binary search), or NULL. */
const struct nsl_func *nsl_find_func(const struct nsl_view *v, const char *name);

/* ---- comparing (nano_core_swap/layout_cmp.c) ---------------------------- */

/*
 * Is symbol b of the new object's blob laid out as symbol a of the running
 * kernel's, in its own rows (not the types they reach)? Compares the root
 * type, the size, the offset in the section, then each member by path. If
 * not, writes the first difference to why[n], e.g. "mem_counters: member
 * frames_reserved at offset 8 in the running kernel, 16 in memory_v2"
 * (new_name names the new object). Two untyped symbols are the same if their
 * sizes are.
 */
bool nsl_same(const struct nsl_view *old, const struct nsl_symbol *a,
	      const struct nsl_view *new, const struct nsl_symbol *b,
	      const char *new_name, char *why, size_t n);

/*
 * A walk over the types two descriptions reach. Each type of the running
 * kernel's description (old) is paired with the new one's through the rows
 * that reach it (the same symbol or type, the same path, the same ref),
 * breadth first, so that a difference is named by its shortest path; each
 * pair is compared once, cycles included, and a type once found the same
 * with all it reaches is not walked again. A type of old reached as two
 * different types of new counts as a difference. The memory is the
 * caller's: nsl_walk_size(old) bytes, 8-aligned, for one comparison of old
 * with new (nsl_same_data, then any number of nsl_same_interface).
 */
struct nsl_walk {
	const struct nsl_view *old, *new;
	const char *new_name;
	uint32_t *partner;	/* [old->ntypes] the new type paired with; NSL_NONE */
	uint32_t *state;	/* [old->ntypes] NSL_WALK_* (layout_cmp.c) */
	uint32_t *stamp;	/* [old->ntypes] the step that queued it */
	uint32_t *via_owner;	/* [old->ntypes] the type whose row reached it; NSL_NONE: the seed */
	uint32_t *via_row;	/* [old->ntypes] that row (an index into old's members) */
	uint32_t *queue;	/* [old->ntypes] this step's types, in the order queued */
	uint32_t step, tail;
	const char *seed;	/* this step's symbol (NULL: a function) */
};

#define NSL_WALK_ARRAYS	6	/* partner, state, stamp, via_owner, via_row, queue */

static inline size_t nsl_walk_size(const struct nsl_view *old)
{
	return (size_t)old->ntypes * NSL_WALK_ARRAYS * sizeof(uint32_t);
}

void nsl_walk_init(struct nsl_walk *w, void *scratch, const struct nsl_view *old,
		   const struct nsl_view *new, const char *new_name);

/*
 * The data: every symbol of old against new's of that name and section
 * (nsl_same), new's without a counterpart, then the types each symbol's rows
 * reach. False with the first difference in why[n]: a symbol's own, as
 * nsl_same says it; one only in one of them ("p.0: in the running kernel, not
 * in memory_v2"); or a type reached, with its path: "free_list -> struct
 * block: member magic at offset 8 in the running kernel, 16 in heap_fields"
 * ("table.ents[].next -> struct node.owner -> struct owner: ..." further in).
 */
bool nsl_same_data(struct nsl_walk *w, char *why, size_t n);

/*
 * Global function fa of old against new's of that name: its signature, then
 * the types its parameters and return type reach. False with the first
 * difference: "type function(int) returning void in the running kernel,
 * function(long) returning void in memory_v2", or "struct mem_stats: member
 * frames_used at offset 16 in the running kernel, 24 in memory_param". True
 * if new has no such function (whether anything still calls it is the
 * redirect's to check).
 */
bool nsl_same_interface(struct nsl_walk *w, const struct nsl_func *fa, char *why, size_t n);

#endif
