/*
 * The kernel's own symbol table, as GRUB loaded it (ELF-sections tag): used
 * to symbolize backtraces and to find linker-defined symbols by name.
 */
#ifndef BOOTINFO_KSYM_H
#define BOOTINFO_KSYM_H

#include <stdbool.h>
#include <stdint.h>

/* Locate and check .symtab/.strtab; false (and a warning) if unusable. */
bool ksym_init(void);

/*
 * The function or object symbol containing addr: its name and addr's offset
 * into it. Returns false when no symbol covers addr.
 */
bool ksym_lookup(uint64_t addr, const char **name, uint64_t *offset);

/* The value of the symbol called name, or 0 if there is none. */
uint64_t ksym_find(const char *name);

/* The value of the defined global or weak symbol called name; false if none. */
bool ksym_find_global(const char *name, uint64_t *value);

/* How many symbols the table holds (0 when there is none). */
unsigned ksym_count(void);

#endif
