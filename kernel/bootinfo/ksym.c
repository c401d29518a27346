/*
 * Symbolization from the kernel's own ELF symbol table. GRUB loads .symtab
 * and .strtab and reports their physical addresses in the ELF-sections tag;
 * we check every bound once here so lookups need no further checks.
 */
#include <bootinfo/bootinfo.h>
#include <bootinfo/ksym.h>
#include <console/console.h>
#include <interrupts/backtrace.h>
#include <lib/string.h>
#include <loader/elf.h>	/* ELF definitions only (a leaf header) */
#include <memory/layout.h>

static const Elf64_Sym *ksym_syms;
static uint64_t ksym_nsyms;
static const char *ksym_strs;
static uint64_t ksym_strsize;

/* Section header i, copied out: GRUB's headers sit 4-byte aligned (tag + 20). */
static Elf64_Shdr shdr(unsigned i)
{
	Elf64_Shdr sh;

	memcpy(&sh, (const uint8_t *)boot_info.elf_shdrs + (uint64_t)i * boot_info.elf_entsize,
	       sizeof(sh));
	return sh;
}

/* Early backtraces: the image's own names (sections unknown). */
static bool ksym_no_section(uint64_t addr, const char **crate, const char **section,
			    uint64_t *offset)
{
	(void)addr, (void)crate, (void)section, (void)offset;
	return false;
}

static const struct interrupts_symbolizer ksym_symbolizer = {
	.symbolize = ksym_lookup, .section_at = ksym_no_section,
};

bool ksym_init(void)
{
	for (unsigned i = 0; i < boot_info.elf_num; i++) {
		Elf64_Shdr sym = shdr(i), str;
		if (sym.sh_type != SHT_SYMTAB)
			continue;
		if (sym.sh_link < boot_info.elf_num)
			str = shdr(sym.sh_link);
		if (sym.sh_link >= boot_info.elf_num || sym.sh_entsize != sizeof(Elf64_Sym) ||
		    !sym.sh_addr || !str.sh_addr || !str.sh_size) {
			pr_warn("ksym: symbol table section %u is unusable\n", i);
			return false;
		}
		ksym_syms = phys_to_virt(sym.sh_addr);
		ksym_nsyms = sym.sh_size / sizeof(Elf64_Sym);
		ksym_strs = phys_to_virt(str.sh_addr);
		ksym_strsize = str.sh_size;
		if (ksym_strs[ksym_strsize - 1] != '\0') {
			pr_warn("ksym: string table is not NUL-terminated\n");
			ksym_syms = NULL;
			return false;
		}
		interrupts_set_symbolizer(&ksym_symbolizer); /* (until crates has its own) */
		return true;
	}
	pr_warn("ksym: GRUB passed no symbol table; backtraces are not symbolized\n");
	return false;
}

static const char *sym_name(const Elf64_Sym *s)
{
	return s->st_name < ksym_strsize ? ksym_strs + s->st_name : "?";
}

bool ksym_lookup(uint64_t addr, const char **name, uint64_t *offset)
{
	const Elf64_Sym *best = NULL;

	for (uint64_t i = 0; i < ksym_nsyms; i++) {
		const Elf64_Sym *s = &ksym_syms[i];
		unsigned type = ELF64_ST_TYPE(s->st_info);
		if ((type != STT_FUNC && type != STT_OBJECT) || addr < s->st_value)
			continue;
		if (addr < s->st_value + (s->st_size ? s->st_size : 1) &&
		    (!best || s->st_value > best->st_value))
			best = s;
	}
	if (!best)
		return false;
	*name = sym_name(best);
	*offset = addr - best->st_value;
	return true;
}

uint64_t ksym_find(const char *name)
{
	for (uint64_t i = 0; i < ksym_nsyms; i++)
		if (strcmp(sym_name(&ksym_syms[i]), name) == 0)
			return ksym_syms[i].st_value;
	return 0;
}

bool ksym_find_global(const char *name, uint64_t *value)
{
	for (uint64_t i = 0; i < ksym_nsyms; i++) {
		const Elf64_Sym *s = &ksym_syms[i];
		unsigned bind = ELF64_ST_BIND(s->st_info);
		if ((bind == STB_GLOBAL || bind == STB_WEAK) && s->st_shndx != SHN_UNDEF &&
		    strcmp(sym_name(s), name) == 0) {
			*value = s->st_value;
			return true;
		}
	}
	return false;
}

unsigned ksym_count(void)
{
	return (unsigned)ksym_nsyms;
}
