/*
 * Reading the nano_core's self-description (include/nano_core_swap/desc.h).
 * It comes from our own build, but it is input all the same: every count,
 * index, offset and string is checked here once, so the rest of
 * nano_core_swap/ can index it freely.
 */
#include <console/console.h>
#include <lib/string.h>
#include <lib/util.h>
#include <loader/elf.h>	/* STB_*, STT_* (a leaf header) */
#include "swap_internal.h"

#define NCD_MAX_COUNT	(1u << 24)

/* Every refusal: one message that starts so, then E_SWAP_BAD_DESC. */
#define NCD_BAD "swap: nano_core description: "

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
	v->layouts = p + off;
	off += h->layouts_size;
	return off <= size;
}

/* Do the n bytes at string table offsets a and b agree? A word at a time,
 * the last one masked where the table has 8 bytes from there. */
static bool ncd_bytes_equal(const struct ncd_view *v, uint32_t a, uint32_t b, uint32_t n)
{
	const char *s = v->strs;
	uint64_t x, y, size = v->h->strtab_size;

	for (; n >= 8; a += 8, b += 8, n -= 8) {
		__builtin_memcpy(&x, s + a, 8);
		__builtin_memcpy(&y, s + b, 8);
		if (x != y)
			return false;
	}
	if (n == 0)
		return true;
	if ((uint64_t)a + 8 > size || (uint64_t)b + 8 > size)
		return memcmp(s + a, s + b, n) == 0;
	__builtin_memcpy(&x, s + a, 8);
	__builtin_memcpy(&y, s + b, 8);
	return ((x ^ y) & ((1ull << 8 * n) - 1)) == 0;
}

/* Is the section's full name its module's name (n bytes), ':' and its name? */
static bool ncd_full_name_ok(const struct ncd_view *v, const struct ncd_section *s,
			     const struct ncd_module *m, uint32_t n)
{
	return s->full_name < s->name && s->name - s->full_name == n + 1 &&
	       v->strs[s->full_name + n] == ':' && ncd_bytes_equal(v, s->full_name, m->name, n);
}

/* Module mi's sections, [first, first + n): each names it and has a kind and
 * an address range, its full name is the module's name, ':' and its own, and
 * its records follow the previous section's (*next_reloc). */
static enum err ncd_check_module_sections(const struct ncd_view *v, uint32_t mi,
					  uint32_t *next_reloc)
{
	const struct ncd_header *h = v->h;
	const struct ncd_module *m = &v->mods[mi];
	uint32_t len = strlen(ncd_str(v, m->name)), ndata = 0;

	for (uint32_t i = m->first_section; i < m->first_section + m->nsections; i++) {
		const struct ncd_section *s = &v->secs[i];

		ndata += s->kind == NCD_DATA;

		if ((s->module != mi) | (s->name >= h->strtab_size) | (s->kind > NCD_DATA) |
		    (s->addr + s->size < s->addr)) {
			pr_err(NCD_BAD "section %u: module %u (in %u's run), name at %u of %u, "
			       "kind %u, [%lx, +%lx)\n", i, s->module, mi, s->name, h->strtab_size,
			       s->kind, s->addr, s->size);
			return E_SWAP_BAD_DESC;
		}
		if (s->align & (s->align - 1)) {
			pr_err(NCD_BAD "section %u (%s): alignment 0x%lx is not a power of two\n",
			       i, ncd_str(v, s->name), s->align);
			return E_SWAP_BAD_DESC;
		}
		if (!ncd_full_name_ok(v, s, m, len)) {
			pr_err(NCD_BAD "section %u (%s): its full name is not \"%s:%s\"\n", i,
			       ncd_str(v, s->name), ncd_str(v, m->name), ncd_str(v, s->name));
			return E_SWAP_BAD_DESC;
		}
		if (s->first_reloc != *next_reloc || s->nrelocs > h->nrelocs - *next_reloc) {
			pr_err(NCD_BAD "section %u (%s): records [%u, +%u) do not follow the "
			       "previous ones (%u)\n", i, ncd_str(v, s->name), s->first_reloc,
			       s->nrelocs, *next_reloc);
			return E_SWAP_BAD_DESC;
		}
		*next_reloc += s->nrelocs;
	}
	if (ndata != m->ndata_sections) {
		pr_err(NCD_BAD "module %u (%s) says %u data sections, it has %u\n", mi,
		       ncd_str(v, m->name),
		       m->ndata_sections, ndata);
		return E_SWAP_BAD_DESC;
	}
	return E_OK;
}

/* The modules' runs of sections tile the section table in order, and the
 * sections' runs of records the record table. */
static enum err ncd_check_sections(const struct ncd_view *v)
{
	const struct ncd_header *h = v->h;
	uint32_t next_section = 0, next_reloc = 0;

	for (uint32_t i = 0; i < h->nmodules; i++) {
		const struct ncd_module *m = &v->mods[i];

		if (m->name >= h->strtab_size || m->first_section != next_section ||
		    m->nsections > h->nsections - next_section) {
			pr_err(NCD_BAD "module %u is out of range: sections [%u, +%u) after %u of "
			       "%u\n", i,
			       m->first_section, m->nsections, next_section, h->nsections);
			return E_SWAP_BAD_DESC;
		}
		if (m->layout % 8 || m->layout_size % 8 ||
		    (uint64_t)m->layout + m->layout_size > h->layouts_size) {
			pr_err(NCD_BAD "module %u: layout blob [%u, +%u) is not 8-aligned in "
			       "the %u bytes\n", i,
			       m->layout, m->layout_size, h->layouts_size);
			return E_SWAP_BAD_DESC;
		}
		next_section += m->nsections;
		if (ncd_check_module_sections(v, i, &next_reloc) != E_OK)
			return E_SWAP_BAD_DESC;
	}
	if (next_section != h->nsections) {
		pr_err(NCD_BAD "the modules' sections add up to %u, not %u\n", next_section,
		       h->nsections);
		return E_SWAP_BAD_DESC;
	}
	if (next_reloc != h->nrelocs) {
		pr_err(NCD_BAD "the sections' records add up to %u, not %u\n", next_reloc,
		       h->nrelocs);
		return E_SWAP_BAD_DESC;
	}
	return E_OK;
}

/* A symbol's binding and type are ones a crate lists: local, global or
 * weak; untyped, object or function (one test per symbol: the parse is
 * part of every swap). */
#define NCD_BINDS ((1ull << STB_LOCAL) | (1ull << STB_GLOBAL) | (1ull << STB_WEAK))
#define NCD_TYPES ((1ull << STT_NOTYPE) | (1ull << STT_OBJECT) | (1ull << STT_FUNC))
static inline bool ncd_symbol_kind_ok(const struct ncd_symbol *y)
{
	return (y->bind | y->type) < 64 && ((NCD_BINDS >> y->bind) & (NCD_TYPES >> y->type) & 1);
}

/* Say which of symbol i's binding and type is wrong. */
static enum err ncd_bad_symbol_kind(const struct ncd_view *v, uint32_t i)
{
	const struct ncd_symbol *y = &v->syms[i];
	const char *name = y->name < v->h->strtab_size ? ncd_str(v, y->name) : "?";

	if (!((NCD_BINDS >> (y->bind & 63)) & 1) || y->bind >= 64)
		pr_err(NCD_BAD "symbol %u (%s): binding %u is not local, global or weak\n", i,
		       name, y->bind);
	else
		pr_err(NCD_BAD "symbol %u (%s): type %u is not untyped, object or function\n",
		       i, name, y->type);
	return E_SWAP_BAD_DESC;
}

/* The symbols: each module's run (those of its data first, then those of
 * its code) in module order, then the linker script's, in no section. */
static enum err ncd_check_symbols(const struct ncd_view *v)
{
	const struct ncd_header *h = v->h;
	uint32_t next = 0;

	for (uint32_t m = 0; m < h->nmodules; m++) {
		const struct ncd_module *mod = &v->mods[m];

		if (mod->first_symbol != next || mod->nsymbols > h->nsymbols - next ||
		    mod->ndata_symbols > mod->nsymbols) {
			pr_err(NCD_BAD "module %u: symbols [%u, +%u) (%u of data) after %u of %u\n",
			       m, mod->first_symbol, mod->nsymbols, mod->ndata_symbols, next,
			       h->nsymbols);
			return E_SWAP_BAD_DESC;
		}
		for (uint32_t i = next; i < next + mod->nsymbols; i++) {
			const struct ncd_symbol *y = &v->syms[i];
			bool data = i < next + mod->ndata_symbols;

			if (!ncd_symbol_kind_ok(y))
				return ncd_bad_symbol_kind(v, i);
			if ((y->name >= h->strtab_size) | (y->section >= h->nsections) ||
			    v->secs[y->section].module != m ||
			    (v->secs[y->section].kind == NCD_DATA) != data) {
				pr_err(NCD_BAD "symbol %u: name at %u, section %u: out of range, "
				       "or not in module %u's %s\n", i, y->name, y->section, m,
				       data ? "data" : "code");
				return E_SWAP_BAD_DESC;
			}
		}
		next += mod->nsymbols;
	}
	for (uint32_t i = next; i < h->nsymbols; i++) {
		if (v->syms[i].name >= h->strtab_size || v->syms[i].section != NCD_NONE) {
			pr_err(NCD_BAD "symbol %u: name at %u, section %u: out of range, or a "
			       "module's after the linker's\n", i, v->syms[i].name,
			       v->syms[i].section);
			return E_SWAP_BAD_DESC;
		}
		if (!ncd_symbol_kind_ok(&v->syms[i]))
			return ncd_bad_symbol_kind(v, i);
	}
	return E_OK;
}

static enum err ncd_check_tables(const struct ncd_view *v)
{
	if (ncd_check_sections(v) != E_OK)
		return E_SWAP_BAD_DESC;
	return ncd_check_symbols(v);
}

enum err ncd_check_relocs(const struct ncd_view *v, uint32_t section)
{
	const struct ncd_section *s = &v->secs[section];
	const struct ncd_reloc *r = v->relocs + s->first_reloc;
	uint32_t nsections = v->h->nsections;

	for (uint32_t i = 0; i < s->nrelocs; i++, r++) /* (NCD_NONE + 1 wraps to 0) */
		if ((r->source != section) | (r->offset >= s->size) | (r->target + 1 > nsections)) {
			pr_err(NCD_BAD "relocation %u (of %s): source %u, offset 0x%lx of 0x%lx, "
			       "target %u\n",
			       s->first_reloc + i, ncd_str(v, s->full_name), r->source, r->offset,
			       s->size, r->target);
			return E_SWAP_BAD_DESC;
		}
	return E_OK;
}

enum err ncd_parse(const void *data, size_t size, struct ncd_view *v)
{
	const struct ncd_header *h = data;

	if (size < sizeof(*h) || memcmp(h->magic, NCD_MAGIC, 8) != 0) {
		pr_err(NCD_BAD "bad size (%zu) or magic\n", size);
		return E_SWAP_BAD_DESC;
	}
	if (h->nmodules > NCD_MAX_COUNT || h->nsections > NCD_MAX_COUNT ||
	    h->nsymbols > NCD_MAX_COUNT || h->nrelocs > NCD_MAX_COUNT) {
		pr_err(NCD_BAD "a count exceeds NCD_MAX_COUNT (%u)\n", NCD_MAX_COUNT);
		return E_SWAP_BAD_DESC;
	}
	v->h = h;
	if (!ncd_layout(data, size, v)) {
		pr_err(NCD_BAD "tables run past the end (%zu bytes)\n", size);
		return E_SWAP_BAD_DESC;
	}
	if (h->strtab_size == 0 || v->strs[h->strtab_size - 1] != '\0') {
		pr_err(NCD_BAD "string table is not NUL-terminated\n");
		return E_SWAP_BAD_DESC;
	}
	return ncd_check_tables(v);
}

uint32_t ncd_find_module(const struct ncd_view *v, const char *name)
{
	for (uint32_t i = 0; i < v->h->nmodules; i++)
		if (strcmp(ncd_str(v, v->mods[i].name), name) == 0)
			return i;
	return NCD_NONE;
}

void ncd_text_range(const struct ncd_view *v, uint32_t m, uint64_t *start, uint64_t *end)
{
	const struct ncd_module *mod = &v->mods[m];

	*start = ~0UL, *end = 0;
	for (uint32_t i = mod->first_section; i < mod->first_section + mod->nsections; i++) {
		const struct ncd_section *s = &v->secs[i];

		if (s->kind == NCD_TEXT && s->size) {
			*start = MIN(*start, s->addr);
			*end = MAX(*end, s->addr + s->size);
		}
	}
}
