/*
 * Validation of an ELF image's symbol table and RELA sections, after the
 * section headers passed validate.c: every name, section index, symbol index,
 * relocation type and relocation place is checked, so the layout and
 * relocation stages never meet a value they cannot handle.
 */
#include "internal.h"

#define ELF_FAIL(f, code, fmt, ...)                                             \
	(LD_LOG((f)->svc, "%s: " fmt, (f)->crate, ##__VA_ARGS__), (code))

/* Where a symbol may point: undefined, absolute, or a real section. */
static enum err elf_check_symbol_shndx(struct elf_file *f, uint32_t i)
{
	const Elf64_Sym *s = &f->syms[i];
	const char *name = elf_symbol_name(f, i);

	if (s->st_shndx == SHN_COMMON || ELF64_ST_TYPE(s->st_info) == STT_COMMON)
		return ELF_FAIL(f, E_ELF_COMMON_SYMBOL,
				"symbol %u '%s' is a common symbol: compile with -fno-common",
				i, name);
	if (s->st_shndx == SHN_XINDEX)
		return ELF_FAIL(f, E_ELF_XINDEX_UNSUPPORTED,
				"symbol %u '%s' uses SHN_XINDEX", i, name);
	if (s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS)
		return E_OK;
	if (s->st_shndx >= SHN_LORESERVE)
		return ELF_FAIL(f, E_ELF_BAD_SHNDX,
				"symbol %u '%s': st_shndx %x is a reserved index", i, name,
				s->st_shndx);
	if (s->st_shndx >= f->shnum)
		return ELF_FAIL(f, E_ELF_BAD_SHNDX,
				"symbol %u '%s': st_shndx %u out of range (%u sections)", i,
				name, s->st_shndx, f->shnum);
	return E_OK;
}

/* Binding, type, and value of one symbol. */
static enum err elf_check_symbol_kind(struct elf_file *f, uint32_t i)
{
	const Elf64_Sym *s = &f->syms[i];
	const char *name = elf_symbol_name(f, i);
	unsigned bind = ELF64_ST_BIND(s->st_info), type = ELF64_ST_TYPE(s->st_info);
	const Elf64_Shdr *sec;

	if (bind != STB_LOCAL && bind != STB_GLOBAL && bind != STB_WEAK)
		return ELF_FAIL(f, E_ELF_BAD_SYMBOL, "symbol %u '%s': binding %u", i, name,
				bind);
	if (type == STT_TLS || type == STT_GNU_IFUNC || type > STT_FILE)
		return ELF_FAIL(f, E_ELF_BAD_SYMBOL, "symbol %u '%s': type %u unsupported",
				i, name, type);
	if (s->st_shndx == SHN_UNDEF && bind == STB_LOCAL)
		return ELF_FAIL(f, E_ELF_BAD_SYMBOL, "symbol %u '%s': undefined local", i,
				name);
	if (s->st_shndx == SHN_UNDEF && name[0] == '\0')
		return ELF_FAIL(f, E_ELF_BAD_SYMBOL, "symbol %u: undefined and unnamed", i);
	if (s->st_shndx == SHN_ABS || s->st_shndx == SHN_UNDEF)
		return E_OK;
	sec = &f->sh[s->st_shndx];
	if (elf_section_is_loaded(sec) && s->st_value > sec->sh_size)
		return ELF_FAIL(f, E_ELF_BAD_SYMBOL,
				"symbol %u '%s': value %lx beyond section %u size %lx", i, name,
				(unsigned long)s->st_value, s->st_shndx,
				(unsigned long)sec->sh_size);
	return E_OK;
}

/* The common case of every check below, in one expression: when it holds,
 * the symbol is valid; when not, the checks below say why (or accept it). */
static bool elf_symbol_is_plain(const struct elf_file *f, const Elf64_Sym *s)
{
	unsigned bind = ELF64_ST_BIND(s->st_info), type = ELF64_ST_TYPE(s->st_info);
	const Elf64_Shdr *sec;

	if (s->st_name >= f->str_size || bind > STB_WEAK || type > STT_FILE)
		return false;
	if (s->st_shndx == SHN_UNDEF)
		return bind != STB_LOCAL && f->str[s->st_name] != '\0';
	if (s->st_shndx == SHN_ABS)
		return true;
	if (s->st_shndx >= f->shnum)
		return false;
	sec = &f->sh[s->st_shndx];
	return !elf_section_is_loaded(sec) || s->st_value <= sec->sh_size;
}

/* The null symbol, then every other: name, section index, binding, value. */
enum err elf_check_symbols(struct elf_file *f)
{
	uint32_t i;
	enum err e;

	if (f->syms[0].st_shndx != SHN_UNDEF || f->syms[0].st_info != 0 ||
	    f->syms[0].st_value != 0)
		return ELF_FAIL(f, E_ELF_BAD_SYMBOL,
				"symbol 0 is not the null symbol (shndx %u info %u)",
				f->syms[0].st_shndx, f->syms[0].st_info);
	for (i = 1; i < f->nsyms; i++) {
		bool local = ELF64_ST_BIND(f->syms[i].st_info) == STB_LOCAL;

		if (local != (i < f->first_global)) /* the ELF rule: locals first */
			return ELF_FAIL(f, E_ELF_BAD_SYMTAB,
					"symbol %u '%s' is %s, but the symbol table's sh_info "
					"says the locals end before %u", i, elf_symbol_name(f, i),
					local ? "local" : "global", f->first_global);
		if (elf_symbol_is_plain(f, &f->syms[i])) {
			f->nlisted += elf_symbol_is_listed(f, &f->syms[i]);
			continue;
		}
		if (f->syms[i].st_name >= f->str_size)
			return ELF_FAIL(f, E_ELF_BAD_NAME,
					"symbol %u: st_name %u beyond string table size %lu", i,
					f->syms[i].st_name, (unsigned long)f->str_size);
		e = elf_check_symbol_shndx(f, i);
		if (e == E_OK)
			e = elf_check_symbol_kind(f, i);
		if (e != E_OK)
			return e;
		f->nlisted += elf_symbol_is_listed(f, &f->syms[i]);
	}
	return E_OK;
}

/* A RELA section's header: entry size, link to the symtab, target section. */
static enum err elf_check_rela_header(struct elf_file *f, uint32_t i)
{
	const Elf64_Shdr *s = &f->sh[i];
	const Elf64_Shdr *t;

	if (s->sh_entsize != sizeof(Elf64_Rela) || s->sh_size % sizeof(Elf64_Rela) != 0)
		return ELF_FAIL(f, E_ELF_BAD_RELA,
				"section %u (%s): sh_entsize %lu, sh_size %lu", i,
				elf_section_name(f, i), (unsigned long)s->sh_entsize,
				(unsigned long)s->sh_size);
	if (s->sh_offset % 8 != 0)
		return ELF_FAIL(f, E_ELF_MISALIGNED, "section %u (%s): offset %lx", i,
				elf_section_name(f, i), (unsigned long)s->sh_offset);
	if (s->sh_link != f->symtab)
		return ELF_FAIL(f, E_ELF_BAD_RELA_LINK,
				"section %u (%s): sh_link %u, the symbol table is %u", i,
				elf_section_name(f, i), s->sh_link, f->symtab);
	if (s->sh_info == SHN_UNDEF || s->sh_info >= f->shnum)
		return ELF_FAIL(f, E_ELF_BAD_RELA_INFO,
				"section %u (%s): sh_info %u out of range (%u sections)", i,
				elf_section_name(f, i), s->sh_info, f->shnum);
	t = &f->sh[s->sh_info];
	if (elf_section_is_loaded(t) && t->sh_type == SHT_NOBITS)
		return ELF_FAIL(f, E_ELF_BAD_RELA_INFO,
				"section %u (%s): target %u (%s) is NOBITS", i,
				elf_section_name(f, i), s->sh_info,
				elf_section_name(f, s->sh_info));
	return E_OK;
}

/* Entry `k` of applied RELA section `i`: E_OK, or the named error (logged)
 * for its symbol index, type, place or target. The relocation loop checks
 * the same in its fast path and calls this to say what is wrong. */
enum err elf_check_rela(const struct elf_file *f, uint32_t i, uint64_t k,
			const Elf64_Rela *r)
{
	const Elf64_Shdr *t = &f->sh[f->sh[i].sh_info];
	uint32_t sym = ELF64_R_SYM(r->r_info), type = ELF64_R_TYPE(r->r_info);
	int width;

	if (sym >= f->nsyms)
		return ELF_FAIL(f, E_ELF_BAD_SYMINDEX,
				"section %u (%s) relocation %lu: symbol %u of %u", i,
				elf_section_name(f, i), (unsigned long)k, sym, f->nsyms);
	width = arch_reloc_width(type);
	if (width < 0)
		return ELF_FAIL(f, E_ELF_RELOC_UNSUPPORTED,
				"section %u (%s) relocation %lu: type %u at offset %lx", i,
				elf_section_name(f, i), (unsigned long)k, type,
				(unsigned long)r->r_offset);
	if (r->r_offset > t->sh_size || (uint64_t)width > t->sh_size - r->r_offset)
		return ELF_FAIL(f, E_ELF_RELOC_OUT_OF_SECTION,
				"section %u (%s) relocation %lu: offset %lx + %d beyond size %lx",
				i, elf_section_name(f, i), (unsigned long)k,
				(unsigned long)r->r_offset, width, (unsigned long)t->sh_size);
	if (f->syms[sym].st_shndx != SHN_UNDEF && f->syms[sym].st_shndx != SHN_ABS &&
	    !elf_section_is_loaded(&f->sh[f->syms[sym].st_shndx]))
		return ELF_FAIL(f, E_ELF_RELOC_BAD_TARGET,
				"section %u (%s) relocation %lu: symbol %u '%s' is in "
				"non-allocated section %u",
				i, elf_section_name(f, i), (unsigned long)k, sym,
				elf_symbol_name(f, sym), f->syms[sym].st_shndx);
	return E_OK;
}

/* 1 if the entry's type may use a GOT slot (`mask`: arch_reloc_got_mask). */
static inline uint64_t elf_got_type(uint64_t info, uint64_t mask)
{
	uint32_t type = ELF64_R_TYPE(info);

	return type < 64 ? (mask >> type) & 1 : 0;
}

/* The GOT-capable entries of applied RELA section `i` (the layout gives
 * their symbols GOT slots before anything is relocated). The entries
 * themselves are checked as they are applied (arch_apply_relas), one pass. */
static uint64_t elf_count_got_relocs(const struct elf_file *f, uint32_t i, uint64_t mask)
{
	uint64_t k, n, ngot = 0;
	const Elf64_Rela *r = elf_rela_entries(f, i, &n);

	for (k = 0; k + 4 <= n; k += 4) /* (four at a time: one pass over every entry) */
		ngot += elf_got_type(r[k].r_info, mask) + elf_got_type(r[k + 1].r_info, mask) +
			elf_got_type(r[k + 2].r_info, mask) + elf_got_type(r[k + 3].r_info, mask);
	for (; k < n; k++)
		ngot += elf_got_type(r[k].r_info, mask);
	return ngot;
}

/* Every RELA section's header; counts the relocations that will be applied
 * and the GOT-capable ones. The entries of RELA sections that patch debug
 * info (not loaded) are never read. */
enum err elf_check_relocations(struct elf_file *f)
{
	uint64_t got_mask = arch_reloc_got_mask();
	uint32_t i;
	enum err e;

	for (i = 1; i < f->shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];

		if (s->sh_type != SHT_RELA)
			continue;
		e = elf_check_rela_header(f, i);
		if (e != E_OK)
			return e;
		if (!elf_rela_is_applied(f, s))
			continue;
		f->nrelocs += s->sh_size / sizeof(Elf64_Rela);
		f->nrela++;
		f->ngotrel += elf_count_got_relocs(f, i, got_mask);
	}
	return E_OK;
}
