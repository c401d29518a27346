/*
 * The loader's error codes, spliced into the kernel-wide enum err (see
 * include/nanoswap/err.h). Each entry: X(NAME, "what went wrong").
 * ELF_* codes come from validation (nothing allocated yet); LD_* codes from
 * the load, namespace and unload stages.
 */
#ifndef LOADER_ERR_LIST_H
#define LOADER_ERR_LIST_H

#define LOADER_ERR_LIST(X)                                                     \
	X(ELF_TOO_SMALL, "file is smaller than an ELF header")                 \
	X(ELF_MISALIGNED, "image or ELF table is not 8-byte aligned")          \
	X(ELF_BAD_MAGIC, "not an ELF file (bad magic)")                        \
	X(ELF_BAD_CLASS, "not ELFCLASS64")                                     \
	X(ELF_BAD_ENDIAN, "not little-endian (ELFDATA2LSB)")                   \
	X(ELF_BAD_VERSION, "ELF version is not EV_CURRENT")                    \
	X(ELF_NOT_REL, "not a relocatable object (ET_REL)")                    \
	X(ELF_BAD_MACHINE, "machine is not EM_X86_64")                         \
	X(ELF_BAD_SHENTSIZE, "e_shentsize is not sizeof(Elf64_Shdr)")          \
	X(ELF_NO_SECTIONS, "no section headers (or extended numbering)")       \
	X(ELF_TOO_MANY_SECTIONS, "e_shnum reaches the reserved indexes (0xff00)") \
	X(ELF_TABLES_OVERLAP, "two symbol, string or RELA tables share bytes")   \
	X(ELF_SECTIONS_EXCEED_FILE, "section sizes add up to more than the file") \
	X(ELF_SHDRS_OUT_OF_FILE, "section header table lies outside the file") \
	X(ELF_BAD_NULL_SECTION, "section 0 is not SHT_NULL")                   \
	X(ELF_SECTION_OUT_OF_FILE, "section contents lie outside the file")    \
	X(ELF_BAD_SHSTRNDX, "e_shstrndx is not a valid string table")          \
	X(ELF_STRTAB_UNTERMINATED, "string table is not NUL-terminated")       \
	X(ELF_BAD_NAME, "name offset lies outside its string table")           \
	X(ELF_BAD_ALIGN, "alignment is not 0 or a power of two")               \
	X(ELF_ALIGN_TOO_LARGE, "section alignment exceeds the page size")      \
	X(ELF_WRITE_EXEC, "section is both writable and executable")           \
	X(ELF_TLS_UNSUPPORTED, "thread-local sections are not supported")      \
	X(ELF_NO_SYMTAB, "object has no SHT_SYMTAB")                           \
	X(ELF_MULTIPLE_SYMTAB, "object has more than one SHT_SYMTAB")          \
	X(ELF_BAD_SYMTAB, "symbol table entry size, size or info is wrong")    \
	X(ELF_BAD_SYMTAB_LINK, "symbol table sh_link is not a string table")   \
	X(ELF_BAD_SHNDX, "section index out of range")                         \
	X(ELF_COMMON_SYMBOL, "common symbol (compile with -fno-common)")       \
	X(ELF_XINDEX_UNSUPPORTED, "SHN_XINDEX symbols are not supported")      \
	X(ELF_BAD_SYMBOL, "symbol binding, type or value is invalid")          \
	X(ELF_NAMES_OVERLAP, "global symbol names overlap in the string table") \
	X(ELF_DUPLICATE_GLOBAL, "a global symbol is defined twice in the object") \
	X(ELF_REL_UNSUPPORTED, "SHT_REL sections are not supported (RELA only)") \
	X(ELF_BAD_RELA, "RELA section entry size or size is wrong")            \
	X(ELF_BAD_RELA_LINK, "RELA sh_link is not the symbol table")           \
	X(ELF_BAD_RELA_INFO, "RELA sh_info is not a valid allocated section")  \
	X(ELF_BAD_SYMINDEX, "relocation symbol index out of range")            \
	X(ELF_RELOC_OUT_OF_SECTION, "relocation lies outside its section")     \
	X(ELF_RELOC_UNSUPPORTED, "unsupported relocation type")                \
	X(ELF_RELOC_BAD_TARGET, "relocation refers to a non-allocated section") \
	X(LD_TOO_LARGE, "object is too large for the loader's fixed limit")    \
	X(LD_DUPLICATE_SYMBOL, "global symbol already defined by another crate") \
	X(LD_DUPLICATE_CRATE, "a crate of that name is already loaded")        \
	X(LD_UNRESOLVED, "undefined symbols could not be resolved")            \
	X(LD_RELOC_OVERFLOW, "relocation result does not fit its field")       \
	X(LD_REDIRECT_INSIDE, "a reference lands inside a section laid out anew") \
	X(LD_NOT_FOUND, "no such symbol, crate or section")                    \
	X(LD_IN_USE, "crate is still depended on by other crates")             \
	X(LD_BAD_BINDING, "bound section does not match the new section")      \
	X(LD_BAD_STATE, "operation not allowed in the crate's current state") \
	X(LD_BAD_COLLECTION, "a collection's sections differ in kind or are bound")

#endif
