/*
 * Shared test helpers (see tcommon.h). The relocation check recomputes every
 * field from the object's own symbol table and the loader's reported section
 * addresses, with the psABI formulas written out again here.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

bool (*tundef_value)(const char *name, uint64_t *value);

bool tread(struct tctx *t, uint64_t addr, int width, uint64_t *out)
{
	uint8_t *p = t->shim.svc.vrange_writable(&t->shim, addr, (uint64_t)width);

	*out = 0;
	if (!p)
		return false;
	memcpy(out, p, (size_t)width);
	return true;
}

const struct ld_section *tsection_by_index(const struct ld_crate *c, unsigned idx)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].elf_index == idx)
			return &s[i];
	return NULL;
}

const struct ld_section *tsection_by_name(const struct ld_crate *c, const char *name)
{
	const struct ld_section *s;

	return ld_crate_find_section(c, name, &s) == E_OK ? s : NULL;
}

bool tsymbol_value(struct tctx *t, struct ld_namespace *ns, const struct ld_crate *c,
		   const struct blob *b, unsigned i, uint64_t *out)
{
	unsigned n;
	Elf64_Sym *s = &eu_syms(b, &n)[i];
	const struct ld_symbol *def;
	const struct ld_section *sec;

	(void)t;
	if (s->st_shndx == SHN_ABS) {
		*out = s->st_value;
		return true;
	}
	if (s->st_shndx != SHN_UNDEF) {
		sec = tsection_by_index(c, s->st_shndx);
		*out = sec ? sec->addr + s->st_value : 0;
		return sec != NULL;
	}
	if (ld_lookup(ns, eu_sym_name(b, s), &def) == E_OK) {
		*out = def->addr;
		return true;
	}
	if (tundef_value && tundef_value(eu_sym_name(b, s), out))
		return true;
	*out = 0;
	return ELF64_ST_BIND(s->st_info) == STB_WEAK;
}

/* Compare one field; false after tfail. */
static bool tcheck_field(struct tctx *t, unsigned type, uint64_t S, int64_t A,
			 uint64_t P)
{
	uint64_t got;
	bool ok;

	switch (type) {
	case R_X86_64_64: /* S + A */
		ok = tread(t, P, 8, &got) && got == S + (uint64_t)A;
		break;
	case R_X86_64_PC64: /* S + A - P */
		ok = tread(t, P, 8, &got) && got == S + (uint64_t)A - P;
		break;
	case R_X86_64_PC32: /* S + A - P, signed */
	case R_X86_64_PLT32:
		ok = tread(t, P, 4, &got) &&
		     (int64_t)(int32_t)got == (int64_t)(S + (uint64_t)A - P);
		break;
	case R_X86_64_32S: /* S + A, sign-extended */
		ok = tread(t, P, 4, &got) && (uint64_t)(int64_t)(int32_t)got == S + (uint64_t)A;
		break;
	case R_X86_64_32: /* S + A, zero-extended */
		ok = tread(t, P, 4, &got) && got == S + (uint64_t)A;
		break;
	default:
		return true;
	}
	if (!ok)
		tfail(t, "relocation type %u at %lx: read %lx (S %lx A %ld)", type,
		      (unsigned long)P, (unsigned long)got, (unsigned long)S, (long)A);
	return ok;
}

int tcheck_relocs(struct tctx *t, struct ld_namespace *ns, const struct ld_crate *c,
		  const struct blob *b)
{
	int checked = 0;

	for (unsigned i = 1; i < eu_ehdr(b)->e_shnum; i++) {
		Elf64_Shdr *sh = eu_shdr(b, i);
		const struct ld_section *target;
		Elf64_Rela *r;

		if (sh->sh_type != SHT_RELA || !(eu_shdr(b, sh->sh_info)->sh_flags & SHF_ALLOC))
			continue;
		target = tsection_by_index(c, sh->sh_info);
		if (!target) {
			tfail(t, "section %u not loaded", sh->sh_info);
			return -1;
		}
		if (target->bound)
			continue;
		r = (Elf64_Rela *)(b->data + sh->sh_offset);
		for (size_t k = 0; k < sh->sh_size / sizeof(*r); k++) {
			uint64_t S;

			if (!tsymbol_value(t, ns, c, b, ELF64_R_SYM(r[k].r_info), &S)) {
				tfail(t, "no value for symbol %lu", ELF64_R_SYM(r[k].r_info));
				return -1;
			}
			if (!tcheck_field(t, ELF64_R_TYPE(r[k].r_info), S, r[k].r_addend,
					  target->addr + r[k].r_offset))
				return -1;
			checked++;
		}
	}
	return checked;
}

int tcheck_relocs_of(struct tctx *t, struct ld_namespace *ns, const struct ld_crate *c,
		     const char *file)
{
	struct blob b;
	int n;

	if (!tobj_read(t, t->compiler, file, &b))
		return -1;
	n = tcheck_relocs(t, ns, c, &b);
	free(b.data);
	return n;
}

/* Resolves far_sym, 16 TiB up: out of reach of a 32-bit relocation. */
bool tresolve_far(void *ctx, const char *name, uint64_t *value)
{
	(void)ctx;
	if (strcmp(name, "far_sym") != 0)
		return false;
	*value = 0x100000000000ull;
	return true;
}

/* The k-th line logged (0-based), if the shim still holds it. */
const char *tlog_line(const struct shim *s, int k)
{
	if (k < 0 || k >= s->nlog || s->nlog - k > SHIM_LOG_LINES)
		return NULL;
	return s->log[k % SHIM_LOG_LINES];
}

/* Since line `from`: exactly one "out of heap" line, from the loader, naming
 * `name` or `name2` (NULL: only name). Fails the test with what, k and the
 * lines otherwise. */
bool toom_logged_once(struct tctx *t, int from, const char *name, const char *name2,
			     const char *what, long k)
{
	const struct shim *s = &t->shim;
	const char *hit = NULL, *line;
	int n = 0;

	if (s->nlog - from > SHIM_LOG_LINES)
		from = s->nlog - SHIM_LOG_LINES;
	for (int i = from; i < s->nlog; i++) {
		line = tlog_line(s, i);
		if (line && strstr(line, "out of heap")) {
			hit = line;
			n++;
		}
	}
	if (n != 1) {
		tfail(t, "%s, failing allocation %ld: %d \"out of heap\" lines, want 1 (last "
		      "line: %s)", what, k, n, shim_last_log(s));
		return false;
	}
	if (strncmp(hit, "loader: ", 8) != 0 ||
	    (!strstr(hit, name) && !(name2 && strstr(hit, name2)))) {
		tfail(t, "%s, failing allocation %ld: \"%s\" does not name %s%s%s", what, k,
		      hit, name, name2 ? " or " : "", name2 ? name2 : "");
		return false;
	}
	return true;
}
