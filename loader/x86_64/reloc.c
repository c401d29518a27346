/*
 * x86_64 relocation types: the only architecture-specific part of the loader.
 * The machine-independent code (relocate.c) hands over one RELA group at a
 * time with the symbols' values resolved; this file computes each value,
 * checks that it fits its field, writes it and counts the dependency edge.
 * GOT-indirect loads are relaxed to direct forms (mov -> lea) when the
 * instruction allows it.
 *
 * Notation (psABI): S symbol value, A addend, P place (run address of the
 * field), G + GOT the run address of the symbol's GOT slot. Arithmetic is
 * modulo 2^64, as the CPU's address arithmetic is; a 32-bit field fits when
 * the 64-bit result equals the sign extension (zero extension for
 * R_X86_64_32) of its low 32 bits.
 */
#include "../internal.h"

/* The supported types: the width of the field each writes, and which may
 * go through a GOT slot. Every other type is ARCH_RELOC_BAD. */
static const uint8_t arch_reloc_info[] = {
	[R_X86_64_NONE] = 0,
	[R_X86_64_64] = 8,
	[R_X86_64_PC32] = 4,
	[R_X86_64_GOT32] = ARCH_RELOC_BAD,
	[R_X86_64_PLT32] = 4,
	[5 ... R_X86_64_GOTPCREL - 1] = ARCH_RELOC_BAD,
	[R_X86_64_GOTPCREL] = 4 | ARCH_RELOC_GOT,
	[R_X86_64_32] = 4,
	[R_X86_64_32S] = 4,
	[R_X86_64_32S + 1 ... R_X86_64_PC64 - 1] = ARCH_RELOC_BAD,
	[R_X86_64_PC64] = 8,
	[R_X86_64_PC64 + 1 ... R_X86_64_GOTPCRELX - 1] = ARCH_RELOC_BAD,
	[R_X86_64_GOTPCRELX] = 4 | ARCH_RELOC_GOT,
	[R_X86_64_REX_GOTPCRELX] = 4 | ARCH_RELOC_GOT,
};

const uint8_t *arch_reloc_table(uint32_t *ntypes)
{
	*ntypes = sizeof(arch_reloc_info);
	return arch_reloc_info;
}

int arch_reloc_width(uint32_t type)
{
	if (type >= sizeof(arch_reloc_info) || arch_reloc_info[type] == ARCH_RELOC_BAD)
		return -1;
	return arch_reloc_info[type] & ARCH_RELOC_WIDTH;
}

bool arch_reloc_may_use_got(uint32_t type)
{
	return type < sizeof(arch_reloc_info) && arch_reloc_info[type] != ARCH_RELOC_BAD &&
	       (arch_reloc_info[type] & ARCH_RELOC_GOT);
}

uint64_t arch_reloc_got_mask(void)
{
	uint64_t mask = 0;

	for (uint32_t t = 0; t < 64 && t < sizeof(arch_reloc_info); t++)
		mask |= (uint64_t)arch_reloc_may_use_got(t) << t;
	return mask;
}

const char *arch_reloc_name(uint32_t type)
{
	switch (type) {
	case R_X86_64_NONE: return "R_X86_64_NONE";
	case R_X86_64_64: return "R_X86_64_64";
	case R_X86_64_PC32: return "R_X86_64_PC32";
	case R_X86_64_PLT32: return "R_X86_64_PLT32";
	case R_X86_64_32: return "R_X86_64_32";
	case R_X86_64_32S: return "R_X86_64_32S";
	case R_X86_64_PC64: return "R_X86_64_PC64";
	case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
	case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
	case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
	default: return "unknown";
	}
}

uint32_t arch_reloc_relaxed_type(uint32_t type)
{
	(void)type; /* mov foo@GOTPCREL(%rip) -> lea foo(%rip): S + A - P */
	return R_X86_64_PC32;
}

uint32_t arch_reloc_got_slot_type(void)
{
	return R_X86_64_64;
}

enum err arch_reloc_field(uint32_t type, uint64_t sa, uint64_t p, uint64_t *field,
			  unsigned *width)
{
	uint64_t v;

	*width = 4;
	switch (type) {
	case R_X86_64_64:    /* S + A */
		*width = 8;
		*field = sa;
		return E_OK;
	case R_X86_64_PC64:  /* S + A - P */
		*width = 8;
		*field = sa - p;
		return E_OK;
	case R_X86_64_PC32:  /* S + A - P, signed 32 bits */
	case R_X86_64_PLT32:
		v = sa - p;
		break;
	case R_X86_64_32S:   /* S + A, signed 32 bits */
		v = sa;
		break;
	case R_X86_64_32:    /* S + A, unsigned 32 bits */
		if (sa > UINT32_MAX)
			return E_LD_RELOC_OVERFLOW;
		*field = sa;
		return E_OK;
	default:
		return E_ELF_RELOC_UNSUPPORTED;
	}
	if ((int64_t)v != (int32_t)v)
		return E_LD_RELOC_OVERFLOW;
	*field = (uint32_t)v;
	return E_OK;
}

static void arch_put64(uint8_t *loc, uint64_t v)
{
	ld_memcpy(loc, &v, 8);
}

static void arch_put32(uint8_t *loc, uint32_t v)
{
	ld_memcpy(loc, &v, 4);
}

static bool arch_fits_s32(uint64_t v)
{
	return (int64_t)v == (int32_t)v;
}

/*
 * GOTPCRELX / REX_GOTPCRELX: `mov foo@GOTPCREL(%rip), %reg` (8b /r, ModRM
 * mod=00 rm=101) becomes `lea foo(%rip), %reg` (8d /r) when S + A - P fits
 * in 32 bits. Returns false (nothing written) when it cannot be relaxed.
 */
static bool arch_try_relax_mov(uint8_t *loc, uint64_t off, uint64_t v)
{
	if (off < 2 || loc[-2] != 0x8b || (loc[-1] & 0xc7) != 0x05 || !arch_fits_s32(v))
		return false;
	loc[-2] = 0x8d;
	arch_put32(loc, (uint32_t)v);
	return true;
}

/*
 * The GOT forms, off the fast path. Relaxed: S + A - P, the symbol is the
 * target and the entry's bit in got_relaxed says so. Else G + GOT + A - P,
 * signed 32 bits, and the GOT is the target (the slot holds S, ld_fill_got).
 * *target is updated to what the field now refers to.
 */
static enum err arch_apply_got(struct arch_rela_job *j, uint64_t k, const Elf64_Rela *r,
			       const struct ld_section **target)
{
	const struct ld_crate *c = j->crate;
	uint32_t type = ELF64_R_TYPE(r->r_info), sym = ELF64_R_SYM(r->r_info);
	uint64_t ord = j->group->first + k, p = j->src->addr + r->r_offset;
	uint64_t v = j->bindings[sym].value + (uint64_t)r->r_addend - p;
	uint8_t *loc = j->base + r->r_offset;

	if (type != R_X86_64_GOTPCREL && arch_try_relax_mov(loc, r->r_offset, v)) {
		c->got_relaxed[ord / 8] |= (uint8_t)(1u << (ord % 8));
		return E_OK;
	}
	if (!j->got_slot || !j->got_slot[sym] || !c->got)
		return E_LD_BAD_STATE; /* the plan reserved no slot: a loader bug */
	v = c->got->addr + 8ull * (j->got_slot[sym] - 1) + (uint64_t)r->r_addend - p;
	*target = c->got;
	if (!arch_fits_s32(v)) {
		j->bad_value = (int64_t)v;
		return E_LD_RELOC_OVERFLOW;
	}
	arch_put32(loc, (uint32_t)v);
	return E_OK;
}

static enum err arch_overflow(struct arch_rela_job *j, uint64_t k, uint64_t v)
{
	j->bad_k = k;
	j->bad_value = (int64_t)v;
	return E_LD_RELOC_OVERFLOW;
}

static enum err arch_bad_entry(struct arch_rela_job *j, uint64_t k)
{
	j->bad_k = k;
	j->bad_entry = true;
	return E_ELF_BAD_RELA; /* the caller names the real error */
}

struct arch_limits;
static bool arch_place_ok(const struct arch_limits *l, uint32_t type, uint64_t off);

/*
 * The other types: PC64, 32, the GOT forms and NONE. v is S + A; *target is
 * updated to what the field now refers to (the GOT, for a GOT slot).
 */
static enum err arch_apply_rare(struct arch_rela_job *j, const struct arch_limits *l,
				uint64_t k, const Elf64_Rela *r, uint64_t v,
				const struct ld_section **target)
{
	uint32_t type = ELF64_R_TYPE(r->r_info);
	uint64_t off = r->r_offset, p = j->src->addr + off;
	enum err e;

	if (type >= sizeof(arch_reloc_info) || arch_reloc_info[type] == ARCH_RELOC_BAD ||
	    !arch_place_ok(l, type, off))
		return arch_bad_entry(j, k);
	switch (type) {
	case R_X86_64_NONE: /* a placeholder: no field */
		j->nnone++;
		return E_OK;
	case R_X86_64_PC64: /* S + A - P, 64 bits, wraps */
		arch_put64(j->base + off, v - p);
		return E_OK;
	case R_X86_64_32:   /* S + A, zero-extended 32 bits */
		if (v > UINT32_MAX)
			return arch_overflow(j, k, v);
		arch_put32(j->base + off, (uint32_t)v);
		return E_OK;
	default:            /* GOTPCREL, GOTPCRELX, REX_GOTPCRELX */
		e = arch_apply_got(j, k, r, target);
		if (e != E_OK)
			j->bad_k = k; /* (overflow, or no slot planned) */
		return e;
	}
}

/* The place of a relocation of `width` bytes at `off` lies inside the
 * section: the last valid offsets are precomputed per section (exact for a
 * section of 8 bytes or more; the caller checks a smaller one entry by entry). */
struct arch_limits {
	uint64_t size, last4, last8;
};

static bool arch_place_ok(const struct arch_limits *l, uint32_t type, uint64_t off)
{
	switch (type) {
	case R_X86_64_NONE:
		return off <= l->size;
	case R_X86_64_64:
	case R_X86_64_PC64:
		return off <= l->last8;
	default:
		return off <= l->last4;
	}
}

/* A bound section's entries: checked and counted, never written (the data is
 * live). */
static enum err arch_count_relas(struct arch_rela_job *j, const struct arch_limits *l)
{
	const Elf64_Rela *r = j->group->entries;
	uint64_t n = j->group->count, k;
	uint32_t ntypes;
	const uint8_t *info = arch_reloc_table(&ntypes);
	enum err e;

	for (k = 0; k < n; k++, r++) {
		uint32_t type = ELF64_R_TYPE(r->r_info), sym = ELF64_R_SYM(r->r_info);
		const struct ld_section *target;

		if (sym >= j->nsyms || type >= ntypes || info[type] == ARCH_RELOC_BAD ||
		    !arch_place_ok(l, type, r->r_offset))
			return arch_bad_entry(j, k);
		target = j->bindings[sym].section;
		if (target == &ld_unloaded_section)
			return arch_bad_entry(j, k);
		if (type == R_X86_64_NONE) {
			j->nnone++;
			continue;
		}
		e = ld_deps_note(j->crate, j->src, j->stamp, target);
		if (e != E_OK)
			return e;
	}
	return E_OK;
}

/* Add the references counted in each binding touched since the last flush
 * to its edge (made on the first), and forget the counts. */
static enum err arch_flush_counts(struct arch_rela_job *j)
{
	struct ld_binding *bd = j->touched, *next;
	enum err e = E_OK;

	for (; bd; bd = next) {
		struct ld_section *t = (struct ld_section *)bd->section;

		next = bd->next_touched;
		if (t && e == E_OK) {
			j->crate->ns->edge_probes++;	/* (the one edge the stamp points at) */
			if (t->dep_stamp != j->stamp)
				e = ld_deps_new_edge(j->crate, j->src, t, j->stamp, 0);
			if (e == E_OK)
				t->dep_last->nrelocs += (uint32_t)bd->count;
		}
		bd->count = 0;
		bd->stamp = 0; /* a next group of the same section counts afresh */
		bd->next_touched = NULL;
	}
	j->touched = NULL;
	return e;
}

/* The first reference from this section through binding bd: refuse one to a
 * section that is not loaded, else start counting in bd. */
static enum err arch_first_ref(struct arch_rela_job *j, struct ld_binding *bd,
			       const Elf64_Rela *r)
{
	if (bd->section == &ld_unloaded_section)
		return arch_bad_entry(j, r - j->group->entries);
	bd->stamp = j->stamp;
	bd->next_touched = j->touched;
	j->touched = bd;
	return E_OK;
}

/*
 * The relocation loop: each entry is checked (symbol index, type, place
 * inside the section, target loaded) and applied, the common types first,
 * with S from the binding resolved once per symbol, P from the section's run
 * address, the field written through the section's writable view, and the
 * references counted per symbol, then added to their edges once per group.
 */
enum err arch_apply_relas(struct arch_rela_job *j)
{
	const Elf64_Rela *r = j->group->entries, *end = r + j->group->count;
	struct ld_binding *bindings = (struct ld_binding *)j->bindings;
	uint64_t addr = j->src->addr, size = j->src->size, stamp = j->stamp;
	uint64_t last4 = size >= 4 ? size - 4 : 0; /* last offset of a 4-byte field */
	uint32_t nsyms = j->nsyms;
	uint8_t *base = j->base;
	enum err e;

	if (!base) {
		struct arch_limits l = { .size = size, .last4 = last4,
					 .last8 = size >= 8 ? size - 8 : 0 };

		return arch_count_relas(j, &l);
	}
	for (; r < end; r++) {
		uint32_t type = ELF64_R_TYPE(r->r_info), sym = ELF64_R_SYM(r->r_info);
		uint64_t off = r->r_offset, v;
		struct ld_binding *bd;

		if (sym >= nsyms)
			return arch_bad_entry(j, r - j->group->entries);
		bd = &bindings[sym];
		v = bd->value + (uint64_t)r->r_addend; /* S + A */
		if (type == R_X86_64_PLT32 || type == R_X86_64_PC32) {
			/* S + A - P (PLT32: L + A - P with L = S, no PLT), signed 32 bits */
			v -= addr + off;
			if (off > last4)
				return arch_bad_entry(j, r - j->group->entries);
			if (!arch_fits_s32(v))
				return arch_overflow(j, r - j->group->entries, v);
			arch_put32(base + off, (uint32_t)v);
		} else if (type == R_X86_64_32S) { /* S + A, sign-extended 32 bits */
			if (off > last4)
				return arch_bad_entry(j, r - j->group->entries);
			if (!arch_fits_s32(v))
				return arch_overflow(j, r - j->group->entries, v);
			arch_put32(base + off, (uint32_t)v);
		} else if (type == R_X86_64_64) { /* S + A, 64 bits, wraps */
			if (off > last4 - 4) /* exact from 8 bytes up */
				return arch_bad_entry(j, r - j->group->entries);
			arch_put64(base + off, v);
		} else { /* the others count their own edge (a GOT form may target the GOT) */
			const struct ld_section *target = bd->section;
			struct arch_limits l = { .size = size, .last4 = last4,
						 .last8 = size >= 8 ? size - 8 : 0 };

			if (target == &ld_unloaded_section)
				return arch_bad_entry(j, r - j->group->entries);
			e = arch_apply_rare(j, &l, r - j->group->entries, r, v, &target);
			if (e == E_OK && type != R_X86_64_NONE)
				e = ld_deps_note(j->crate, j->src, stamp, target);
			if (e != E_OK)
				return e;
			continue;
		}
		if (bd->stamp != stamp) { /* the symbol's first reference from here */
			e = arch_first_ref(j, bd, r);
			if (e != E_OK)
				return e;
		}
		bd->count++;
	}
	return arch_flush_counts(j);
}
