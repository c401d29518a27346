/*
 * A linked ELF64 image (the nano_core) as the host tools read it: section
 * headers and the symbol table, every offset, size, index, alignment and type
 * checked before it is used, as strictly as the loader checks an object
 * (loader/validate.c; that code wants ET_REL, this is the linked image).
 * Shared by elfcheck (--nano-core) and ncdesc. Header-only: host tools only.
 */
#ifndef TOOLS_ELF_IMAGE_H
#define TOOLS_ELF_IMAGE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
	char why[160];		/* why elf_image_parse refused the image */
};

static inline bool __attribute__((format(printf, 2, 3)))
elf_image_refuse(struct elf_image *im, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(im->why, sizeof(im->why), fmt, ap);
	va_end(ap);
	return false;
}

/* [off, off+len) inside a file of `size` bytes, without wrap. */
static inline bool elf_image_in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* The file header: ELF64, little-endian, section headers in the file. */
static inline bool elf_image_check_header(struct elf_image *im)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)im->data;

	if (im->size < sizeof(*eh))
		return elf_image_refuse(im, "%zu bytes, an ELF header is %zu", im->size,
					sizeof(*eh));
	if ((uintptr_t)im->data % 8 != 0)
		return elf_image_refuse(im, "image in memory is not 8-byte aligned");
	if (memcmp(eh->e_ident, ELFMAG, 4) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return elf_image_refuse(im, "not a little-endian ELF64 file");
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0)
		return elf_image_refuse(im, "e_shentsize %u, e_shnum %u", eh->e_shentsize,
					eh->e_shnum);
	if (!elf_image_in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr),
			       im->size) || eh->e_shoff % 8 != 0)
		return elf_image_refuse(im, "section headers at %#lx (%u) outside the file or "
					"misaligned", (unsigned long)eh->e_shoff, eh->e_shnum);
	im->sh = (const Elf64_Shdr *)(im->data + eh->e_shoff);
	im->shnum = eh->e_shnum;
	return true;
}

/* Every section with bytes in the file has all of them there. */
static inline bool elf_image_check_sections(struct elf_image *im)
{
	for (unsigned i = 0; i < im->shnum; i++) {
		const Elf64_Shdr *s = &im->sh[i];
		if (s->sh_type != SHT_NOBITS && s->sh_type != SHT_NULL &&
		    !elf_image_in_file(s->sh_offset, s->sh_size, im->size))
			return elf_image_refuse(im, "section %u: offset %#lx size %#lx exceed "
						"the file (%zu bytes)", i,
						(unsigned long)s->sh_offset,
						(unsigned long)s->sh_size, im->size);
	}
	return true;
}

/* The one SHT_SYMTAB: its shape, alignment, and its string table (an
 * in-file, non-empty, NUL-terminated SHT_STRTAB). */
static inline bool elf_image_check_symtab(struct elf_image *im)
{
	const Elf64_Shdr *s = NULL, *str;
	unsigned found = 0;

	for (unsigned i = 1; i < im->shnum; i++) {
		if (im->sh[i].sh_type != SHT_SYMTAB)
			continue;
		if (s)
			return elf_image_refuse(im, "sections %u and %u are both SHT_SYMTAB",
						found, i);
		s = &im->sh[found = i];
	}
	if (!s)
		return elf_image_refuse(im, "no SHT_SYMTAB section");
	if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_size % sizeof(Elf64_Sym) != 0 ||
	    s->sh_size == 0 || s->sh_offset % 8 != 0)
		return elf_image_refuse(im, "symbol table (section %u): sh_entsize %lu, sh_size "
					"%lu, sh_offset %#lx (want %zu-byte entries, 8-aligned)",
					found, (unsigned long)s->sh_entsize,
					(unsigned long)s->sh_size, (unsigned long)s->sh_offset,
					sizeof(Elf64_Sym));
	if (s->sh_link == SHN_UNDEF || s->sh_link >= im->shnum ||
	    im->sh[s->sh_link].sh_type != SHT_STRTAB)
		return elf_image_refuse(im, "symbol table (section %u): sh_link %u is not a "
					"string table", found, s->sh_link);
	str = &im->sh[s->sh_link];
	if (str->sh_size == 0 || im->data[str->sh_offset + str->sh_size - 1] != '\0')
		return elf_image_refuse(im, "string table (section %u) of %lu bytes does not "
					"end in NUL", s->sh_link, (unsigned long)str->sh_size);
	im->syms = (const Elf64_Sym *)(im->data + s->sh_offset);
	im->nsyms = s->sh_size / sizeof(Elf64_Sym);
	im->strs = (const char *)im->data + str->sh_offset;
	im->strsize = str->sh_size;
	return true;
}

/* Check the headers and find the symbol table; false (with im->why) if the
 * image is unusable. After success every symbol is in the file and every
 * name offset can be checked with elf_image_sym_name. */
static inline bool elf_image_parse(struct elf_image *im, const uint8_t *data, size_t size)
{
	*im = (struct elf_image){ .data = data, .size = size };
	return elf_image_check_header(im) && elf_image_check_sections(im) &&
	       elf_image_check_symtab(im);
}

/* The name of sym, or NULL if its name offset is out of range. */
static inline const char *elf_image_sym_name(const struct elf_image *im, const Elf64_Sym *sym)
{
	return sym->st_name < im->strsize ? im->strs + sym->st_name : NULL;
}

#endif
