/*
 * Symbolization from the kernel's own ELF symbol table. GRUB loads .symtab
 * and .strtab and reports their physical addresses in the ELF-sections tag;
 * we check every bound once here so lookups need no further checks.
 */
#include <bootinfo/bootinfo.h>
#include <bootinfo/ksym.h>
#include <console/console.h>
#include <lib/string.h>
#include <memory/memory.h>

#define SHT_SYMTAB	2
#define STT_OBJECT	1
#define STT_FUNC	2
#define STB_GLOBAL	1
#define STB_WEAK	2
#define SHN_UNDEF	0

struct elf64_shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};

struct elf64_sym {
	uint32_t name;
	uint8_t info, other;
	uint16_t shndx;
	uint64_t value, size;
};

static const struct elf64_sym *ksym_syms;
static uint64_t ksym_nsyms;
static const char *ksym_strs;
static uint64_t ksym_strsize;

/* Section header i, copied out: GRUB's headers sit 4-byte aligned (tag + 20). */
static struct elf64_shdr shdr(unsigned i)
{
	struct elf64_shdr sh;

	memcpy(&sh, (const uint8_t *)boot_info.elf_shdrs + (uint64_t)i * boot_info.elf_entsize,
	       sizeof(sh));
	return sh;
}

bool ksym_init(void)
{
	for (unsigned i = 0; i < boot_info.elf_num; i++) {
		struct elf64_shdr sym = shdr(i), str;
		if (sym.type != SHT_SYMTAB)
			continue;
		if (sym.link < boot_info.elf_num)
			str = shdr(sym.link);
		if (sym.link >= boot_info.elf_num || sym.entsize != sizeof(struct elf64_sym) ||
		    !sym.addr || !str.addr || !str.size) {
			pr_warn("ksym: symbol table section %u is unusable\n", i);
			return false;
		}
		ksym_syms = phys_to_virt(sym.addr);
		ksym_nsyms = sym.size / sizeof(struct elf64_sym);
		ksym_strs = phys_to_virt(str.addr);
		ksym_strsize = str.size;
		if (ksym_strs[ksym_strsize - 1] != '\0') {
			pr_warn("ksym: string table is not NUL-terminated\n");
			ksym_syms = NULL;
			return false;
		}
		return true;
	}
	pr_warn("ksym: GRUB passed no symbol table; backtraces are not symbolized\n");
	return false;
}

static const char *sym_name(const struct elf64_sym *s)
{
	return s->name < ksym_strsize ? ksym_strs + s->name : "?";
}

bool ksym_lookup(uint64_t addr, const char **name, uint64_t *offset)
{
	const struct elf64_sym *best = NULL;

	for (uint64_t i = 0; i < ksym_nsyms; i++) {
		const struct elf64_sym *s = &ksym_syms[i];
		unsigned type = s->info & 0xf;
		if ((type != STT_FUNC && type != STT_OBJECT) || addr < s->value)
			continue;
		if (addr < s->value + (s->size ? s->size : 1) &&
		    (!best || s->value > best->value))
			best = s;
	}
	if (!best)
		return false;
	*name = sym_name(best);
	*offset = addr - best->value;
	return true;
}

uint64_t ksym_find(const char *name)
{
	for (uint64_t i = 0; i < ksym_nsyms; i++)
		if (strcmp(sym_name(&ksym_syms[i]), name) == 0)
			return ksym_syms[i].value;
	return 0;
}

bool ksym_find_global(const char *name, uint64_t *value)
{
	for (uint64_t i = 0; i < ksym_nsyms; i++) {
		const struct elf64_sym *s = &ksym_syms[i];
		unsigned bind = s->info >> 4;
		if ((bind == STB_GLOBAL || bind == STB_WEAK) && s->shndx != SHN_UNDEF &&
		    strcmp(sym_name(s), name) == 0) {
			*value = s->value;
			return true;
		}
	}
	return false;
}

unsigned ksym_count(void)
{
	return (unsigned)ksym_nsyms;
}
