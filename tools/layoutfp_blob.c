/*
 * layoutfp: the blob itself. Records and a string table that stores each
 * string once, then each symbol's and type's hash; the result goes through nsl_parse
 * (nano_core_swap/layout.c) exactly as the kernel will read it. Also the
 * human-readable dump, of a blob file, of an object's section or of an
 * object's DWARF.
 */
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nano_core_swap/layout.h>
#include "layoutfp.h"

/* ---- the blob --------------------------------------------------------------- */

/* The string table, each string stored once (open addressing on FNV-1a). */
struct lf_strtab {
	char *buf;
	size_t len, cap;
	uint32_t *slots;	/* offset + 1; 0: empty */
	size_t nslots, used;
};

static uint64_t lf_str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static uint32_t *lf_str_slot(struct lf_strtab *t, const char *s)
{
	size_t mask = t->nslots - 1, i = lf_str_hash(s) & mask;

	while (t->slots[i] && strcmp(t->buf + t->slots[i] - 1, s) != 0)
		i = (i + 1) & mask;
	return &t->slots[i];
}

static void lf_str_rehash(struct lf_strtab *t)
{
	uint32_t *old = t->slots;
	size_t n = t->nslots;

	t->nslots = n ? 2 * n : 1024;
	t->slots = lf_alloc(t->nslots * sizeof(*t->slots));
	for (size_t i = 0; i < n; i++)
		if (old[i])
			*lf_str_slot(t, t->buf + old[i] - 1) = old[i];
	free(old);
}

/* The offset of s in the string table, adding it if new. */
static uint32_t lf_str(struct lf_strtab *t, const char *s)
{
	size_t len = strlen(s) + 1;

	if (2 * (t->used + 1) > t->nslots)
		lf_str_rehash(t);
	uint32_t *slot = lf_str_slot(t, s);
	if (*slot)
		return *slot - 1;
	if (t->len + len > NSL_MAX_STRTAB - 8)
		lf_die("the string table exceeds NSL_MAX_STRTAB (%u bytes)", NSL_MAX_STRTAB);
	while (t->len + len + 8 > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 4096;
		if (!(t->buf = realloc(t->buf, t->cap)))
			lf_die("out of memory");
	}
	memcpy(t->buf + t->len, s, len);
	*slot = (uint32_t)t->len + 1;
	t->used++;
	t->len += len;
	return *slot - 1;
}

/* The records of d, with their strings in t. */
static void lf_fill_records(const struct lf_desc *d, struct nsl_symbol *ns, struct nsl_type *nt,
			    struct nsl_func *nf, struct nsl_member *nm, struct lf_strtab *t)
{
	for (size_t i = 0; i < d->nsyms; i++) {
		const struct lf_symbol *s = &d->syms[i];
		ns[i] = (struct nsl_symbol){
			.name = lf_str(t, s->name), .section = lf_str(t, s->section),
			.type = s->nrows ? lf_str(t, d->rows.v[s->first_row].type) : 0,
			.first_member = (uint32_t)s->first_row, .nmembers = (uint32_t)s->nrows,
			.flags = s->nrows ? 0 : NSL_UNTYPED, .offset = s->value, .size = s->size };
	}
	for (size_t i = 0; i < d->ntypes; i++) {
		const struct lf_type *ty = &d->types[i];
		nt[i] = (struct nsl_type){
			.name = lf_str(t, ty->name), .flags = ty->flags,
			.first_member = (uint32_t)ty->first_row, .nmembers = (uint32_t)ty->nrows,
			.size = ty->size };
	}
	for (size_t i = 0; i < d->nfuncs; i++) {
		const struct lf_func *f = &d->funcs[i];
		nf[i] = (struct nsl_func){
			.name = lf_str(t, f->name), .section = lf_str(t, f->section),
			.type = f->type ? lf_str(t, f->type) : 0, .decl = f->decl ? lf_str(t, f->decl) : 0,
			.flags = f->type ? 0 : NSL_UNTYPED,
			.first_ref = (uint32_t)(d->refs.n + f->first_ref), .nrefs = (uint32_t)f->nrefs };
	}
	for (size_t i = 0; i < d->rows.n; i++) {
		const struct lf_row *r = &d->rows.v[i];
		nm[i] = (struct nsl_member){
			.path = lf_str(t, r->path), .type = lf_str(t, r->type),
			.decl = lf_str(t, r->decl), .bit_offset = r->bit_offset,
			.offset = r->offset, .size = r->size, .bit_size = r->bit_size,
			.first_ref = (uint32_t)r->first_ref, .nrefs = (uint32_t)r->nrefs };
	}
}

/* Append n bytes at p to the blob being written at *w. */
static void lf_put(uint8_t **w, const void *p, size_t n)
{
	if (n)
		memcpy(*w, p, n);
	*w += n;
}

uint8_t *lf_build_blob(const struct lf_desc *d, size_t *size)
{
	struct lf_strtab t = { 0 };
	size_t nrefs = d->refs.n + d->func_refs.n, refs_bytes = (4 * nrefs + 7) & ~(size_t)7;
	struct nsl_header h = { .magic = NSL_MAGIC };
	struct nsl_view v;
	char why[256];

	if (d->nsyms > NSL_MAX_SYMBOLS || d->rows.n > NSL_MAX_MEMBERS || nrefs > NSL_MAX_REFS ||
	    d->nfuncs > NSL_MAX_FUNCS)
		lf_die("%zu symbols, %zu members, %zu refs, %zu functions: more than NSL_MAX_SYMBOLS "
		       "(%u), NSL_MAX_MEMBERS (%u), NSL_MAX_REFS (%u) or NSL_MAX_FUNCS (%u)",
		       d->nsyms, d->rows.n, nrefs, d->nfuncs, NSL_MAX_SYMBOLS, NSL_MAX_MEMBERS,
		       NSL_MAX_REFS, NSL_MAX_FUNCS);
	struct nsl_symbol *ns = lf_alloc(d->nsyms * sizeof(*ns));
	struct nsl_type *nt = lf_alloc(d->ntypes * sizeof(*nt));
	struct nsl_func *nf = lf_alloc(d->nfuncs * sizeof(*nf));
	struct nsl_member *nm = lf_alloc(d->rows.n * sizeof(*nm));
	uint32_t *refs = lf_alloc(refs_bytes);
	lf_str(&t, "");
	lf_fill_records(d, ns, nt, nf, nm, &t);
	if (d->refs.n)
		memcpy(refs, d->refs.v, 4 * d->refs.n);
	if (d->func_refs.n)
		memcpy(refs + d->refs.n, d->func_refs.v, 4 * d->func_refs.n);
	while (t.len % 8)
		t.buf[t.len++] = '\0';
	h.nsymbols = (uint32_t)d->nsyms, h.nmembers = (uint32_t)d->rows.n;
	h.ntypes = (uint32_t)d->ntypes, h.nfuncs = (uint32_t)d->nfuncs;
	h.nrefs = (uint32_t)nrefs, h.strtab_size = (uint32_t)t.len;
	*size = sizeof(h) + d->nsyms * sizeof(*ns) + d->ntypes * sizeof(*nt) +
		d->nfuncs * sizeof(*nf) + d->rows.n * sizeof(*nm) + refs_bytes + t.len;
	uint8_t *blob = aligned_alloc(8, *size), *w = blob;
	if (!blob)
		lf_die("out of memory");
	lf_put(&w, &h, sizeof(h));
	struct nsl_symbol *bs = (struct nsl_symbol *)w;
	lf_put(&w, ns, d->nsyms * sizeof(*ns));
	struct nsl_type *bt = (struct nsl_type *)w;
	lf_put(&w, nt, d->ntypes * sizeof(*nt));
	lf_put(&w, nf, d->nfuncs * sizeof(*nf));
	v.members = (const struct nsl_member *)w;
	lf_put(&w, nm, d->rows.n * sizeof(*nm));
	lf_put(&w, refs, refs_bytes);
	v.strs = (const char *)w;
	lf_put(&w, t.buf, t.len);
	for (size_t i = 0; i < d->nsyms; i++)
		bs[i].hash = nsl_hash_symbol(&v, &bs[i]);
	for (size_t i = 0; i < d->ntypes; i++)
		bt[i].hash = nsl_hash_type(&v, &bt[i]);
	if (nsl_parse(blob, *size, &v, why, sizeof(why)) != E_OK)
		lf_die("BUG: the blob it built does not parse: %s", why);
	free(ns), free(nt), free(nf), free(nm), free(refs), free(t.buf), free(t.slots);
	return blob;
}


/* ---- the dump --------------------------------------------------------------- */

/* " -> struct block, struct node": the types refs [first, + n) name. */
static void lf_print_refs(const struct nsl_view *v, uint32_t first, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		printf("%s%s", k ? ", " : "  -> ", nsl_str(v, v->types[v->refs[first + k]].name));
}

/* "  +8            8  frames_reserved  unsigned long (declared uint64_t)" */
static void lf_print_row(const struct nsl_view *v, const struct nsl_member *m)
{
	char pos[48];
	const char *type = nsl_str(v, m->type), *decl = nsl_str(v, m->decl);

	if (m->bit_size)
		snprintf(pos, sizeof(pos), "+%llu.%u", (unsigned long long)m->offset, m->bit_offset);
	else
		snprintf(pos, sizeof(pos), "+%llu", (unsigned long long)m->offset);
	printf("  %-10s %6llu  %s  %s", pos, (unsigned long long)m->size, nsl_str(v, m->path), type);
	if (strcmp(type, decl) != 0)
		printf(" (declared %s)", decl);
	lf_print_refs(v, m->first_ref, m->nrefs);
	putchar('\n');
}

/* ", TYPE (declared DECL) -> REFS, hash H" and a line per member. */
static void lf_print_rows(const struct nsl_view *v, uint32_t first, uint32_t n, uint64_t hash)
{
	const struct nsl_member *root = &v->members[first];

	printf(", %s", nsl_str(v, root->type));
	if (strcmp(nsl_str(v, root->type), nsl_str(v, root->decl)) != 0)
		printf(" (declared %s)", nsl_str(v, root->decl));
	lf_print_refs(v, root->first_ref, root->nrefs);
	printf(", hash %016llx\n", (unsigned long long)hash);
	for (uint32_t j = 1; j < n; j++)
		lf_print_row(v, root + j);
}

static void lf_print_blob(const struct nsl_view *v)
{
	for (uint32_t i = 0; i < v->nsymbols; i++) {
		const struct nsl_symbol *s = &v->syms[i];
		printf("%s: %s+%llu, %llu bytes", nsl_str(v, s->name), nsl_str(v, s->section),
		       (unsigned long long)s->offset, (unsigned long long)s->size);
		if (s->flags & NSL_UNTYPED)
			printf(", no type information\n");
		else
			lf_print_rows(v, s->first_member, s->nmembers, s->hash);
	}
	for (uint32_t i = 0; i < v->ntypes; i++) {
		const struct nsl_type *t = &v->types[i];
		printf("type #%u %s: ", i, nsl_str(v, t->name));
		if (t->flags & NSL_TYPE_OPAQUE) {
			printf("opaque (declared, not defined here)\n");
			continue;
		}
		printf("%llu bytes", (unsigned long long)t->size);
		lf_print_rows(v, t->first_member, t->nmembers, t->hash);
	}
	for (uint32_t i = 0; i < v->nfuncs; i++) {
		const struct nsl_func *f = &v->funcs[i];
		printf("function %s: %s, ", nsl_str(v, f->name), nsl_str(v, f->section));
		if (f->flags & NSL_UNTYPED) {
			printf("no type information\n");
			continue;
		}
		printf("%s", nsl_str(v, f->type));
		if (strcmp(nsl_str(v, f->type), nsl_str(v, f->decl)) != 0)
			printf(" (declared %s)", nsl_str(v, f->decl));
		lf_print_refs(v, f->first_ref, f->nrefs);
		putchar('\n');
	}
}

/* The whole file, 8-byte aligned. */
static uint8_t *lf_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long len;
	uint8_t *p;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		lf_die("cannot read it");
	*size = (size_t)len;
	p = aligned_alloc(8, (*size + 7) & ~(size_t)7 ? (*size + 7) & ~(size_t)7 : 8);
	if (!p || fread(p, 1, *size, f) != *size)
		lf_die("cannot read it");
	fclose(f);
	return p;
}

/* The contents of section NSL_SECTION of an ELF image, copied 8-byte aligned;
 * NULL if it has none. */
static uint8_t *lf_embedded_blob(const uint8_t *image, size_t image_size, size_t *size)
{
	Elf *elf = elf_memory((char *)image, image_size);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0)
		lf_die("neither a layout blob nor an ELF file");
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		if (!name || strcmp(name, NSL_SECTION) != 0)
			continue;
		Elf_Data *d = elf_rawdata(scn, NULL);
		if (!d || sh.sh_type == SHT_NOBITS)
			lf_die("section %s: cannot read it", NSL_SECTION);
		uint8_t *p = aligned_alloc(8, d->d_size + 8);
		if (!p)
			lf_die("out of memory");
		memcpy(p, d->d_buf, d->d_size);
		*size = d->d_size;
		elf_end(elf);
		return p;
	}
	elf_end(elf);
	return NULL;
}

void lf_dump(const char *path)
{
	size_t file_size, size;
	uint8_t *file, *blob;
	const char *source;
	struct nsl_view v;
	char why[256];

	lf_file = path;
	elf_version(EV_CURRENT);
	file = lf_read_file(path, &file_size);
	if (file_size >= 8 && memcmp(file, NSL_MAGIC, 8) == 0)
		blob = file, size = file_size, source = "a layout blob";
	else if ((blob = lf_embedded_blob(file, file_size, &size)))
		source = "its section " NSL_SECTION;
	else
		blob = lf_make_blob(path, &size), source = "computed from its DWARF";
	if (nsl_parse(blob, size, &v, why, sizeof(why)) != E_OK)
		lf_die("%s: %s", err_msg(E_SWAP_BAD_LAYOUT), why);
	printf("# %s: %s, %zu bytes, %u symbols, %u types, %u functions, %u member rows\n", path,
	       source, size, v.nsymbols, v.ntypes, v.nfuncs, v.nmembers);
	lf_print_blob(&v);
	if (blob != file)
		free(blob);
	free(file);
}
