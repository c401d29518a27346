/*
 * Relocation, machine-independent half: walks every applied RELA section,
 * gives the arch code (loader/ARCH/reloc.c) each relocation's S, A, P and GOT
 * slot, logs what the arch code rejects, and records every applied relocation
 * as a dependency between sections (deps.c), so that a later swap can find and
 * rewrite every reference. Relocations inside a bound (live) section are
 * recorded but, unless the load options say otherwise, not written.
 */
#include "internal.h"

/* Log a relocation whose value does not fit its field. */
static void ld_log_overflow(struct ld_build *b, uint32_t rs, uint64_t k,
			    const Elf64_Rela *r, const struct arch_reloc *ar)
{
	LD_LOG(b->svc, "%s: section %u (%s) relocation %lu: %s at offset %lx "
	       "against '%s' (%lx, addend %ld): value %lx does not fit",
	       b->crate->name, rs, elf_section_name(&b->f, rs), (unsigned long)k,
	       arch_reloc_name(ar->type), (unsigned long)r->r_offset,
	       elf_symbol_name(&b->f, ELF64_R_SYM(r->r_info)), (unsigned long)ar->sym,
	       (long)ar->addend, (unsigned long)ar->value);
}

/* Fill `ar` for relocation `r` whose place is in `sec`. */
static enum err ld_prepare_reloc(struct ld_build *b, struct ld_section *sec,
				 const Elf64_Rela *r, struct arch_reloc *ar)
{
	const struct ld_binding *bd = &b->bindings[ELF64_R_SYM(r->r_info)];
	uint8_t *start;

	ld_memset(ar, 0, sizeof(*ar));
	ar->type = ELF64_R_TYPE(r->r_info);
	ar->addend = r->r_addend;
	ar->place = sec->addr + r->r_offset;
	ar->sym = bd->value;
	ar->loc_avail_before = r->r_offset;
	start = ld_section_writable(b->svc, sec, 0, sec->size);
	if (!start) {
		LD_LOG(b->svc, "%s: no writable memory for '%s'", b->crate->name, sec->name);
		return E_NOT_MAPPED;
	}
	ar->loc = start + r->r_offset;
	if (bd->got_slot) {
		uint64_t off = 8ull * (bd->got_slot - 1);

		ar->got_entry = b->got->addr + off;
		ar->got_loc = ld_section_writable(b->svc, b->got, off, 8);
		if (!ar->got_loc)
			return E_NOT_MAPPED;
	}
	return E_OK;
}

/* Append a record of an applied relocation and its dependency edge. */
static enum err ld_add_record(struct ld_build *b, const struct ld_section *src,
			      uint64_t offset, uint32_t type, int64_t addend,
			      const struct ld_section *target, uint64_t value)
{
	struct ld_reloc *rec = &b->crate->relocs[b->crate->nrelocs++];

	rec->source = src;
	rec->offset = offset;
	rec->type = type;
	rec->addend = addend;
	rec->target = target;
	rec->target_offset = target ? value - target->addr : value;
	return ld_deps_record(b->svc, rec);
}

/* Apply (or, in a bound section, only record) entry `k` of RELA section `rs`. */
static enum err ld_apply_one(struct ld_build *b, uint32_t rs, uint64_t k,
			     const Elf64_Rela *r)
{
	struct ld_section *sec = b->secmap[b->f.sh[rs].sh_info];
	const struct ld_binding *bd = &b->bindings[ELF64_R_SYM(r->r_info)];
	struct arch_reloc ar;
	enum err e;

	if (ELF64_R_TYPE(r->r_info) == R_X86_64_NONE)
		return E_OK;
	e = ld_prepare_reloc(b, sec, r, &ar);
	if (e != E_OK)
		return e;
	if (sec->bound && !(b->opts && b->opts->apply_relocs_in_bound))
		return ld_add_record(b, sec, r->r_offset, ar.type, ar.addend,
				     bd->section, bd->value);
	e = arch_reloc_apply(&ar);
	if (e == E_LD_RELOC_OVERFLOW)
		ld_log_overflow(b, rs, k, r, &ar);
	if (e != E_OK && e != E_LD_RELOC_OVERFLOW) /* validated type, planned GOT */
		LD_BUG(b->svc, "arch code rejected a validated relocation");
	if (e != E_OK)
		return e;
	if (ar.used_got)
		return ld_add_record(b, sec, r->r_offset, ar.applied_type, ar.addend,
				     b->got, ar.got_entry);
	return ld_add_record(b, sec, r->r_offset, ar.applied_type, ar.addend,
			     bd->section, bd->value);
}

/* Fill every GOT slot with its symbol's value and record it as an R_X86_64_64
 * place, so that redirecting a target also finds the GOT's reference. */
static enum err ld_fill_got(struct ld_build *b)
{
	uint32_t i;
	enum err e;

	for (i = 0; b->got && i < b->f.nsyms; i++) {
		const struct ld_binding *bd = &b->bindings[i];
		uint64_t off = 8ull * (bd->got_slot - 1);
		uint8_t *slot;

		if (!bd->got_slot)
			continue;
		slot = ld_section_writable(b->svc, b->got, off, 8);
		if (!slot)
			return E_NOT_MAPPED;
		ld_memcpy(slot, &bd->value, 8); /* S */
		e = ld_add_record(b, b->got, off, R_X86_64_64, 0, bd->section, bd->value);
		if (e != E_OK)
			return e;
	}
	return E_OK;
}

/* Apply every relocation of every applied RELA section, then fill the GOT. */
enum err ld_relocate(struct ld_build *b)
{
	const struct elf_file *f = &b->f;
	uint32_t i;
	uint64_t k, n;
	enum err e;

	b->crate->relocs = ld_alloc(b->svc, (f->nrelocs + b->ngot + 1) *
					    sizeof(struct ld_reloc));
	if (!b->crate->relocs)
		return E_NO_HEAP;
	for (i = 1; i < f->shnum; i++) {
		const Elf64_Rela *r;

		if (!elf_rela_is_applied(f, &f->sh[i]))
			continue;
		r = elf_rela_entries(f, i, &n);
		for (k = 0; k < n; k++) {
			e = ld_apply_one(b, i, k, &r[k]);
			if (e != E_OK)
				return e;
		}
	}
	return ld_fill_got(b);
}
