/*
 * Private to loader/: the namespace and crate structs, the validated view of
 * an ELF image, the state of one load in progress, and the interfaces between
 * the loader's files (validate, layout, symbols, relocate, deps, arch). Also
 * the string/memory helpers, mapped to compiler builtins so the same code
 * builds freestanding in the kernel and hosted in the tests.
 */
#ifndef LOADER_INTERNAL_H
#define LOADER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <loader/elf.h>
#include <loader/loader.h>
#include <loader/services.h>
#include <nanoswap/err.h>

/* ---- helpers ----------------------------------------------------------- */

#define ld_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define ld_memset(d, c, n) __builtin_memset((d), (c), (n))
#define ld_memcmp(a, b, n) __builtin_memcmp((a), (b), (n))
#define ld_strcmp(a, b) __builtin_strcmp((a), (b))
#define ld_strlen(s) __builtin_strlen(s)

/* A crate's allocated sections may total at most this many bytes. */
#define LD_MAX_CRATE_SIZE (256ull << 20)

#define LD_LOG(svc, fmt, ...) ((svc)->log((svc)->ctx, "loader: " fmt, ##__VA_ARGS__))

/* Log "BUG: ..." and stop: a broken invariant, never bad input. */
#define LD_BUG(svc, msg)                                                        \
	do {                                                                    \
		LD_LOG((svc), "BUG: %s (%s:%d)", (msg), __FILE__, __LINE__);    \
		__builtin_trap();                                               \
	} while (0)

static inline bool ld_is_pow2(uint64_t x)
{
	return (x & (x - 1)) == 0;
}

static inline uint64_t ld_align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

void *ld_alloc(const struct ld_services *svc, size_t size); /* zeroed */
char *ld_strdup(const struct ld_services *svc, const char *s);

/* ---- namespace and crates --------------------------------------------- */

struct ld_namespace {
	const struct ld_services *svc;
	struct ld_crate *first, *last; /* load order */
	struct ld_symbol **buckets;     /* global/weak definitions */
	size_t nbuckets;
	size_t nglobals;
};

/* The region index of each kind; regions are laid out in this order. */
#define LD_NREGIONS 3

struct ld_crate {
	struct ld_namespace *ns;
	struct ld_crate *next, *prev;
	char *name;
	struct ld_section *sections; /* ELF-loaded sections, then the GOT */
	size_t nsections;
	struct ld_symbol *symbols;
	size_t nsymbols;
	struct ld_reloc *relocs;
	size_t nrelocs;
	char *strtab;   /* heap copies, for symbol and section names */
	char *shstrtab;
	uint64_t base, span;          /* reserved range, 0/0 if none */
	bool reserved;                /* [base, base+span) is reserved */
	bool mapped;                  /* ... and mapped */
	uint64_t region_off[LD_NREGIONS], region_size[LD_NREGIONS];
	bool live;       /* committed into the namespace */
	bool owns_names; /* hand-built: each section/symbol name is a heap copy */
	size_t cap_sections, cap_symbols, cap_relocs; /* hand-built capacities */
};

/* Free everything a crate holds (deps, mappings, arrays). The crate must not
 * be published or linked into any other crate's dependents (load.c). */
void ld_crate_free(const struct ld_services *svc, struct ld_crate *crate);

/* ---- validated ELF view (validate.c) ----------------------------------- */

struct elf_file {
	const struct ld_services *svc;
	const char *crate; /* for messages */
	const uint8_t *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uint32_t shnum;
	const char *shstr;
	uint64_t shstr_size;
	uint32_t symtab; /* section index of the SHT_SYMTAB */
	const Elf64_Sym *syms;
	uint32_t nsyms;
	const char *str;
	uint64_t str_size;
	uint64_t nrelocs; /* entries in RELA sections that will be applied */
};

NS_MUST_CHECK enum err elf_validate(struct elf_file *f,
				    const struct ld_services *svc,
				    const char *crate, const void *image,
				    size_t size);
/* Split by concern: file/section headers, symbols, relocations. */
NS_MUST_CHECK enum err elf_check_header(struct elf_file *f);
NS_MUST_CHECK enum err elf_check_sections(struct elf_file *f);
NS_MUST_CHECK enum err elf_check_symbols(struct elf_file *f);
NS_MUST_CHECK enum err elf_check_relocations(struct elf_file *f);

const char *elf_section_name(const struct elf_file *f, uint32_t index);
const char *elf_symbol_name(const struct elf_file *f, uint32_t index);
bool elf_section_is_loaded(const Elf64_Shdr *sh);
/* A RELA section whose target is loaded; others (debug info) are ignored. */
bool elf_rela_is_applied(const struct elf_file *f, const Elf64_Shdr *sh);

/* The entries of RELA section i and their count (bounds checked by validation). */
static inline const Elf64_Rela *elf_rela_entries(const struct elf_file *f, uint32_t i,
						 uint64_t *count)
{
	*count = f->sh[i].sh_size / sizeof(Elf64_Rela);
	return (const Elf64_Rela *)(f->data + f->sh[i].sh_offset);
}

/* ---- one load in progress (load.c) ------------------------------------- */

/* What an ELF symbol index stands for during this load. */
struct ld_binding {
	uint64_t value;                    /* S */
	const struct ld_section *section;  /* NULL: absolute or undefined weak */
	uint32_t got_slot;                 /* 1 + GOT slot index, 0: none */
};

struct ld_build {
	struct ld_namespace *ns;
	const struct ld_services *svc;
	const struct ld_load_opts *opts;
	struct elf_file f;
	struct ld_crate *crate;
	struct ld_section **secmap;  /* ELF section index -> section or NULL */
	struct ld_binding *bindings; /* ELF symbol index -> binding */
	struct ld_section *got;      /* NULL when no GOT is needed */
	uint32_t ngot;
};

enum ld_kind ld_kind_of(const Elf64_Shdr *sh);

/* load.c: commit a fully built crate (loaded or hand-built); cannot fail. */
void ld_commit(struct ld_namespace *ns, struct ld_crate *c);
size_t ld_count_globals(const struct ld_crate *c);

/* layout.c */
NS_MUST_CHECK enum err ld_layout_plan(struct ld_build *b);
NS_MUST_CHECK enum err ld_layout_map(struct ld_build *b);
NS_MUST_CHECK enum err ld_layout_protect(struct ld_build *b);
void *ld_section_writable(const struct ld_services *svc,
			  const struct ld_section *sec, uint64_t off,
			  uint64_t size);

/* symbols.c */
NS_MUST_CHECK enum err ld_symbols_build(struct ld_build *b);
NS_MUST_CHECK enum err ld_symbols_resolve(struct ld_build *b);
NS_MUST_CHECK enum err ld_symbols_reserve(struct ld_namespace *ns, size_t extra);
void ld_symbols_publish(struct ld_namespace *ns, struct ld_crate *crate);
void ld_symbols_withdraw(struct ld_namespace *ns, struct ld_crate *crate);
const struct ld_symbol *ld_symbols_find(const struct ld_namespace *ns,
					const char *name);

/* Log each strong global of `crate` that clashes with a published one
 * (other than one of `supersedes`); return how many. */
unsigned long ld_symbols_clashes(struct ld_namespace *ns, const struct ld_crate *crate,
				 const struct ld_crate *supersedes);

/* relocate.c */
NS_MUST_CHECK enum err ld_relocate(struct ld_build *b);

/* deps.c */
NS_MUST_CHECK enum err ld_deps_record(const struct ld_services *svc,
				      struct ld_reloc *rec);
NS_MUST_CHECK enum err ld_deps_add_binding(const struct ld_services *svc,
					   struct ld_section *sec,
					   const struct ld_section *old);
void ld_deps_link_dependents(struct ld_crate *crate);
void ld_deps_unlink_dependents(struct ld_crate *crate);
void ld_deps_free(const struct ld_services *svc, struct ld_crate *crate);
/* The first crate other than `crate` with a section depending on it. */
const struct ld_crate *ld_deps_first_user(const struct ld_crate *crate);

/* ---- arch interface (loader/ARCH/reloc.c) ------------------------------ */

struct arch_reloc {
	uint32_t type;
	int64_t addend;
	uint8_t *loc;         /* where the field is written */
	uint64_t loc_avail_before; /* bytes of the section before loc */
	uint64_t place;       /* P: run address of the field */
	uint64_t sym;         /* S */
	uint64_t got_entry;   /* run address of the symbol's GOT slot, or 0 */
	uint8_t *got_loc;     /* where that slot is written */
	/* results */
	uint32_t applied_type; /* the form actually written */
	bool used_got;         /* the GOT slot was filled and referenced */
	int64_t value;         /* the computed value (for overflow messages) */
};

/* Bytes the relocation writes at r_offset; -1 if the type is unsupported. */
int arch_reloc_width(uint32_t type);
/* Whether the type may need a GOT slot for its symbol. */
bool arch_reloc_may_use_got(uint32_t type);
/* Compute and write one relocation; E_LD_RELOC_OVERFLOW if it does not fit
 * (r->value holds the result). Does not log. */
NS_MUST_CHECK enum err arch_reloc_apply(struct arch_reloc *r);
const char *arch_reloc_name(uint32_t type);

#endif
