/*
 * Reading the nano_core's self-description (include/nano_core_swap/desc.h).
 * It comes from our own build, but it is input all the same: every count,
 * index, offset and string is checked here once, so the rest of
 * nano_core_swap/ can index it freely.
 */
#include <console/console.h>
#include <lib/string.h>
#include "swap_internal.h"

#define NCD_MAX_COUNT	(1u << 24)

#define BAD(...) do { pr_err("swap: nano_core description: " __VA_ARGS__); \
		      return E_SWAP_BAD_DESC; } while (0)

/* Lay the tables out after the header; false if they do not fit in size. */
static bool ncd_layout(const uint8_t *p, size_t size, struct ncd_view *v)
{
	const struct ncd_header *h = v->h;
	uint64_t off = sizeof(*h);

	v->mods = (const void *)(p + off);
	off += (uint64_t)h->nmodules * sizeof(struct ncd_module);
	v->secs = (const void *)(p + off);
	off += (uint64_t)h->nsections * sizeof(struct ncd_section);
	v->syms = (const void *)(p + off);
	off += (uint64_t)h->nsymbols * sizeof(struct ncd_symbol);
	v->relocs = (const void *)(p + off);
	off += (uint64_t)h->nrelocs * sizeof(struct ncd_reloc);
	v->strs = (const char *)(p + off);
	off += h->strtab_size;
	return off <= size;
}

/* Is the section's full name its module's name, ':' and its name? */
static bool ncd_full_name_ok(const struct ncd_view *v, const struct ncd_section *s)
{
	const char *full = v->strs + s->full_name, *module = ncd_str(v, v->mods[s->module].name);
	uint32_t n = s->name - s->full_name - 1; /* the module name's length, if right */

	return s->full_name < s->name && strncmp(full, module, n) == 0 && module[n] == '\0' &&
	       full[n] == ':';
}

static enum err ncd_check_tables(const struct ncd_view *v)
{
	const struct ncd_header *h = v->h;

	for (uint32_t i = 0; i < h->nmodules; i++)
		if (v->mods[i].name >= h->strtab_size || v->mods[i].first_section > h->nsections ||
		    v->mods[i].nsections > h->nsections - v->mods[i].first_section)
			BAD("module %u is out of range\n", i);
	for (uint32_t i = 0; i < h->nsections; i++) {
		const struct ncd_section *s = &v->secs[i];
		const struct ncd_module *m = &v->mods[s->module < h->nmodules ? s->module : 0];
		if (s->name >= h->strtab_size || s->module >= h->nmodules || s->kind > NCD_DATA ||
		    s->addr + s->size < s->addr || i < m->first_section ||
		    i >= m->first_section + m->nsections)
			BAD("section %u is out of range\n", i);
		if (!ncd_full_name_ok(v, s))
			BAD("section %u (%s): its full name is not \"%s:%s\"\n", i, ncd_str(v, s->name),
			    ncd_str(v, m->name), ncd_str(v, s->name));
	}
	for (uint32_t i = 0; i < h->nsymbols; i++)
		if (v->syms[i].name >= h->strtab_size ||
		    (v->syms[i].section != NCD_NONE && v->syms[i].section >= h->nsections))
			BAD("symbol %u is out of range\n", i);
	/* the records come grouped by source: its size is looked up per run */
	uint32_t source = NCD_NONE;
	uint64_t size = 0;

	for (uint32_t i = 0; i < h->nrelocs; i++) {
		const struct ncd_reloc *r = &v->relocs[i];
		if (r->source != source) {
			if (r->source >= h->nsections)
				BAD("relocation %u is out of range\n", i);
			source = r->source;
			size = v->secs[source].size;
		}
		if (r->offset >= size || (r->target != NCD_NONE && r->target >= h->nsections))
			BAD("relocation %u is out of range\n", i);
	}
	return E_OK;
}

enum err ncd_parse(const void *data, size_t size, struct ncd_view *v)
{
	const struct ncd_header *h = data;

	if (size < sizeof(*h) || memcmp(h->magic, NCD_MAGIC, 8) != 0)
		BAD("bad size (%zu) or magic\n", size);
	if (h->nmodules > NCD_MAX_COUNT || h->nsections > NCD_MAX_COUNT ||
	    h->nsymbols > NCD_MAX_COUNT || h->nrelocs > NCD_MAX_COUNT)
		BAD("a count exceeds NCD_MAX_COUNT (%u)\n", NCD_MAX_COUNT);
	v->h = h;
	if (!ncd_layout(data, size, v))
		BAD("tables run past the end (%zu bytes)\n", size);
	if (h->strtab_size == 0 || v->strs[h->strtab_size - 1] != '\0')
		BAD("string table is not NUL-terminated\n");
	return ncd_check_tables(v);
}

uint32_t ncd_find_module(const struct ncd_view *v, const char *name)
{
	for (uint32_t i = 0; i < v->h->nmodules; i++)
		if (strcmp(ncd_str(v, v->mods[i].name), name) == 0)
			return i;
	return NCD_NONE;
}
