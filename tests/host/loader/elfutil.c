/*
 * Test-side ELF helpers (see elfutil.h). They trust their input: they are
 * only used on objects the compilers just produced.
 */
#include "elfutil.h"

#include <stdlib.h>
#include <string.h>

const char *eu_section_name(const struct blob *b, unsigned i)
{
	Elf64_Shdr *str = eu_shdr(b, eu_ehdr(b)->e_shstrndx);

	return (const char *)b->data + str->sh_offset + eu_shdr(b, i)->sh_name;
}

unsigned eu_find_section(const struct blob *b, const char *name, unsigned type)
{
	for (unsigned i = 1; i < eu_ehdr(b)->e_shnum; i++) {
		if (name && strcmp(eu_section_name(b, i), name) == 0)
			return i;
		if (!name && eu_shdr(b, i)->sh_type == type)
			return i;
	}
	return 0;
}

unsigned eu_symtab(const struct blob *b)
{
	return eu_find_section(b, NULL, SHT_SYMTAB);
}

Elf64_Sym *eu_syms(const struct blob *b, unsigned *count)
{
	Elf64_Shdr *s = eu_shdr(b, eu_symtab(b));

	*count = (unsigned)(s->sh_size / sizeof(Elf64_Sym));
	return (Elf64_Sym *)(b->data + s->sh_offset);
}

const char *eu_sym_name(const struct blob *b, const Elf64_Sym *s)
{
	Elf64_Shdr *str = eu_shdr(b, eu_shdr(b, eu_symtab(b))->sh_link);

	return (const char *)b->data + str->sh_offset + s->st_name;
}

unsigned eu_find_symbol(const struct blob *b, const char *name)
{
	unsigned n;
	Elf64_Sym *s = eu_syms(b, &n);

	for (unsigned i = 1; i < n; i++)
		if (strcmp(eu_sym_name(b, &s[i]), name) == 0)
			return i;
	return 0;
}

struct blob eu_copy(const struct blob *b)
{
	struct blob c = { aligned_alloc(16, (b->size + 16) & ~(size_t)15), b->size };

	memcpy(c.data, b->data, b->size);
	return c;
}
