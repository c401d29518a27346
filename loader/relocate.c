/*
 * Relocation, machine-independent half. Before layout, each applied RELA
 * section becomes a group hung on the section it patches (the crate keeps
 * the entries: the image's own bytes when it outlives the crate, else one
 * copy). Relocation then walks the crate's sections; for each, the arch code
 * (loader/ARCH/reloc.c) applies its groups in one tight loop and counts the
 * dependency edges (deps.c). Relocations inside a bound (live) section are
 * counted but, unless the load options say otherwise, not written. Finally
 * every GOT slot is filled and counted as a reference of the GOT.
 */
#include "internal.h"

/* Where group g's entries live for the crate's lifetime. */
static const Elf64_Rela *ld_group_entries(struct ld_build *b, uint32_t shndx,
					  uint64_t first, uint64_t *count)
{
	const Elf64_Rela *r = elf_rela_entries(&b->f, shndx, count);

	if (!b->crate->rela_copy)
		return r;
	ld_memcpy(b->crate->rela_copy + first, r, *count * sizeof(*r));
	return b->crate->rela_copy + first;
}

/* Hang one group per applied RELA section on the section it patches, in
 * file order (after the plan, which made the sections). */
enum err ld_relocate_groups(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	const struct elf_file *f = &b->f;
	bool copy = !(b->opts && b->opts->keep_image);
	uint64_t first = 0;
	uint32_t i, g = 0;

	c->nrelocs = f->nrelocs;
	if (f->nrela == 0)
		return E_OK;
	c->groups = ld_alloc_raw(b->svc, f->nrela * sizeof(*c->groups));
	if (copy)
		c->rela_copy = ld_alloc_raw(b->svc, f->nrelocs * sizeof(Elf64_Rela));
	if (!c->groups || (copy && !c->rela_copy)) {
		LD_LOG(b->svc, "%s: out of heap for %lu relocation entries", c->name,
		       (unsigned long)f->nrelocs);
		return E_NO_HEAP;
	}
	c->ngroups = f->nrela;
	for (i = elf_next_applied_rela(f, 0); i; i = elf_next_applied_rela(f, i)) {
		struct ld_rela_group *grp = &c->groups[g++];

		grp->entries = ld_group_entries(b, i, first, &grp->count);
		grp->first = first;
		grp->shndx = i;
		first += grp->count;
	}
	while (g-- > 0) { /* prepend in reverse: each chain ends up in file order */
		struct ld_section *sec = b->secmap[f->sh[c->groups[g].shndx].sh_info];

		c->groups[g].next = (struct ld_rela_group *)sec->rela;
		sec->rela = &c->groups[g];
		sec->nrelocs += c->groups[g].count;
	}
	return E_OK;
}

/* Log a relocation whose value does not fit its field. */
static void ld_log_overflow(struct ld_build *b, const struct arch_rela_job *j)
{
	const Elf64_Rela *r = &j->group->entries[j->bad_k];
	uint32_t sym = ELF64_R_SYM(r->r_info);

	LD_LOG(b->svc, "%s: section %u (%s) relocation %lu: %s at offset %lx "
	       "against '%s' (%lx, addend %ld): value %lx does not fit (code that "
	       "runs in the module area must be compiled with -mcmodel=kernel)",
	       b->crate->name, j->group->shndx, elf_section_name(&b->f, j->group->shndx),
	       (unsigned long)j->bad_k, arch_reloc_name(ELF64_R_TYPE(r->r_info)),
	       (unsigned long)r->r_offset, elf_symbol_name(&b->f, sym),
	       (unsigned long)b->bindings[sym].value, (long)r->r_addend,
	       (unsigned long)j->bad_value);
}

/* The arch loop refused an entry: name the check it failed. */
static enum err ld_explain_entry(struct ld_build *b, const struct arch_rela_job *j)
{
	const Elf64_Rela *r = &j->group->entries[j->bad_k];
	enum err e = elf_check_rela(&b->f, j->group->shndx, j->bad_k, r);

	if (e == E_OK)
		LD_BUG(b->svc, "the relocation loop refused an entry its check accepts");
	return e;
}

/* Every entry of a group, checked one by one (for a section too small for
 * the relocation loop's own place checks). */
static enum err ld_check_group(struct ld_build *b, const struct ld_rela_group *g)
{
	for (uint64_t k = 0; k < g->count; k++) {
		enum err e = elf_check_rela(&b->f, g->shndx, k, &g->entries[k]);

		if (e != E_OK)
			return e;
	}
	return E_OK;
}

/* Apply (or, in a bound section, only count) every relocation of `sec`. */
static enum err ld_relocate_section(struct ld_build *b, struct ld_section *sec)
{
	struct arch_rela_job j = {
		.crate = b->crate, .src = sec, .stamp = ld_deps_stamp(b->ns),
		.bindings = b->bindings, .nsyms = b->f.nsyms, .got_slot = b->got_slot,
	};
	enum err e;

	if (!sec->bound || b->crate->applied_in_bound) {
		j.base = ld_section_writable(b->svc, sec, 0, sec->size);
		if (!j.base) {
			LD_LOG(b->svc, "%s: no writable memory for '%s'", b->crate->name,
			       sec->name);
			return E_NOT_MAPPED;
		}
	}
	for (j.group = sec->rela; j.group; j.group = j.group->next) {
		e = sec->size < 8 ? ld_check_group(b, j.group) : E_OK;
		if (e != E_OK)
			return e;
		e = arch_apply_relas(&j);
		if (e == E_LD_RELOC_OVERFLOW)
			ld_log_overflow(b, &j);
		if (e == E_LD_BAD_STATE) /* (E_NO_HEAP: ld_deps_grow named the crate) */
			LD_LOG(b->svc, "%s: section %u (%s) relocation %lu: no GOT slot was "
			       "planned for its symbol (a loader bug)", b->crate->name,
			       j.group->shndx, elf_section_name(&b->f, j.group->shndx),
			       (unsigned long)j.bad_k);
		if (j.bad_entry)
			return ld_explain_entry(b, &j);
		if (e != E_OK)
			return e;
	}
	sec->nrelocs -= j.nnone; /* placeholders are not relocations */
	b->crate->nrelocs -= j.nnone;
	return E_OK;
}

/* Fill every GOT slot with its symbol's value (S) and count it as a
 * reference of the GOT, so that redirecting a target also finds the slot. */
static enum err ld_fill_got(struct ld_build *b)
{
	uint64_t stamp = ld_deps_stamp(b->ns);
	uint8_t *slots;
	uint32_t k;
	enum err e;

	if (!b->got)
		return E_OK;
	slots = ld_section_writable(b->svc, b->got, 0, b->got->size);
	if (!slots) {
		LD_LOG(b->svc, "%s: no writable memory for the GOT (%u slots at %lx)",
		       b->crate->name, b->ngot, (unsigned long)b->got->addr);
		return E_NOT_MAPPED;
	}
	for (k = 0; k < b->ngot; k++) {
		const struct ld_binding *bd = &b->bindings[b->crate->got_syms[k]];

		ld_memcpy(slots + 8ull * k, &bd->value, 8);
		e = ld_deps_note(b->crate, b->got, stamp, bd->section);
		if (e != E_OK)
			return e;
	}
	b->got->nrelocs = b->ngot;
	b->crate->nrelocs += b->ngot;
	return E_OK;
}

/* Apply every relocation of every section, then fill the GOT. */
enum err ld_relocate(struct ld_build *b)
{
	struct ld_crate *c = b->crate;
	size_t i;
	enum err e;

	c->applied_in_bound = b->opts && b->opts->apply_relocs_in_bound;
	for (i = 0; i < c->nsections; i++) {
		if (!c->sections[i].rela)
			continue;
		e = ld_relocate_section(b, &c->sections[i]);
		if (e != E_OK)
			return e;
	}
	return ld_fill_got(b);
}
