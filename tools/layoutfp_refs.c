/*
 * layoutfp: the types a description reaches. A row whose type names a
 * struct, union or enum without expanding it (behind a pointer, in a
 * function pointer's signature) refers to an entry of the type table, and
 * so does a global function's signature; each entry is flattened like a
 * variable, and its rows refer on, until no new type is reached (cycles end
 * because an entry is made once). include/nano_core_swap/layout.h says what
 * is one entry: a name and its rows (compilation units that define a struct
 * alike share one), a declaration taking the object's definition of its
 * name, an opaque entry for a type the object never defines.
 */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include <nano_core_swap/layout.h>
#include "layoutfp.h"

/* ---- maps -------------------------------------------------------------------- */

static uint64_t lf_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

/* The slot of (hash, key): key NULL compares hashes only (DIE offsets). */
static struct lf_map_slot *lf_map_slot(struct lf_map *m, uint64_t hash, const char *key)
{
	size_t mask = m->nslots - 1, i = hash & mask;

	while (m->slots[i].used &&
	       (m->slots[i].hash != hash || (key && strcmp(m->slots[i].key, key) != 0)))
		i = (i + 1) & mask;
	return &m->slots[i];
}

static void lf_map_put(struct lf_map *m, uint64_t hash, const char *key, size_t value)
{
	if (2 * (m->used + 1) > m->nslots) {
		struct lf_map old = *m;
		m->nslots = old.nslots ? 2 * old.nslots : 256;
		m->slots = lf_alloc(m->nslots * sizeof(*m->slots));
		m->used = 0;
		for (size_t i = 0; i < old.nslots; i++)
			if (old.slots[i].used)
				lf_map_put(m, old.slots[i].hash, old.slots[i].key, old.slots[i].value);
		free(old.slots);
	}
	struct lf_map_slot *s = lf_map_slot(m, hash, key);
	if (!s->used)
		m->used++;
	*s = (struct lf_map_slot){ hash, key, value, true };
}

/* The value of (hash, key); false if there is none. */
static bool lf_map_get(struct lf_map *m, uint64_t hash, const char *key, size_t *value)
{
	if (!m->nslots)
		return false;
	struct lf_map_slot *s = lf_map_slot(m, hash, key);
	if (s->used)
		*value = s->value;
	return s->used;
}

void lf_map_put_str(struct lf_map *m, const char *key, size_t value)
{
	lf_map_put(m, lf_hash_str(key), key, value);
}

bool lf_map_get_str(struct lf_map *m, const char *key, size_t *value)
{
	return lf_map_get(m, lf_hash_str(key), key, value);
}

static void lf_refs_push(struct lf_refs *r, size_t type)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		if (!(r->v = realloc(r->v, r->cap * sizeof(*r->v))))
			lf_die("out of memory");
	}
	r->v[r->n++] = (uint32_t)type;
}

/* ---- definitions ----------------------------------------------------------- */

static bool lf_is_tagged(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);

	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
	       tag == DW_TAG_enumeration_type;
}

void lf_note_definition(struct lf_desc *d, Dwarf_Die *die)
{
	size_t i;

	if (!lf_is_tagged(die) || !dwarf_diename(die) || dwarf_hasattr(die, DW_AT_declaration))
		return;
	char *name = lf_type_name(die, LF_SHALLOW);
	if (lf_map_get(&d->defs, lf_hash_str(name), name, &i)) {
		free(name);	/* the first definition of a name stands for it */
		return;
	}
	if (d->ndefs == d->defs_cap) {
		d->defs_cap = d->defs_cap ? 2 * d->defs_cap : 256;
		if (!(d->def_dies = realloc(d->def_dies, d->defs_cap * sizeof(*d->def_dies))))
			lf_die("out of memory");
	}
	d->def_dies[d->ndefs] = *die;
	lf_map_put(&d->defs, lf_hash_str(name), name, d->ndefs++);
}

/* ---- the type table ---------------------------------------------------------- */

static bool lf_same_rows(const struct lf_rows *a, const struct lf_rows *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct lf_row *x = &a->v[i], *y = &b->v[i];
		if (strcmp(x->path, y->path) || strcmp(x->type, y->type) || x->offset != y->offset ||
		    x->size != y->size || x->bit_offset != y->bit_offset || x->bit_size != y->bit_size)
			return false;
	}
	return true;
}

static size_t lf_add_type(struct lf_desc *d, char *name, uint32_t flags, struct lf_rows own)
{
	size_t first;

	if (d->ntypes == d->types_cap) {
		d->types_cap = d->types_cap ? 2 * d->types_cap : 64;
		d->types = realloc(d->types, d->types_cap * sizeof(*d->types));
		d->next_same = realloc(d->next_same, d->types_cap * sizeof(*d->next_same));
		if (!d->types || !d->next_same)
			lf_die("out of memory");
	}
	if (d->ntypes >= NSL_MAX_TYPES)
		lf_die("more than NSL_MAX_TYPES (%u) types", NSL_MAX_TYPES);
	d->types[d->ntypes] = (struct lf_type){ .name = name, .flags = flags, .own = own,
						.size = own.n ? own.v[0].size : 0 };
	d->next_same[d->ntypes] = SIZE_MAX;
	if (lf_map_get(&d->by_name, lf_hash_str(name), name, &first)) {
		while (d->next_same[first] != SIZE_MAX)
			first = d->next_same[first];
		d->next_same[first] = d->ntypes;
	} else {
		lf_map_put(&d->by_name, lf_hash_str(name), name, d->ntypes);
	}
	return d->ntypes++;
}

/* The entry of a type of this name and these rows (opaque: none); SIZE_MAX. */
static size_t lf_find_type(struct lf_desc *d, const char *name, uint32_t flags,
			   const struct lf_rows *own)
{
	size_t i;

	if (!lf_map_get(&d->by_name, lf_hash_str(name), name, &i))
		return SIZE_MAX;
	for (; i != SIZE_MAX; i = d->next_same[i])
		if (d->types[i].flags == flags && lf_same_rows(&d->types[i].own, own))
			return i;
	return SIZE_MAX;
}

/* The entry for struct/union/enum `die` (its definition, if it is a
 * declaration and the object has one), made if new. */
static size_t lf_type_entry(struct lf_desc *d, Dwarf_Die *die)
{
	Dwarf_Die def = *die;
	uint64_t key;
	size_t i;

	if (dwarf_hasattr(&def, DW_AT_declaration)) {
		char *name = lf_type_name(&def, LF_SHALLOW);
		if (!lf_map_get(&d->defs, lf_hash_str(name), name, &i)) {
			struct lf_rows none = { 0 };
			i = lf_find_type(d, name, NSL_TYPE_OPAQUE, &none);
			if (i != SIZE_MAX) {
				free(name);
				return i;
			}
			return lf_add_type(d, name, NSL_TYPE_OPAQUE, none);
		}
		free(name);
		def = d->def_dies[i];
	}
	key = dwarf_dieoffset(&def);
	if (lf_map_get(&d->by_die, key, NULL, &i))
		return i;
	struct lf_rows own = { .in_type = true };
	char *name = lf_type_name(&def, LF_SHALLOW);
	lf_flatten_variable(&own, &def);
	i = lf_find_type(d, name, 0, &own);
	if (i != SIZE_MAX) {
		lf_free_rows(&own);
		free(name);
	} else {
		i = lf_add_type(d, name, 0, own);
	}
	lf_map_put(&d->by_die, key, NULL, i);
	return i;
}

/* ---- refs ------------------------------------------------------------------- */

static void lf_refs_behind(struct lf_desc *d, struct lf_refs *out, Dwarf_Die *type, int depth);

/* type without its typedefs and qualifiers in *out; NULL if that is void
 * ("const void": a qualifier without a type, which dwarf_peel_type refuses). */
static Dwarf_Die *lf_peel(Dwarf_Die *type, Dwarf_Die *out)
{
	Dwarf_Die next;
	int tag;

	*out = *type;
	for (int depth = 0; (tag = dwarf_tag(out)) == DW_TAG_typedef || tag == DW_TAG_const_type ||
			    tag == DW_TAG_volatile_type || tag == DW_TAG_restrict_type ||
			    tag == DW_TAG_atomic_type; depth++) {
		if (depth > LF_MAX_DEPTH)
			lf_die("type at DIE %#llx nests deeper than LF_MAX_DEPTH (%d)",
			       (unsigned long long)dwarf_dieoffset(type), LF_MAX_DEPTH);
		if (!lf_type_of(out, &next))
			return NULL;
		*out = next;
	}
	return out;
}

/* Each parameter's refs, then the return type's (the order lf_type_name
 * names them in "function(...) returning ..."). */
static void lf_refs_function(struct lf_desc *d, struct lf_refs *out, Dwarf_Die *fn, int depth)
{
	Dwarf_Die p, t;

	if (dwarf_child(fn, &p) == 0)
		do {
			if (dwarf_tag(&p) == DW_TAG_formal_parameter)
				lf_refs_behind(d, out, lf_type_of(&p, &t), depth + 1);
		} while (dwarf_siblingof(&p, &p) == 0);
	lf_refs_behind(d, out, lf_type_of(fn, &t), depth + 1);
}

/* A type named but not expanded: a struct, union or enum is a ref. */
static void lf_refs_behind(struct lf_desc *d, struct lf_refs *out, Dwarf_Die *type, int depth)
{
	Dwarf_Die peeled, inner;

	if (depth > LF_MAX_DEPTH)
		lf_die("type at DIE %#llx nests deeper than LF_MAX_DEPTH (%d)",
		       (unsigned long long)dwarf_dieoffset(type), LF_MAX_DEPTH);
	if (!type || !lf_peel(type, &peeled))
		return;	/* void */
	switch (dwarf_tag(&peeled)) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_enumeration_type:
		lf_refs_push(out, lf_type_entry(d, &peeled));
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_array_type:
		lf_refs_behind(d, out, lf_type_of(&peeled, &inner), depth + 1);
		break;
	case DW_TAG_subroutine_type:
		lf_refs_function(d, out, &peeled, depth);
		break;
	}
}

/* A row's own type: structs, unions and arrays of them are its rows, an
 * enum's values its type string; what a pointer names is behind it, and so
 * is a type entry's flexible array member's element. */
static void lf_refs_inline(struct lf_desc *d, struct lf_refs *out, Dwarf_Die *type, bool in_type,
			   int depth)
{
	Dwarf_Die peeled, inner;

	if (!lf_peel(type, &peeled))
		return;
	switch (dwarf_tag(&peeled)) {
	case DW_TAG_array_type:
		if (in_type && lf_type_size(&peeled) == 0)	/* (see lf_rows.in_type) */
			lf_refs_behind(d, out, &peeled, depth + 1);
		else if (lf_type_of(&peeled, &inner))
			lf_refs_inline(d, out, &inner, in_type, depth + 1);
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_subroutine_type:
		lf_refs_behind(d, out, &peeled, depth + 1);
		break;
	}
}

void lf_row_refs(struct lf_desc *d, size_t i)
{
	Dwarf_Die die = d->rows.v[i].die;

	d->rows.v[i].first_ref = d->refs.n;
	lf_refs_inline(d, &d->refs, &die, d->rows.v[i].in_type, 0);
	d->rows.v[i].nrefs = d->refs.n - d->rows.v[i].first_ref;
}

void lf_func_refs(struct lf_desc *d, Dwarf_Die *fn)
{
	lf_refs_function(d, &d->func_refs, fn, 0);
}

void lf_types_finish(struct lf_desc *d)
{
	for (size_t t = 0; t < d->ntypes; t++) {	/* (ntypes grows as refs are found) */
		struct lf_rows own = d->types[t].own;
		d->types[t].first_row = d->rows.n;
		d->types[t].nrows = own.n;
		for (size_t j = 0; j < own.n; j++) {
			if (d->rows.n == d->rows.cap) {
				d->rows.cap = d->rows.cap ? 2 * d->rows.cap : 64;
				if (!(d->rows.v = realloc(d->rows.v, d->rows.cap * sizeof(*d->rows.v))))
					lf_die("out of memory");
			}
			d->rows.v[d->rows.n] = own.v[j];	/* (the strings move) */
			lf_row_refs(d, d->rows.n++);
		}
	}
}

void lf_desc_free(struct lf_desc *d)
{
	for (size_t t = 0; t < d->ntypes; t++) {
		free(d->types[t].name);
		free(d->types[t].own.v);	/* its strings went to d->rows */
	}
	for (size_t f = 0; f < d->nfuncs; f++) {
		free(d->funcs[f].type);
		free(d->funcs[f].decl);
	}
	for (size_t i = 0; i < d->defs.nslots; i++)
		if (d->defs.slots[i].used)
			free((char *)d->defs.slots[i].key);
	lf_free_rows(&d->rows);
	free(d->types), free(d->next_same), free(d->funcs), free(d->refs.v);
	free(d->func_refs.v), free(d->by_die.slots), free(d->by_name.slots), free(d->defs.slots);
	free(d->def_dies), free(d->syms);
}
