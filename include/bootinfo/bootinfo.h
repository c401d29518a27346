/*
 * What the boot loader told us, parsed from the multiboot2 information and
 * validated tag by tag: memory map, boot modules, command line and the ELF
 * section headers GRUB loaded (for the kernel's own symbol table).
 */
#ifndef BOOTINFO_BOOTINFO_H
#define BOOTINFO_BOOTINFO_H

#include <nanoswap/err.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MB2_BOOTLOADER_MAGIC	0x36D76289
#define BOOTINFO_MAX_MMAP	64
#define BOOTINFO_MAX_MODULES	64
#define BOOTINFO_MAX_INFO_SIZE	(1024 * 1024)

/* Memory map entry types (multiboot2 spec, 3.6.8). */
#define MB2_MEM_AVAILABLE	1
#define MB2_MEM_ACPI		3
#define MB2_MEM_NVS		4
#define MB2_MEM_BAD		5

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
};

struct boot_module {
	uint64_t start;		/* physical, first byte */
	uint64_t end;		/* physical, one past the last byte */
	const char *name;	/* the module2 command line; points into the info */
};

struct bootinfo {
	uint64_t info_phys;	/* the multiboot2 information itself */
	uint32_t info_size;
	const char *cmdline;	/* "" when GRUB passed none */
	struct mb2_mmap_entry mmap[BOOTINFO_MAX_MMAP];
	unsigned mmap_count;
	bool mmap_seen;		/* a memory-map tag was parsed (it may be empty) */
	struct boot_module modules[BOOTINFO_MAX_MODULES];
	unsigned module_count;
	const void *elf_shdrs;	/* NULL when there was no ELF-sections tag */
	uint32_t elf_num, elf_entsize, elf_shndx;
	const void *acpi_rsdp;	/* GRUB's copy of the RSDP; NULL when it passed none */
};

/*
 * Parse and validate the multiboot2 information at info, of which avail bytes
 * are readable. Checks total size, every tag's size and alignment, the end
 * tag, NUL-terminated strings, memory-map and module entries and the ELF
 * section table bounds. Returns E_OK or the E_MB2_* that names the fault
 * (logged with the tag offset through log, which may be NULL).
 */
enum err mb2_parse(const void *info, size_t avail, struct bootinfo *out,
		   void (*log)(const char *fmt, ...)) NS_MUST_CHECK;

/* The kernel's parsed boot information, valid after bootinfo_init(). */
extern struct bootinfo boot_info;

/* Check the magic and parse the information at physical address info_phys. */
enum err bootinfo_init(uint32_t magic, uint64_t info_phys) NS_MUST_CHECK;

/* The boot module whose name is name, or NULL. */
const struct boot_module *bootinfo_find_module(const char *name);

#endif
