/*
 * Test-side ELF reading with the host's <elf.h>, independent of the loader's
 * own parser: find sections and symbols by name, walk relocations, and patch
 * copies of objects to make malformed variants. Files including this header
 * must not include <loader/elf.h>.
 */
#ifndef TESTS_HOST_LOADER_ELFUTIL_H
#define TESTS_HOST_LOADER_ELFUTIL_H

#include <elf.h>
#include "test.h"

static inline Elf64_Ehdr *eu_ehdr(const struct blob *b)
{
	return (Elf64_Ehdr *)b->data;
}

static inline Elf64_Shdr *eu_shdr(const struct blob *b, unsigned i)
{
	return (Elf64_Shdr *)(b->data + eu_ehdr(b)->e_shoff) + i;
}

const char *eu_section_name(const struct blob *b, unsigned i);
/* Index of the first section called `name` (or of type `type` when name is
 * NULL); 0 if none. */
unsigned eu_find_section(const struct blob *b, const char *name, unsigned type);
unsigned eu_symtab(const struct blob *b);
Elf64_Sym *eu_syms(const struct blob *b, unsigned *count);
const char *eu_sym_name(const struct blob *b, const Elf64_Sym *s);
/* Index of symbol `name`; 0 if none. */
unsigned eu_find_symbol(const struct blob *b, const char *name);
/* A fresh copy to patch. */
struct blob eu_copy(const struct blob *b);

#endif
