/*
 * A linked ELF64 image (the nano_core) as the host tools read it: section
 * headers and the symbol table, every offset checked against the file once.
 * Shared by elfcheck (--nano-core) and ncdesc. Header-only: host tools only.
 */
#ifndef TOOLS_ELF_IMAGE_H
#define TOOLS_ELF_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <loader/elf.h>

struct elf_image {
	const uint8_t *data;
	size_t size;
	const Elf64_Shdr *sh;
	unsigned shnum;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *strs;	/* the symbol table's strings, NUL-terminated */
	size_t strsize;
};

/* Check the headers and find the symbol table; false if the image is unusable. */
static inline bool elf_image_parse(struct elf_image *im, const uint8_t *data, size_t size)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)data;

	*im = (struct elf_image){ .data = data, .size = size };
	if (size < sizeof(*eh) || memcmp(data, ELFMAG, 4) != 0 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > size ||
	    (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return false;
	im->sh = (const Elf64_Shdr *)(data + eh->e_shoff);
	im->shnum = eh->e_shnum;
	for (unsigned i = 0; i < im->shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i];
		if (s->sh_type != SHT_NOBITS &&
		    (s->sh_offset > size || s->sh_size > size - s->sh_offset))
			return false;
	}
	for (unsigned i = 0; i < im->shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i];
		if (s->sh_type != SHT_SYMTAB || s->sh_link >= im->shnum)
			continue;
		im->syms = (const Elf64_Sym *)(data + s->sh_offset);
		im->nsyms = s->sh_size / sizeof(Elf64_Sym);
		im->strs = (const char *)data + im->sh[s->sh_link].sh_offset;
		im->strsize = im->sh[s->sh_link].sh_size;
	}
	return im->syms && im->strsize && im->strs[im->strsize - 1] == '\0';
}

/* The name of sym, or NULL if its name offset is out of range. */
static inline const char *elf_image_sym_name(const struct elf_image *im, const Elf64_Sym *sym)
{
	return sym->st_name < im->strsize ? im->strs + sym->st_name : NULL;
}

#endif
