/*
 * Reading relocations back. A loaded crate keeps, per section, the RELA
 * entries applied to it and, per ELF symbol, the value and section it was
 * bound to; a hand-built crate keeps records sorted by source section. The
 * cursor turns either into struct ld_reloc, one at a time, so nothing is
 * copied per relocation at load time and a later redirect can still find,
 * for an edge, every field it must rewrite.
 */
#include "internal.h"

void ld_relocs_of_section(struct ld_reloc_iter *it, const struct ld_section *sec)
{
	*it = (struct ld_reloc_iter){ .sec = sec, .group = sec->rela };
}

void ld_relocs_of_dep(struct ld_reloc_iter *it, const struct ld_dep *dep)
{
	ld_relocs_of_section(it, dep->source);
	it->target = dep->target;
}

uint64_t ld_crate_nrelocs(const struct ld_crate *crate)
{
	return crate->nrelocs;
}

/* Fill *out; true when it passes the cursor's target filter. */
static bool ld_reloc_emit(const struct ld_reloc_iter *it, struct ld_reloc *out,
			  uint64_t offset, uint32_t type, int64_t addend,
			  const struct ld_section *target, uint64_t value)
{
	if (it->target && target != it->target)
		return false;
	*out = (struct ld_reloc){
		.source = it->sec, .offset = offset, .type = type, .addend = addend,
		.target = target, .target_offset = target ? value - target->addr : value,
	};
	return true;
}

/* Entry k of group g, as it was applied (GOT forms resolved). */
static bool ld_reloc_decode(const struct ld_reloc_iter *it, const struct ld_rela_group *g,
			    uint64_t k, struct ld_reloc *out)
{
	const struct ld_crate *c = it->sec->crate;
	const Elf64_Rela *r = &g->entries[k];
	uint32_t type = ELF64_R_TYPE(r->r_info), sym = ELF64_R_SYM(r->r_info);
	const struct ld_binding *bd = &c->bindings[sym];
	uint64_t ord = g->first + k;
	bool written = !it->sec->bound || c->applied_in_bound;

	if (type == LD_RELOC_NONE)
		return false;
	if (it->stamp && !(bd->section && bd->section->dep_stamp == it->stamp) && !c->got)
		return false; /* (the redirect's filter: not a target it marked) */
	if (written && arch_reloc_may_use_got(type)) {
		if (c->got_relaxed[ord / 8] & (1u << (ord % 8)))
			type = arch_reloc_relaxed_type(type);
		else
			return ld_reloc_emit(it, out, r->r_offset, type, r->r_addend, c->got,
					     c->got->addr + 8ull * (c->got_slot[sym] - 1));
	}
	return ld_reloc_emit(it, out, r->r_offset, type, r->r_addend, bd->section, bd->value);
}

bool ld_reloc_next(struct ld_reloc_iter *it, struct ld_reloc *out)
{
	const struct ld_section *sec = it->sec;
	const struct ld_crate *c = sec->crate;

	if (sec->recs) { /* hand-built */
		while (it->k < sec->nrelocs) {
			const struct ld_reloc *r = &sec->recs[it->k++];

			if (!it->target || r->target == it->target) {
				*out = *r;
				return true;
			}
		}
		return false;
	}
	if (sec == c->got) { /* slot k holds S of symbol got_syms[k] */
		while (it->k < sec->nrelocs) {
			uint64_t k = it->k++;
			const struct ld_binding *bd = &c->bindings[c->got_syms[k]];

			if (ld_reloc_emit(it, out, 8 * k, arch_reloc_got_slot_type(), 0,
					  bd->section, bd->value))
				return true;
		}
		return false;
	}
	while (it->group) {
		const struct ld_rela_group *g = it->group;

		if (it->k >= g->count) {
			it->group = g->next;
			it->k = 0;
			continue;
		}
		if (ld_reloc_decode(it, g, it->k++, out))
			return true;
	}
	return false;
}
