/*
 * Layout: where each allocated section of a new crate will run. Sections are
 * grouped by permission into three page-aligned regions of one reservation in
 * the module area (text RX, rodata R+NX with the loader's GOT, data+bss RW+NX),
 * each at its own alignment. Planning only computes offsets; mapping reserves,
 * maps, copies PROGBITS and leaves NOBITS zeroed; protection comes last, after
 * relocation. Sections bound to an existing section get no memory of their own.
 */
#include "internal.h"

static const enum ld_prot ld_region_prot[LD_NREGIONS] = {
	[LD_KIND_TEXT] = LD_PROT_RX,
	[LD_KIND_RODATA] = LD_PROT_R,
	[LD_KIND_DATA] = LD_PROT_RW,
};

enum ld_kind ld_kind_of(const Elf64_Shdr *sh)
{
	if (sh->sh_flags & SHF_EXECINSTR)
		return LD_KIND_TEXT;
	if (sh->sh_flags & SHF_WRITE)
		return LD_KIND_DATA;
	return LD_KIND_RODATA;
}

void *ld_section_writable(const struct ld_services *svc,
			  const struct ld_section *sec, uint64_t off, uint64_t size)
{
	return svc->vrange_writable(svc->ctx, sec->addr + off, size);
}

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
	return ld_deps_add_binding(b->svc, sec, old);
}

/* Describe ELF section `i` as crate section `sec` and place it. */
static enum err ld_plan_section(struct ld_build *b, uint32_t i,
				struct ld_section *sec)
{
	const Elf64_Shdr *sh = &b->f.sh[i];
	bool bound;
	enum err e;

	sec->name = b->crate->shstrtab + sh->sh_name;
	sec->crate = b->crate;
	sec->elf_index = i;
	sec->kind = ld_kind_of(sh);
	sec->nobits = sh->sh_type == SHT_NOBITS;
	sec->size = sh->sh_size;
	sec->align = sh->sh_addralign ? sh->sh_addralign : 1;
	e = ld_bind_section(b, sec, &bound);
	if (e != E_OK || bound)
		return e;
	return ld_place_section(b, sec);
}

/* Give each symbol referenced through a GOT-capable relocation a slot. */
static void ld_plan_got(struct ld_build *b)
{
	const struct elf_file *f = &b->f;
	uint32_t i;
	uint64_t k, n;

	for (i = 1; i < f->shnum; i++) {
		const Elf64_Rela *r;

		if (!elf_rela_is_applied(f, &f->sh[i]))
			continue;
		r = elf_rela_entries(f, i, &n);
		for (k = 0; k < n; k++) {
			uint32_t sym = ELF64_R_SYM(r[k].r_info);

			if (arch_reloc_may_use_got(ELF64_R_TYPE(r[k].r_info)) &&
			    !b->bindings[sym].got_slot)
				b->bindings[sym].got_slot = ++b->ngot;
		}
	}
}

/* Compute every section's region offset and the three region sizes. */
enum err ld_layout_plan(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	size_t n = 0, total;
	uint32_t i, k;
	enum err e;

	for (i = 1; i < b->f.shnum; i++)
		n += elf_section_is_loaded(&b->f.sh[i]);
	ld_plan_got(b);
	total = n + (b->ngot ? 1 : 0);
	c->sections = ld_alloc(b->svc, (total ? total : 1) * sizeof(*c->sections));
	if (!c->sections)
		return E_NO_HEAP;
	for (i = 1; i < b->f.shnum; i++) {
		if (!elf_section_is_loaded(&b->f.sh[i]))
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

/* Reserve and map the crate's range; fix run addresses; copy PROGBITS. */
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
	for (i = 0; i < c->nsections; i++) {
		struct ld_section *s = &c->sections[i];
		uint8_t *dst;

		if (s->bound)
			continue;
		s->addr += base + c->region_off[s->kind];
		if (s->nobits || s->elf_index == 0 || s->size == 0)
			continue; /* fresh mappings are zeroed */
		dst = ld_section_writable(b->svc, s, 0, s->size);
		if (!dst) {
			LD_LOG(b->svc, "%s: no writable memory for '%s' at %lx", c->name,
			       s->name, (unsigned long)s->addr);
			return E_NOT_MAPPED;
		}
		ld_memcpy(dst, b->f.data + b->f.sh[s->elf_index].sh_offset, s->size);
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
