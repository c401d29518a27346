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
#include <loader/elf_file.h>
#include <loader/loader.h>
#include <loader/services.h>
#include <nanoswap/err.h>

/* ---- helpers ----------------------------------------------------------- */

#define ld_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define ld_memset(d, c, n) __builtin_memset((d), (c), (n))
#define ld_memcmp(a, b, n) __builtin_memcmp((a), (b), (n))
#define ld_strcmp(a, b) __builtin_strcmp((a), (b))
#define ld_strlen(s) __builtin_strlen(s)

/* A load lays out at most this many collections (ld_load_opts). */
#define LD_MAX_COLLECTIONS 4

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

/* sort.c: heapsort of n indexes in a, by less(ctx, x, y) ("x before y"). */
typedef bool (*ld_less_fn)(const void *ctx, uint32_t x, uint32_t y);
void ld_sort_u32(uint32_t *a, size_t n, ld_less_fn less, const void *ctx);

void *ld_alloc(const struct ld_services *svc, size_t size); /* zeroed */
void *ld_alloc_raw(const struct ld_services *svc, size_t size); /* not zeroed */
char *ld_strdup(const struct ld_services *svc, const char *s);

/* R_<machine>_NONE is 0 on every ELF machine: a placeholder, never applied. */
#define LD_RELOC_NONE 0

/* ---- namespace and crates --------------------------------------------- */

struct ld_namespace {
	const struct ld_services *svc;
	struct ld_crate *first, *last; /* load order */
	struct ld_symbol **buckets;     /* global/weak definitions */
	size_t nbuckets;
	size_t nglobals;
	uint64_t hash_seed;   /* per namespace: chains cannot be pre-computed */
	uint64_t dep_stamp;   /* last stamp given to a source section (deps.c) */
	uint64_t edge_probes; /* edges looked at to find a relocation's (ld_edge_probes) */
};

/* What an ELF symbol index of a loaded crate stands for. Kept for the
 * crate's lifetime: relocations are read back through it. A symbol defined
 * in a section that is not loaded is bound to ld_unloaded_section, which no
 * relocation may target. */
struct ld_binding {
	uint64_t value;                    /* S */
	const struct ld_section *section;  /* NULL: absolute or undefined weak */
	/* while relocating: the references from the source section stamped
	 * `stamp` are counted here, then added to their edge (0: none yet) */
	uint64_t stamp;
	uint64_t count;
	struct ld_binding *next_touched;
};

extern const struct ld_section ld_unloaded_section;

/* The RELA entries of one applied RELA section, in the order of the file;
 * a section's groups are chained (almost always there is one). */
struct ld_rela_group {
	const Elf64_Rela *entries; /* the image's bytes, or the crate's copy */
	uint64_t count;
	uint64_t first;            /* ordinal of entries[0] among the crate's */
	uint32_t shndx;            /* the RELA section's index, for messages */
	struct ld_rela_group *next;
};

/* A hand-built crate's names are copied into chunks it owns (no allocation
 * per name). */
struct ld_name_chunk {
	struct ld_name_chunk *next;
	size_t used, cap;
	char bytes[];
};

/* Dependency edges are carved out of chunks owned by their source crate. */
struct ld_dep_chunk {
	struct ld_dep_chunk *next;
	uint32_t used, cap;
	struct ld_dep edges[];
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
	uint64_t nrelocs;
	/* loaded crates: how relocations are read back (iter.c) */
	struct ld_binding *bindings;  /* ELF symbol index -> S and section */
	uint32_t nbindings;
	struct ld_rela_group *groups; /* one per applied RELA section */
	uint32_t ngroups;
	Elf64_Rela *rela_copy;        /* NULL when read from a kept image */
	struct ld_section *got;       /* the loader's GOT, or NULL */
	uint32_t *got_slot;           /* ELF symbol index -> 1 + GOT slot, 0 none */
	uint32_t *got_syms;           /* GOT slot -> ELF symbol index */
	uint8_t *got_relaxed;         /* bit per ordinal: GOT form relaxed */
	bool applied_in_bound;        /* relocations in bound sections written */
	/* hand-built crates: records, sorted by source section at commit */
	struct ld_reloc *recs;
	struct ld_dep_chunk *dep_chunks;
	char *coll_names; /* names of the collections' symbols (collect.c) */
	const char *strtab; /* symbol and section names: heap copies, or the */
	const char *shstrtab; /* kept image's own tables (owns_strings false) */
	bool owns_strings;
	uint64_t base, span;          /* reserved range, 0/0 if none */
	bool reserved;                /* [base, base+span) is reserved */
	bool mapped;                  /* ... and mapped */
	uint64_t region_off[LD_NREGIONS], region_size[LD_NREGIONS];
	bool live;       /* committed into the namespace */
	bool owns_names; /* hand-built: section/symbol names are copies in the arena */
	bool keeps_names; /* hand-built: ... or the caller's, referenced (they outlive it) */
	struct ld_name_chunk *names; /* hand-built: the arena of name copies */
	size_t cap_sections, cap_symbols, cap_relocs; /* hand-built capacities */
};

/* Free everything a crate holds (deps, mappings, arrays). The crate must not
 * be published or linked into any other crate's dependents (load.c). */
void ld_crate_free(const struct ld_services *svc, struct ld_crate *crate);

/* ---- validated ELF view (include/loader/elf_file.h; validate.c) -------- */

/* elf_validate split by concern: file/section headers, symbols, relocations. */
NS_MUST_CHECK enum err elf_check_header(struct elf_file *f);
NS_MUST_CHECK enum err elf_check_sections(struct elf_file *f);
NS_MUST_CHECK enum err elf_check_symbols(struct elf_file *f);
NS_MUST_CHECK enum err elf_check_relocations(struct elf_file *f);

/* ---- one load in progress (load.c) ------------------------------------- */

struct ld_build {
	struct ld_namespace *ns;
	const struct ld_services *svc;
	const struct ld_load_opts *opts;
	struct elf_file f;
	struct ld_crate *crate;
	struct ld_section **secmap;  /* ELF section index -> section or NULL */
	struct ld_binding *bindings; /* = crate->bindings */
	uint32_t *got_slot;          /* = crate->got_slot; NULL: no GOT relocs */
	struct ld_section *got;      /* NULL when no GOT is needed */
	uint32_t ngot;
	uint64_t name_budget;        /* name bytes hashed may not exceed it */
	const char *name_end, *name_last; /* the string table's end, and end - 8 */
	struct ld_namespace *group;  /* a group load's own definitions, or NULL */
	const struct ld_section *coll_first[LD_MAX_COLLECTIONS]; /* per collection, */
	const struct ld_section *coll_last[LD_MAX_COLLECTIONS];  /* or NULL: none */
	struct ld_load_stats *stats; /* NULL: not measured */
	uint64_t clock;              /* at the start of the current stage */
};

/* The region an allocated section goes to, by its flags. */
static inline enum ld_kind ld_kind_of(const Elf64_Shdr *sh)
{
	if (sh->sh_flags & SHF_EXECINSTR)
		return LD_KIND_TEXT;
	if (sh->sh_flags & SHF_WRITE)
		return LD_KIND_DATA;
	return LD_KIND_RODATA;
}

/* load.c: the stages of one build, split where a group load resolves;
 * commit a fully built crate (loaded or hand-built), which cannot fail. */
void ld_build_init(struct ld_build *b, struct ld_namespace *ns,
		   const struct ld_load_opts *opts);
NS_MUST_CHECK enum err ld_build_front(struct ld_build *b, const char *name,
				      const void *image, size_t size);
NS_MUST_CHECK enum err ld_build_back(struct ld_build *b);
void ld_build_finish(struct ld_build *b, bool failed);
void ld_build_stage_end(struct ld_build *b, uint64_t *slot);
void ld_commit(struct ld_namespace *ns, struct ld_crate *c);
size_t ld_count_globals(const struct ld_crate *c);

/* layout.c */
NS_MUST_CHECK enum err ld_layout_plan(struct ld_build *b);
NS_MUST_CHECK enum err ld_layout_map(struct ld_build *b);
NS_MUST_CHECK enum err ld_layout_copy(struct ld_build *b);
NS_MUST_CHECK enum err ld_layout_protect(struct ld_build *b);
/* A writable view of [off, off + size) of sec (the services give it). */
static inline void *ld_section_writable(const struct ld_services *svc,
					const struct ld_section *sec, uint64_t off,
					uint64_t size)
{
	return svc->vrange_writable(svc->ctx, sec->addr + off, size);
}

/* collect.c */
NS_MUST_CHECK enum err ld_collect_plan(struct ld_build *b);
size_t ld_collect_nsymbols(const struct ld_build *b);
NS_MUST_CHECK enum err ld_collect_define(struct ld_build *b);
NS_MUST_CHECK enum err ld_plan_section(struct ld_build *b, uint32_t i, struct ld_section *sec);

/* symbols.c */
/* A name as the symbol table hashes it. */
struct ld_name {
	const char *s;
	uint64_t len;
	uint64_t hash;
};
void ld_name_key(const struct ld_namespace *ns, const char *name, const char *end,
		 struct ld_name *k);
NS_MUST_CHECK enum err ld_symbols_build(struct ld_build *b);
NS_MUST_CHECK enum err ld_symbols_resolve(struct ld_build *b);
/* E_NO_HEAP, not logged: the caller names the crate the room was for. */
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
NS_MUST_CHECK enum err ld_relocate_groups(struct ld_build *b);
NS_MUST_CHECK enum err ld_relocate(struct ld_build *b);

/* deps.c: edges are counted per source section. Each source section gets a
 * fresh stamp (ld_deps_stamp); a target whose dep_stamp equals it already
 * has the edge in dep_last, so finding an edge is O(1) whatever the number
 * of targets. */
static inline uint64_t ld_deps_stamp(struct ld_namespace *ns)
{
	return ++ns->dep_stamp;
}
/* A new chunk for crate c's edges, four times the last one (up to
 * LD_DEP_CHUNK_MAX); NULL when the heap is exhausted. */
struct ld_dep_chunk *ld_deps_grow(struct ld_crate *c);

/* An edge from src to target with nrelocs relocations (or a binding: 0),
 * linked into src's deps (into target's dependents at commit); NULL when the
 * heap is exhausted. Inline: the relocation loops make one per new pair. */
static inline __attribute__((always_inline)) struct ld_dep *
ld_deps_link(struct ld_crate *c, struct ld_section *src, struct ld_section *target,
	     uint32_t nrelocs)
{
	struct ld_dep_chunk *k = c->dep_chunks;
	struct ld_dep *d;

	if (__builtin_expect(!k || k->used == k->cap, 0) && !(k = ld_deps_grow(c)))
		return NULL;
	d = &k->edges[k->used++];
	d->source = src; /* field by field: no zeroing pass over the struct */
	d->target = target;
	d->nrelocs = nrelocs;
	d->next_dep = src->deps;
	d->next_dependent = NULL;
	d->pprev_dependent = NULL;
	src->deps = d;
	return d;
}

/* The first relocation from src (stamped `stamp`) to target: a new edge
 * with `nrelocs` relocations so far. */
NS_MUST_CHECK static inline __attribute__((always_inline)) enum err
ld_deps_new_edge(struct ld_crate *c, struct ld_section *src, struct ld_section *target,
		 uint64_t stamp, uint32_t nrelocs)
{
	struct ld_dep *d = ld_deps_link(c, src, target, nrelocs);

	if (!d)
		return E_NO_HEAP;
	target->dep_stamp = stamp;
	target->dep_last = d;
	return E_OK;
}
NS_MUST_CHECK static inline enum err ld_deps_note(struct ld_crate *c,
						  struct ld_section *src,
						  uint64_t stamp,
						  const struct ld_section *target)
{
	struct ld_section *t = (struct ld_section *)target;

	if (!t)
		return E_OK; /* absolute or undefined weak: no section to depend on */
	c->ns->edge_probes++;	/* (the one edge the stamp points at) */
	if (t->dep_stamp != stamp)
		return ld_deps_new_edge(c, src, t, stamp, 1);
	t->dep_last->nrelocs++;
	return E_OK;
}
NS_MUST_CHECK enum err ld_deps_add_binding(struct ld_crate *c, struct ld_section *sec,
					   const struct ld_section *old);
void ld_deps_link_dependents(struct ld_crate *crate);
void ld_deps_unlink_dependents(struct ld_crate *crate);
void ld_deps_free(const struct ld_services *svc, struct ld_crate *crate);
/* The first crate other than `crate` with a section depending on it. */
const struct ld_crate *ld_deps_first_user(const struct ld_crate *crate);

/* ---- arch interface (loader/ARCH/reloc.c) ------------------------------ */

/* The relocations of one RELA group whose place is in section `src`. */
struct arch_rela_job {
	struct ld_crate *crate;
	struct ld_section *src;
	const struct ld_rela_group *group;
	uint8_t *base;        /* writable view of src's byte 0; NULL: count only */
	uint64_t stamp;       /* src's dependency stamp */
	const struct ld_binding *bindings;
	const uint32_t *got_slot; /* ELF symbol -> 1 + slot, or NULL (no GOT) */
	uint64_t nnone;       /* R_*_NONE placeholders met (not relocations) */
	struct ld_binding *touched; /* bindings counted since the last flush */
	uint32_t nsyms;       /* bindings has this many entries */
	bool bad_entry;       /* bad_k failed a check of elf_check_rela's */
	/* the failing entry, when E_LD_RELOC_OVERFLOW or E_LD_BAD_STATE is returned */
	uint64_t bad_k;
	int64_t bad_value;
};

/* Per relocation type below *ntypes: ARCH_RELOC_BAD (unsupported), or the
 * bytes it writes at r_offset, with ARCH_RELOC_GOT when it may use a GOT
 * slot. Validation reads it once per RELA section. */
#define ARCH_RELOC_BAD 0xff
#define ARCH_RELOC_GOT 0x80
#define ARCH_RELOC_WIDTH 0x0f
const uint8_t *arch_reloc_table(uint32_t *ntypes);
/* Bytes the relocation writes at r_offset; -1 if the type is unsupported. */
int arch_reloc_width(uint32_t type);
/* Whether the type may need a GOT slot for its symbol. */
bool arch_reloc_may_use_got(uint32_t type);
/* The types below 64 that may use a GOT slot, as a bit mask (none above). */
uint64_t arch_reloc_got_mask(void);
/* The type a GOT-capable relocation takes when relaxed to a direct form. */
uint32_t arch_reloc_relaxed_type(uint32_t type);
/* The type of the loader's GOT slot, as a relocation (the slot holds S). */
uint32_t arch_reloc_got_slot_type(void);
/* Check, then apply (or, with base NULL, only count) every entry of the
 * job's group and count its dependency edges. E_LD_RELOC_OVERFLOW (bad_k,
 * bad_value set); an entry that fails a check (symbol index, type, place,
 * target) sets bad_entry and bad_k; E_LD_BAD_STATE (bad_k set) for a GOT form
 * whose symbol the plan gave no slot; E_NO_HEAP for an edge. Does not log. */
NS_MUST_CHECK enum err arch_apply_relas(struct arch_rela_job *j);
const char *arch_reloc_name(uint32_t type);
/* The field relocation `type` writes for S + A = sa at place p, and its width
 * in bytes: E_LD_RELOC_OVERFLOW when it does not fit, E_ELF_RELOC_UNSUPPORTED
 * for a type with no field of its own (NONE, the GOT forms: their GOT slot is
 * an ordinary 64-bit place). */
NS_MUST_CHECK enum err arch_reloc_field(uint32_t type, uint64_t sa, uint64_t p,
					uint64_t *field, unsigned *width);

#endif
