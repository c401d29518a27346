/*
 * x86_64 relocation types: the only architecture-specific part of the loader.
 * The machine-independent code (relocate.c) gives each relocation its S, A, P
 * and, when one exists, the symbol's GOT slot; this file computes the value,
 * checks that it fits its field, and writes it. GOT-indirect loads are relaxed
 * to direct forms (mov -> lea) when the instruction allows it.
 *
 * Notation (psABI): S symbol value, A addend, P place (run address of the
 * field), G + GOT the run address of the symbol's GOT slot. Arithmetic is
 * modulo 2^64, as the CPU's address arithmetic is; a 32-bit field fits when
 * the 64-bit result equals the sign extension (zero extension for
 * R_X86_64_32) of its low 32 bits.
 */
#include "../internal.h"

int arch_reloc_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_NONE:
		return 0;
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
	case R_X86_64_GOTPCREL:
	case R_X86_64_GOTPCRELX:
	case R_X86_64_REX_GOTPCRELX:
		return 4;
	default:
		return -1;
	}
}

bool arch_reloc_may_use_got(uint32_t type)
{
	return type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
	       type == R_X86_64_REX_GOTPCRELX;
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
	return (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX;
}

static bool arch_fits_u32(uint64_t v)
{
	return v <= UINT32_MAX;
}

/* Write a sign-checked 32-bit field. */
static enum err arch_put_s32(struct arch_reloc *r, uint64_t v)
{
	r->value = (int64_t)v;
	if (!arch_fits_s32(v))
		return E_LD_RELOC_OVERFLOW;
	arch_put32(r->loc, (uint32_t)(int32_t)v);
	return E_OK;
}

/*
 * GOTPCRELX / REX_GOTPCRELX: `mov foo@GOTPCREL(%rip), %reg` (8b /r, ModRM
 * mod=00 rm=101) becomes `lea foo(%rip), %reg` (8d /r) when S + A - P fits
 * in 32 bits. Returns false (nothing written) when it cannot be relaxed.
 */
static bool arch_try_relax_mov(struct arch_reloc *r)
{
	uint8_t *op = r->loc - 2, *modrm = r->loc - 1;
	uint64_t v = r->sym + (uint64_t)r->addend - r->place; /* S + A - P */

	if (r->loc_avail_before < 2 || *op != 0x8b || (*modrm & 0xc7) != 0x05)
		return false;
	if (!arch_fits_s32(v))
		return false;
	*op = 0x8d;
	arch_put32(r->loc, (uint32_t)(int32_t)v);
	r->value = (int64_t)v;
	r->applied_type = R_X86_64_PC32;
	return true;
}

/* G + GOT + A - P, range signed 32 bits; the slot itself holds S. */
static enum err arch_via_got(struct arch_reloc *r)
{
	if (!r->got_loc)
		return E_LD_BAD_STATE; /* the layout reserved no slot: a loader bug */
	arch_put64(r->got_loc, r->sym);
	r->used_got = true;
	return arch_put_s32(r, r->got_entry + (uint64_t)r->addend - r->place);
}

enum err arch_reloc_apply(struct arch_reloc *r)
{
	uint64_t s = r->sym, a = (uint64_t)r->addend, p = r->place;

	r->applied_type = r->type;
	r->used_got = false;
	switch (r->type) {
	case R_X86_64_NONE: /* nothing */
		return E_OK;
	case R_X86_64_64: /* S + A, 64 bits, wraps */
		r->value = (int64_t)(uint64_t)(s + a);
		arch_put64(r->loc, (uint64_t)(s + a));
		return E_OK;
	case R_X86_64_PC64: /* S + A - P, 64 bits, wraps */
		r->value = (int64_t)(uint64_t)(s + a - p);
		arch_put64(r->loc, (uint64_t)(s + a - p));
		return E_OK;
	case R_X86_64_PC32:  /* S + A - P, signed 32 bits */
	case R_X86_64_PLT32: /* L + A - P with L = S (no PLT), signed 32 bits */
		return arch_put_s32(r, s + a - p);
	case R_X86_64_32S: /* S + A, sign-extended 32 bits */
		return arch_put_s32(r, s + a);
	case R_X86_64_32: /* S + A, zero-extended 32 bits */
		r->value = (int64_t)(s + a);
		if (!arch_fits_u32(s + a))
			return E_LD_RELOC_OVERFLOW;
		arch_put32(r->loc, (uint32_t)(s + a));
		return E_OK;
	case R_X86_64_GOTPCRELX:     /* relaxed: S + A - P; else G + GOT + A - P */
	case R_X86_64_REX_GOTPCRELX: /* same, with a REX prefix before 8b */
		if (arch_try_relax_mov(r))
			return E_OK;
		return arch_via_got(r);
	case R_X86_64_GOTPCREL: /* G + GOT + A - P (instruction unknown: no relax) */
		return arch_via_got(r);
	default:
		return E_ELF_RELOC_UNSUPPORTED; /* validation rejects these first */
	}
}
