/*
 * The nano_core's self-description: where every input section of every
 * constituent module landed in the linked image, every symbol of every
 * module, and every relocation the static linker applied, attributed to its
 * source (section, offset) and its true target (section, offset). Written at
 * build time by tools/ncdesc from the --emit-relocs image, the linker map and
 * the module objects; read at boot by nano_core_swap/ to build the
 * `nano_core` crate. Little-endian, all records 8-byte aligned:
 *
 *   struct ncd_header
 *   struct ncd_module  [nmodules]
 *   struct ncd_section [nsections]   grouped by module, in module order
 *   struct ncd_symbol  [nsymbols]     grouped by module, in module order (then
 *                                    the linker script's, in no section)
 *   struct ncd_reloc   [nrelocs]     grouped by source section, in section
 *                                    order: section i's are its [first_reloc,
 *                                    first_reloc + nrelocs)
 *   char strtab[strtab_size]         NUL-terminated names; offset 0 is ""
 *   layouts[layouts_size]            each module's `.nanoswap.layout` blob
 *                                    (include/nano_core_swap/layout.h), 8-aligned
 */
#ifndef NANO_CORE_SWAP_DESC_H
#define NANO_CORE_SWAP_DESC_H

#include <stdint.h>

#define NCD_MAGIC	"NCDESC03"
#define NCD_NONE	0xFFFFFFFFu	/* no section: an absolute symbol or target */

/* Section kinds, as the loader groups them. */
enum ncd_kind {
	NCD_TEXT,
	NCD_RODATA,
	NCD_DATA,	/* .data and .bss */
};

struct ncd_header {
	char magic[8];
	uint32_t nmodules, nsections;
	uint32_t nsymbols, nrelocs;
	uint32_t strtab_size, layouts_size;
};

struct ncd_module {
	uint32_t name;			/* "memory"; "boot" for boot/ */
	uint32_t first_section;		/* its sections: [first, first + count) */
	uint32_t nsections;
	uint32_t constituent;		/* 1: a kernel/ module that can be swapped */
	uint32_t ndata_sections;	/* of its sections, those of kind NCD_DATA */
	uint32_t layout, layout_size;	/* its layout blob in `layouts` (size 0: none) */
	uint32_t first_symbol;		/* its symbols: [first, first + nsymbols), those */
	uint32_t nsymbols;		/* of its data sections first (ndata_symbols), */
	uint32_t ndata_symbols;		/* then those of its text and rodata */
	uint32_t reserved[2];
};


struct ncd_section {
	uint32_t full_name;		/* "memory:.text.frame_alloc", the crate's name */
	uint16_t kind;			/* enum ncd_kind */
	uint16_t nobits;		/* 1 for .bss-like sections */
	uint64_t addr, size, align;
	uint32_t name;			/* its tail: the input section's name (full_name +
					 * the module's name and ':') */
	uint32_t module;
	uint32_t first_reloc;		/* its relocation records */
	uint32_t nrelocs;
};

struct ncd_symbol {
	uint32_t name;
	uint32_t section;		/* NCD_NONE: absolute (linker-script symbols) */
	uint8_t bind, type;		/* STB_*, STT_* */
	uint8_t pad[6];
	uint64_t addr, size;		/* addr is absolute */
};

struct ncd_reloc {
	uint32_t source;		/* section holding the place */
	uint32_t target;		/* section of the symbol, or NCD_NONE */
	uint32_t type;			/* R_X86_64_* */
	uint32_t pad;
	uint64_t offset;		/* of the place in source */
	uint64_t target_offset;		/* symbol within target (absolute value if NONE) */
	int64_t addend;
};

_Static_assert(sizeof(struct ncd_module) % 8 == 0 && sizeof(struct ncd_section) % 8 == 0 &&
	       sizeof(struct ncd_symbol) % 8 == 0 && sizeof(struct ncd_reloc) % 8 == 0,
	       "the description's records are 8-byte aligned");

#endif
