/*
 * elfcheck: run the loader's validation and a dry-run load (through the host
 * services shim, at module-area run addresses) over ELF objects, so the build
 * can reject a module the kernel would refuse. Usage:
 *   elfcheck [--stub-undefined | --nano-core ELF] [-v] FILE...
 * prints `FILE: ok (N sections, N symbols, N relocations)` or
 * `FILE: error: NAME: detail` per file; exits 1 if any file is rejected.
 * The files are loaded in order into ONE namespace, as the kernel would load
 * them: a later file resolves against the earlier ones (and clashes with
 * their definitions); a rejected file leaves the namespace as it was.
 * What the namespace cannot resolve: with --nano-core, the global symbols of
 * that kernel image (build/nano_core.elf), as in the running kernel; with
 * --stub-undefined a stub address in the module area; with neither, an error.
 */
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <loader/elf.h>
#include <loader/loader.h>
#include "shim.h"
#include "elf_image.h"

#define ELFCHECK_MAX_SIZE (512l << 20)

static bool elfcheck_stub(void *ctx, const char *name, uint64_t *value)
{
	(void)ctx, (void)name;
	*value = LD_CMODEL_KERNEL_BASE; /* reachable by PC32 and 32S from any module */
	return true;
}

/* The nano_core image whose global and weak symbols resolve (--nano-core). */
static struct elf_image core;

static bool elfcheck_core_symbol(void *ctx, const char *name, uint64_t *value)
{
	(void)ctx;
	for (size_t i = 0; i < core.nsyms; i++) {
		const Elf64_Sym *s = &core.syms[i];
		unsigned bind = ELF64_ST_BIND(s->st_info);
		const char *n = elf_image_sym_name(&core, s);
		if ((bind == STB_GLOBAL || bind == STB_WEAK) && s->st_shndx != SHN_UNDEF && n &&
		    strcmp(n, name) == 0) {
			*value = s->st_value;
			return true;
		}
	}
	return false;
}

/* Read a whole file into 16-byte aligned memory; NULL with errno on failure. */
static void *elfcheck_read(const char *path, size_t *size)
{
	struct stat st;
	FILE *f;
	void *buf = NULL;
	long n;

	if (stat(path, &st) != 0)
		return NULL;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL; /* "Invalid argument": not a regular file */
		return NULL;
	}
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n <= ELFCHECK_MAX_SIZE &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = aligned_alloc(16, ((size_t)n + 16) & ~(size_t)15);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
			errno = EIO;
		}
		*size = (size_t)n;
	} else {
		errno = EFBIG;
	}
	fclose(f);
	return buf;
}

/* The last logged line, without the "loader: CRATE: " prefix. */
static const char *elfcheck_detail(const struct shim *s, const char *crate)
{
	const char *line = shim_last_log(s);
	size_t n = strlen(crate);

	if (strncmp(line, "loader: ", 8) == 0)
		line += 8;
	if (strncmp(line, crate, n) == 0 && strncmp(line + n, ": ", 2) == 0)
		line += n + 2;
	return line;
}

/* For LD_UNRESOLVED: the names from the "undefined symbol 'x'" lines. */
static const char *elfcheck_unresolved(const struct shim *s)
{
	static char out[400];
	int n = s->nlog < SHIM_LOG_LINES ? s->nlog : SHIM_LOG_LINES;
	size_t len = (size_t)snprintf(out, sizeof(out), "undefined symbols:");

	for (int i = 0; i < n && len < sizeof(out); i++) {
		const char *p = strstr(s->log[i], "undefined symbol '"), *q;

		if (!p)
			continue;
		p += strlen("undefined symbol '");
		q = strchr(p, '\'');
		if (q)
			len += (size_t)snprintf(out + len, sizeof(out) - len, " %.*s",
						(int)(q - p), p);
	}
	return out;
}

/* Load one file into ns (the shim's namespace); print its line. */
static int elfcheck_file(struct shim *shim, struct ld_namespace *ns, const char *path, bool stub)
{
	struct ld_load_opts opts = {
		.resolve_undefined = stub ? elfcheck_stub : core.syms ? elfcheck_core_symbol : NULL,
	};
	struct ld_crate *c;
	size_t size = 0, nsec, nsym;
	void *image = elfcheck_read(path, &size);
	enum err e;

	if (!image) {
		printf("%s: error: READ: %s\n", path, strerror(errno));
		return 1;
	}
	shim_clear_log(shim);
	e = ld_load(ns, path, image, size, &opts, &c);
	if (e == E_OK) {
		ld_crate_sections(c, &nsec);
		ld_crate_symbols(c, &nsym);
		printf("%s: ok (%zu sections, %zu symbols, %lu relocations)\n", path, nsec,
		       nsym, (unsigned long)ld_crate_nrelocs(c));
	} else {
		printf("%s: error: %s: %s\n", path, err_name(e),
		       e == E_LD_UNRESOLVED ? elfcheck_unresolved(shim)
					    : elfcheck_detail(shim, path));
	}
	free(image);
	return e != E_OK;
}

/* Every file, in order, into one namespace. */
static int elfcheck_files(char **paths, int n, bool stub, bool verbose)
{
	static struct shim shim;
	struct ld_namespace *ns;
	int failed = 0;
	enum err e;

	shim_init(&shim);
	shim.area_limit = 1ull << 30; /* any crate the loader's limits accept */
	shim.echo = verbose;
	e = ld_namespace_create(&shim.svc, &ns);
	if (e != E_OK) {
		fprintf(stderr, "elfcheck: cannot create a namespace: %s\n", err_name(e));
		return 1;
	}
	for (int i = 0; i < n; i++)
		failed |= elfcheck_file(&shim, ns, paths[i], stub);
	ld_namespace_destroy(ns);
	return failed;
}

#define ELFCHECK_USAGE "usage: elfcheck [--stub-undefined | --nano-core ELF] [-v] FILE...\n"

int main(int argc, char **argv)
{
	bool stub = false, verbose = false;
	int i, failed = 0, files = 0;
	void *image = NULL;	/* the --nano-core file */

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--nano-core") == 0 && i + 1 < argc) {
			size_t size;
			image = elfcheck_read(argv[++i], &size);
			if (!image) {
				fprintf(stderr, "elfcheck: %s: %s\n", argv[i], strerror(errno));
				return 2;
			}
			if (!elf_image_parse(&core, image, size)) {
				fprintf(stderr, "elfcheck: %s: no usable symbol table: %s\n",
					argv[i], core.why);
				free(image);
				return 2;
			}
		} else if (strcmp(argv[i], "--stub-undefined") == 0) {
			stub = true;
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			fprintf(stderr, ELFCHECK_USAGE);
			return 2;
		}
	}
	files = argc - i;
	if (files)
		failed = elfcheck_files(argv + i, files, stub, verbose);
	free(image);
	if (!files) {
		fprintf(stderr, ELFCHECK_USAGE);
		return 2;
	}
	return failed ? 1 : 0;
}
