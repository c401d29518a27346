/*
 * Validation of an ELF image's file header and section headers: every offset,
 * size, index and string checked against the file's bounds before the loader
 * allocates or maps anything. Each check is a small function that logs the
 * offending index and value and returns its own error code; symbols and
 * relocation sections in validate_symbols.c. After elf_validate succeeds,
 * the rest of the loader may index the image without further bounds checks
 * (each relocation entry is checked as it is applied: elf_check_rela), and
 * the work any later stage does is bounded by the file's size: section
 * contents may not add up to more than the file, and the tables the loader
 * walks (symbols, strings, relocations) may not share bytes.
 */
#include "internal.h"

#define ELF_FAIL(f, code, fmt, ...)                                             \
	(LD_LOG((f)->svc, "%s: " fmt, (f)->crate, ##__VA_ARGS__), (code))

/* true when [off, off+len) lies inside a file of `size` bytes, without wrap. */
static bool elf_range_in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static enum err elf_check_ident(struct elf_file *f)
{
	const unsigned char *id = f->eh->e_ident;

	if (ld_memcmp(id, ELFMAG, 4) != 0)
		return ELF_FAIL(f, E_ELF_BAD_MAGIC, "bad magic %x %x %x %x", id[0],
				id[1], id[2], id[3]);
	if (id[EI_CLASS] != ELFCLASS64)
		return ELF_FAIL(f, E_ELF_BAD_CLASS, "EI_CLASS is %u, want %u (ELFCLASS64)",
				id[EI_CLASS], ELFCLASS64);
	if (id[EI_DATA] != ELFDATA2LSB)
		return ELF_FAIL(f, E_ELF_BAD_ENDIAN, "EI_DATA is %u, want %u (little-endian)",
				id[EI_DATA], ELFDATA2LSB);
	if (id[EI_VERSION] != EV_CURRENT || f->eh->e_version != EV_CURRENT)
		return ELF_FAIL(f, E_ELF_BAD_VERSION, "version is %u/%u, want %u",
				id[EI_VERSION], f->eh->e_version, EV_CURRENT);
	return E_OK;
}

/* File header: identity, type, machine, and the section header table's place. */
enum err elf_check_header(struct elf_file *f)
{
	const Elf64_Ehdr *eh;
	enum err e;

	if (f->size < sizeof(Elf64_Ehdr))
		return ELF_FAIL(f, E_ELF_TOO_SMALL, "file is %lu bytes, an ELF header is %lu",
				(unsigned long)f->size, (unsigned long)sizeof(Elf64_Ehdr));
	if ((uintptr_t)f->data % 8 != 0)
		return ELF_FAIL(f, E_ELF_MISALIGNED, "image at %lx is not 8-byte aligned",
				(unsigned long)(uintptr_t)f->data);
	f->eh = eh = (const Elf64_Ehdr *)f->data;
	e = elf_check_ident(f);
	if (e != E_OK)
		return e;
	if (eh->e_type != ET_REL)
		return ELF_FAIL(f, E_ELF_NOT_REL, "e_type is %u, want %u (ET_REL)",
				eh->e_type, ET_REL);
	if (eh->e_machine != EM_X86_64)
		return ELF_FAIL(f, E_ELF_BAD_MACHINE, "e_machine is %u, want %u (EM_X86_64)",
				eh->e_machine, EM_X86_64);
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return ELF_FAIL(f, E_ELF_BAD_SHENTSIZE, "e_shentsize is %u, want %lu",
				eh->e_shentsize, (unsigned long)sizeof(Elf64_Shdr));
	if (eh->e_shnum == 0)
		return ELF_FAIL(f, E_ELF_NO_SECTIONS,
				"e_shnum is 0 (no sections, or extended numbering)");
	if (eh->e_shnum >= SHN_LORESERVE)
		return ELF_FAIL(f, E_ELF_TOO_MANY_SECTIONS,
				"e_shnum is %u: indexes from %u on are reserved", eh->e_shnum,
				SHN_LORESERVE);
	if (!elf_range_in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), f->size))
		return ELF_FAIL(f, E_ELF_SHDRS_OUT_OF_FILE,
				"section headers at %lx (%u entries) exceed file size %lu",
				(unsigned long)eh->e_shoff, eh->e_shnum, (unsigned long)f->size);
	if (eh->e_shoff % 8 != 0)
		return ELF_FAIL(f, E_ELF_MISALIGNED, "e_shoff %lx is not 8-byte aligned",
				(unsigned long)eh->e_shoff);
	f->sh = (const Elf64_Shdr *)(f->data + eh->e_shoff);
	f->shnum = eh->e_shnum;
	return E_OK;
}

/* The checks of one section header that need no other section. */
static inline __attribute__((always_inline)) enum err
elf_check_one_section(struct elf_file *f, uint32_t i)
{
	const Elf64_Shdr *s = &f->sh[i];
	uint64_t wx = SHF_WRITE | SHF_EXECINSTR;

	if (s->sh_type != SHT_NOBITS && !elf_range_in_file(s->sh_offset, s->sh_size, f->size))
		return ELF_FAIL(f, E_ELF_SECTION_OUT_OF_FILE,
				"section %u: offset %lx size %lx exceed file size %lu", i,
				(unsigned long)s->sh_offset, (unsigned long)s->sh_size,
				(unsigned long)f->size);
	if (!ld_is_pow2(s->sh_addralign))
		return ELF_FAIL(f, E_ELF_BAD_ALIGN, "section %u: sh_addralign %lx", i,
				(unsigned long)s->sh_addralign);
	if (elf_section_is_loaded(s) && s->sh_addralign > LD_PAGE_SIZE)
		return ELF_FAIL(f, E_ELF_ALIGN_TOO_LARGE,
				"section %u: alignment %lx exceeds the page size %lx", i,
				(unsigned long)s->sh_addralign, (unsigned long)LD_PAGE_SIZE);
	if ((s->sh_flags & wx) == wx)
		return ELF_FAIL(f, E_ELF_WRITE_EXEC, "section %u: flags %lx are W+X", i,
				(unsigned long)s->sh_flags);
	if (s->sh_flags & SHF_TLS)
		return ELF_FAIL(f, E_ELF_TLS_UNSUPPORTED, "section %u: SHF_TLS", i);
	if (s->sh_type == SHT_REL)
		return ELF_FAIL(f, E_ELF_REL_UNSUPPORTED,
				"section %u: SHT_REL (only RELA is supported)", i);
	if (s->sh_type == SHT_SYMTAB_SHNDX)
		return ELF_FAIL(f, E_ELF_XINDEX_UNSUPPORTED, "section %u: SHT_SYMTAB_SHNDX", i);
	return E_OK;
}

/* A string table: in the file (checked before), non-empty, NUL-terminated. */
static enum err elf_check_strtab(struct elf_file *f, uint32_t i)
{
	const Elf64_Shdr *s = &f->sh[i];

	if (s->sh_size == 0 || f->data[s->sh_offset + s->sh_size - 1] != '\0')
		return ELF_FAIL(f, E_ELF_STRTAB_UNTERMINATED,
				"section %u: string table of %lu bytes does not end in NUL", i,
				(unsigned long)s->sh_size);
	return E_OK;
}

static enum err elf_check_shstrtab(struct elf_file *f)
{
	uint32_t n = f->eh->e_shstrndx;
	enum err e;

	if (n == SHN_UNDEF || n >= f->shnum || f->sh[n].sh_type != SHT_STRTAB)
		return ELF_FAIL(f, E_ELF_BAD_SHSTRNDX,
				"e_shstrndx %u is not a string table (%u sections)", n, f->shnum);
	e = elf_check_one_section(f, n);
	if (e == E_OK)
		e = elf_check_strtab(f, n);
	if (e != E_OK)
		return e;
	f->shstr = (const char *)f->data + f->sh[n].sh_offset;
	f->shstr_size = f->sh[n].sh_size;
	return E_OK;
}

/* The one symbol table (section `found`, 0 if none): its shape and its
 * string table. */
static enum err elf_check_symtab(struct elf_file *f, uint32_t found)
{
	const Elf64_Shdr *s, *str;
	enum err e;

	if (!found)
		return ELF_FAIL(f, E_ELF_NO_SYMTAB, "no SHT_SYMTAB section");
	s = &f->sh[found];
	if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_size % sizeof(Elf64_Sym) != 0 ||
	    s->sh_size == 0 || s->sh_size / sizeof(Elf64_Sym) > UINT32_MAX ||
	    s->sh_info > s->sh_size / sizeof(Elf64_Sym))
		return ELF_FAIL(f, E_ELF_BAD_SYMTAB,
				"section %u: sh_entsize %lu, sh_size %lu, sh_info %u", found,
				(unsigned long)s->sh_entsize, (unsigned long)s->sh_size, s->sh_info);
	if (s->sh_offset % 8 != 0)
		return ELF_FAIL(f, E_ELF_MISALIGNED, "section %u: symbol table offset %lx",
				found, (unsigned long)s->sh_offset);
	if (s->sh_link == SHN_UNDEF || s->sh_link >= f->shnum ||
	    f->sh[s->sh_link].sh_type != SHT_STRTAB)
		return ELF_FAIL(f, E_ELF_BAD_SYMTAB_LINK,
				"section %u: sh_link %u is not a string table", found, s->sh_link);
	e = elf_check_strtab(f, s->sh_link);
	if (e != E_OK)
		return e;
	str = &f->sh[s->sh_link];
	f->symtab = found;
	f->syms = (const Elf64_Sym *)(f->data + s->sh_offset);
	f->nsyms = (uint32_t)(s->sh_size / sizeof(Elf64_Sym));
	f->first_global = s->sh_info ? s->sh_info : 1; /* checked: <= nsyms */
	f->str = (const char *)f->data + str->sh_offset;
	f->str_size = str->sh_size;
	return E_OK;
}

/* The bytes a section occupies in the file (NOBITS and SHT_NULL: none). */
static uint64_t elf_file_bytes(const Elf64_Shdr *s)
{
	return s->sh_type == SHT_NOBITS || s->sh_type == SHT_NULL ? 0 : s->sh_size;
}

/* A table the loader walks entry by entry. */
static bool elf_is_table(const Elf64_Shdr *s)
{
	return (s->sh_type == SHT_SYMTAB || s->sh_type == SHT_STRTAB ||
		s->sh_type == SHT_RELA) && s->sh_size != 0;
}

/* Section x lies before section y in the file. */
static bool elf_offset_less(const void *ctx, uint32_t x, uint32_t y)
{
	const struct elf_file *f = ctx;

	return f->sh[x].sh_offset < f->sh[y].sh_offset;
}

/* Tables x and y share bytes: the named error. */
static enum err elf_tables_overlap(struct elf_file *f, uint32_t x, uint32_t y)
{
	const Elf64_Shdr *a = &f->sh[x], *b = &f->sh[y];

	return ELF_FAIL(f, E_ELF_TABLES_OVERLAP,
			"sections %u [%lx, +%lx) and %u [%lx, +%lx) share bytes", x,
			(unsigned long)a->sh_offset, (unsigned long)a->sh_size, y,
			(unsigned long)b->sh_offset, (unsigned long)b->sh_size);
}

/* Do the file bytes of a and b intersect (both non-empty)? */
static bool elf_bytes_intersect(const Elf64_Shdr *a, const Elf64_Shdr *b)
{
	return a->sh_offset < b->sh_offset + b->sh_size && b->sh_offset < a->sh_offset + a->sh_size;
}

/* Sort every table by offset and compare neighbours: O(n log n). */
static enum err elf_check_tables_sorted(struct elf_file *f)
{
	uint32_t *order, n = 0, i;
	enum err e = E_OK;

	for (i = 1; i < f->shnum; i++)
		n += elf_is_table(&f->sh[i]);
	order = f->svc->heap_alloc(f->svc->ctx, n * sizeof(*order));
	if (!order)
		return ELF_FAIL(f, E_NO_HEAP, "out of heap to check %u tables", n);
	for (i = 1, n = 0; i < f->shnum; i++)
		if (elf_is_table(&f->sh[i]))
			order[n++] = i;
	ld_sort_u32(order, n, elf_offset_less, f);
	for (i = 1; i < n && e == E_OK; i++)
		if (elf_bytes_intersect(&f->sh[order[i - 1]], &f->sh[order[i]]))
			e = elf_tables_overlap(f, order[i - 1], order[i]);
	f->svc->heap_free(f->svc->ctx, order);
	return e;
}

/* Tables out of file order that the linear check takes (more: sort). */
#define ELF_FEW_STRAYS 8

static bool elf_is_stray(uint32_t i, const uint32_t *stray, uint32_t nstray)
{
	for (uint32_t k = 0; k < nstray; k++)
		if (stray[k] == i)
			return true;
	return false;
}

/* The chain's table that shares bytes with stray table t, or 0. The chain
 * (the tables but the strays, in index order) rises and is disjoint: it is
 * walked until a table starts past t's end. */
static uint32_t elf_chain_overlap(const struct elf_file *f, uint32_t t, const uint32_t *stray,
				  uint32_t nstray)
{
	uint64_t end = f->sh[t].sh_offset + f->sh[t].sh_size; /* (in the file: no wrap) */

	for (uint32_t i = 1; i < f->shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];

		if (!elf_is_table(s) || elf_is_stray(i, stray, nstray))
			continue;
		if (s->sh_offset >= end)
			return 0;
		if (elf_bytes_intersect(s, &f->sh[t]))
			return i;
	}
	return 0;
}

/* No two tables share a byte. Objects list their tables nearly in file
 * order (ld -r: the RELA sections in order, then .symtab and .strtab, which
 * lie before them in the file): in index order, the tables whose offset
 * rises form a sorted chain whose neighbours are compared; each of the few
 * others (strays) is compared with the chain up to its end and with the
 * other strays: O(n). With more than ELF_FEW_STRAYS strays, sort them all. */
static enum err elf_check_tables_disjoint(struct elf_file *f)
{
	uint32_t stray[ELF_FEW_STRAYS], nstray = 0, last = 0, i;

	for (i = 1; i < f->shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];

		if (!elf_is_table(s))
			continue;
		if (last && s->sh_offset < f->sh[last].sh_offset) {
			if (nstray == ELF_FEW_STRAYS)
				return elf_check_tables_sorted(f);
			stray[nstray++] = i;
			continue;
		}
		if (last && elf_bytes_intersect(&f->sh[last], s))
			return elf_tables_overlap(f, last, i);
		last = i;
	}
	for (uint32_t k = 0; k < nstray; k++) {
		uint32_t j = elf_chain_overlap(f, stray[k], stray, nstray);

		if (j)
			return elf_tables_overlap(f, j < stray[k] ? j : stray[k],
						  j < stray[k] ? stray[k] : j);
		for (uint32_t l = k + 1; l < nstray; l++)
			if (elf_bytes_intersect(&f->sh[stray[k]], &f->sh[stray[l]]))
				return elf_tables_overlap(f, stray[k], stray[l]);
	}
	return E_OK;
}

/* Every section header: bounds, flags, names, string tables, the symtab;
 * one pass over the headers, after the section name table's own. */
enum err elf_check_sections(struct elf_file *f)
{
	uint64_t total = 0;
	uint32_t i, symtab = 0;
	enum err e;

	if (f->sh[0].sh_type != SHT_NULL)
		return ELF_FAIL(f, E_ELF_BAD_NULL_SECTION, "section 0 has type %u",
				f->sh[0].sh_type);
	e = elf_check_shstrtab(f);
	if (e != E_OK)
		return e;
	for (i = 0; i < f->shnum; i++) {
		const Elf64_Shdr *s = &f->sh[i];

		if (s->sh_name >= f->shstr_size)
			return ELF_FAIL(f, E_ELF_BAD_NAME,
					"section %u: sh_name %u beyond string table size %lu", i,
					s->sh_name, (unsigned long)f->shstr_size);
		if (i == 0)
			continue;
		e = elf_check_one_section(f, i);
		if (e == E_OK && s->sh_type == SHT_STRTAB)
			e = elf_check_strtab(f, i);
		if (e == E_OK && s->sh_type == SHT_SYMTAB && symtab)
			e = ELF_FAIL(f, E_ELF_MULTIPLE_SYMTAB,
				     "sections %u and %u are both SHT_SYMTAB", symtab, i);
		if (e != E_OK)
			return e;
		symtab = s->sh_type == SHT_SYMTAB ? i : symtab;
		total += elf_file_bytes(s); /* each <= size: cannot wrap */
	}
	if (total > f->size)
		return ELF_FAIL(f, E_ELF_SECTIONS_EXCEED_FILE,
				"section contents add up to %lu bytes in a file of %lu",
				(unsigned long)total, (unsigned long)f->size);
	e = elf_check_symtab(f, symtab);
	if (e != E_OK)
		return e;
	return elf_check_tables_disjoint(f);
}

/* Check the whole image; fill `f` with a view the loader can trust. */
enum err elf_validate(struct elf_file *f, const struct ld_services *svc,
		      const char *crate, const void *image, size_t size)
{
	enum err e;

	ld_memset(f, 0, sizeof(*f));
	f->svc = svc;
	f->crate = crate;
	f->data = image;
	f->size = size;
	e = elf_check_header(f);
	if (e == E_OK)
		e = elf_check_sections(f);
	if (e == E_OK)
		e = elf_check_symbols(f);
	if (e == E_OK)
		e = elf_check_relocations(f);
	return e;
}

enum err ld_object_section(const struct ld_services *svc, const char *what, const void *image,
			   size_t size, const char *name, const void **data, size_t *len)
{
	struct elf_file f = { .svc = svc, .crate = what, .data = image, .size = size };
	enum err e = elf_check_header(&f);

	if (e == E_OK)
		e = elf_check_shstrtab(&f);
	if (e != E_OK)
		return e;
	for (uint32_t i = f.shnum - 1; i > 0; i--) { /* (tools add such sections last) */
		if (f.sh[i].sh_name >= f.shstr_size || ld_strcmp(f.shstr + f.sh[i].sh_name, name))
			continue;
		e = elf_check_one_section(&f, i);
		if (e != E_OK)
			return e;
		*data = f.sh[i].sh_type == SHT_NOBITS ? NULL : f.data + f.sh[i].sh_offset;
		*len = f.sh[i].sh_type == SHT_NOBITS ? 0 : f.sh[i].sh_size;
		return E_OK;
	}
	return E_LD_NOT_FOUND;
}
