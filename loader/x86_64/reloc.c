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

/*
 * The relocation loop: one switch per entry, S from the binding resolved
 * once per symbol, P from the section's run address, the field written
 * through the section's writable view, and the edge to the target counted.
 */
enum err arch_apply_relas(struct arch_rela_job *j)
{
	const Elf64_Rela *r = j->group->entries;
	const struct ld_binding *bindings = j->bindings;
	struct ld_crate *crate = j->crate;
	struct ld_section *src = j->src;
	uint64_t n = j->group->count, addr = src->addr, stamp = j->stamp, k;
	uint8_t *base = j->base;
	enum err e;

	for (k = 0; k < n; k++, r++) {
		uint32_t type = ELF64_R_TYPE(r->r_info);
		const struct ld_binding *bd = &bindings[ELF64_R_SYM(r->r_info)];
		const struct ld_section *target = bd->section;
		uint64_t v = bd->value + (uint64_t)r->r_addend; /* S + A */

		if (type == R_X86_64_NONE) {
			j->nnone++;
			continue;
		}
		if (!base)
			goto count; /* bound, live data: not written */
		switch (type) {
		case R_X86_64_PC32:  /* S + A - P, signed 32 bits */
		case R_X86_64_PLT32: /* L + A - P with L = S (no PLT), signed 32 bits */
			v -= addr + r->r_offset;
			/* fall through */
		case R_X86_64_32S:   /* S + A, sign-extended 32 bits */
			if (!arch_fits_s32(v))
				return arch_overflow(j, k, v);
			arch_put32(base + r->r_offset, (uint32_t)v);
			break;
		case R_X86_64_64:    /* S + A, 64 bits, wraps */
			arch_put64(base + r->r_offset, v);
			break;
		case R_X86_64_PC64:  /* S + A - P, 64 bits, wraps */
			arch_put64(base + r->r_offset, v - (addr + r->r_offset));
			break;
		case R_X86_64_32:    /* S + A, zero-extended 32 bits */
			if (v > UINT32_MAX)
				return arch_overflow(j, k, v);
			arch_put32(base + r->r_offset, (uint32_t)v);
			break;
		default:             /* GOTPCREL[X]: validation admits no other */
			e = arch_apply_got(j, k, r, &target);
			if (e == E_LD_RELOC_OVERFLOW)
				j->bad_k = k;
			if (e != E_OK)
				return e;
			break;
		}
count:
		e = ld_deps_note(crate, src, stamp, target);
		if (e != E_OK)
			return e;
	}
	return E_OK;
}
