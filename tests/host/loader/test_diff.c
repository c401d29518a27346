/*
 * Differential test against GNU ld: load an object with our loader, then ask
 * `ld` to link the same object with a linker script placing every section at
 * the address our loader chose and --defsym giving every undefined symbol the
 * value our loader bound it to; the relocated bytes of every section must be
 * identical (except .eh_frame when ld merged its CIEs and changed its size).
 * Also runs elfcheck over the test objects.
 */
#include "tcommon.h"

#include <stdlib.h>
#include <string.h>

#define TDIFF_CMD 8192

/* Write the linker script placing each loaded section where we put it. */
static bool tdiff_script(const struct ld_crate *c, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);

	if (!f)
		return false;
	fprintf(f, "SECTIONS {\n");
	for (size_t i = 0; i < n; i++)
		if (s[i].elf_index)
			fprintf(f, "  %s 0x%lx : { KEEP(*(%s)) }\n", s[i].name,
				(unsigned long)s[i].addr, s[i].name);
	fprintf(f, "}\n");
	return fclose(f) == 0;
}

/* The ld command: --defsym for each undefined symbol, as our loader bound it. */
static bool tdiff_command(struct tctx *t, struct ld_namespace *ns, const struct blob *b,
			  const char *obj, const char *script, const char *out, char *cmd)
{
	unsigned n;
	Elf64_Sym *syms = eu_syms(b, &n);
	int len = snprintf(cmd, TDIFF_CMD, "ld -m elf_x86_64 -static -nostdlib --no-relax "
				      "-e 0 -z noexecstack --no-warn-rwx-segments -T %s -o %s %s",
			   script, out, obj);
	const struct ld_symbol *def;

	(void)t;
	for (unsigned i = 1; i < n && len < TDIFF_CMD - 200; i++) {
		if (syms[i].st_shndx != SHN_UNDEF)
			continue;
		if (ld_lookup(ns, eu_sym_name(b, &syms[i]), &def) == E_OK)
			len += snprintf(cmd + len, (size_t)(TDIFF_CMD - len), " --defsym=%s=0x%lx",
					eu_sym_name(b, &syms[i]), (unsigned long)def->addr);
	}
	return len < TDIFF_CMD - 200;
}

/* Compare each loaded PROGBITS section with ld's output section of that name. */
static int tdiff_compare(struct tctx *t, const struct ld_crate *c, const struct blob *o)
{
	size_t n;
	const struct ld_section *s = ld_crate_sections(c, &n);
	int compared = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned k = s[i].elf_index ? eu_find_section(o, s[i].name, 0) : 0;
		Elf64_Shdr *sh;

		if (!s[i].elf_index || s[i].nobits || s[i].size == 0)
			continue;
		if (!k) {
			tfail(t, "ld output lacks %s", s[i].name);
			return -1;
		}
		sh = eu_shdr(o, k);
		if (strcmp(s[i].name, ".eh_frame") == 0 && sh->sh_size != s[i].size)
			continue; /* ld rewrites .eh_frame (merges CIEs): not comparable */
		if (sh->sh_addr != s[i].addr || sh->sh_size != s[i].size) {
			tfail(t, "%s: ld placed %lx+%lx, we %lx+%lx", s[i].name,
			      (unsigned long)sh->sh_addr, (unsigned long)sh->sh_size,
			      (unsigned long)s[i].addr, (unsigned long)s[i].size);
			return -1;
		}
		for (uint64_t off = 0; off < s[i].size; off++) {
			uint64_t ours;

			if (!tread(t, s[i].addr + off, 1, &ours) ||
			    ours != o->data[sh->sh_offset + off]) {
				tfail(t, "%s+%lx: ours %02lx, ld %02x", s[i].name,
				      (unsigned long)off, (unsigned long)ours,
				      o->data[sh->sh_offset + off]);
				return -1;
			}
		}
		compared++;
	}
	return compared;
}

static void tdiff_one(struct tctx *t, const char *file, const char *dep)
{
	struct ld_namespace *ns = tns(t);
	struct ld_crate *c, *d;
	char script[512], out[512], obj[512], *cmd = malloc(TDIFF_CMD);
	struct blob b, o;
	int n;

	REQUIRE(t, ns && cmd);
	if (dep)
		REQUIRE_ERR(t, tload(t, ns, dep, NULL, &d), E_OK);
	REQUIRE_ERR(t, tload(t, ns, file, NULL, &c), E_OK);
	snprintf(obj, sizeof(obj), "%s", tobj_path(t, t->compiler, file));
	snprintf(script, sizeof(script), "%s/%s/%s.diff.ld", t->objdir, t->compiler, file);
	snprintf(out, sizeof(out), "%s/%s/%s.diff.elf", t->objdir, t->compiler, file);
	REQUIRE(t, tdiff_script(c, script) && tobj_read(t, t->compiler, file, &b));
	REQUIRE(t, tdiff_command(t, ns, &b, obj, script, out, cmd));
	free(b.data);
	REQUIREF(t, system(cmd) == 0, "ld failed: %s", cmd);
	free(cmd);
	REQUIRE(t, blob_read(out, &o));
	n = tdiff_compare(t, c, &o);
	free(o.data);
	REQUIRE(t, n >= 3);
}

static void test_diff_basic(struct tctx *t)
{
	tdiff_one(t, "basic", "provider");
}

static void test_diff_combined(struct tctx *t)
{
	tdiff_one(t, "combined", NULL);
}

/* elfcheck accepts the good objects and names the error of the bad one (all
 * in one namespace: basic resolves against provider given before it). */
static void test_elfcheck(struct tctx *t)
{
	char cmd[2048];
	FILE *p;
	char line[1024];
	int ok = 0, bad = 0;

	REQUIRE(t, t->elfcheck != NULL);
	snprintf(cmd, sizeof(cmd), "%s --stub-undefined %s/%s/provider.o %s/%s/basic.o "
		 "%s/%s/small.o", t->elfcheck, t->objdir, t->compiler, t->objdir, t->compiler,
		 t->objdir, t->compiler);
	p = popen(cmd, "r");
	REQUIRE(t, p);
	while (fgets(line, sizeof(line), p)) {
		ok += strstr(line, ": ok (") != NULL;
		bad += strstr(line, "small.o: error: LD_RELOC_OVERFLOW: ") != NULL;
	}
	REQUIRE(t, pclose(p) != 0 && ok == 2 && bad == 1);
	snprintf(cmd, sizeof(cmd), "%s %s/%s/basic.o", t->elfcheck, t->objdir, t->compiler);
	p = popen(cmd, "r");
	REQUIRE(t, p);
	REQUIRE(t, fgets(line, sizeof(line), p) &&
		   strstr(line, "error: LD_UNRESOLVED: undefined symbols: ") &&
		   strstr(line, " provider_value") && strstr(line, " provider_array"));
	REQUIRE(t, pclose(p) != 0);
}

const struct test_case tests_diff[] = {
	{ "diff_vs_ld_basic", test_diff_basic, true },
	{ "diff_vs_ld_combined", test_diff_combined, true },
	{ "elfcheck", test_elfcheck, true },
	{ 0 },
};
