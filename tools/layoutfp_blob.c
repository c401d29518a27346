/*
 * layoutfp: the blob itself. Records and a string table that stores each
 * string once, then each symbol's hash; the result goes through nsl_parse
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

/* The symbols' and rows' records, with their strings in t. */
static void lf_fill_records(const struct lf_symbol *syms, size_t nsyms,
			    const struct lf_rows *rows, struct nsl_symbol *ns,
			    struct nsl_member *nm, struct lf_strtab *t)
{
	for (size_t i = 0; i < nsyms; i++) {
		const struct lf_symbol *s = &syms[i];
		ns[i] = (struct nsl_symbol){
			.name = lf_str(t, s->name), .section = lf_str(t, s->section),
			.type = s->nrows ? lf_str(t, rows->v[s->first_row].type) : 0,
			.first_member = (uint32_t)s->first_row, .nmembers = (uint32_t)s->nrows,
			.flags = s->nrows ? 0 : NSL_UNTYPED, .offset = s->value, .size = s->size };
	}
	for (size_t i = 0; i < rows->n; i++) {
		const struct lf_row *r = &rows->v[i];
		nm[i] = (struct nsl_member){
			.path = lf_str(t, r->path), .type = lf_str(t, r->type),
			.decl = lf_str(t, r->decl), .bit_offset = r->bit_offset,
			.offset = r->offset, .size = r->size, .bit_size = r->bit_size };
	}
}

uint8_t *lf_build_blob(const struct lf_symbol *syms, size_t nsyms, const struct lf_rows *rows,
		       size_t *size)
{
	struct lf_strtab t = { 0 };
	struct nsl_header h = { .magic = NSL_MAGIC };
	struct nsl_view v;
	char why[256];

	if (nsyms > NSL_MAX_SYMBOLS || rows->n > NSL_MAX_MEMBERS)
		lf_die("%zu symbols, %zu members: more than NSL_MAX_SYMBOLS (%u) or "
		       "NSL_MAX_MEMBERS (%u)", nsyms, rows->n, NSL_MAX_SYMBOLS, NSL_MAX_MEMBERS);
	struct nsl_symbol *ns = lf_alloc(nsyms * sizeof(*ns));
	struct nsl_member *nm = lf_alloc(rows->n * sizeof(*nm));
	lf_str(&t, "");
	lf_fill_records(syms, nsyms, rows, ns, nm, &t);
	while (t.len % 8)
		t.buf[t.len++] = '\0';
	h.nsymbols = (uint32_t)nsyms, h.nmembers = (uint32_t)rows->n, h.strtab_size = (uint32_t)t.len;
	*size = sizeof(h) + nsyms * sizeof(*ns) + rows->n * sizeof(*nm) + t.len;
	uint8_t *blob = aligned_alloc(8, *size), *p = blob;
	if (!blob)
		lf_die("out of memory");
	memcpy(p, &h, sizeof(h)), p += sizeof(h);
	struct nsl_symbol *bs = (struct nsl_symbol *)p;
	memcpy(p, ns, nsyms * sizeof(*ns)), p += nsyms * sizeof(*ns);
	v.members = (const struct nsl_member *)p;
	memcpy(p, nm, rows->n * sizeof(*nm)), p += rows->n * sizeof(*nm);
	v.strs = (const char *)p;
	memcpy(p, t.buf, t.len);
	for (size_t i = 0; i < nsyms; i++)
		bs[i].hash = nsl_hash_symbol(&v, &bs[i]);
	if (nsl_parse(blob, *size, &v, why, sizeof(why)) != E_OK)
		lf_die("BUG: the blob it built does not parse: %s", why);
	free(ns), free(nm), free(t.buf), free(t.slots);
	return blob;
}


/* ---- the dump --------------------------------------------------------------- */

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
	putchar('\n');
}

static void lf_print_blob(const struct nsl_view *v)
{
	for (uint32_t i = 0; i < v->nsymbols; i++) {
		const struct nsl_symbol *s = &v->syms[i];
		printf("%s: %s+%llu, %llu bytes", nsl_str(v, s->name), nsl_str(v, s->section),
		       (unsigned long long)s->offset, (unsigned long long)s->size);
		if (s->flags & NSL_UNTYPED) {
			printf(", no type information\n");
			continue;
		}
		const struct nsl_member *root = &v->members[s->first_member];
		printf(", %s", nsl_str(v, root->type));
		if (strcmp(nsl_str(v, root->type), nsl_str(v, root->decl)) != 0)
			printf(" (declared %s)", nsl_str(v, root->decl));
		printf(", hash %016llx\n", (unsigned long long)s->hash);
		for (uint32_t j = 1; j < s->nmembers; j++)
			lf_print_row(v, root + j);
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
	printf("# %s: %s, %zu bytes, %u symbols, %u member rows\n", path, source, size,
	       v.nsymbols, v.nmembers);
	lf_print_blob(&v);
	if (blob != file)
		free(blob);
	free(file);
}
