/*
 * Malformed variants of a good object (basic.o from each compiler), one per
 * check: each patch must be rejected with its own error code and a message
 * naming the offending value, and everything the load took must be given
 * back (the shim's counters must not move). Among them, the inputs that
 * would make a load's work larger than its file: aliased tables, sizes past
 * the file, reserved indexes, names that overlap on purpose.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

/* The first applied RELA section (its target is SHF_ALLOC). */
static unsigned trela(const struct blob *b)
{
	for (unsigned i = 1; i < eu_ehdr(b)->e_shnum; i++) {
		Elf64_Shdr *s = eu_shdr(b, i);

		if (s->sh_type == SHT_RELA && (eu_shdr(b, s->sh_info)->sh_flags & SHF_ALLOC))
			return i;
	}
	return 0;
}

static Elf64_Rela *trela0(const struct blob *b)
{
	return (Elf64_Rela *)(b->data + eu_shdr(b, trela(b))->sh_offset);
}

/* The first defined global symbol. */
static Elf64_Sym *tglobal(const struct blob *b)
{
	unsigned n;
	Elf64_Sym *s = eu_syms(b, &n);

	for (unsigned i = 1; i < n; i++)
		if (ELF64_ST_BIND(s[i].st_info) == STB_GLOBAL && s[i].st_shndx != SHN_UNDEF)
			return &s[i];
	return &s[1];
}

static unsigned tsec(const struct blob *b, unsigned flags)
{
	for (unsigned i = 1; i < eu_ehdr(b)->e_shnum; i++)
		if ((eu_shdr(b, i)->sh_flags & flags) == flags &&
		    eu_shdr(b, i)->sh_type == SHT_PROGBITS)
			return i;
	return 1;
}

#define EH (eu_ehdr(b))
#define SH(i) (eu_shdr(b, (i)))
static void p_magic(struct blob *b) { EH->e_ident[1] = 'X'; }
static void p_class(struct blob *b) { EH->e_ident[EI_CLASS] = ELFCLASS32; }
static void p_endian(struct blob *b) { EH->e_ident[EI_DATA] = ELFDATA2MSB; }
static void p_version(struct blob *b) { EH->e_version = 2; }
static void p_type(struct blob *b) { EH->e_type = ET_EXEC; }
static void p_machine(struct blob *b) { EH->e_machine = EM_386; }
static void p_shentsize(struct blob *b) { EH->e_shentsize = 32; }
static void p_shnum0(struct blob *b) { EH->e_shnum = 0; }
static void p_shoff(struct blob *b) { EH->e_shoff = b->size - 64; }
static void p_shnum_reserved(struct blob *b) { EH->e_shnum = SHN_LORESERVE; }
/* A second RELA section header over (part of) the first one's entries. */
static void p_rela_alias(struct blob *b)
{
	unsigned a = trela(b), k = a + 1;

	while (k < EH->e_shnum && SH(k)->sh_type != SHT_RELA)
		k++;
	SH(k)->sh_offset = SH(a)->sh_offset;
	if (SH(k)->sh_size > SH(a)->sh_size)
		SH(k)->sh_size = SH(a)->sh_size;
}
/* Table k moved over table a's bytes (its size cut to fit). */
static void tables_alias(struct blob *b, unsigned a, unsigned k)
{
	SH(k)->sh_offset = SH(a)->sh_offset;
	if (SH(k)->sh_size > SH(a)->sh_size)
		SH(k)->sh_size = SH(a)->sh_size;
}
/* The first and the last RELA section in index order. */
static void rela_ends(struct blob *b, unsigned *first, unsigned *last)
{
	*first = *last = 0;
	for (unsigned i = 1; i < EH->e_shnum; i++)
		if (SH(i)->sh_type == SHT_RELA) {
			*first = *first ? *first : i;
			*last = i;
		}
}
/* The last RELA section over the first's bytes: out of file order (a stray
 * of the linear check), it overlaps a table in order. */
static void p_rela_stray_alias(struct blob *b)
{
	unsigned first, last;

	rela_ends(b, &first, &last);
	tables_alias(b, first, last);
}
/* The first RELA section over the last's bytes: every table after it is out
 * of file order, too many for the linear check: the sort finds it. */
static void p_rela_unordered_alias(struct blob *b)
{
	unsigned first, last;

	rela_ends(b, &first, &last);
	tables_alias(b, last, first);
}
/* A non-loaded section over the whole file: contents add up past its size. */
static void p_sizes_exceed(struct blob *b)
{
	unsigned k = eu_find_section(b, ".comment", 0);

	SH(k)->sh_offset = 0;
	SH(k)->sh_size = b->size;
}
/* The last symbol (a global) becomes local: locals no longer all come first. */
static void p_local_late(struct blob *b)
{
	unsigned n;
	Elf64_Sym *s = eu_syms(b, &n);

	s[n - 1].st_info = ELF64_ST_INFO(STB_LOCAL, ELF64_ST_TYPE(s[n - 1].st_info));
}
static void p_sym_reserved(struct blob *b) { tglobal(b)->st_shndx = 0xff02; /* LARGE_COMMON */ }
/* The second defined global takes the first one's name. */
static void p_dup_global(struct blob *b)
{
	unsigned n, i, first = 0;
	Elf64_Sym *s = eu_syms(b, &n);

	for (i = 1; i < n; i++) {
		if (ELF64_ST_BIND(s[i].st_info) != STB_GLOBAL || s[i].st_shndx == SHN_UNDEF)
			continue;
		if (!first) {
			first = i;
			continue;
		}
		s[i].st_name = s[first].st_name;
		return;
	}
}
/* The string table becomes one long name, and every global and undefined
 * symbol is named by it: the names add up to many times the table. */
static void p_long_names(struct blob *b)
{
	Elf64_Shdr *str = SH(SH(eu_symtab(b))->sh_link);
	unsigned n, i;
	Elf64_Sym *s = eu_syms(b, &n);

	memset(b->data + str->sh_offset + 1, 'n', str->sh_size - 2);
	for (i = 1; i < n; i++)
		if (ELF64_ST_BIND(s[i].st_info) != STB_LOCAL)
			s[i].st_name = 1;
}
static void p_shoff_wrap(struct blob *b) { EH->e_shoff = ~(uint64_t)7; }
static void p_null(struct blob *b) { SH(0)->sh_type = SHT_PROGBITS; }
static void p_secsize(struct blob *b) { SH(tsec(b, SHF_ALLOC | SHF_EXECINSTR))->sh_size = b->size; }
static void p_secwrap(struct blob *b) { SH(tsec(b, SHF_ALLOC))->sh_offset = ~(uint64_t)0x10; }
static void p_align(struct blob *b) { SH(tsec(b, SHF_ALLOC))->sh_addralign = 12; }
static void p_bigalign(struct blob *b) { SH(tsec(b, SHF_ALLOC))->sh_addralign = 8192; }
static void p_wx(struct blob *b) { SH(tsec(b, SHF_ALLOC | SHF_WRITE))->sh_flags |= SHF_EXECINSTR; }
static void p_tls(struct blob *b) { SH(tsec(b, SHF_ALLOC | SHF_WRITE))->sh_flags |= SHF_TLS; }
static void p_rel(struct blob *b) { SH(trela(b))->sh_type = SHT_REL; }
static void p_shstrndx(struct blob *b) { EH->e_shstrndx = EH->e_shnum; }
static void p_shstr_type(struct blob *b) { EH->e_shstrndx = eu_symtab(b); }
static void p_unterminated(struct blob *b)
{
	Elf64_Shdr *s = SH(SH(eu_symtab(b))->sh_link);

	b->data[s->sh_offset + s->sh_size - 1] = 'x';
}
static void p_secname(struct blob *b) { SH(3)->sh_name = 0x7fffffff; }
static void p_symname(struct blob *b) { tglobal(b)->st_name = 0x7fffffff; }
static void p_nosymtab(struct blob *b) { SH(eu_symtab(b))->sh_type = SHT_PROGBITS; }
static void p_twosymtab(struct blob *b) { SH(tsec(b, SHF_ALLOC))->sh_type = SHT_SYMTAB; }
static void p_symentsize(struct blob *b) { SH(eu_symtab(b))->sh_entsize = 16; }
static void p_symlink(struct blob *b) { SH(eu_symtab(b))->sh_link = tsec(b, SHF_ALLOC); }
static void p_shndx(struct blob *b) { tglobal(b)->st_shndx = (Elf64_Half)(EH->e_shnum + 5); }
static void p_common(struct blob *b) { tglobal(b)->st_shndx = SHN_COMMON; }
static void p_xindex(struct blob *b) { tglobal(b)->st_shndx = SHN_XINDEX; }
static void p_bind(struct blob *b) { tglobal(b)->st_info = ELF64_ST_INFO(5, STT_FUNC); }
static void p_symvalue(struct blob *b) { tglobal(b)->st_value = 0x100000; }
static void p_relaent(struct blob *b) { SH(trela(b))->sh_entsize = 16; }
static void p_relalink(struct blob *b) { SH(trela(b))->sh_link = 0; }
static void p_relainfo(struct blob *b) { SH(trela(b))->sh_info = EH->e_shnum + 1; }
static void p_relasym(struct blob *b)
{
	trela0(b)->r_info = ELF64_R_INFO(0x7fffff, ELF64_R_TYPE(trela0(b)->r_info));
}
static void p_relaoff(struct blob *b) { trela0(b)->r_offset = SH(SH(trela(b))->sh_info)->sh_size - 2; }
static void p_relawrap(struct blob *b) { trela0(b)->r_offset = ~(uint64_t)1; }
static void p_relatype(struct blob *b)
{
	trela0(b)->r_info = ELF64_R_INFO(ELF64_R_SYM(trela0(b)->r_info), 99);
}
static void p_relatarget(struct blob *b)
{
	unsigned n;
	Elf64_Sym *s = eu_syms(b, &n);

	s[ELF64_R_SYM(trela0(b)->r_info)].st_shndx = (Elf64_Half)eu_find_section(b, ".comment", 0);
}

static void p_symnull(struct blob *b)
{
	unsigned n;

	eu_syms(b, &n)[0].st_shndx = 1;
}
static void p_symalign(struct blob *b) { SH(eu_symtab(b))->sh_offset += 4; }

/* X(name, patch, expected error, text the log must contain) */
#define MALFORMED_VARIANTS(X) \
	X(magic, p_magic, E_ELF_BAD_MAGIC, "bad magic") \
	X(class, p_class, E_ELF_BAD_CLASS, "EI_CLASS is 1") \
	X(endian, p_endian, E_ELF_BAD_ENDIAN, "EI_DATA is 2") \
	X(version, p_version, E_ELF_BAD_VERSION, "version is 1/2") \
	X(type, p_type, E_ELF_NOT_REL, "e_type is 2") \
	X(machine, p_machine, E_ELF_BAD_MACHINE, "e_machine is 3") \
	X(shentsize, p_shentsize, E_ELF_BAD_SHENTSIZE, "e_shentsize is 32") \
	X(shnum0, p_shnum0, E_ELF_NO_SECTIONS, "e_shnum is 0") \
	X(shnum_reserved, p_shnum_reserved, E_ELF_TOO_MANY_SECTIONS, "indexes from 65280 on") \
	X(rela_alias, p_rela_alias, E_ELF_TABLES_OVERLAP, "share bytes") \
	X(rela_stray_alias, p_rela_stray_alias, E_ELF_TABLES_OVERLAP, "share bytes") \
	X(rela_unordered_alias, p_rela_unordered_alias, E_ELF_TABLES_OVERLAP, "share bytes") \
	X(sizes_exceed, p_sizes_exceed, E_ELF_SECTIONS_EXCEED_FILE, "add up to") \
	X(local_late, p_local_late, E_ELF_BAD_SYMTAB, "says the locals end before") \
	X(sym_reserved, p_sym_reserved, E_ELF_BAD_SHNDX, "ff02 is a reserved index") \
	X(dup_global, p_dup_global, E_ELF_DUPLICATE_GLOBAL, "is defined twice in the object") \
	X(long_names, p_long_names, E_ELF_NAMES_OVERLAP, "twice the") \
	X(shoff, p_shoff, E_ELF_SHDRS_OUT_OF_FILE, "section headers at") \
	X(shoff_wrap, p_shoff_wrap, E_ELF_SHDRS_OUT_OF_FILE, "fffffffffffffff8") \
	X(null_section, p_null, E_ELF_BAD_NULL_SECTION, "section 0 has type 1") \
	X(section_size, p_secsize, E_ELF_SECTION_OUT_OF_FILE, "exceed file size") \
	X(section_wrap, p_secwrap, E_ELF_SECTION_OUT_OF_FILE, "ffffffffffffffef") \
	X(align, p_align, E_ELF_BAD_ALIGN, "sh_addralign c") \
	X(align_large, p_bigalign, E_ELF_ALIGN_TOO_LARGE, "alignment 2000") \
	X(write_exec, p_wx, E_ELF_WRITE_EXEC, "are W+X") \
	X(tls, p_tls, E_ELF_TLS_UNSUPPORTED, "SHF_TLS") \
	X(rel, p_rel, E_ELF_REL_UNSUPPORTED, "SHT_REL") \
	X(shstrndx, p_shstrndx, E_ELF_BAD_SHSTRNDX, "e_shstrndx") \
	X(shstrndx_type, p_shstr_type, E_ELF_BAD_SHSTRNDX, "not a string table") \
	X(strtab_nul, p_unterminated, E_ELF_STRTAB_UNTERMINATED, "does not end in NUL") \
	X(section_name, p_secname, E_ELF_BAD_NAME, "sh_name 2147483647") \
	X(symbol_name, p_symname, E_ELF_BAD_NAME, "st_name 2147483647") \
	X(no_symtab, p_nosymtab, E_ELF_NO_SYMTAB, "no SHT_SYMTAB") \
	X(two_symtabs, p_twosymtab, E_ELF_MULTIPLE_SYMTAB, "both SHT_SYMTAB") \
	X(sym_entsize, p_symentsize, E_ELF_BAD_SYMTAB, "sh_entsize 16") \
	X(sym_link, p_symlink, E_ELF_BAD_SYMTAB_LINK, "is not a string table") \
	X(shndx, p_shndx, E_ELF_BAD_SHNDX, "out of range") \
	X(common, p_common, E_ELF_COMMON_SYMBOL, "compile with -fno-common") \
	X(xindex, p_xindex, E_ELF_XINDEX_UNSUPPORTED, "SHN_XINDEX") \
	X(sym_null, p_symnull, E_ELF_BAD_SYMBOL, "symbol 0 is not the null symbol") \
	X(symtab_misaligned, p_symalign, E_ELF_MISALIGNED, "symbol table offset") \
	X(sym_bind, p_bind, E_ELF_BAD_SYMBOL, "binding 5") \
	X(sym_value, p_symvalue, E_ELF_BAD_SYMBOL, "value 100000 beyond") \
	X(rela_entsize, p_relaent, E_ELF_BAD_RELA, "sh_entsize 16") \
	X(rela_link, p_relalink, E_ELF_BAD_RELA_LINK, "sh_link 0") \
	X(rela_info, p_relainfo, E_ELF_BAD_RELA_INFO, "out of range") \
	X(rela_symindex, p_relasym, E_ELF_BAD_SYMINDEX, "symbol 8388607 of") \
	X(rela_offset, p_relaoff, E_ELF_RELOC_OUT_OF_SECTION, "beyond size") \
	X(rela_offset_wrap, p_relawrap, E_ELF_RELOC_OUT_OF_SECTION, "fffffffffffffffe") \
	X(rela_type, p_relatype, E_ELF_RELOC_UNSUPPORTED, "type 99 at offset") \
	X(rela_target, p_relatarget, E_ELF_RELOC_BAD_TARGET, "non-allocated section")

/* Load a patched copy, with what it imports loaded first (so that the patch
 * is its only fault, wherever the loader meets it): its code, its message,
 * counters unchanged. */
static void tmalformed(struct tctx *t, void (*patch)(struct blob *b), enum err want,
		       const char *needle)
{
	struct ld_namespace *ns = tns(t);
	struct shim_counters before;
	struct ld_crate *c, *prov;
	struct blob good, bad;
	enum err e;

	REQUIRE(t, ns && tobj_read(t, t->compiler, "basic", &good));
	REQUIRE_ERR(t, tload(t, ns, "provider", NULL, &prov), E_OK);
	bad = eu_copy(&good);
	free(good.data);
	patch(&bad);
	before = tsnap(t);
	e = ld_load(ns, "bad", bad.data, bad.size, NULL, &c);
	free(bad.data);
	REQUIRE_ERR(t, e, want);
	REQUIREF(t, shim_log_contains(&t->shim, needle), "log lacks '%s': %s", needle,
		 shim_last_log(&t->shim));
	REQUIRE_UNCHANGED(t, before);
}

#define MALFORMED_TEST(name, patch, want, needle)                               \
	static void test_malformed_##name(struct tctx *t)                      \
	{                                                                       \
		tmalformed(t, patch, want, needle);                             \
	}
MALFORMED_VARIANTS(MALFORMED_TEST)

/* Truncations and a misaligned buffer. */
static void test_truncated(struct tctx *t)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *c;
	struct blob good;
	uint8_t *shifted;

	REQUIRE(t, ns && tobj_read(t, t->compiler, "basic", &good));
	REQUIRE_ERR(t, ld_load(ns, "bad", good.data, 10, NULL, &c), E_ELF_TOO_SMALL);
	REQUIRE(t, shim_log_contains(&t->shim, "file is 10 bytes"));
	REQUIRE_ERR(t, ld_load(ns, "bad", good.data, 0, NULL, &c), E_ELF_TOO_SMALL);
	for (size_t cut = 64; cut < good.size; cut += 97)
		REQUIRE(t, ld_load(ns, "bad", good.data, cut, NULL, &c) != E_OK);
	shifted = malloc(good.size + 1);
	memcpy(shifted + 1, good.data, good.size);
	REQUIRE_ERR(t, ld_load(ns, "bad", shifted + 1, good.size, NULL, &c), E_ELF_MISALIGNED);
	free(shifted);
	free(good.data);
	REQUIRE(t, t->shim.now.heap_live == 1 && t->shim.now.reserved_live == 0);
}

#define MALFORMED_ENTRY(name, patch, want, needle) \
	{ "malformed_" #name, test_malformed_##name, true },
const struct test_case tests_validate[] = {
	MALFORMED_VARIANTS(MALFORMED_ENTRY)
	{ "validate_truncated", test_truncated, true },
	{ 0 },
};
