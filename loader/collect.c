/*
 * Collections: what a linker script's `__start = .; KEEP(*(SORT_BY_NAME(
 * .prefix.*))) __end = .;` does, for a loaded crate. The sections whose names
 * start with a collection's prefix are laid out first in their region, one
 * after the other in name order, and the crate defines the collection's
 * start and end symbols around them, so code that walks such a table (the
 * in-kernel tests) finds its own copy's entries after a swap.
 */
#include "internal.h"

static bool ld_has_prefix(const char *name, const char *prefix)
{
	while (*prefix)
		if (*name++ != *prefix++)
			return false;
	return true;
}

/* A prefix's first (up to) 8 bytes, and the mask of those bytes, as the
 * little-endian word a name's first 8 bytes load as. */
static void ld_collect_head(const char *prefix, uint64_t *head, uint64_t *mask)
{
	*head = *mask = 0;
	for (unsigned i = 0; i < 8 && prefix[i]; i++) {
		*head |= (uint64_t)(uint8_t)prefix[i] << 8 * i;
		*mask |= 0xffull << 8 * i;
	}
}

/* The first 8 bytes of section i's name, as a word (bytes past the section
 * name table's end read as 0; past the name's NUL, whatever follows it, which
 * a prefix's mask leaves out). */
static uint64_t ld_collect_name_head(const struct elf_file *f, uint32_t i, const char *name)
{
	uint64_t w = 0;

	if (f->sh[i].sh_name + 8 <= f->shstr_size) {
		ld_memcpy(&w, name, 8);
		return w;
	}
	for (unsigned k = 0; f->sh[i].sh_name + k < f->shstr_size && k < 8; k++)
		w |= (uint64_t)(uint8_t)name[k] << 8 * k;
	return w;
}

struct ld_name_order {
	const struct ld_build *b;
	size_t skip;         /* the collection's prefix, which every name starts with */
	const uint64_t *key; /* per section index: its first bytes past the prefix */
};

/* The first 8 bytes of name (fewer before its NUL) as a big-endian number:
 * two keys compare as the bytes do, and equal keys leave the rest to strcmp. */
static uint64_t ld_name_prefix_key(const char *name)
{
	uint64_t k = 0;
	unsigned i = 0;

	for (; i < 8 && name[i]; i++)
		k = k << 8 | (uint8_t)name[i];
	for (; i < 8; i++) /* shorter: zeros sort first, as the NUL does */
		k <<= 8;
	return k;
}

/* Section x's name sorts before section y's. */
static bool ld_name_less(const void *ctx, uint32_t x, uint32_t y)
{
	const struct ld_name_order *o = ctx;

	if (o->key[x] != o->key[y])
		return o->key[x] < o->key[y];
	return ld_strcmp(elf_section_name(&o->b->f, x) + o->skip,
			 elf_section_name(&o->b->f, y) + o->skip) < 0;
}

/* Place collection k's sections (indexes in idx[0..n)), in name order (key:
 * room for a sort key per section index). */
static enum err ld_collect_place(struct ld_build *b, unsigned k, uint32_t *idx, size_t n,
				 uint64_t *key)
{
	struct ld_crate *c = b->crate;
	enum ld_kind kind = ld_kind_of(&b->f.sh[idx[0]]);
	enum err e;

	struct ld_name_order order = { b, ld_strlen(b->opts->collections[k].prefix), key };

	for (size_t i = 0; i < n; i++)
		key[idx[i]] = ld_name_prefix_key(elf_section_name(&b->f, idx[i]) + order.skip);
	ld_sort_u32(idx, n, ld_name_less, &order);
	for (size_t i = 0; i < n; i++) {
		if (ld_kind_of(&b->f.sh[idx[i]]) != kind) {
			LD_LOG(b->svc, "%s: sections %s and %s of collection '%s' are of different "
			       "kinds (text, rodata, data)", c->name, elf_section_name(&b->f, idx[0]),
			       elf_section_name(&b->f, idx[i]), b->opts->collections[k].prefix);
			return E_LD_BAD_COLLECTION;
		}
		b->secmap[idx[i]] = &c->sections[c->nsections++];
		e = ld_plan_section(b, idx[i], b->secmap[idx[i]]);
		if (e != E_OK)
			return e;
		if (b->secmap[idx[i]]->bound) {
			LD_LOG(b->svc, "%s: section %s of collection '%s' is bound to another "
			       "crate's: a collection is laid out fresh", c->name,
			       b->secmap[idx[i]]->name, b->opts->collections[k].prefix);
			return E_LD_BAD_COLLECTION;
		}
	}
	b->coll_first[k] = b->secmap[idx[0]];
	b->coll_last[k] = b->secmap[idx[n - 1]];
	return E_OK;
}

enum err ld_collect_plan(struct ld_build *b)
{
	const struct ld_load_opts *o = b->opts;
	uint32_t *match, *idx, nmatch = 0;
	uint64_t *key;
	enum err e = E_OK;

	if (!o || !o->ncollections)
		return E_OK;
	if (o->ncollections > LD_MAX_COLLECTIONS) {
		LD_LOG(b->svc, "%s: %lu collections exceed LD_MAX_COLLECTIONS (%d)", b->crate->name,
		       (unsigned long)o->ncollections, LD_MAX_COLLECTIONS);
		return E_LIMIT;
	}
	/* per section index: a sort key; then two index lists */
	key = ld_alloc_raw(b->svc, b->f.shnum * (sizeof(*key) + 2 * sizeof(*match)));
	if (!key) {
		LD_LOG(b->svc, "%s: out of heap to sort %u sections", b->crate->name, b->f.shnum);
		return E_NO_HEAP;
	}
	match = (uint32_t *)(key + b->f.shnum);
	idx = match + b->f.shnum;
	/* one pass over the sections: each member's index, with its collection
	 * in the high half (validation keeps e_shnum below 0xff00); a name is
	 * compared with the prefixes' first words before byte by byte */
	uint64_t head[LD_MAX_COLLECTIONS], mask[LD_MAX_COLLECTIONS];

	for (uint32_t k = 0; k < o->ncollections; k++)
		ld_collect_head(o->collections[k].prefix, &head[k], &mask[k]);
	for (uint32_t i = 1; i < b->f.shnum; i++) {
		const char *name;
		uint64_t w;

		if (!elf_section_is_loaded(&b->f.sh[i]) || b->secmap[i])
			continue;
		name = b->f.shstr + b->f.sh[i].sh_name; /* (validated: in the table) */
		w = ld_collect_name_head(&b->f, i, name);
		for (uint32_t k = 0; k < o->ncollections; k++)
			if ((w & mask[k]) == head[k] && ld_has_prefix(name, o->collections[k].prefix)) {
				match[nmatch++] = i | k << 16;
				break;
			}
	}
	for (uint32_t k = 0; k < o->ncollections && e == E_OK; k++) {
		size_t n = 0;

		for (uint32_t j = 0; j < nmatch; j++)
			if (match[j] >> 16 == k)
				idx[n++] = match[j] & 0xffff;
		if (n)
			e = ld_collect_place(b, k, idx, n, key);
	}
	b->svc->heap_free(b->svc->ctx, key);
	return e;
}

/* How many symbols the collections define (two each that has sections). */
size_t ld_collect_nsymbols(const struct ld_build *b)
{
	size_t n = 0;

	for (unsigned k = 0; b->opts && k < b->opts->ncollections; k++)
		n += b->coll_first[k] ? 2 : 0;
	return n;
}

/* Copy `name` to the crate's own buffer at *at (the caller's string may not
 * outlive the crate: a swap's lives in the code it retires). */
static const char *ld_collect_name(struct ld_crate *c, size_t *at, const char *name)
{
	size_t n = ld_strlen(name) + 1;
	char *dst = c->coll_names + *at;

	ld_memcpy(dst, name, n);
	*at += n;
	return dst;
}

static void ld_collect_symbol(struct ld_build *b, struct ld_symbol *s, const char *name,
			      uint64_t addr, const struct ld_section *sec)
{
	struct ld_name k;

	ld_name_key(b->ns, name, NULL, &k);
	*s = (struct ld_symbol){ .name = name, .addr = addr, .crate = b->crate,
				 .section = sec, .bind = STB_GLOBAL, .type = STT_NOTYPE,
				 .hash = k.hash, .name_len = k.len };
}

/* Append the start and end symbols of each collection to the crate's, their
 * names copied into one buffer the crate owns. */
enum err ld_collect_define(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	size_t bytes = 0, at = 0;

	for (unsigned k = 0; b->opts && k < b->opts->ncollections; k++)
		if (b->coll_first[k])
			bytes += ld_strlen(b->opts->collections[k].start) +
				 ld_strlen(b->opts->collections[k].end) + 2;
	if (!bytes)
		return E_OK;
	c->coll_names = ld_alloc_raw(b->svc, bytes);
	if (!c->coll_names) {
		LD_LOG(b->svc, "%s: out of heap for collection names", c->name);
		return E_NO_HEAP;
	}
	for (unsigned k = 0; b->opts && k < b->opts->ncollections; k++) {
		const struct ld_section *first = b->coll_first[k], *last = b->coll_last[k];

		if (!first)
			continue;
		ld_collect_symbol(b, &c->symbols[c->nsymbols++],
				  ld_collect_name(c, &at, b->opts->collections[k].start),
				  first->addr, first);
		ld_collect_symbol(b, &c->symbols[c->nsymbols++],
				  ld_collect_name(c, &at, b->opts->collections[k].end),
				  last->addr + last->size, last);
	}
	return E_OK;
}
