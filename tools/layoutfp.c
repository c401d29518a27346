/*
 * layoutfp: the layout blob (include/nano_core_swap/layout.h) of an ET_REL
 * object: for every STT_OBJECT symbol in a writable allocated section, the
 * type its DWARF gives it, flattened, with the types it reaches; and every
 * global function's signature. A DWARF variable is matched to its
 * symbol by (section, offset), which in an ET_REL object only relocations
 * tell: we apply the debug sections' relocations ourselves, placing each
 * allocated section at its own 4 GiB window (index << 32), so that every
 * DW_OP_addr reads back as section and offset exactly, even for file statics
 * of one name from two compilation units of an `ld -r` object.
 *
 *   layoutfp OBJ.o OUT.bin   write the blob
 *   layoutfp --dump FILE     print it, one line per member: FILE's
 *                            .nanoswap.layout section, or a blob file, or
 *                            (an object without that section) computed anew
 */
#define _GNU_SOURCE	/* vasprintf */
#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nano_core_swap/layout.h>
#include "layoutfp.h"

#define LF_SECTION_ADDR(shndx)	((uint64_t)(shndx) << 32)
#define LF_WINDOW		(1ull << 32)

const char *lf_file, *lf_symbol;

void lf_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "layoutfp: %s%s%s%s", lf_file ? lf_file : "", lf_file ? ": " : "",
		lf_symbol ? lf_symbol : "", lf_symbol ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *lf_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		lf_die("out of memory");
	return p;
}

static char *lf_vprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		lf_die("out of memory");
	return s;
}

char *lf_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *s = lf_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

void lf_append(char **s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *tail = lf_vprintf(fmt, ap);
	va_end(ap);
	char *joined = lf_printf("%s%s", *s, tail);
	free(*s);
	free(tail);
	*s = joined;
}

/* ---- the object ------------------------------------------------------------- */

struct lf_object {
	int fd;
	Elf *elf;
	size_t nsections;
	GElf_Shdr *sh;			/* [nsections] */
	const char **secname;		/* [nsections] */
	size_t symtab_index;
	Elf_Data *symtab, *xndx;	/* xndx: SHT_SYMTAB_SHNDX, or NULL */
	size_t nsyms;
	size_t strtab_index;
	Dwarf *dw;			/* NULL: no .debug_info */
};

static void lf_read_sections(struct lf_object *o)
{
	size_t shstrndx;

	if (elf_getshdrnum(o->elf, &o->nsections) != 0 || elf_getshdrstrndx(o->elf, &shstrndx) != 0)
		lf_die("cannot read the section headers: %s", elf_errmsg(-1));
	o->sh = lf_alloc(o->nsections * sizeof(*o->sh));
	o->secname = lf_alloc(o->nsections * sizeof(*o->secname));
	for (size_t i = 0; i < o->nsections; i++) {
		Elf_Scn *scn = elf_getscn(o->elf, i);
		if (!scn || !gelf_getshdr(scn, &o->sh[i]))
			lf_die("section %zu: cannot read its header: %s", i, elf_errmsg(-1));
		o->secname[i] = elf_strptr(o->elf, shstrndx, o->sh[i].sh_name);
		if (!o->secname[i])
			lf_die("section %zu: bad name offset %u", i, o->sh[i].sh_name);
		if (o->sh[i].sh_type == SHT_SYMTAB) {
			if (o->symtab_index)
				lf_die("two symbol tables (sections %zu and %zu)", o->symtab_index, i);
			o->symtab_index = i;
		}
		if ((o->sh[i].sh_flags & SHF_ALLOC) && o->sh[i].sh_size >= LF_WINDOW)
			lf_die("section %s is 4 GiB or more", o->secname[i]);
	}
}

static void lf_read_symtab(struct lf_object *o)
{
	const GElf_Shdr *sh = &o->sh[o->symtab_index];

	if (!o->symtab_index)
		lf_die("no symbol table");
	if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_link >= o->nsections)
		lf_die("symbol table (section %zu) has a bad entry size or string table",
		       o->symtab_index);
	o->symtab = elf_getdata(elf_getscn(o->elf, o->symtab_index), NULL);
	if (!o->symtab)
		lf_die("cannot read the symbol table: %s", elf_errmsg(-1));
	o->nsyms = sh->sh_size / sizeof(Elf64_Sym);
	o->strtab_index = sh->sh_link;
	for (size_t i = 0; i < o->nsections; i++)
		if (o->sh[i].sh_type == SHT_SYMTAB_SHNDX && o->sh[i].sh_link == o->symtab_index)
			o->xndx = elf_getdata(elf_getscn(o->elf, i), NULL);
}

/* Symbol i; its section index (SHN_XINDEX resolved) in *shndx, 0 if it is
 * not in a section (undefined, absolute, common). */
static void lf_sym(const struct lf_object *o, size_t i, GElf_Sym *s, size_t *shndx)
{
	Elf32_Word x = 0;

	if (i >= o->nsyms || !gelf_getsymshndx(o->symtab, o->xndx, (int)i, s, &x))
		lf_die("symbol %zu: cannot read it", i);
	if (s->st_shndx == SHN_XINDEX)
		*shndx = x;
	else
		*shndx = s->st_shndx < SHN_LORESERVE ? s->st_shndx : 0;
	if (*shndx >= o->nsections)
		lf_die("symbol %zu: section index %zu out of range", i, *shndx);
}

/* ---- relocating the debug sections ---------------------------------------- */

/* S: where symbol i is in our placement (an allocated section at its window). */
static uint64_t lf_reloc_symbol_value(const struct lf_object *o, size_t i)
{
	GElf_Sym s;
	size_t shndx;

	lf_sym(o, i, &s, &shndx);
	if (shndx && (o->sh[shndx].sh_flags & SHF_ALLOC))
		return LF_SECTION_ADDR(shndx) + s.st_value;
	return s.st_shndx == SHN_UNDEF ? 0 : s.st_value;
}

/* Write value v at off in a debug section, as relocation type `type` does. */
static void lf_patch(const char *secname, Elf_Data *d, uint64_t off, unsigned type, uint64_t v)
{
	size_t width;

	switch (type) {
	case R_X86_64_NONE:
		return;
	case R_X86_64_64:	/* S + A */
		width = 8;
		break;
	case R_X86_64_32:	/* S + A, zero-extended */
		if (v > UINT32_MAX)
			lf_die("%s: R_X86_64_32 at %#llx: value %#llx does not fit", secname,
			       (unsigned long long)off, (unsigned long long)v);
		width = 4;
		break;
	default:
		lf_die("%s: relocation type %u at %#llx is not supported in a debug section",
		       secname, type, (unsigned long long)off);
	}
	if (off > d->d_size || width > d->d_size - off)
		lf_die("%s: relocation at %#llx is past the section's end", secname,
		       (unsigned long long)off);
	for (size_t i = 0; i < width; i++)
		((uint8_t *)d->d_buf)[off + i] = (uint8_t)(v >> (8 * i));
}

/* Apply one SHT_RELA section if it targets a non-allocated (debug) section. */
static void lf_relocate_one(struct lf_object *o, size_t ri)
{
	const GElf_Shdr *rsh = &o->sh[ri];
	size_t target = rsh->sh_info;

	if (target == 0 || target >= o->nsections || rsh->sh_link != o->symtab_index)
		lf_die("%s: bad target section or symbol table", o->secname[ri]);
	if (o->sh[target].sh_flags & SHF_ALLOC)
		return;
	if (o->sh[target].sh_flags & SHF_COMPRESSED)
		lf_die("%s is compressed: build without -gz", o->secname[target]);
	Elf_Data *rd = elf_getdata(elf_getscn(o->elf, ri), NULL);
	Elf_Data *td = elf_getdata(elf_getscn(o->elf, target), NULL);
	if (!rd || !td)
		lf_die("%s: cannot read it or its target: %s", o->secname[ri], elf_errmsg(-1));
	for (size_t i = 0; i < rsh->sh_size / sizeof(Elf64_Rela); i++) {
		GElf_Rela r;
		if (!gelf_getrela(rd, (int)i, &r))
			lf_die("%s: relocation %zu: cannot read it", o->secname[ri], i);
		uint64_t v = lf_reloc_symbol_value(o, GELF_R_SYM(r.r_info)) + (uint64_t)r.r_addend;
		lf_patch(o->secname[target], td, r.r_offset, (unsigned)GELF_R_TYPE(r.r_info), v);
	}
}

static void lf_relocate_debug(struct lf_object *o)
{
	for (size_t i = 0; i < o->nsections; i++) {
		if (o->sh[i].sh_type == SHT_REL)
			lf_die("%s: SHT_REL relocations are not supported (x86_64 uses RELA)",
			       o->secname[i]);
		if (o->sh[i].sh_type == SHT_RELA)
			lf_relocate_one(o, i);
	}
}

static void lf_open(struct lf_object *o, const char *path)
{
	GElf_Ehdr eh;

	lf_file = path;
	memset(o, 0, sizeof(*o));
	elf_version(EV_CURRENT);
	if ((o->fd = open(path, O_RDONLY)) < 0)
		lf_die("cannot open it");
	o->elf = elf_begin(o->fd, ELF_C_READ, NULL);	/* private, writable copies */
	if (!o->elf || elf_kind(o->elf) != ELF_K_ELF || !gelf_getehdr(o->elf, &eh))
		lf_die("not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_type != ET_REL || eh.e_machine != EM_X86_64)
		lf_die("not an x86_64 ELF64 relocatable object (ET_REL)");
	lf_read_sections(o);
	lf_read_symtab(o);
	lf_relocate_debug(o);
	for (size_t i = 0; i < o->nsections; i++)
		if (strcmp(o->secname[i], ".debug_info") == 0) {
			if (!(o->dw = dwarf_begin_elf(o->elf, DWARF_C_READ, NULL)))
				lf_die("cannot read its DWARF: %s", dwarf_errmsg(-1));
			break;
		}
}

static void lf_close(struct lf_object *o)
{
	if (o->dw)
		dwarf_end(o->dw);
	elf_end(o->elf);
	close(o->fd);
	free(o->sh);
	free(o->secname);
}

/* ---- data symbols and their DWARF variables -------------------------------- */

static bool lf_is_data_section(const GElf_Shdr *sh)
{
	return (sh->sh_flags & (SHF_ALLOC | SHF_WRITE)) == (SHF_ALLOC | SHF_WRITE) &&
	       !(sh->sh_flags & (SHF_EXECINSTR | SHF_TLS));
}

struct lf_var {
	size_t shndx;
	uint64_t offset;
	Dwarf_Die die;
};

struct lf_vars {
	struct lf_var *v;
	size_t n, cap;
};

static int lf_cmp_symbol(const void *x, const void *y)
{
	const struct lf_symbol *a = x, *b = y;

	if (a->shndx != b->shndx)
		return a->shndx < b->shndx ? -1 : 1;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Every STT_OBJECT symbol defined in a data section, by section then offset. */
static struct lf_symbol *lf_data_symbols(const struct lf_object *o, size_t *n)
{
	struct lf_symbol *syms = lf_alloc(o->nsyms * sizeof(*syms));
	GElf_Sym s;
	size_t shndx;

	*n = 0;
	for (size_t i = 1; i < o->nsyms; i++) {
		lf_sym(o, i, &s, &shndx);
		if (GELF_ST_TYPE(s.st_info) != STT_OBJECT)
			continue;
		const char *name = elf_strptr(o->elf, o->strtab_index, s.st_name);
		if (!name)
			lf_die("symbol %zu: bad name offset %u", i, s.st_name);
		if (s.st_shndx == SHN_COMMON)
			lf_die("symbol %s is COMMON: compile with -fno-common", name);
		if (!shndx || !lf_is_data_section(&o->sh[shndx]))
			continue;
		if (s.st_value > o->sh[shndx].sh_size || s.st_size > o->sh[shndx].sh_size - s.st_value)
			lf_die("symbol %s: [%#llx, +%llu) is outside its section %s", name,
			       (unsigned long long)s.st_value, (unsigned long long)s.st_size,
			       o->secname[shndx]);
		syms[(*n)++] = (struct lf_symbol){ name, o->secname[shndx], shndx, s.st_value,
						    s.st_size, 0, 0 };
	}
	qsort(syms, *n, sizeof(*syms), lf_cmp_symbol);
	return syms;
}

/* A variable's storage address: one DW_OP_addr or DW_OP_addrx; false if it
 * has none (a local, a constant, an extern declaration). */
static bool lf_var_address(Dwarf_Die *var, Dwarf_Addr *addr)
{
	Dwarf_Attribute a, r;
	Dwarf_Op *ops;
	size_t n;

	if (!dwarf_attr(var, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &n) != 0 || n != 1)
		return false;
	switch (ops[0].atom) {
	case DW_OP_addr:
		*addr = ops[0].number;
		return true;
	case DW_OP_addrx:
	case DW_OP_GNU_addr_index:
		if (dwarf_getlocation_attr(&a, &ops[0], &r) != 0 || dwarf_formaddr(&r, addr) != 0)
			lf_die("variable %s: unreadable DW_OP_addrx: %s", dwarf_diename(var),
			       dwarf_errmsg(-1));
		return true;
	}
	return false;
}

static void lf_note_variable(const struct lf_object *o, Dwarf_Die *var, struct lf_vars *vars)
{
	Dwarf_Addr addr;
	size_t shndx;

	if (!lf_var_address(var, &addr))
		return;
	shndx = addr / LF_WINDOW;
	if (shndx == 0 || shndx >= o->nsections || !lf_is_data_section(&o->sh[shndx]))
		return;	/* not in a data section: read-only, or not ours */
	if (vars->n == vars->cap) {
		vars->cap = vars->cap ? 2 * vars->cap : 256;
		vars->v = realloc(vars->v, vars->cap * sizeof(*vars->v));
		if (!vars->v)
			lf_die("out of memory");
	}
	vars->v[vars->n++] = (struct lf_var){ shndx, addr % LF_WINDOW, *var };
}

/* What one pass over the DWARF collects: the variables with storage, the
 * struct/union/enum definitions (d) and the external functions' DIEs. */
struct lf_scan {
	const struct lf_object *o;
	struct lf_vars *vars;
	struct lf_desc *d;
	struct lf_map fns;	/* name -> index into fn_dies */
	Dwarf_Die *fn_dies;
	size_t nfns, fns_cap;
};

/* A DW_TAG_subprogram that defines an external function: note it by name
 * (its abstract origin, which has the signature, for an out-of-line copy).
 * The assembler's (gas -g) say nothing of the signature: untyped. */
static void lf_note_function(struct lf_scan *sc, Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Die origin, cu;
	bool external;
	const char *name = dwarf_diename(die);
	size_t i;

	if (!name || dwarf_hasattr(die, DW_AT_declaration) || !dwarf_diecu(die, &cu, NULL, NULL) ||
	    dwarf_srclang(&cu) == DW_LANG_Mips_Assembler ||
	    !dwarf_attr_integrate(die, DW_AT_external, &a) || dwarf_formflag(&a, &external) != 0 ||
	    !external || lf_map_get_str(&sc->fns, name, &i))
		return;
	if (dwarf_attr(die, DW_AT_abstract_origin, &a) && dwarf_formref_die(&a, &origin))
		die = &origin;
	if (sc->nfns == sc->fns_cap) {
		sc->fns_cap = sc->fns_cap ? 2 * sc->fns_cap : 128;
		if (!(sc->fn_dies = realloc(sc->fn_dies, sc->fns_cap * sizeof(*sc->fn_dies))))
			lf_die("out of memory");
	}
	sc->fn_dies[sc->nfns] = *die;
	lf_map_put_str(&sc->fns, name, sc->nfns++);
}

/* Every DIE under die (and its siblings), at any depth. */
static void lf_walk(struct lf_scan *sc, Dwarf_Die *die)
{
	Dwarf_Die child;

	do {
		if (dwarf_tag(die) == DW_TAG_variable)
			lf_note_variable(sc->o, die, sc->vars);
		else if (dwarf_tag(die) == DW_TAG_subprogram)
			lf_note_function(sc, die);
		else
			lf_note_definition(sc->d, die);
		if (dwarf_child(die, &child) == 0)
			lf_walk(sc, &child);
	} while (dwarf_siblingof(die, die) == 0);
}

static int lf_cmp_var(const void *x, const void *y)
{
	const struct lf_var *a = x, *b = y;

	if (a->shndx != b->shndx)
		return a->shndx < b->shndx ? -1 : 1;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static void lf_scan_dwarf(struct lf_scan *sc)
{
	Dwarf_Off off = 0, next;
	size_t header;
	Dwarf_Die cu, child;

	if (!sc->o->dw)
		return;
	while (dwarf_nextcu(sc->o->dw, off, &next, &header, NULL, NULL, NULL) == 0) {
		if (!dwarf_offdie(sc->o->dw, off + header, &cu))
			lf_die("compilation unit at %#llx: cannot read it: %s",
			       (unsigned long long)off, dwarf_errmsg(-1));
		if (dwarf_child(&cu, &child) == 0)
			lf_walk(sc, &child);
		off = next;
	}
	if (sc->vars->n)
		qsort(sc->vars->v, sc->vars->n, sizeof(*sc->vars->v), lf_cmp_var);
}

/* The first DWARF variable at (shndx, offset), or NULL. */
static const struct lf_var *lf_find_var(const struct lf_vars *vars, size_t shndx, uint64_t offset)
{
	struct lf_var key = { .shndx = shndx, .offset = offset };
	size_t lo = 0, hi = vars->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (lf_cmp_var(&vars->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < vars->n && lf_cmp_var(&vars->v[lo], &key) == 0 ? &vars->v[lo] : NULL;
}

/* ---- describing the symbols ---------------------------------------------- */

/* The DWARF type of symbol s in *out: its variable's, which any other
 * variable at the same place must share. NULL if it has none (untyped). */
static Dwarf_Die *lf_symbol_type(const struct lf_object *o, const struct lf_vars *vars,
				 const struct lf_symbol *s, Dwarf_Die *out)
{
	const struct lf_var *v = lf_find_var(vars, s->shndx, s->value);
	const struct lf_var *end = vars->v + vars->n;
	Dwarf_Die var, other_type;

	if (!v)
		return NULL;
	var = v->die;
	if (!lf_type_of(&var, out))
		lf_die("its DWARF variable has no type");
	char *name = lf_type_name(out, LF_CANON);
	for (const struct lf_var *w = v + 1; w < end && !lf_cmp_var(w, v); w++) {
		var = w->die;
		char *other = lf_type_name(lf_type_of(&var, &other_type), LF_CANON);
		if (strcmp(name, other) != 0)
			lf_die("two DWARF variables at %s+%#llx disagree on its type: %s, %s",
			       o->secname[s->shndx], (unsigned long long)s->value, name, other);
		free(other);
	}
	free(name);
	return out;
}

/* Each symbol's rows, in symbol order; an untyped symbol has none. */
static void lf_describe(const struct lf_object *o, struct lf_symbol *syms, size_t n,
			const struct lf_vars *vars, struct lf_rows *rows)
{
	for (size_t i = 0; i < n; i++) {
		struct lf_symbol *s = &syms[i];
		Dwarf_Die type;
		lf_symbol = s->name;
		s->first_row = rows->n;
		if (!lf_symbol_type(o, vars, s, &type))
			continue;
		lf_flatten_variable(rows, &type);
		s->nrows = rows->n - s->first_row;
		if (rows->v[s->first_row].size > s->size)
			lf_die("its DWARF type %s is %llu bytes, the symbol only %llu",
			       rows->v[s->first_row].type,
			       (unsigned long long)rows->v[s->first_row].size,
			       (unsigned long long)s->size);
	}
	lf_symbol = NULL;
}

/* ---- global functions --------------------------------------------------- */

static int lf_cmp_func(const void *x, const void *y)
{
	return strcmp(((const struct lf_func *)x)->name, ((const struct lf_func *)y)->name);
}

/* Every STB_GLOBAL STT_FUNC symbol defined in the object, by name, with its
 * signature and the types it reaches (untyped if no DWARF describes it). */
static void lf_functions(const struct lf_object *o, struct lf_scan *sc)
{
	struct lf_desc *d = sc->d;
	GElf_Sym s;
	size_t shndx, k;

	d->funcs = lf_alloc(o->nsyms * sizeof(*d->funcs));
	for (size_t i = 1; i < o->nsyms; i++) {
		lf_sym(o, i, &s, &shndx);
		if (GELF_ST_TYPE(s.st_info) != STT_FUNC || GELF_ST_BIND(s.st_info) != STB_GLOBAL ||
		    !shndx)
			continue;
		const char *name = elf_strptr(o->elf, o->strtab_index, s.st_name);
		if (!name)
			lf_die("symbol %zu: bad name offset %u", i, s.st_name);
		d->funcs[d->nfuncs++] = (struct lf_func){ .name = name, .section = o->secname[shndx] };
	}
	qsort(d->funcs, d->nfuncs, sizeof(*d->funcs), lf_cmp_func);
	for (size_t i = 0; i < d->nfuncs; i++) {
		struct lf_func *f = &d->funcs[i];
		lf_symbol = f->name;
		if (i > 0 && strcmp(d->funcs[i - 1].name, f->name) == 0)
			lf_die("defined twice as a global function");
		f->first_ref = d->func_refs.n;
		if (!lf_map_get_str(&sc->fns, f->name, &k))
			continue;	/* untyped (assembly) */
		f->type = lf_type_name(&sc->fn_dies[k], LF_CANON);
		f->decl = lf_type_name(&sc->fn_dies[k], LF_DECL);
		lf_func_refs(d, &sc->fn_dies[k]);
		f->nrefs = d->func_refs.n - f->first_ref;
	}
	lf_symbol = NULL;
}

uint8_t *lf_make_blob(const char *path, size_t *size)
{
	struct lf_object o;
	struct lf_vars vars = { 0 };
	struct lf_desc d = { 0 };
	struct lf_scan sc = { .o = &o, .vars = &vars, .d = &d };

	lf_open(&o, path);
	d.syms = lf_data_symbols(&o, &d.nsyms);
	lf_scan_dwarf(&sc);
	lf_describe(&o, d.syms, d.nsyms, &vars, &d.rows);
	for (size_t i = 0; i < d.rows.n; i++)	/* what the variables' rows reach */
		lf_row_refs(&d, i);
	lf_functions(&o, &sc);
	lf_types_finish(&d);
	uint8_t *blob = lf_build_blob(&d, size);
	lf_desc_free(&d);
	free(vars.v);
	free(sc.fn_dies);
	free(sc.fns.slots);
	lf_close(&o);
	return blob;
}

static void lf_write(const char *obj, const char *out)
{
	size_t size;
	uint8_t *blob = lf_make_blob(obj, &size);
	FILE *f = fopen(out, "wb");

	if (!f)
		lf_die("cannot create %s", out);
	if (fwrite(blob, 1, size, f) != size || fclose(f) != 0) {
		unlink(out);
		lf_die("cannot write %s", out);
	}
	free(blob);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		lf_dump(argv[2]);
	else if (argc == 3 && argv[1][0] != '-')
		lf_write(argv[1], argv[2]);
	else
		lf_die("usage: layoutfp OBJ.o OUT.bin | layoutfp --dump FILE");
	return 0;
}
