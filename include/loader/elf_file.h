/*
 * A read-only view of an ELF relocatable object the loader has validated
 * (loader/validate.c): the tables, where they are, and how many entries the
 * loader will apply. After elf_validate() returns E_OK every index, offset
 * and name in the view is in bounds. The loader loads from it; tools (ncdesc)
 * read objects through it without the loader's private state.
 */
#ifndef LOADER_ELF_FILE_H
#define LOADER_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <loader/elf.h>
#include <loader/services.h>
#include <nanoswap/err.h>

struct elf_file {
	const struct ld_services *svc;
	const char *crate; /* for messages */
	const uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uint32_t shnum;
	const char *shstr;
	uint64_t shstr_size;
	uint32_t symtab; /* section index of the SHT_SYMTAB */
	const Elf64_Sym *syms;
	uint32_t nsyms;
	uint32_t first_global; /* symbols before it are local (sh_info), the rest not */
	const char *str;
	uint64_t str_size;
	uint64_t nrelocs; /* entries in RELA sections that will be applied */
	uint32_t nrela;   /* RELA sections that will be applied */
	uint64_t ngotrel; /* of nrelocs: GOT-capable types */
	uint32_t nlisted; /* symbols a crate lists (elf_symbol_is_listed) */
};

/* Check every header, table, symbol and relocation entry of `image` (size
 * bytes, 8-aligned) and fill *f; a refusal is logged through svc naming
 * `crate` and returned as the named E_ELF_* error. Allocates nothing. */
NS_MUST_CHECK enum err elf_validate(struct elf_file *f,
				    const struct ld_services *svc,
				    const char *crate, const void *image,
				    size_t size);
/* Name what is wrong with entry k of applied RELA section i (E_OK if nothing). */
NS_MUST_CHECK enum err elf_check_rela(const struct elf_file *f, uint32_t i, uint64_t k,
				      const Elf64_Rela *r);

/* A section's or symbol's name, or "?" when the tables do not give one
 * (inline: the loader's loops ask per section and per symbol). */
static inline const char *elf_section_name(const struct elf_file *f, uint32_t index)
{
	if (!f->shstr || index >= f->shnum || f->sh[index].sh_name >= f->shstr_size)
		return "?";
	return f->shstr + f->sh[index].sh_name;
}
static inline const char *elf_symbol_name(const struct elf_file *f, uint32_t index)
{
	if (!f->str || index >= f->nsyms || f->syms[index].st_name >= f->str_size)
		return "?";
	return f->str + f->syms[index].st_name;
}
static inline bool elf_section_is_loaded(const Elf64_Shdr *sh)
{
	return (sh->sh_flags & SHF_ALLOC) != 0;
}

/* Is symbol `s` (of a validated file) one a crate lists: defined, named, a
 * function, object or untyped symbol, absolute or in a loaded section? */
static inline bool elf_symbol_is_listed(const struct elf_file *f, const Elf64_Sym *s)
{
	unsigned type = ELF64_ST_TYPE(s->st_info);

	if (s->st_shndx == SHN_UNDEF || s->st_name == 0 ||
	    (type != STT_NOTYPE && type != STT_OBJECT && type != STT_FUNC))
		return false;
	return s->st_shndx == SHN_ABS || elf_section_is_loaded(&f->sh[s->st_shndx]);
}

/* A RELA section whose target is loaded; others (debug info) are ignored. */
static inline bool elf_rela_is_applied(const struct elf_file *f, const Elf64_Shdr *sh)
{
	return sh->sh_type == SHT_RELA && elf_section_is_loaded(&f->sh[sh->sh_info]);
}

/* The applied RELA section after `i` (start with 0), or 0 when none is left:
 * the one loop over applied RELA sections. */
static inline uint32_t elf_next_applied_rela(const struct elf_file *f, uint32_t i)
{
	while (++i < f->shnum)
		if (elf_rela_is_applied(f, &f->sh[i]))
			return i;
	return 0;
}

/* The entries of RELA section i and their count (bounds checked by validation). */
static inline const Elf64_Rela *elf_rela_entries(const struct elf_file *f, uint32_t i,
						 uint64_t *count)
{
	*count = f->sh[i].sh_size / sizeof(Elf64_Rela);
	return (const Elf64_Rela *)(f->data + f->sh[i].sh_offset);
}

#endif
