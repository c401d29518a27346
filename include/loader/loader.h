/*
 * The loader's public interface: a namespace of loaded crates (ELF64 ET_REL
 * objects laid out in the module area) and their symbols, with every applied
 * relocation recorded as a dependency edge between sections (with a count),
 * so that a later step can redirect references when code is swapped. The
 * relocations themselves are read back, one at a time, from the object's own
 * RELA entries, which the crate keeps for its lifetime (ld_reloc_next).
 *
 * Crates and namespaces are opaque. Sections, symbols and dependencies are
 * plain structs the caller may read but must not modify; they live until
 * their crate is unloaded.
 *
 * Symbol rule: the namespace holds every published global and weak definition.
 * A lookup returns the strong (STB_GLOBAL) definition if there is one (the
 * newest, if a crate loaded with ld_load_opts.supersedes repeats one), else the
 * oldest weak one. Loading a second strong definition of a name fails with
 * E_LD_DUPLICATE_SYMBOL (naming both crates); a weak definition never conflicts.
 * A crate's references to its own weak definition bind to a strong definition
 * already in the namespace, as a static linker would. References already bound
 * to a weak definition stay bound when a strong one arrives later (they are
 * recorded, so a swap can redirect them).
 */
#ifndef LOADER_LOADER_H
#define LOADER_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nanoswap/err.h>
#include <loader/services.h>

struct ld_namespace;
struct ld_crate;

/* Which region of its crate a section lives in (and so its protection). */
enum ld_kind {
	LD_KIND_TEXT,   /* RX */
	LD_KIND_RODATA, /* R, NX (also the loader's per-crate GOT) */
	LD_KIND_DATA,   /* RW, NX: .data and .bss */
};

struct ld_dep;
struct ld_reloc;
struct ld_rela_group; /* loader-internal: RELA entries applied to a section */

/* An allocated section of a crate, at its run address. */
struct ld_section {
	const char *name;
	struct ld_crate *crate;
	uint32_t elf_index; /* in the object's section headers; 0 = loader GOT */
	enum ld_kind kind;
	bool nobits;        /* .bss-like: zero-filled, not in the file */
	bool bound;         /* memory is another crate's section (not owned) */
	const struct ld_section *bound_to; /* that section (an edge records it) */
	uint64_t addr;      /* run address */
	uint64_t size;
	uint64_t align;
	struct ld_dep *deps;       /* edges from this section (what it uses) */
	struct ld_dep *dependents; /* edges to this section (who uses it) */
	uint64_t nrelocs;          /* relocations whose place is in this section */
	/* loader-internal: where those relocations are kept (a loaded crate's
	 * RELA entries, or a hand-built crate's records), and scratch state the
	 * loader uses to find an edge in O(1) while it records them */
	const struct ld_rela_group *rela;
	const struct ld_reloc *recs;
	uint64_t dep_stamp;
	struct ld_dep *dep_last;
};

/* One applied relocation, as ld_reloc_next reads it back: the word at
 * source->addr + offset was computed from target->addr + target_offset (the
 * symbol) plus addend. target is NULL for an absolute symbol or an undefined
 * weak one (value 0). GOT-relaxed and GOT forms give the type actually
 * applied (the PC-relative form after mov->lea; the slot's own 64-bit type,
 * with the GOT as source, for each slot). */
struct ld_reloc {
	const struct ld_section *source;
	uint64_t offset;
	uint32_t type;
	int64_t addend;
	const struct ld_section *target;
	uint64_t target_offset;
};

/* All relocations from one source section to one target section (read them
 * with ld_relocs_of_dep). An edge with no relocations records that the
 * source is bound to the target's memory (see ld_load_opts.bind_section). */
struct ld_dep {
	struct ld_section *source;
	struct ld_section *target;
	uint32_t nrelocs;
	struct ld_dep *next_dep;         /* next edge in source->deps */
	struct ld_dep *next_dependent;   /* next edge in target->dependents */
	struct ld_dep **pprev_dependent; /* loader-internal list link */
};

/* A defined, named symbol of a crate. section is NULL for SHN_ABS. */
struct ld_symbol {
	const char *name;
	uint64_t addr;
	uint64_t size;
	struct ld_crate *crate;
	const struct ld_section *section;
	uint8_t bind; /* STB_LOCAL, STB_GLOBAL or STB_WEAK */
	uint8_t type; /* STT_FUNC, STT_OBJECT, STT_NOTYPE */
	uint64_t hash;               /* loader-internal (non-local symbols): */
	uint64_t name_len;           /* the name's key */
	struct ld_symbol *hash_next; /* loader-internal */
};

/* Guest-instruction (or any clock's) cost of each stage of one ld_load, when
 * the services provide a clock; they add up to the whole load. */
struct ld_load_stats {
	uint64_t validate; /* header, sections, symbols, relocation entries */
	uint64_t layout;   /* tables, plan, reserve and map */
	uint64_t copy;     /* PROGBITS copied, gaps and NOBITS zeroed */
	uint64_t symbols;  /* own symbols, undefined ones resolved */
	uint64_t relocate; /* relocations applied, dependency edges counted */
	uint64_t commit;   /* W^X protection, publication */
	uint64_t resolve;  /* of `symbols`: the undefined ones resolved */
};

/* A table the linker script would build: every section whose name starts
 * with `prefix`, laid out together in name order, between the symbols
 * `start` and `end` (which the crate defines, with its own copies of the
 * names). */
struct ld_collection {
	const char *prefix, *start, *end;
};

/* Optional hooks for one load; pass NULL for plain loading. */
struct ld_load_opts {
	void *ctx;
	/* Called for an undefined symbol the namespace cannot resolve. Return
	 * true and set *value to bind it to that absolute address. */
	bool (*resolve_undefined)(void *ctx, const char *name, uint64_t *value);
	/* Called for each allocated data/bss section of the new crate. Set *out
	 * to an existing section (of another crate) to bind it to instead of
	 * allocating memory, or to NULL to allocate; the sizes must match exactly
	 * (else E_LD_BAD_BINDING). Any other return value than E_OK aborts the
	 * load with that error (the hook logs why). */
	enum err (*bind_section)(void *ctx, const char *name, uint64_t size, bool nobits,
				 const struct ld_section **out);
	/* A crate the new one replaces (e.g. the nano_core during a swap): its
	 * strong definitions do not clash with the new crate's, and lookups then
	 * return the newer definition. */
	const struct ld_crate *supersedes;
	/* Bound sections hold live data: by default relocations whose place is in
	 * a bound section are recorded but not written. */
	bool apply_relocs_in_bound;
	/* The image outlives the crate (a boot module): the crate reads its RELA
	 * entries and string tables from it instead of keeping copies. */
	bool keep_image;
	/* When not NULL, filled with the cost of each stage (see above). */
	struct ld_load_stats *stats;
	/* Tables to lay out as the linker script does (at most
	 * LD_MAX_COLLECTIONS); a collection with no section defines nothing. */
	const struct ld_collection *collections;
	size_t ncollections;
};

/* Create an empty namespace that will use `svc` (which must outlive it). */
NS_MUST_CHECK enum err ld_namespace_create(const struct ld_services *svc,
					   struct ld_namespace **out);
/* Use `svc` from now on (another copy of the same services: a swap's hook). */
void ld_namespace_set_services(struct ld_namespace *ns, const struct ld_services *svc);
const struct ld_services *ld_namespace_services(const struct ld_namespace *ns);

/* Unload every crate (newest first) and free the namespace. */
void ld_namespace_destroy(struct ld_namespace *ns);

/* Validate `image` (size bytes, 8-byte aligned) as an x86_64 ET_REL object,
 * lay it out in the module area, resolve its undefined symbols against the
 * namespace, relocate it, record its dependencies and publish its symbols as
 * crate `name`. On any failure nothing changed: no symbol, mapping or heap
 * block remains. The image may be freed once this returns. */
NS_MUST_CHECK enum err ld_load(struct ld_namespace *ns, const char *name,
			       const void *image, size_t size,
			       const struct ld_load_opts *opts,
			       struct ld_crate **out);

/* One object of a group load: its crate name, image and options in; the
 * crate out. */
struct ld_group_member {
	const char *name;
	const void *image;
	size_t size;
	const struct ld_load_opts *opts;
	struct ld_crate *crate;
};

/* Load n objects as one transaction (a swap of several modules): each is
 * laid out privately; each member's undefined symbols resolve first against
 * the group's own definitions (members may reference each other, in cycles),
 * then the namespace; `check` (may be NULL) sees every fully built crate,
 * member after member in the order given, before anything is committed and
 * may refuse with any error; then all are
 * committed at once. On any failure nothing changed. */
NS_MUST_CHECK enum err ld_load_group(struct ld_namespace *ns, struct ld_group_member *m,
				     size_t n, enum err (*check)(void *ctx, struct ld_crate *c),
				     void *ctx);

/* The same in two halves, for a caller with its own work between the last
 * check and the commit (a swap plans its redirect there): prepare builds and
 * checks everything (m[i].crate is set, not yet in the namespace); then
 * exactly one of commit (cannot fail) or abort (frees everything). */
struct ld_group;
NS_MUST_CHECK enum err ld_group_prepare(struct ld_namespace *ns, struct ld_group_member *m,
					size_t n,
					enum err (*check)(void *ctx, struct ld_crate *c),
					void *ctx, struct ld_group **out);
void ld_group_commit(struct ld_group *g);
void ld_group_abort(struct ld_group *g);

/*
 * Redirect every reference to section `old` to section `new_` (same size and
 * contents: another copy of it), for each pair, except references whose
 * place is in a section `retiring` says will be retired with the old copy.
 * Plan: read every relocation of every edge into old back, compute its field
 * with the new target (E_LD_RELOC_OVERFLOW if it does not fit), check that
 * code and read-only places hold their link-time field (E_LD_BAD_STATE if
 * not), map a writable alias of each read-only page to patch; nothing is
 * written, and on failure nothing stays. Commit (cannot fail): write every
 * field, a field in writable data only if it still holds its link-time
 * value (else it was changed at run time: left alone, logged, counted);
 * move the edges and the crates' records to new_; unmap the aliases.
 */
struct ld_redirect_pair {
	const struct ld_section *old, *new_;
	bool starts_only;	/* new_ is laid out anew (another size or layout): a
				 * reference may only land at old's start (the symbol
				 * at offset 0, an addend no further than a
				 * PC-relative field's bias), else E_LD_REDIRECT_INSIDE */
};
struct ld_redirect_stats {
	uint64_t written, kept; /* fields rewritten; data fields left alone */
	uint64_t edges, pages;  /* edges moved; read-only pages patched */
};
struct ld_redirect;
NS_MUST_CHECK enum err ld_redirect_plan(struct ld_namespace *ns,
					const struct ld_redirect_pair *pairs, size_t n,
					bool (*retiring)(void *ctx, const struct ld_section *s),
					void *ctx, struct ld_redirect **out);
/* The switch: write every planned field (a data word only if it still holds
 * its link-time value) and move the edges, records and bindings to the new
 * sections. Plain stores, no call (no service, no log): no code it redirects
 * runs inside it. It cannot fail. */
void ld_redirect_switch(struct ld_redirect *r, struct ld_redirect_stats *st);
/* Undo a switch (the new copy failed before it was kept): every field the
 * switch wrote back to its old value (a data word only if it still holds the
 * new one: else the new code changed it), every edge, record and binding
 * back to the old section. Plain stores as well. */
void ld_redirect_undo(struct ld_redirect *r);
/* After a switch (or its undo): log the data words the switch left alone,
 * unmap the aliases and free the plan. */
void ld_redirect_finish(struct ld_redirect *r);
/* Switch and finish at once. */
void ld_redirect_commit(struct ld_redirect *r, struct ld_redirect_stats *st);
/* Drop a plan that was not switched: its aliases unmapped, nothing written. */
void ld_redirect_abort(struct ld_redirect *r);

/* Remove `crate`: refuses with E_LD_IN_USE (naming them) while sections of
 * other crates depend on it; else withdraws its symbols, unlinks its
 * dependencies, unmaps its memory and frees everything it held. */
NS_MUST_CHECK enum err ld_unload(struct ld_namespace *ns, struct ld_crate *crate);

/* Remove the n crates of `set` together (they may depend on each other, in
 * cycles): refuses with E_LD_IN_USE, naming it, while a crate outside the
 * set depends on one of them; else as ld_unload for each. */
NS_MUST_CHECK enum err ld_unload_group(struct ld_namespace *ns, struct ld_crate *const *set,
				       size_t n);

/* The namespace's definition of global `name` (see the symbol rule above);
 * E_LD_NOT_FOUND if none. Does not log. */
NS_MUST_CHECK enum err ld_lookup(const struct ld_namespace *ns, const char *name,
				 const struct ld_symbol **out);
/* The symbol (global or local) whose [addr, addr+size) holds `addr`, or the
 * nearest one below it in the same section; E_LD_NOT_FOUND if none. */
NS_MUST_CHECK enum err ld_symbolize(const struct ld_namespace *ns, uint64_t addr,
				    const struct ld_symbol **out);
/* Section `name` of the object image (size bytes; its ELF header and section
 * name table checked, `what` naming it in messages): its bytes in the image,
 * E_LD_NOT_FOUND (not logged) when it has none. */
NS_MUST_CHECK enum err ld_object_section(const struct ld_services *svc, const char *what,
					 const void *image, size_t size, const char *name,
					 const void **data, size_t *len);
/* The loaded crate called `name`; E_LD_NOT_FOUND if none. */
/* The section holding addr (the first crate's, when bound data is shared),
 * whether or not a symbol covers it. E_LD_NOT_FOUND when none. */
NS_MUST_CHECK enum err ld_section_at(const struct ld_namespace *ns, uint64_t addr,
				     const struct ld_section **out);
NS_MUST_CHECK enum err ld_find_crate(const struct ld_namespace *ns,
				     const char *name, struct ld_crate **out);

/* Iterate crates in load order: first(ns), then next(c) until NULL. */
struct ld_crate *ld_crate_first(const struct ld_namespace *ns);
struct ld_crate *ld_crate_next(const struct ld_crate *crate);

const char *ld_crate_name(const struct ld_crate *crate);
/* The crate's allocated sections (plus its GOT, if any), as an array. */
const struct ld_section *ld_crate_sections(const struct ld_crate *crate,
					   size_t *count);
/* The crate's defined symbols, locals included, as an array. */
const struct ld_symbol *ld_crate_symbols(const struct ld_crate *crate,
					 size_t *count);
/* How many relocations the crate applied (or recorded in bound sections). */
uint64_t ld_crate_nrelocs(const struct ld_crate *crate);

/* Reading relocations back: start a cursor over every relocation whose place
 * is in `sec` (ld_relocs_of_section) or over those of one edge
 * (ld_relocs_of_dep), then call ld_reloc_next until it returns false. Each
 * step is O(1) amortized over the section's RELA entries. */
struct ld_reloc_iter {
	const struct ld_section *sec;    /* source */
	const struct ld_section *target; /* only this target; NULL: all */
	const struct ld_rela_group *group;
	uint64_t k;
	uint64_t stamp;                  /* loader-internal: only targets so stamped */
};
void ld_relocs_of_section(struct ld_reloc_iter *it, const struct ld_section *sec);
void ld_relocs_of_dep(struct ld_reloc_iter *it, const struct ld_dep *dep);
bool ld_reloc_next(struct ld_reloc_iter *it, struct ld_reloc *out);
/* The edges the namespace's loads have looked at to find each relocation's
 * dependency edge, since it was made: one per relocation whatever the number
 * of target sections (a work count for the scaling test and make bench). */
uint64_t ld_edge_probes(const struct ld_namespace *ns);
/* Section `index` of crate will never run again (retired code that stays
 * in the crate, as the nano_core's does): its edges no longer make it a
 * dependent of their targets, which may then be unloaded. */
void ld_section_drop_deps(struct ld_crate *crate, size_t index);
/* The crate's section called `name` (the first if several); E_LD_NOT_FOUND. */
NS_MUST_CHECK enum err ld_crate_find_section(const struct ld_crate *crate,
					     const char *name,
					     const struct ld_section **out);

/*
 * Hand-built crates, for the nano_core: sections that already exist in memory
 * (never mapped, protected or unmapped by the loader), symbols and applied
 * relocations added one by one, then committed like a loaded crate. The
 * capacities are fixed at begin (E_LIMIT beyond them). Until commit the crate
 * is invisible; abort frees it. Names are copied, unless the caller said
 * with ld_existing_keep_names that they outlive the crate.
 */
NS_MUST_CHECK enum err ld_existing_begin(struct ld_namespace *ns, const char *name,
					 size_t max_sections, size_t max_symbols,
					 size_t max_relocs, struct ld_crate **out);
/* The names given from now on stay valid and unchanged as long as the crate
 * lives (the nano_core's description does): referenced, not copied. */
void ld_existing_keep_names(struct ld_crate *crate);
NS_MUST_CHECK enum err ld_existing_add_section(struct ld_crate *crate,
					       const char *name, enum ld_kind kind,
					       uint64_t addr, uint64_t size,
					       uint64_t align,
					       const struct ld_section **out);
/* Many sections at once: n records of `stride` bytes from `records`, each
 * beginning with a struct ld_existing_section (the caller's may carry more),
 * their names offsets into strtab (strtab_size bytes, ending in NUL): one
 * pass, every field checked (E_INVALID_ARG, logged, nothing added). The
 * crate's sections are an array, in the order added (ld_crate_sections). */
struct ld_existing_section {
	uint32_t name;
	uint16_t kind;		/* enum ld_kind */
	uint16_t nobits;	/* 1: .bss-like */
	uint64_t addr, size, align;
};
NS_MUST_CHECK enum err ld_existing_add_sections(struct ld_crate *crate, const void *records,
						size_t stride, size_t n, const char *strtab,
						size_t strtab_size);
/* sec must be one of this crate's sections, or NULL for an absolute symbol;
 * bind is STB_LOCAL, STB_GLOBAL or STB_WEAK. */
NS_MUST_CHECK enum err ld_existing_add_symbol(struct ld_crate *crate,
					      const char *name, uint64_t addr,
					      uint64_t size,
					      const struct ld_section *sec,
					      uint8_t bind, uint8_t type);
/* A relocation the static linker applied: source must be this crate's;
 * target any committed crate's section or this crate's, or NULL. */
NS_MUST_CHECK enum err ld_existing_add_reloc(struct ld_crate *crate,
					     const struct ld_section *source,
					     uint64_t offset, uint32_t type,
					     int64_t addend,
					     const struct ld_section *target,
					     uint64_t target_offset);
/* Many relocations at once, the sections named by their index in this crate
 * (in the order they were added; LD_NO_SECTION: an absolute target): one
 * pass, every index checked (E_INVALID_ARG, nothing added). */
#define LD_NO_SECTION 0xFFFFFFFFu
struct ld_existing_reloc {
	uint32_t source, target;
	uint32_t type, pad;
	uint64_t offset, target_offset;
	int64_t addend;
};
NS_MUST_CHECK enum err ld_existing_add_relocs(struct ld_crate *crate,
					      const struct ld_existing_reloc *r, size_t n);
/* Many symbols at once, their names offsets into strtab (strtab_size bytes,
 * ending in NUL) and their sections indexes in this crate (LD_NO_SECTION:
 * absolute): one pass, every field checked (E_INVALID_ARG, logged, nothing
 * added). */
struct ld_existing_symbol {
	uint32_t name, section;
	uint8_t bind, type;
	uint8_t pad[6];
	uint64_t addr, size;
};
NS_MUST_CHECK enum err ld_existing_add_symbols(struct ld_crate *crate,
					       const struct ld_existing_symbol *s, size_t n,
					       const char *strtab, size_t strtab_size);
/* Publish: E_LD_DUPLICATE_SYMBOL / E_LD_DUPLICATE_CRATE / E_NO_HEAP leave
 * the crate uncommitted (abort it or fix and retry). */
NS_MUST_CHECK enum err ld_existing_commit(struct ld_crate *crate);
void ld_existing_abort(struct ld_crate *crate);

/* Dependencies of a section: walk sec->deps by next_dep (what it uses) and
 * sec->dependents by next_dependent (who uses it); each edge's relocations
 * with ld_relocs_of_dep. These helpers do the first step. */
static inline const struct ld_dep *ld_section_deps(const struct ld_section *s)
{
	return s->deps;
}
static inline const struct ld_dep *ld_section_dependents(const struct ld_section *s)
{
	return s->dependents;
}

#endif
