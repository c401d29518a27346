/*
 * The shell's read-only views of the crate namespace: `ns` (the crates, or
 * one crate's sections), `sym` (a symbol and what it superseded), `addr` (an
 * address symbolized, old code flagged) and `deps` (section-to-section
 * dependencies both ways). They only read what the loader publishes.
 */
#include <bootinfo/ksym.h>
#include <console/console.h>
#include <crates/crates.h>
#include <lib/string.h>
#include <loader/elf.h>
#include <memory/memory.h>
#include <nano_core_swap/swap.h>
#include "shell_internal.h"

#define NS_MAX_DEPENDENTS	64	/* distinct dependent crates listed per crate */

static struct ld_namespace *ns(void)
{
	return crates_namespace();
}

/* nano_core sections are already named module:section; others get crate: */
static void print_section_name(const struct ld_section *s, int width)
{
	char name[96];

	if (strchr(s->name, ':'))
		kprintf("%-*s", width, s->name);
	else {
		size_t n = strnlen(ld_crate_name(s->crate), 40);
		memcpy(name, ld_crate_name(s->crate), n);
		name[n] = ':';
		size_t m = strnlen(s->name, sizeof(name) - n - 2);
		memcpy(name + n + 1, s->name, m);
		name[n + 1 + m] = '\0';
		kprintf("%-*s", width, name);
	}
}

static void print_range(const struct ld_crate *c, enum ld_kind kind)
{
	size_t n;
	const struct ld_section *secs = ld_crate_sections(c, &n);
	uint64_t lo = ~0UL, hi = 0;

	for (size_t i = 0; i < n; i++) {
		if (secs[i].kind == kind && secs[i].size) {
			lo = secs[i].addr < lo ? secs[i].addr : lo;
			hi = secs[i].addr + secs[i].size > hi ? secs[i].addr + secs[i].size : hi;
		}
	}
	if (hi)
		kprintf(" %lx-%lx", lo, hi);
	else
		kprintf(" %-33s", "-");
}

/* The other crates with a section that depends on one of c's sections. */
static void print_dependents(const struct ld_crate *c)
{
	const struct ld_crate *seen[NS_MAX_DEPENDENTS];
	unsigned nseen = 0;
	size_t n;
	const struct ld_section *secs = ld_crate_sections(c, &n);

	for (size_t i = 0; i < n; i++) {
		for (const struct ld_dep *d = ld_section_dependents(&secs[i]); d;
		     d = d->next_dependent) {
			const struct ld_crate *src = d->source->crate;
			unsigned k = 0;
			while (k < nseen && seen[k] != src)
				k++;
			if (src == c || k < nseen)
				continue;
			if (nseen == NS_MAX_DEPENDENTS) {
				kprintf(" ... (NS_MAX_DEPENDENTS)");
				goto out;
			}
			seen[nseen++] = src;
			kprintf("%s%s", nseen > 1 ? "," : " ", ld_crate_name(src));
		}
	}
out:
	kprintf("%s\n", nseen ? "" : " -");
}

/* "  version 2 of heap, from heap_v2, superseding heap" under a crate that a
 * swap made (a constituent module's copy, or a crate's new version). */
static void print_version(const struct ld_crate *c)
{
	char base[48];
	const char *superseded, *object, *name = ld_crate_name(c);
	size_t n = 0;
	unsigned gen;

	while (name[n] && name[n] != '#' && n < sizeof(base) - 1)
		base[n] = name[n], n++;
	base[n] = '\0';
	if (swap_crate_version(c, &gen, &superseded, &object) ||
	    ((gen = swap_module_generation(base, &superseded, &object)) > 1 &&
	     strcmp(name, "nano_core") != 0))
		kprintf("  version %u of %s, from %s, superseding %s\n", gen, base, object,
			superseded);
}

static void ns_list(void)
{
	kprintf("%-16s %8s  %-33s %-33s %-33s %s\n", "crate", "symbols", "text", "rodata",
		"data/bss", "dependents");
	for (const struct ld_crate *c = ld_crate_first(ns()); c; c = ld_crate_next(c)) {
		size_t nsyms;
		(void)ld_crate_symbols(c, &nsyms);
		kprintf("%-16s %8lu", ld_crate_name(c), nsyms);
		print_range(c, LD_KIND_TEXT);
		print_range(c, LD_KIND_RODATA);
		print_range(c, LD_KIND_DATA);
		print_dependents(c);
		print_version(c);
	}
}

static const char *const kind_names[] = {
	[LD_KIND_TEXT] = "text", [LD_KIND_RODATA] = "rodata", [LD_KIND_DATA] = "data",
};

static void ns_crate(const struct ld_crate *c)
{
	size_t n, nsyms;
	const struct ld_section *secs = ld_crate_sections(c, &n);

	(void)ld_crate_symbols(c, &nsyms);
	kprintf("crate %s: %lu sections, %lu symbols\n", ld_crate_name(c), n, nsyms);
	for (size_t i = 0; i < n; i++) {
		const struct ld_section *s = &secs[i];
		kprintf("  ");
		print_section_name(s, 44);
		kprintf(" %lx %8lx %-6s ", s->addr, s->size, kind_names[s->kind]);
		if (s->bound && s->bound_to) {
			kprintf("bound to %s ", ld_crate_name(s->bound_to->crate));
			print_section_name(s->bound_to, 0);
			kprintf("\n");
		} else {
			kprintf("%s\n", s->bound ? "bound" : "fresh");
		}
	}
}

enum err cmd_ns(int argc, char **argv)
{
	struct ld_crate *c;

	if (argc == 1) {
		ns_list();
		return E_OK;
	}
	enum err e = shell_find_crate(argv[1], &c);
	if (e == E_OK)
		ns_crate(c);
	return e;
}

static const char *bind_name(uint8_t bind)
{
	return bind == STB_GLOBAL ? "global" : bind == STB_WEAK ? "weak" : "local";
}

static const char *type_name(uint8_t type)
{
	return type == STT_FUNC ? "function" : type == STT_OBJECT ? "object" : "symbol";
}

static void print_symbol(const char *lead, const struct ld_symbol *s)
{
	kprintf("%s%lx, %lu bytes, %s %s in crate %s, section ", lead, s->addr, s->size,
		bind_name(s->bind), type_name(s->type), ld_crate_name(s->crate));
	if (s->section) {
		print_section_name(s->section, 0);
		kprintf("+%lx\n", s->addr - s->section->addr);
	} else {
		kprintf("(absolute)\n");
	}
}

/* Every symbol called name other than `except`, in load order; returns how many. */
static unsigned print_others(const char *name, const struct ld_symbol *except,
			     const char *lead)
{
	unsigned found = 0;

	for (const struct ld_crate *c = ld_crate_first(ns()); c; c = ld_crate_next(c)) {
		size_t n;
		const struct ld_symbol *syms = ld_crate_symbols(c, &n);
		for (size_t i = 0; i < n; i++) {
			if (&syms[i] != except && strcmp(syms[i].name, name) == 0) {
				print_symbol(lead, &syms[i]);
				found++;
			}
		}
	}
	return found;
}

/* The image's own symbol called name, when no crate holds it any more (a
 * swap left the superseded code's symbols out of the nano_core crate): its
 * address and the nano_core section there. Returns whether it printed. */
static bool print_image_symbol(const char *name, const struct ld_symbol *live,
			       const char *lead)
{
	const struct ld_section *s;
	uint64_t addr;

	if (!ksym_find_global(name, &addr) || (live && live->addr == addr) ||
	    ld_section_at(ns(), addr, &s) != E_OK || s->crate != nano_core_crate())
		return false;
	kprintf("%s%lx in crate %s, section ", lead, addr, ld_crate_name(s->crate));
	print_section_name(s, 0);
	kprintf("+%lx (the image's symbol table)\n", addr - s->addr);
	return true;
}

enum err cmd_sym(int argc, char **argv)
{
	const struct ld_symbol *live;
	unsigned others;

	(void)argc;
	if (ld_lookup(ns(), argv[1], &live) == E_OK) {
		print_symbol("", live);
		others = print_others(argv[1], live, "  supersedes: ");
		if (!others && !print_image_symbol(argv[1], live, "  supersedes: "))
			kprintf("  supersedes nothing (the only definition)\n");
		return E_OK;
	}
	if (print_others(argv[1], NULL, "local: "))
		return E_OK;
	kprintf("no symbol '%s' in any crate\n", argv[1]);
	return E_LD_NOT_FOUND;
}

/* The section holding addr: a crate's own memory before a bound alias. */
static const struct ld_section *find_section(uint64_t addr)
{
	const struct ld_section *alias = NULL;

	for (const struct ld_crate *c = ld_crate_first(ns()); c; c = ld_crate_next(c)) {
		size_t n;
		const struct ld_section *secs = ld_crate_sections(c, &n);
		for (size_t i = 0; i < n; i++) {
			if (addr - secs[i].addr >= secs[i].size)
				continue;
			if (!secs[i].bound)
				return &secs[i];
			alias = alias ? alias : &secs[i];
		}
	}
	return alias;
}

enum err cmd_addr(int argc, char **argv)
{
	const struct ld_symbol *sym, *live;
	uint64_t addr, pa, flags;
	enum err e = shell_parse_addr(argv[1], &addr);

	(void)argc;
	if (e != E_OK)
		return e;
	const struct ld_section *s = find_section(addr);
	if (!s) {
		kprintf("%lx: not in any crate's sections\n", addr);
		return E_LD_NOT_FOUND;
	}
	kprintf("%lx: crate %s, section ", addr, ld_crate_name(s->crate));
	print_section_name(s, 0);
	kprintf("+%lx", addr - s->addr);
	const char *name;
	uint64_t off, value;
	bool global;

	if (ld_symbolize(ns(), addr, &sym) == E_OK) {
		name = sym->name, off = addr - sym->addr, global = sym->bind != STB_LOCAL;
	} else if (ksym_lookup(addr, &name, &off)) { /* code a swap superseded */
		global = ksym_find_global(name, &value) && value == addr - off;
	} else {
		kprintf(", no symbol\n");
		return E_OK;
	}
	kprintf(", %s+%lx\n", name, off);
	if (global && ld_lookup(ns(), name, &live) == E_OK && live->addr != addr - off)
		kprintf("  old code: %s; %s now lives at %lx in crate %s\n",
			vm_translate(addr, &pa, &flags) == E_OK ? "superseded, still mapped"
								 : "retired (unmapped)",
			name, live->addr, ld_crate_name(live->crate));
	return E_OK;
}

static void print_edge(const struct ld_dep *d)
{
	kprintf("  ");
	print_section_name(d->source, 44);
	kprintf(" -> ");
	print_section_name(d->target, 44);
	kprintf(" %u relocation%s\n", d->nrelocs, d->nrelocs == 1 ? "" : "s");
}

enum err cmd_deps(int argc, char **argv)
{
	struct ld_crate *c;
	size_t n;
	unsigned out = 0, in = 0;
	enum err e = shell_find_crate(argv[1], &c);

	(void)argc;
	if (e != E_OK)
		return e;
	const struct ld_section *secs = ld_crate_sections(c, &n);
	kprintf("%s depends on:\n", ld_crate_name(c));
	for (size_t i = 0; i < n; i++)
		for (const struct ld_dep *d = ld_section_deps(&secs[i]); d; d = d->next_dep, out++)
			print_edge(d);
	kprintf("%s is used by:\n", ld_crate_name(c));
	for (size_t i = 0; i < n; i++)
		for (const struct ld_dep *d = ld_section_dependents(&secs[i]); d;
		     d = d->next_dependent, in++)
			print_edge(d);
	kprintf("%s: %u section pairs out, %u in\n", ld_crate_name(c), out, in);
	return E_OK;
}
