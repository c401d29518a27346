/*
 * swap_nano_core_crates(): re-load each constituent module of the nano_core
 * from the object that was linked, memory first. For each module, the steps
 * of Theseus's replace_nano_core_crates, in the loader's terms:
 *
 *  (1) load the module's object (the boot module of that name) through the
 *      loader, as a crate that supersedes the nano_core's definitions;
 *  (2) bind each of its .data/.bss sections to the nano_core's same input
 *      section (same module, same name); the sizes must match exactly, and
 *      every data section on both sides must have its counterpart, else the
 *      layout changed and the state cannot be shared: refuse;
 *  (3) the new copy's data pages are never allocated: bound sections take
 *      the nano_core's memory;
 *  (4) publish its text/rodata symbols in place of the nano_core's; its data
 *      symbols resolve to the nano_core's addresses;
 *  (5) apply the relocations whose place is in the fresh text/rodata; never
 *      re-apply one whose place is in bound data (that data is live);
 *  (6) the crate joins the namespace; record a report.
 *
 * Steps (1)-(6) are one ld_load with the bind hook below: it commits only if
 * every step succeeded, so a failure leaves everything as it was.
 */
#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <lib/string.h>
#include <lib/util.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include <nanoswap/probe.h>
#include "swap_internal.h"

MODULE_PROBE(nano_core_swap)

static struct swap_report reports[SWAP_MAX_MODULES];	/* the first call's (boot) */
static unsigned nreports;
static bool boot_swap_done;	/* later calls (the shell's) only print their reports */
/* Per description module: the crate that provides it now (NULL: the
 * nano_core) and how many times it was swapped. */
static struct ld_crate *provider[SWAP_MAX_MODULES];
static unsigned generation[SWAP_MAX_MODULES];

struct bind_ctx {
	uint32_t module;	/* description index of the module being swapped */
	const char *name;
	unsigned bound;		/* data sections bound so far */
	uint64_t bytes;
};

struct ld_crate *nano_core_crate(void)
{
	return core.crate;
}

bool nano_core_has_module(const char *module)
{
	uint32_t m = core.crate ? ncd_find_module(&core.desc, module) : NCD_NONE;

	return m != NCD_NONE && core.desc.mods[m].constituent;
}

const struct ld_section *nano_core_section(const char *module, const char *name)
{
	uint32_t m = core.crate ? ncd_find_module(&core.desc, module) : NCD_NONE;

	if (m == NCD_NONE)
		return NULL;
	for (uint32_t i = 0; i < core.desc.mods[m].nsections; i++) {
		uint32_t s = core.desc.mods[m].first_section + i;
		if (strcmp(ncd_str(&core.desc, core.desc.secs[s].name), name) == 0)
			return core.secs[s];
	}
	return NULL;
}

/* (2) The loader asks, per data/bss section: bind it to the nano_core's. */
static enum err swap_bind(void *ctx, const char *name, uint64_t size, bool nobits,
			  const struct ld_section **out)
{
	struct bind_ctx *b = ctx;

	(void)nobits;
	*out = nano_core_section(b->name, name);
	if (!*out) {
		pr_err("swap: %s: data section %s (%lu bytes) has no counterpart in the nano_core: "
		       "the layout changed (rebuild the kernel with this object)\n",
		       b->name, name, size);
		return E_SWAP_LAYOUT_CHANGED;
	}
	b->bound++;
	b->bytes += size;
	return E_OK;
}

/* How many data sections the nano_core has for module m. */
static unsigned core_data_sections(uint32_t m)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < core.desc.mods[m].nsections; i++)
		n += core.desc.secs[core.desc.mods[m].first_section + i].kind == NCD_DATA;
	return n;
}

/* The lowest and highest text address among module m's nano_core sections. */
static void core_text_range(uint32_t m, uint64_t *start, uint64_t *end)
{
	*start = ~0UL, *end = 0;
	for (uint32_t i = 0; i < core.desc.mods[m].nsections; i++) {
		const struct ncd_section *s = &core.desc.secs[core.desc.mods[m].first_section + i];
		if (s->kind == NCD_TEXT && s->size) {
			*start = MIN(*start, s->addr);
			*end = MAX(*end, s->addr + s->size);
		}
	}
}

/* (6) Fill the report from the new crate. */
static void report_crate(struct ld_crate *c, struct swap_report *r)
{
	size_t n;
	const struct ld_section *secs = ld_crate_sections(c, &n);

	r->sections = (unsigned)n;
	r->new_text_start = ~0UL, r->new_text_end = 0;
	for (size_t i = 0; i < n; i++) {
		if (!secs[i].bound)
			r->fresh_bytes += secs[i].size;
		if (!secs[i].bound)
			r->relocs_applied += secs[i].nrelocs;
		if (secs[i].kind == LD_KIND_TEXT && secs[i].size) {
			r->new_text_start = MIN(r->new_text_start, secs[i].addr);
			r->new_text_end = MAX(r->new_text_end, secs[i].addr + secs[i].size);
		}
	}
}

enum err swap_module(const char *module, const void *image, size_t size, struct swap_report *r)
{
	uint32_t m = core.crate ? ncd_find_module(&core.desc, module) : NCD_NONE;
	struct bind_ctx b = { .module = m, .name = module };
	struct ld_crate *c;
	char crate_name[48];

	*r = (struct swap_report){ .module = module };
	if (m == NCD_NONE || m >= SWAP_MAX_MODULES || !core.desc.mods[m].constituent) {
		pr_err("swap: %s is not a constituent module of the nano_core\n", module);
		return r->result = E_SWAP_UNKNOWN_MODULE;
	}
	/* a module swapped before supersedes its last copy, under a new crate name */
	const struct ld_load_opts opts = {
		.ctx = &b, .bind_section = swap_bind,
		.supersedes = provider[m] ? provider[m] : core.crate,
		.keep_image = true, /* a boot module: it stays in memory */
	};
	if (generation[m])
		fmt_snprintf(crate_name, sizeof(crate_name), "%s#%u", module, generation[m] + 1);
	else
		fmt_snprintf(crate_name, sizeof(crate_name), "%s", module);
	core_text_range(m, &r->old_text_start, &r->old_text_end);
	uint64_t t0 = rdtsc();
	r->result = ld_load(crates_namespace(), crate_name, image, size, &opts, &c); /* (1)-(6) */
	if (r->result == E_OK && b.bound != core_data_sections(m)) {
		pr_err("swap: %s: the object has %u data sections, the nano_core %u: the layout "
		       "changed\n", module, b.bound, core_data_sections(m));
		if (ld_unload(crates_namespace(), c) != E_OK)
			panic("BUG: swap: cannot unload the refused copy of %s", module);
		r->result = E_SWAP_LAYOUT_CHANGED;
	}
	r->cycles = rdtsc() - t0;
	if (r->result != E_OK)
		return r->result;
	r->data_bytes_bound = b.bytes;
	report_crate(c, r);
	provider[m] = c;
	generation[m]++;
	crates_changed();
	return E_OK;
}

/* Swap the module at description index m from its boot module into *r; log the result. */
static enum err swap_one(uint32_t m, struct swap_report *r)
{
	const char *name = ncd_str(&core.desc, core.desc.mods[m].name);
	const struct boot_module *obj = bootinfo_find_module(name);
	enum err e;

	if (!obj) {
		pr_err("swap: %s: no boot module holds its object (module2 .../%s.o %s)\n", name,
		       name, name);
		*r = (struct swap_report){ .module = name, .result = E_SWAP_NO_OBJECT };
		return E_SWAP_NO_OBJECT;
	}
	e = swap_module(name, phys_to_virt(obj->start), obj->end - obj->start, r);
	if (e != E_OK) {
		pr_err("swap: %s: not swapped: %s (%s); the nano_core's copy stays\n", name,
		       err_name(e), err_msg(e));
		return e;
	}
	kprintf("swap: %-14s text %lx-%lx -> %lx-%lx, %lu data bytes bound, %u relocations "
		"applied, %lu cycles\n", name, r->old_text_start, r->old_text_end,
		r->new_text_start, r->new_text_end, r->data_bytes_bound, r->relocs_applied,
		r->cycles);
	return E_OK;
}

/* Mark in `want` the modules named in list ("all", "none" or "a,b,c"). */
static enum err parse_list(const char *list, bool *want)
{
	const struct ncd_view *v = &core.desc;
	bool all = strcmp(list, "all") == 0;
	enum err result = E_OK;

	for (uint32_t i = 0; i < v->h->nmodules; i++)
		want[i] = all && v->mods[i].constituent;
	if (all || strcmp(list, "none") == 0)
		return E_OK;
	for (const char *p = list; *p;) {
		char name[32];
		size_t n = 0;
		while (p[n] && p[n] != ',')
			n++;
		if (n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
		}
		uint32_t m = n < sizeof(name) ? ncd_find_module(v, name) : NCD_NONE;
		if (m == NCD_NONE || !v->mods[m].constituent) {
			pr_err("swap: '%.*s' is not a constituent module (swap=all|none|name,...)\n",
			       (int)n, p);
			result = E_SWAP_UNKNOWN_MODULE;
		} else {
			want[m] = true;
		}
		p += n + (p[n] == ',');
	}
	return result;
}

/* Build the nano_core crate from its description, once. */
static enum err core_init(void)
{
	const struct boot_module *d = bootinfo_find_module("nano_core_desc");
	enum err e;

	if (core.crate)
		return E_OK;
	if (!d) {
		pr_err("swap: no nano_core_desc boot module (module2 /boot/nano_core.desc "
		       "nano_core_desc in grub.cfg)\n");
		return E_SWAP_NO_DESC;
	}
	e = ncd_parse(phys_to_virt(d->start), d->end - d->start, &core.desc);
	if (e == E_OK)
		e = core_crate_build(crates_namespace());
	return e;
}

enum err swap_nano_core_crates(const char *list)
{
	bool want[SWAP_MAX_MODULES + 1];
	enum err e = core_init(), first = E_OK;

	if (e != E_OK)
		return e;
	if (core.desc.h->nmodules > SWAP_MAX_MODULES) {
		pr_err("swap: %u modules exceed SWAP_MAX_MODULES (%d)\n", core.desc.h->nmodules,
		       SWAP_MAX_MODULES);
		return E_LIMIT;
	}
	first = parse_list(list, want);
	/* the description lists modules in link order: memory first */
	for (uint32_t m = 0; m < core.desc.h->nmodules; m++) {
		struct swap_report later;
		if (want[m]) {	/* nmodules <= SWAP_MAX_MODULES: reports[] has room */
			e = swap_one(m, boot_swap_done ? &later : &reports[nreports++]);
			first = first == E_OK ? e : first;
		}
	}
	boot_swap_done = true;
	return first;
}

const struct swap_report *swap_reports(unsigned *count)
{
	*count = nreports;
	return reports;
}
