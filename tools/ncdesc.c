/*
 * ncdesc: write the nano_core's self-description (include/nano_core_swap/desc.h)
 * at build time. The final image alone cannot say which variable a relocation
 * targets (statics become output-section symbol + addend), so we take each
 * module object's own sections, symbols and relocations, find where each
 * input section landed in the linker map, and cross-check every relocation
 * against the one the static linker applied (--emit-relocs): same place, same
 * type, same value. Anything that cannot be attributed fails the build.
 *
 *   ncdesc OUT CORE_ELF MAP NAME=OBJECT...      (boot=... marks boot/)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <loader/elf.h>
#include <loader/elf_file.h>
#include <nano_core_swap/desc.h>
#include <nano_core_swap/layout.h>
#include "elf_image.h"

#define MAX_MODULES 32
#define SHF_MERGE 0x10

struct module {
	const char *name, *path;
	uint8_t *image;
	size_t size;
	struct elf_file elf;
	uint32_t *secmap;	/* ELF section index -> global section index or NCD_NONE */
	uint32_t first_symbol, nsymbols, ndata_symbols; /* its run of symbols */
};

struct map_entry {
	char *name, *file;
	uint64_t addr, size;
};

static struct module modules[MAX_MODULES];
static unsigned nmodules;
static struct elf_image core;
static struct map_entry *map;
static size_t nmap, cap_map;
static struct ncd_section *sections;
static size_t nsections, cap_sections;
static struct ncd_symbol *symbols;
static size_t nsymbols, cap_symbols;
static struct ncd_reloc *relocs;
static size_t nrelocs, cap_relocs;
static char *strtab;
static size_t strtab_size, strtab_cap;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ncdesc: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

/* Append v to the growable array a of n elements (capacity cap). */
#define PUSH(a, n, cap, v)                                                         \
	do {                                                                        \
		if ((n) == (cap)) {                                                 \
			(cap) = (cap) ? 2 * (cap) : 256;                            \
			(a) = xrealloc((a), (cap) * sizeof(*(a)));                  \
		}                                                                   \
		(a)[(n)++] = (v);                                                   \
	} while (0)

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		die("%s: cannot read", path);
	uint8_t *buf = aligned_alloc(16, ((size_t)n + 16) & ~(size_t)15);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("%s: cannot read", path);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static uint32_t add_string(const char *s)
{
	size_t n = strlen(s) + 1;

	if (strtab_size + n > strtab_cap) {
		strtab_cap = (strtab_size + n) * 2;
		strtab = xrealloc(strtab, strtab_cap);
	}
	memcpy(strtab + strtab_size, s, n);
	strtab_size += n;
	return (uint32_t)(strtab_size - n);
}

/* ---- the loader's validation, on the host ---- */

static void host_log(void *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

static void *host_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void host_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static const struct ld_services host_svc = {
	.heap_alloc = host_alloc, .heap_free = host_free, .log = host_log,
};

/* ---- the final image ---- */

static void core_load(const char *path)
{
	size_t size;
	const uint8_t *data = read_file(path, &size);

	if (!elf_image_parse(&core, data, size))
		die("%s: not an ELF64 image with a usable symbol table: %s", path, core.why);
}

static const char *core_sym_name(const Elf64_Sym *s)
{
	const char *name = elf_image_sym_name(&core, s);

	if (!name)
		die("final image: symbol name offset %u out of range", s->st_name);
	return name;
}

/* ---- the linker map ---- */

static void map_add(const char *name, uint64_t addr, uint64_t size, const char *file)
{
	PUSH(map, nmap, cap_map, ((struct map_entry){ strdup(name), strdup(file), addr, size }));
}

/*
 * Input-section lines of `ld -Map`: " NAME ADDR SIZE FILE", or " NAME" alone
 * followed by "  ADDR SIZE FILE" when the name is long. Symbol lines
 * ("  ADDR NAME") and *fill* lines are not input sections.
 */
static void map_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], pending[1024] = "", name[1024], file[2048];
	unsigned long long addr, size;
	int started = 0;

	if (!f)
		die("%s: cannot read", path);
	while (fgets(line, sizeof(line), f)) {
		if (!started) {
			started = strncmp(line, "Linker script and memory map", 28) == 0;
			continue;
		}
		if (line[0] == ' ' && line[1] != ' ') {
			int n = sscanf(line, " %1023s %llx %llx %2047s", name, &addr, &size, file);
			if (n == 1 && !strchr(name, '(')) {
				strcpy(pending, name);
				continue;
			}
			if (n == 4 && strcmp(name, "*fill*") != 0 && !strchr(name, '('))
				map_add(name, addr, size, file);
		} else if (pending[0] && sscanf(line, " %llx %llx %2047s", &addr, &size, file) == 3 &&
			   strncmp(file, "0x", 2) != 0) {
			map_add(pending, addr, size, file);
		}
		pending[0] = '\0';
	}
	fclose(f);
	if (!started)
		die("%s: no 'Linker script and memory map' part", path);
}

static const struct map_entry *map_find(const char *file, const char *name)
{
	const struct map_entry *found = NULL;

	for (size_t i = 0; i < nmap; i++) {
		if (strcmp(map[i].file, file) || strcmp(map[i].name, name))
			continue;
		if (found)
			die("%s: input section %s appears twice in the map (link with plain ld -r)",
			    file, name);
		found = &map[i];
	}
	return found;
}

/* ---- modules: sections and symbols ---- */

static uint32_t kind_of(const Elf64_Shdr *sh)
{
	if (sh->sh_flags & SHF_EXECINSTR)
		return NCD_TEXT;
	return sh->sh_flags & SHF_WRITE ? NCD_DATA : NCD_RODATA;
}

/* Every allocated section of module m, placed by the map. */
static void module_sections(struct module *m, uint32_t index)
{
	const struct elf_file *f = &m->elf;

	m->secmap = xrealloc(NULL, f->shnum * sizeof(uint32_t));
	for (uint32_t i = 0; i < f->shnum; i++) {
		const Elf64_Shdr *sh = &f->sh[i];
		m->secmap[i] = NCD_NONE;
		if (!(sh->sh_flags & SHF_ALLOC))
			continue;
		const char *name = elf_section_name(f, i);
		const struct map_entry *e = map_find(m->path, name);
		if (!e)
			die("%s: allocated section %s is not in the linker map", m->path, name);
		if (e->size != sh->sh_size)
			die("%s: section %s is %lu bytes in the object but %lu in the map", m->path,
			    name, (unsigned long)sh->sh_size, (unsigned long)e->size);
		if (sh->sh_flags & SHF_MERGE)
			die("%s: section %s is mergeable: build with -fno-merge-constants", m->path, name);
		m->secmap[i] = (uint32_t)nsections;
		char *full = xrealloc(NULL, strlen(m->name) + 1 + strlen(name) + 1);
		sprintf(full, "%s:%s", m->name, name);
		uint32_t at = add_string(full);
		free(full);
		PUSH(sections, nsections, cap_sections, ((struct ncd_section){
			.full_name = at, .name = at + (uint32_t)strlen(m->name) + 1,
			.module = index, .kind = kind_of(sh),
			.nobits = sh->sh_type == SHT_NOBITS, .addr = e->addr, .size = sh->sh_size,
			.align = sh->sh_addralign ? sh->sh_addralign : 1,
		}));
	}
}

static void module_symbols_of(const struct module *m, bool data)
{
	const struct elf_file *f = &m->elf;

	for (uint32_t i = 1; i < f->nsyms; i++) {
		const Elf64_Sym *s = &f->syms[i];
		unsigned type = ELF64_ST_TYPE(s->st_info);
		if (s->st_shndx == SHN_UNDEF || s->st_shndx >= f->shnum || !s->st_name ||
		    (type != STT_NOTYPE && type != STT_OBJECT && type != STT_FUNC))
			continue;
		uint32_t sec = m->secmap[s->st_shndx];
		if (sec == NCD_NONE || (sections[sec].kind == NCD_DATA) != data)
			continue;	/* in a non-allocated section, or the other pass's */
		PUSH(symbols, nsymbols, cap_symbols, ((struct ncd_symbol){
			.name = add_string(elf_symbol_name(f, i)), .section = sec,
			.bind = ELF64_ST_BIND(s->st_info), .type = (uint8_t)type,
			.addr = sections[sec].addr + s->st_value, .size = s->st_size,
		}));
	}
}

/* The module's symbols: those of its data (which stays live across a swap)
 * first, then those of its text and rodata, so that a lean nano_core crate
 * (nano_core_swap/core_crate.c) leaves the latter out in one run. */
static void module_symbols(struct module *m)
{
	m->first_symbol = (uint32_t)nsymbols;
	module_symbols_of(m, true);
	m->ndata_symbols = (uint32_t)nsymbols - m->first_symbol;
	module_symbols_of(m, false);
	m->nsymbols = (uint32_t)nsymbols - m->first_symbol;
}

/* The global definition of name among the modules' symbols, or NULL. */
static const struct ncd_symbol *find_global(const char *name)
{
	for (size_t i = 0; i < nsymbols; i++)
		if (symbols[i].bind != STB_LOCAL && strcmp(strtab + symbols[i].name, name) == 0)
			return &symbols[i];
	return NULL;
}

/* Globals of the final image that no module defines: linker-script symbols
 * (untyped). A function or object nobody defines means an object is missing. */
static void linker_symbols(void)
{
	for (size_t i = 1; i < core.nsyms; i++) {
		const Elf64_Sym *s = &core.syms[i];
		if (ELF64_ST_BIND(s->st_info) != STB_GLOBAL || s->st_shndx == SHN_UNDEF ||
		    ELF64_ST_TYPE(s->st_info) != STT_NOTYPE)
			continue;
		const char *name = core_sym_name(s);
		if (find_global(name))
			continue;
		PUSH(symbols, nsymbols, cap_symbols, ((struct ncd_symbol){
			.name = add_string(name), .section = NCD_NONE, .bind = STB_GLOBAL,
			.type = STT_NOTYPE, .addr = s->st_value,
		}));
	}
}

/* ---- relocations ---- */

struct core_reloc {
	uint64_t place, value;	/* value = S + A as the static linker computed it */
	uint32_t type;
	int matched;
};

static struct core_reloc *core_relocs;
static size_t ncore_relocs;

static int cmp_place(const void *a, const void *b)
{
	const struct core_reloc *x = a, *y = b;

	return x->place < y->place ? -1 : x->place > y->place;
}

/* Every relocation the static linker applied to an allocated section. */
static void core_relocs_load(void)
{
	for (unsigned i = 0; i < core.shnum; i++) {
		const Elf64_Shdr *s = &core.sh[i];
		if (s->sh_type != SHT_RELA || s->sh_info >= core.shnum ||
		    !(core.sh[s->sh_info].sh_flags & SHF_ALLOC))
			continue;
		const Elf64_Rela *r = (const Elf64_Rela *)(core.data + s->sh_offset);
		size_t n = s->sh_size / sizeof(*r);
		core_relocs = xrealloc(core_relocs, (ncore_relocs + n) * sizeof(*core_relocs));
		for (size_t k = 0; k < n; k++) {
			uint32_t sym = ELF64_R_SYM(r[k].r_info);
			if (sym >= core.nsyms)
				die("final image: relocation symbol %u out of range", sym);
			core_relocs[ncore_relocs++] = (struct core_reloc){
				.place = r[k].r_offset, .type = ELF64_R_TYPE(r[k].r_info),
				.value = core.syms[sym].st_value + (uint64_t)r[k].r_addend,
			};
		}
	}
	qsort(core_relocs, ncore_relocs, sizeof(*core_relocs), cmp_place);
}

static struct core_reloc *core_reloc_at(uint64_t place)
{
	struct core_reloc key = { .place = place };

	return bsearch(&key, core_relocs, ncore_relocs, sizeof(key), cmp_place);
}

/* The true target of relocation r of module m: a section and an offset in it. */
static void reloc_target(const struct module *m, const Elf64_Rela *r, uint32_t *sec,
			 uint64_t *off)
{
	const struct elf_file *f = &m->elf;
	const Elf64_Sym *s = &f->syms[ELF64_R_SYM(r->r_info)];
	const char *name = elf_symbol_name(f, ELF64_R_SYM(r->r_info));

	if (s->st_shndx == SHN_ABS) {
		*sec = NCD_NONE, *off = s->st_value;
	} else if (s->st_shndx != SHN_UNDEF) {
		*sec = m->secmap[s->st_shndx], *off = s->st_value;
		if (*sec == NCD_NONE)
			die("%s: relocation against %s in a non-allocated section", m->path, name);
	} else {
		const struct ncd_symbol *g = find_global(name);
		if (!g && ELF64_ST_BIND(s->st_info) != STB_WEAK)
			die("%s: relocation against %s, which nothing defines", m->path, name);
		*sec = g ? g->section : NCD_NONE;
		*off = !g ? 0 : g->section == NCD_NONE ? g->addr : g->addr - sections[g->section].addr;
	}
}

/* Attribute module m's relocations and check each against the final image. */
static void module_relocs(const struct module *m)
{
	const struct elf_file *f = &m->elf;

	for (uint32_t i = elf_next_applied_rela(f, 0); i; i = elf_next_applied_rela(f, i)) {
		uint64_t n;
		const Elf64_Rela *r = elf_rela_entries(f, i, &n);
		uint32_t src = m->secmap[f->sh[i].sh_info];
		for (uint64_t k = 0; k < n; k++) {
			/* the loader checks entries as it applies them: so does this */
			if (elf_check_rela(f, i, k, &r[k]) != E_OK)
				die("%s: relocation %lu of section %u is malformed (logged above)",
				    m->name, (unsigned long)k, i);
			struct ncd_reloc out = {
				.source = src, .type = ELF64_R_TYPE(r[k].r_info),
				.offset = r[k].r_offset, .addend = r[k].r_addend,
			};
			if (out.type == R_X86_64_NONE)
				continue;
			reloc_target(m, &r[k], &out.target, &out.target_offset);
			uint64_t place = sections[src].addr + out.offset;
			uint64_t value = (out.target == NCD_NONE ? 0 : sections[out.target].addr) +
					 out.target_offset + (uint64_t)out.addend;
			struct core_reloc *c = core_reloc_at(place);
			if (!c || c->type != out.type || c->value != value)
				die("%s: relocation %lu of %s (type %u at %lx) does not match the "
				    "final image's (%s)", m->path, (unsigned long)k,
				    elf_section_name(f, i), out.type, (unsigned long)place,
				    !c ? "none there" : c->type != out.type ? "other type" : "other value");
			if (c->matched++)
				die("%s: two relocations at %lx", m->path, (unsigned long)place);
			PUSH(relocs, nrelocs, cap_relocs, out);
		}
	}
}

/* By source section, then place: the order the loader keeps them in (the
 * kernel then takes them as they are, without sorting). */
static int cmp_source(const void *a, const void *b)
{
	const struct ncd_reloc *x = a, *y = b;

	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Each section's run of the sorted records. */
static void index_relocs(void)
{
	for (size_t i = 0, r = 0; i < nsections; i++) {
		sections[i].first_reloc = (uint32_t)r;
		while (r < nrelocs && relocs[r].source == i)
			r++;
		sections[i].nrelocs = (uint32_t)(r - sections[i].first_reloc);
	}
}

static void check_all_attributed(void)
{
	for (size_t i = 0; i < ncore_relocs; i++)
		if (!core_relocs[i].matched)
			die("final image: relocation at %lx (type %u) comes from no module object "
			    "(is libgcc or another object linked in?)",
			    (unsigned long)core_relocs[i].place, core_relocs[i].type);
}

/* ---- output ---- */

/* The modules' layout blobs, one after the other, each 8-aligned. */
static uint8_t *layouts;
static size_t layouts_size;

/* Module m's `.nanoswap.layout` section appended to the layout area; its
 * place in *off and *size (0, 0 if the object has none). */
static void module_layout(const struct module *m, uint32_t *off, uint32_t *size)
{
	const struct elf_file *f = &m->elf;

	*off = *size = 0;
	for (uint32_t i = 1; i < f->shnum; i++) {
		const Elf64_Shdr *sh = &f->sh[i];
		if (strcmp(elf_section_name(f, i), NSL_SECTION) != 0)
			continue;
		if (sh->sh_type != SHT_PROGBITS || (sh->sh_flags & SHF_ALLOC) || sh->sh_size % 8)
			die("%s: %s is not a non-allocated blob of 8-byte records", m->path,
			    NSL_SECTION);
		*off = (uint32_t)layouts_size;
		*size = (uint32_t)sh->sh_size;
		layouts = xrealloc(layouts, layouts_size + sh->sh_size);
		memcpy(layouts + layouts_size, f->data + sh->sh_offset, sh->sh_size);
		layouts_size += sh->sh_size;
		return;
	}
}

static void write_out(const char *path)
{
	struct ncd_header h = {
		.nmodules = nmodules, .nsections = (uint32_t)nsections,
		.nsymbols = (uint32_t)nsymbols, .nrelocs = (uint32_t)nrelocs,
	};
	struct ncd_module mods[MAX_MODULES];
	FILE *f = fopen(path, "wb");

	memcpy(h.magic, NCD_MAGIC, 8);
	for (uint32_t i = 0, first = 0; i < nmodules; i++) {
		uint32_t n = 0, ndata = 0;
		while (first + n < nsections && sections[first + n].module == i)
			ndata += sections[first + n++].kind == NCD_DATA;
		mods[i] = (struct ncd_module){
			.name = add_string(modules[i].name), .first_section = first, .nsections = n,
			.constituent = strcmp(modules[i].name, "boot") != 0, .ndata_sections = ndata,
			.first_symbol = modules[i].first_symbol, .nsymbols = modules[i].nsymbols,
			.ndata_symbols = modules[i].ndata_symbols,
		};
		module_layout(&modules[i], &mods[i].layout, &mods[i].layout_size);
		first += n;
	}
	while (strtab_size % 8)		/* the module names went in last */
		add_string("");
	h.strtab_size = (uint32_t)strtab_size;
	h.layouts_size = (uint32_t)layouts_size;
	if (!f || fwrite(&h, sizeof(h), 1, f) != 1 ||
	    fwrite(mods, sizeof(mods[0]), nmodules, f) != nmodules ||
	    fwrite(sections, sizeof(*sections), nsections, f) != nsections ||
	    fwrite(symbols, sizeof(*symbols), nsymbols, f) != nsymbols ||
	    fwrite(relocs, sizeof(*relocs), nrelocs, f) != nrelocs ||
	    fwrite(strtab, 1, strtab_size, f) != strtab_size ||
	    fwrite(layouts, 1, layouts_size, f) != layouts_size || fclose(f) != 0)
		die("%s: cannot write", path);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: ncdesc OUT CORE_ELF MAP NAME=OBJECT...\n");
		return 2;
	}
	add_string("");
	core_load(argv[2]);
	map_load(argv[3]);
	for (int a = 4; a < argc; a++) {
		struct module *m = &modules[nmodules];
		char *eq = strchr(argv[a], '=');
		if (!eq || nmodules == MAX_MODULES)
			die("bad module argument '%s' (NAME=OBJECT, at most %d)", argv[a], MAX_MODULES);
		*eq = '\0';
		m->name = argv[a], m->path = eq + 1;
		m->image = read_file(m->path, &m->size);
		if (elf_validate(&m->elf, &host_svc, m->name, m->image, m->size) != E_OK)
			die("%s: the loader rejects it (see above)", m->path);
		module_sections(m, nmodules++);
	}
	for (unsigned i = 0; i < nmodules; i++)
		module_symbols(&modules[i]);
	linker_symbols();
	core_relocs_load();
	for (unsigned i = 0; i < nmodules; i++)
		module_relocs(&modules[i]);
	check_all_attributed();
	qsort(relocs, nrelocs, sizeof(*relocs), cmp_source);
	index_relocs();
	write_out(argv[1]);
	printf("ncdesc: %u modules, %zu sections, %zu symbols, %zu relocations\n", nmodules,
	       nsections, nsymbols, nrelocs);
	return 0;
}
