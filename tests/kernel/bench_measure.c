/*
 * Measuring one ld_load of a boot module under QEMU -icount shift=0 (rdtsc
 * counts guest instructions): the cheapest of a few load/unload rounds and
 * the first, the loader's own per-stage costs (ld_load_stats) of the
 * cheapest, and a memcpy of the same bytes in the same boot, the floor any
 * loader pays.
 */
#include "bench_measure.h"

#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <lib/string.h>
#include <lib/x86.h>
#include <loader/elf.h>
#include <memory/memory.h>

#define BENCH_ROUNDS 5
/* Rounds stop early (after at least two) once they have cost this many
 * instructions: a quadratic loader on the 100k-relocation objects would
 * otherwise take minutes of QEMU time per object. */
#define BENCH_ROUND_BUDGET 12000000000ull

/* The image's named undefined symbols (what the namespace resolves). The
 * image was validated by a successful ld_load before this reads it. */
static uint64_t bench_count_imports(const uint8_t *image)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(image + eh->e_shoff);
	uint64_t n = 0;

	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym = (const Elf64_Sym *)(image + sh[i].sh_offset);
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		for (uint64_t k = 1; k < sh[i].sh_size / sizeof(*sym); k++)
			n += sym[k].st_shndx == SHN_UNDEF && sym[k].st_name != 0;
	}
	return n;
}

/* A memcpy of the module's bytes into a heap buffer: the second of two
 * copies, so that the buffer's pages are already touched. */
static bool bench_memcpy(const uint8_t *image, uint64_t size, uint64_t *out)
{
	uint8_t *buf = kmalloc(size);
	uint64_t t0;

	if (!buf) {
		kprintf("bench: no heap for a %lu-byte copy\n", size);
		return false;
	}
	memcpy(buf, image, size);
	t0 = rdtsc();
	memcpy(buf, image, size);
	*out = rdtsc() - t0;
	kfree(buf);
	return true;
}

/* The rounds themselves: each loads and unloads `name`. */
static bool bench_rounds(const char *name, struct bench_load *r)
{
	uint64_t spent = 0;

	r->best = ~0ull;
	for (r->rounds = 0; r->rounds < BENCH_ROUNDS; r->rounds++) {
		struct ld_load_stats st;
		const struct ld_load_opts opts = { .stats = &st };
		struct ld_crate *c;
		uint64_t t0 = rdtsc(), dt;
		enum err e = crates_load_boot_module_opts(name, &opts, &c);

		dt = rdtsc() - t0;
		if (e != E_OK) {
			kprintf("bench: load %s: %s\n", name, err_name(e));
			return false;
		}
		r->nrelocs = ld_crate_nrelocs(c);
		e = ld_unload(crates_namespace(), c);
		if (e != E_OK) {
			kprintf("bench: unload %s: %s\n", name, err_name(e));
			return false;
		}
		if (r->rounds == 0)
			r->first = dt;
		if (dt < r->best) {
			r->best = dt;
			r->phases = st;
		}
		spent += dt;
		if (r->rounds >= 1 && spent > BENCH_ROUND_BUDGET) {
			r->rounds++;
			break;
		}
	}
	return true;
}

bool bench_measure_load(const char *name, const char *stubs, struct bench_load *r)
{
	const struct boot_module *m = bootinfo_find_module(name);
	struct ld_crate *sc = NULL;
	const uint8_t *image;
	bool ok;

	if (!m) {
		kprintf("bench: no boot module '%s'\n", name);
		return false;
	}
	image = phys_to_virt(m->start);
	r->bytes = m->end - m->start;
	if (stubs && crates_load_boot_module(stubs, &sc) != E_OK) {
		kprintf("bench: cannot load the stub crate '%s'\n", stubs);
		return false;
	}
	ok = bench_rounds(name, r);
	if (sc && ld_unload(crates_namespace(), sc) != E_OK) {
		kprintf("bench: cannot unload the stub crate '%s'\n", stubs);
		ok = false;
	}
	if (ok)
		r->nimports = bench_count_imports(image);
	return ok && bench_memcpy(image, r->bytes, &r->memcpy);
}

void bench_print_ratio(uint64_t v, uint64_t d)
{
	uint64_t x = d ? v * 100 / d : 0;

	kprintf("%lu.%02lu", x / 100, x % 100);
}

void bench_print_load(const char *name, const struct bench_load *r)
{
	const struct ld_load_stats *p = &r->phases;

	kprintf("bench: load %s: %lu instructions (first %lu, %u rounds), memcpy %lu of "
		"%lu bytes (x", name, r->best, r->first, r->rounds, r->memcpy, r->bytes);
	bench_print_ratio(r->best, r->memcpy);
	kprintf("), %lu relocations, %lu symbols resolved; phases validate %lu layout %lu "
		"copy %lu symbols %lu relocate %lu commit %lu; of symbols, resolving %lu (%lu per "
		"import), relocate %lu per relocation\n", r->nrelocs, r->nimports,
		p->validate, p->layout, p->copy, p->symbols, p->relocate, p->commit, p->resolve,
		r->nimports ? p->resolve / r->nimports : 0, r->nrelocs ? p->relocate / r->nrelocs : 0);
}
