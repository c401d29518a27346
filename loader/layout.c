/*
 * Layout: where each allocated section of a new crate will run. Sections are
 * grouped by permission into three page-aligned regions of one reservation in
 * the module area (text RX, rodata R+NX with the loader's GOT, data+bss RW+NX),
 * each at its own alignment. Planning only computes offsets; mapping reserves
 * and maps frames whose contents are undefined; the copy writes every byte
 * once (PROGBITS copied, NOBITS, gaps and page tails zeroed); protection comes
 * last, after relocation. Sections bound to an existing section get no memory
 * of their own.
 */
#include "internal.h"

static const enum ld_prot ld_region_prot[LD_NREGIONS] = {
	[LD_KIND_TEXT] = LD_PROT_RX,
	[LD_KIND_RODATA] = LD_PROT_R,
	[LD_KIND_DATA] = LD_PROT_RW,
};

/* Place `sec` at the end of its region; sec->addr holds the region offset
 * until ld_layout_map adds the base. */
static enum err ld_place_section(struct ld_build *b, struct ld_section *sec)
{
	struct ld_crate *c = b->crate;
	uint64_t align = sec->align ? sec->align : 1;
	uint64_t off = ld_align_up(c->region_size[sec->kind], align);

	if (sec->size > LD_MAX_CRATE_SIZE || off + sec->size > LD_MAX_CRATE_SIZE) {
		LD_LOG(b->svc, "%s: section '%s' (%lu bytes) exceeds the loader's limit "
		       "LD_MAX_CRATE_SIZE (%lu bytes per crate)", c->name, sec->name,
		       (unsigned long)sec->size, (unsigned long)LD_MAX_CRATE_SIZE);
		return E_LD_TOO_LARGE;
	}
	sec->addr = off;
	c->region_size[sec->kind] = off + sec->size;
	return E_OK;
}

/* Ask the bind hook whether a data/bss section reuses an existing section. */
static enum err ld_bind_section(struct ld_build *b, struct ld_section *sec,
				bool *bound)
{
	const struct ld_section *old = NULL;
	enum err e;

	*bound = false;
	if (!b->opts || !b->opts->bind_section || sec->kind != LD_KIND_DATA)
		return E_OK;
	e = b->opts->bind_section(b->opts->ctx, sec->name, sec->size, sec->nobits, &old);
	if (e != E_OK || !old)
		return e;
	if (old->size != sec->size || old->kind != LD_KIND_DATA) {
		LD_LOG(b->svc, "%s: section '%s' (%lu bytes) cannot be bound to '%s' of "
		       "crate '%s' (%lu bytes): the layout changed", b->crate->name,
		       sec->name, (unsigned long)sec->size, old->name,
		       ld_crate_name(old->crate), (unsigned long)old->size);
		return E_LD_BAD_BINDING;
	}
	sec->addr = old->addr;
	sec->bound = true;
	sec->bound_to = old;
	*bound = true;
	return ld_deps_add_binding(b->crate, sec, old);
}

/* Describe ELF section `i` as crate section `sec` and place it. */
enum err ld_plan_section(struct ld_build *b, uint32_t i,
				struct ld_section *sec)
{
	const Elf64_Shdr *sh = &b->f.sh[i];
	bool bound;
	enum err e;

	/* written whole: the array is not zeroed first */
	*sec = (struct ld_section){
		.name = b->crate->shstrtab + sh->sh_name, .crate = b->crate, .elf_index = i,
		.kind = ld_kind_of(sh), .nobits = sh->sh_type == SHT_NOBITS, .size = sh->sh_size,
		.align = sh->sh_addralign ? sh->sh_addralign : 1,
	};
	e = ld_bind_section(b, sec, &bound);
	if (e != E_OK || bound)
		return e;
	return ld_place_section(b, sec);
}

/* Give each symbol referenced through a GOT-capable relocation a slot (only
 * when validation counted such relocations: kernel code has none). */
static enum err ld_plan_got(struct ld_build *b)
{
	const struct elf_file *f = &b->f;
	struct ld_crate *c = b->crate;
	uint32_t i;
	uint64_t k, n;

	if (!f->ngotrel)
		return E_OK;
	for (i = elf_next_applied_rela(f, 0); i; i = elf_next_applied_rela(f, i)) {
		const Elf64_Rela *r = elf_rela_entries(f, i, &n);

		for (k = 0; k < n; k++) {
			uint32_t sym = ELF64_R_SYM(r[k].r_info);

			if (sym < f->nsyms && arch_reloc_may_use_got(ELF64_R_TYPE(r[k].r_info)) &&
			    !b->got_slot[sym]) /* entries are checked as they are applied */
				b->got_slot[sym] = ++b->ngot;
		}
	}
	c->got_syms = ld_alloc_raw(b->svc, b->ngot * sizeof(*c->got_syms));
	c->got_relaxed = ld_alloc(b->svc, (f->nrelocs + 7) / 8);
	if (!c->got_syms || !c->got_relaxed) {
		LD_LOG(b->svc, "%s: out of heap for %u GOT slots", c->name, b->ngot);
		return E_NO_HEAP;
	}
	for (i = 0; i < f->nsyms; i++)
		if (b->got_slot[i])
			c->got_syms[b->got_slot[i] - 1] = i;
	return E_OK;
}

/* Compute every section's region offset and the three region sizes. */
enum err ld_layout_plan(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	size_t n = 0, total;
	uint32_t i, k;
	enum err e;

	b->secmap[0] = NULL;
	for (i = 1; i < b->f.shnum; i++) { /* (and each section's entry: none yet) */
		n += elf_section_is_loaded(&b->f.sh[i]);
		b->secmap[i] = NULL;
	}
	e = ld_plan_got(b);
	if (e != E_OK)
		return e;
	total = n + (b->ngot ? 1 : 0);
	/* each entry is written whole as it is planned: not zeroed */
	c->sections = ld_alloc_raw(b->svc, (total ? total : 1) * sizeof(*c->sections));
	if (!c->sections) {
		LD_LOG(b->svc, "%s: out of heap for %lu sections", c->name, (unsigned long)total);
		return E_NO_HEAP;
	}
	e = ld_collect_plan(b); /* collections first, each in name order */
	if (e != E_OK)
		return e;
	for (i = 1; i < b->f.shnum; i++) {
		if (!elf_section_is_loaded(&b->f.sh[i]) || b->secmap[i])
			continue;
		b->secmap[i] = &c->sections[c->nsections++];
		e = ld_plan_section(b, i, b->secmap[i]);
		if (e != E_OK)
			return e;
	}
	if (b->ngot) {
		b->got = &c->sections[c->nsections++];
		*b->got = (struct ld_section){ .name = ".got.loader", .crate = c,
					       .kind = LD_KIND_RODATA, .align = 8,
					       .size = 8ull * b->ngot };
		e = ld_place_section(b, b->got);
		if (e != E_OK)
			return e;
		c->got = b->got;
	}
	for (k = 0; k < LD_NREGIONS; k++) {
		c->region_off[k] = c->span;
		c->region_size[k] = ld_align_up(c->region_size[k], LD_PAGE_SIZE);
		c->span += c->region_size[k];
	}
	if (c->span > LD_MAX_CRATE_SIZE) {
		LD_LOG(b->svc, "%s: %lu bytes exceed LD_MAX_CRATE_SIZE (%lu)", c->name,
		       (unsigned long)c->span, (unsigned long)LD_MAX_CRATE_SIZE);
		return E_LD_TOO_LARGE;
	}
	return E_OK;
}

/* Reserve and map the crate's range; fix run addresses. */
enum err ld_layout_map(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	uint64_t span = c->span, base;
	size_t i;
	enum err e;

	if (span == 0)
		return E_OK; /* nothing of its own: all bound or empty */
	e = b->svc->vrange_reserve(b->svc->ctx, span, &base);
	if (e != E_OK) {
		LD_LOG(b->svc, "%s: cannot reserve %lu bytes in the module area", c->name,
		       (unsigned long)span);
		return e;
	}
	c->base = base;
	c->reserved = true;
	e = b->svc->vrange_map(b->svc->ctx, base, span);
	if (e != E_OK) {
		LD_LOG(b->svc, "%s: cannot map %lu bytes at %lx", c->name,
		       (unsigned long)span, (unsigned long)base);
		return e;
	}
	c->mapped = true;
	for (i = 0; i < c->nsections; i++)
		if (!c->sections[i].bound)
			c->sections[i].addr += base + c->region_off[c->sections[i].kind];
	return E_OK;
}

/* Write every byte of the fresh range once: each region's sections lie in
 * the sections array in address order, so one pass copies PROGBITS and
 * zeroes NOBITS, the GOT, the alignment gaps and the page tail, through one
 * writable view of the whole range. */
enum err ld_layout_copy(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	uint64_t fill[LD_NREGIONS], end;
	uint8_t *w;
	uint32_t k;
	size_t i;

	if (!c->mapped)
		return E_OK;
	w = b->svc->vrange_writable(b->svc->ctx, c->base, c->span);
	if (!w) {
		LD_LOG(b->svc, "%s: no writable memory at %lx (%lu bytes)", c->name,
		       (unsigned long)c->base, (unsigned long)c->span);
		return E_NOT_MAPPED;
	}
	for (k = 0; k < LD_NREGIONS; k++)
		fill[k] = c->base + c->region_off[k];
	for (i = 0; i < c->nsections; i++) {
		struct ld_section *s = &c->sections[i];

		if (s->bound)
			continue;
		if (s->addr > fill[s->kind])
			ld_memset(w + (fill[s->kind] - c->base), 0, s->addr - fill[s->kind]);
		fill[s->kind] = s->addr;
		if (s->nobits || s->elf_index == 0 || s->size == 0)
			continue; /* zeroed with the next gap or the tail */
		ld_memcpy(w + (s->addr - c->base), b->f.data + b->f.sh[s->elf_index].sh_offset,
			  s->size);
		fill[s->kind] = s->addr + s->size;
	}
	for (k = 0; k < LD_NREGIONS; k++) {
		end = c->base + c->region_off[k] + c->region_size[k];
		if (end > fill[k])
			ld_memset(w + (fill[k] - c->base), 0, end - fill[k]);
	}
	return E_OK;
}

/* Apply each region's final protection (after relocation wrote it). */
enum err ld_layout_protect(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	uint32_t k;
	enum err e;

	for (k = 0; k < LD_NREGIONS; k++) {
		if (c->region_size[k] == 0)
			continue;
		e = b->svc->vrange_protect(b->svc->ctx, c->base + c->region_off[k],
					   c->region_size[k], ld_region_prot[k]);
		if (e != E_OK) {
			LD_LOG(b->svc, "%s: cannot protect region %u at %lx", c->name, k,
			       (unsigned long)(c->base + c->region_off[k]));
			return e;
		}
	}
	return E_OK;
}
