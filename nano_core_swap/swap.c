/*
 * swap_nano_core_crates(): re-load constituent modules of the nano_core from
 * the objects that were linked, all of them as ONE group. The steps (README's
 * "The swap" mirrors them; the body marks each):
 *
 *  (1) build the `nano_core` crate from its description, once: every input
 *      section, symbol and applied relocation of the static image, but the
 *      relocations in the text and rodata of the modules this first swap
 *      replaces (retired, never patched; rebuilt whole if the swap fails);
 *  (2) choose the modules (swap=all, or a list) and find each one's object
 *      (the boot module of that name), in link order, memory first; its
 *      type fingerprints (.nanoswap.layout) must be the description's
 *      (fingerprint.c: else the first difference is named and refused);
 *  (3) load the objects as one group (ld_load_group): each is laid out
 *      privately, its .data/.bss sections bound to the nano_core's same
 *      input sections (same module, same name, same size) and its
 *      text/rodata fresh in the module area, with the tables the linker
 *      script builds (the in-kernel tests) laid out and bracketed the same
 *      way in the new copy;
 *  (4) resolve each new copy's undefined symbols against the group first,
 *      so new copies reference new copies (cycles included), then the
 *      namespace; apply the relocations whose place is in fresh text/rodata,
 *      never one in bound data (that data is live);
 *  (5) check, before anything is committed, that every data section of the
 *      nano_core's copy has its counterpart (else the layout changed);
 *  (6) plan the redirect (redirect.c): every reference into the old copies'
 *      text/rodata from a section that stays live (modules not swapped,
 *      every .data/.bss, crates loaded before) is computed against the new
 *      copy's section of the same name (only those old sections are paired;
 *      a new version must have them), and a writable alias of each code page
 *      to patch is mapped;
 *  (7) commit: the group's crates join the namespace at once, superseding
 *      the nano_core's definitions (or the module's last copy); then the
 *      redirect writes every planned field (a data word only if it still
 *      holds its link-time value) and moves the edges; record a report per
 *      module;
 *  (8) run the swap hooks of each new copy (SWAP_HOOK, hooks.c): the new
 *      code re-installs what the old installed at run time (IDT gates, the
 *      loader's services table);
 *  (9) the caller leaves the old code for good: kernel_main continues in
 *      the live copy of kernel_continue (the new init's), on a fresh stack,
 *      and wipes the boot stack's dead frames (kernel/init/main.c);
 * (10) retire (retire.c, swap_retire_old_code): each old copy, and boot/'s
 *      long-mode code, is proven unused (no edge from a live section, no
 *      word in any stack or writable memory pointing into it) and its pages
 *      are unmapped and their frames given back; a copy that fails a proof
 *      stays mapped and every offending word is logged.
 *
 * Steps (3)-(5) are ld_group_prepare with the bind hook and the check below,
 * (6) can fail too, and only then does anything commit: a failure anywhere
 * leaves everything as it was.
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
/* Old copies waiting for step (10) (kept ones stay listed and are tried again). */
static struct swap_retiring retiring[2 * SWAP_MAX_MODULES + 1];
static unsigned nretiring;
static struct swap_phases phases, boot_phases; /* the last swap's; the boot's */
static bool boot_retired;

const struct swap_phases *swap_boot_phases(void)
{
	return &boot_phases;
}
/* Per description module: the crate that provides it now (NULL: the
 * nano_core) and how many times it was swapped. */
static struct ld_crate *provider[SWAP_MAX_MODULES];
static unsigned generation[SWAP_MAX_MODULES];
static char superseded[SWAP_MAX_MODULES][SWAP_NAME_MAX]; /* the copy each replaced */
static char from_object[SWAP_MAX_MODULES][SWAP_NAME_MAX]; /* the object it came from */

struct bind_ctx {
	uint32_t module;	/* description index of the module being swapped */
	const char *name;
	uint32_t next;		/* where the next data section likely is (see swap_bind) */
	unsigned bound;		/* data sections bound so far */
	uint64_t bytes;
};

/* The tables linker.ld builds from input sections by name (KEEP(*(SORT_BY_NAME
 * (...)))): a new copy lays them out the same way and defines their bounds,
 * so the code that walks them walks its own copy's entries. */
static const struct ld_collection swap_collections[] = {
	{ ".ktests.", "__ktests_start", "__ktests_end" },
	{ ".kbench.", "__kbench_start", "__kbench_end" },
};

/* One module of a group swap: its description index, object, options. */
struct swap_member {
	uint32_t module;
	const char *object;	/* the boot module it comes from */
	struct bind_ctx bind;
	struct ld_load_opts opts;
	struct ld_load_stats stats;
	char crate_name[48];
};

/* The modules of one swap, loaded as one group (one at a time: static). */
struct swap_group {
	unsigned n;
	unsigned checked;	/* members swap_check has seen */
	struct swap_member sm[SWAP_MAX_MODULES];
	struct ld_group_member members[SWAP_MAX_MODULES];
};
static struct swap_group group;

/* How many of the description's modules a swap tracks: the first
 * SWAP_MAX_MODULES. Those past it are never swapped; that is said once,
 * naming the first of them. */
static uint32_t swap_tracked_modules(void)
{
	static bool warned;
	uint32_t n = core.desc.h->nmodules;

	if (n <= SWAP_MAX_MODULES)
		return n;
	if (!warned) {
		pr_warn("swap: the nano_core has %u modules: %s and the %u after it are past "
			"SWAP_MAX_MODULES (%d) and are never swapped\n", n,
			ncd_str(&core.desc, core.desc.mods[SWAP_MAX_MODULES].name),
			n - SWAP_MAX_MODULES - 1, SWAP_MAX_MODULES);
		warned = true;
	}
	return SWAP_MAX_MODULES;
}

/* Can a swap replace description module m (called `name`)? Says why not. */
static enum err swap_can_replace(uint32_t m, const char *name)
{
	if (m == NCD_NONE || !core.desc.mods[m].constituent) {
		pr_err("swap: %s is not a constituent module of the nano_core\n", name);
		return E_SWAP_UNKNOWN_MODULE;
	}
	if (m >= SWAP_MAX_MODULES) {
		pr_err("swap: %s is module %u of the nano_core, past SWAP_MAX_MODULES (%d): it "
		       "cannot be swapped\n", name, m, SWAP_MAX_MODULES);
		return E_LIMIT;
	}
	return E_OK;
}

struct ld_crate *nano_core_crate(void)
{
	return core.crate;
}

size_t nano_core_records_left_out(void)
{
	return core.crate ? core.left_out : 0;
}

size_t nano_core_symbols_left_out(void)
{
	return core.crate ? core.symbols_left_out : 0;
}

bool nano_core_has_module(const char *module)
{
	uint32_t m = core.crate ? ncd_find_module(&core.desc, module) : NCD_NONE;

	return m != NCD_NONE && core.desc.mods[m].constituent;
}

static enum err core_desc_init(void);
static void swap_print(const struct swap_report *r, unsigned n, enum err e);

/* Module m's section named name (of kind `kind`, or of any: ANY_KIND),
 * looked for from its section *from on (and then from its first); *from
 * becomes the one after it. NCD_NONE if none. */
#define ANY_KIND 0xFFFFu /* core_find_section: a section of any kind */
static uint32_t core_find_section(uint32_t m, const char *name, unsigned kind,
				  uint32_t *from)
{
	const struct ncd_module *mod = &core.desc.mods[m];

	for (uint32_t k = 0; k < mod->nsections; k++) {
		uint32_t i = (*from + k) % mod->nsections, s = mod->first_section + i;

		if ((kind == ANY_KIND || core.desc.secs[s].kind == kind) &&
		    strcmp(ncd_str(&core.desc, core.desc.secs[s].name), name) == 0) {
			*from = i + 1;
			return s;
		}
	}
	return NCD_NONE;
}

uint64_t nano_core_symbol_addr(const char *module, const char *name)
{
	const struct ncd_view *v = &core.desc;
	uint32_t m = core_desc_init() == E_OK ? ncd_find_module(v, module) : NCD_NONE;

	for (uint32_t i = 0; m != NCD_NONE && i < v->h->nsymbols; i++)
		if (v->syms[i].section != NCD_NONE && v->secs[v->syms[i].section].module == m &&
		    strcmp(ncd_str(v, v->syms[i].name), name) == 0)
			return v->syms[i].addr;
	return 0;
}

const struct ld_section *nano_core_section(const char *module, const char *name)
{
	uint32_t m = core.crate ? ncd_find_module(&core.desc, module) : NCD_NONE, from = 0, s;

	if (m == NCD_NONE)
		return NULL;
	s = core_find_section(m, name, ANY_KIND, &from);
	return s == NCD_NONE ? NULL : &core.secs[s];
}

/* (3) The loader asks, per data/bss section: bind it to the nano_core's. */
static enum err swap_bind(void *ctx, const char *name, uint64_t size, bool nobits,
			  const struct ld_section **out)
{
	struct bind_ctx *b = ctx;
	/* The description keeps the object's section order and the loader asks
	 * in that order too: the search starts after the last match, so binding
	 * a module costs one pass over its sections, not one per data section. */
	uint32_t s = core_find_section(b->module, name, NCD_DATA, &b->next);

	(void)nobits;
	*out = s == NCD_NONE ? NULL : &core.secs[s];
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


/* Fill the report from the new crate. */
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

/* (5) Before anything is committed: every data section of the nano_core's
 * copy has its counterpart in the new one (else the layout changed). */
static enum err swap_check(void *ctx, struct ld_crate *c)
{
	struct swap_group *g = ctx;
	const struct swap_member *sm = &g->sm[g->checked++]; /* (members come in order) */

	if (g->checked > g->n || ld_crate_name(c)[0] != sm->crate_name[0])
		panic("BUG: swap: the check met crate %s, not member %u", ld_crate_name(c),
		      g->checked - 1);
	if (sm->bind.bound == core.desc.mods[sm->module].ndata_sections)
		return E_OK;
	pr_err("swap: %s: the object has %u data sections, the nano_core %u: the layout "
	       "changed\n", sm->bind.name, sm->bind.bound, core.desc.mods[sm->module].ndata_sections);
	return E_SWAP_LAYOUT_CHANGED;
}

/* Is description module m a member of group g (so far)? */
static bool swap_group_has(void *ctx, uint32_t m)
{
	const struct swap_group *g = ctx;

	for (unsigned i = 0; i < g->n; i++)
		if (g->sm[i].module == m)
			return true;
	return false;
}

/* Describe module m (whose object is image, size bytes) as member i. */
/* Add module m, from the object image called `object` (size bytes), to the
 * group: its data layout must be the running one's (its data stays where it
 * is, bound). `linked`: the boot module of the object that was linked (an
 * image without a layout blob must be it), or NULL. */
static enum err swap_add_member(struct swap_group *g, uint32_t m, const char *object,
				const void *image, size_t size, const struct boot_module *linked)
{
	struct swap_member *sm = &g->sm[g->n];
	const char *name = ncd_str(&core.desc, core.desc.mods[m].name);
	struct swap_layout lay;
	enum err e;

	e = swap_can_replace(m, name);
	if (e != E_OK)
		return e;
	e = swap_compare_layouts(object, core.desc.layouts + core.desc.mods[m].layout,
				 core.desc.mods[m].layout_size, image, size,
				 linked ? phys_to_virt(linked->start) : NULL,
				 linked ? linked->end - linked->start : 0, &lay);
	if (e == E_OK && lay.changed) {
		pr_err("swap: %s: the data layout of %s differs: %s (a constituent module's "
		       "data stays in place: its layout may not change)\n", name, object, lay.why);
		e = E_SWAP_LAYOUT_CHANGED;
	}
	if (e == E_OK) /* a changed interface: its callers must be in the group */
		e = swap_check_interfaces(&lay, name, provider[m] ? provider[m] : core.crate,
					  swap_group_has, g);
	if (e != E_OK)
		return e;
	*sm = (struct swap_member){ .module = m, .object = object,
				    .bind = { .module = m, .name = name } };
	/* a module swapped before supersedes its last copy, under a new crate name */
	sm->opts = (struct ld_load_opts){
		.ctx = &sm->bind, .bind_section = swap_bind,
		.supersedes = provider[m] ? provider[m] : core.crate,
		.keep_image = true, /* a boot module: it stays in memory */
		.stats = &sm->stats,
		.collections = swap_collections, .ncollections = ARRAY_SIZE(swap_collections),
	};
	if (generation[m])
		fmt_snprintf(sm->crate_name, sizeof(sm->crate_name), "%s#%u", name,
			     generation[m] + 1);
	else
		fmt_snprintf(sm->crate_name, sizeof(sm->crate_name), "%s", name);
	g->members[g->n] = (struct ld_group_member){ .name = sm->crate_name, .image = image,
						     .size = size, .opts = &sm->opts };
	g->n++;
	return E_OK;
}

/* Who replaces whom: per member, its old copy and its (built) new crate. */
static void swap_plan_fill(const struct swap_group *g, struct swap_plan *p)
{
	*p = (struct swap_plan){ .n = g->n, .boot_module = ncd_find_module(&core.desc, "boot") };
	for (uint32_t m = 0, nm = swap_tracked_modules(); m < nm; m++)
		p->core_replaced[m] = provider[m] != NULL;
	for (unsigned i = 0; i < g->n; i++) {
		uint32_t m = g->sm[i].module;

		p->module[i] = m;
		p->old[i] = provider[m] ? provider[m] : core.crate;
		p->new_[i] = g->members[i].crate;
		p->object[i] = g->sm[i].object;
		p->core_replaced[m] = true;
	}
}

unsigned swap_module_generation(const char *module, const char **what, const char **object)
{
	uint32_t m = core_desc_init() == E_OK ? ncd_find_module(&core.desc, module) : NCD_NONE;

	*what = *object = NULL;
	if (m == NCD_NONE || m >= swap_tracked_modules())
		return 0;
	*what = generation[m] ? superseded[m] : NULL;
	*object = generation[m] ? from_object[m] : NULL;
	return generation[m] + 1;
}

bool swap_provides_module(const struct ld_crate *c)
{
	for (uint32_t m = 0; m < SWAP_MAX_MODULES; m++)
		if (provider[m] && provider[m] == c)
			return true;
	return false;
}

enum err swap_plan_for_crate(struct swap_plan *p, struct ld_crate *old, struct ld_crate *fresh,
			     const char *object, bool layout_changed)
{
	enum err e = core_desc_init();

	if (e != E_OK)
		return e;
	*p = (struct swap_plan){ .n = 1, .boot_module = ncd_find_module(&core.desc, "boot") };
	for (uint32_t m = 0, nm = swap_tracked_modules(); m < nm; m++)
		p->core_replaced[m] = provider[m] != NULL;
	p->module[0] = NCD_NONE;
	p->old[0] = old;
	p->new_[0] = fresh;
	p->object[0] = object;
	p->layout_changed[0] = layout_changed;
	return E_OK;
}

/* Queue an old copy for step (10). */
static void queue_retiring(const char *name, uint32_t module, struct ld_crate *crate)
{
	struct swap_retiring *k = &retiring[nretiring];

	if (nretiring == ARRAY_SIZE(retiring)) {
		pr_warn("retire: more than %zu old copies waiting: %s stays mapped\n",
			ARRAY_SIZE(retiring), name);
		return;
	}
	*k = (struct swap_retiring){ .module = module, .crate = crate };
	fmt_snprintf(k->name, sizeof(k->name), "%s", name);
	nretiring++;
}

void swap_queue_crate_retire(struct ld_crate *old)
{
	queue_retiring(ld_crate_name(old), NCD_NONE, old);
}

/* Queue the old copies of a committed swap for step (10), and boot/'s
 * long-mode code with the first (it never runs again). */
static void swap_queue_retire(const struct swap_plan *p)
{
	uint32_t boot = ncd_find_module(&core.desc, "boot");

	if (!boot_swap_done && boot != NCD_NONE)
		queue_retiring(ncd_str(&core.desc, core.desc.mods[boot].name), boot, core.crate);
	for (unsigned i = 0; i < p->n; i++)
		queue_retiring(ncd_str(&core.desc, core.desc.mods[p->module[i]].name),
			       p->module[i], p->old[i]);
}

/* How many constituent modules run on a re-loaded copy. */
static unsigned swap_count_swapped(void)
{
	unsigned n = 0;

	for (uint32_t m = 0, nm = swap_tracked_modules(); m < nm; m++)
		n += provider[m] != NULL;
	return n;
}

void swap_retire_old_code(void)
{
	struct swap_retire_result r;
	unsigned k = 0;

	uint64_t t0 = rdtsc();

	if (!nretiring)
		return;
	swap_retire(retiring, nretiring, &r);                  /* (10) */
	if (!boot_retired) {
		boot_phases.retire = rdtsc() - t0;
		boot_retired = true;
	}
	for (unsigned i = 0; i < nretiring; i++) {
		if (!retiring[i].kept) {
			kprintf("retire: %-14s old text and rodata unmapped\n", retiring[i].name);
			continue;
		}
		kprintf("retire: %-14s kept mapped (see above why)\n", retiring[i].name);
		retiring[k] = retiring[i];
		retiring[k++].kept = false; /* tried again after the next swap */
	}
	nretiring = k;
	kprintf("swap: %u modules swapped, %u of %u original text pages mapped, %lu KiB "
		"returned\n", swap_count_swapped(), r.text_mapped, r.text_pages, r.kib);
}

/* (3)-(7) Load the group and check it, plan the redirect, then commit both;
 * fill one report per member. */
static enum err swap_group_load(struct swap_group *g, struct swap_report *reports)
{
	static struct swap_plan plan;
	struct ld_redirect_stats rs = { 0 };
	struct ld_group *lg;
	unsigned hooks = 0;
	uint64_t t0 = rdtsc(), t1, t2, t3;
	enum err e;

	g->checked = 0;
	e = ld_group_prepare(crates_namespace(), g->members, g->n, swap_check, g,
			     &lg);                        /* (3)-(5) */

	t1 = rdtsc();
	if (e == E_OK) {
		swap_plan_fill(g, &plan);
		e = swap_redirect_plan(&plan);            /* (6) */
		if (e != E_OK)
			ld_group_abort(lg);
	}
	t2 = rdtsc();
	if (e == E_OK) {
		ld_group_commit(lg);                      /* (7) cannot fail */
		t3 = rdtsc();
		swap_redirect_commit(&plan, &rs);
		phases.load += t1 - t0 + t3 - t2;
		phases.redirect += t2 - t1 + rdtsc() - t3;
		t3 = rdtsc();
		for (unsigned i = 0; i < g->n; i++)       /* (8) */
			hooks += swap_run_hooks(g->members[i].crate);
		phases.hooks += rdtsc() - t3;
		kprintf("swap: redirected %lu references (%lu edges, %lu code pages patched), "
			"%lu data words changed at run time left as they are\n", rs.written,
			rs.edges, rs.pages, rs.kept);
		kprintf("swap: %u hooks ran in the new copies\n", hooks);
		swap_queue_retire(&plan);
	}
	memset(&plan, 0, sizeof(plan)); /* no stale pointer into code stays behind */

	for (unsigned i = 0; i < g->n; i++) {
		struct swap_member *sm = &g->sm[i];
		struct swap_report *r = &reports[i];
		const struct ld_load_stats *st = &sm->stats;

		*r = (struct swap_report){ .module = sm->bind.name, .result = e };
		ncd_text_range(&core.desc, sm->module, &r->old_text_start, &r->old_text_end);
		if (e != E_OK)
			continue;
		r->cycles = st->validate + st->layout + st->copy + st->symbols + st->relocate +
			    st->commit;
		r->phases = *st;
		r->data_bytes_bound = sm->bind.bytes;
		report_crate(g->members[i].crate, r);
		fmt_snprintf(from_object[sm->module], SWAP_NAME_MAX, "%s", sm->object);
		fmt_snprintf(superseded[sm->module], SWAP_NAME_MAX, "%s",
			     provider[sm->module] ? ld_crate_name(provider[sm->module]) : "nano_core");
		provider[sm->module] = g->members[i].crate;
		generation[sm->module]++;
	}
	if (e == E_OK)
		crates_changed();
	return e;
}

/* Read the nano_core's description, once. */
static enum err core_desc_init(void)
{
	const struct boot_module *d = bootinfo_find_module("nano_core_desc");

	if (core.desc.h)
		return E_OK;
	if (!d) {
		pr_err("swap: no nano_core_desc boot module (module2 /boot/nano_core.desc "
		       "nano_core_desc in grub.cfg)\n");
		return E_SWAP_NO_DESC;
	}
	return ncd_parse(phys_to_virt(d->start), d->end - d->start, &core.desc);
}

/* The nano_core crate, built on the first swap for its modules (`swapped`,
 * or NULL: whole); a later swap needs it complete. */
static enum err core_init(const bool *swapped)
{
	enum err e = core_desc_init();

	if (e == E_OK && !core.crate)
		e = core_crate_build(crates_namespace(), swapped);
	if (e == E_OK && core.lean && !swapped) {
		pr_err("swap: the nano_core crate lacks the records of a failed swap's modules\n");
		e = E_SWAP_INCOMPLETE;
	}
	return e;
}

/* Swap constituent module `module` for the object image called `object`. */
static enum err swap_one(const char *module, const char *object, const void *image,
			 size_t size, struct swap_report *r)
{
	struct swap_group *g = &group;
	enum err e = core_init(NULL);
	uint32_t m = e == E_OK ? ncd_find_module(&core.desc, module) : NCD_NONE;

	g->n = 0;
	*r = (struct swap_report){ .module = module };
	if (e != E_OK)
		return r->result = e;
	e = swap_can_replace(m, module);
	if (e != E_OK)
		return r->result = e;
	e = swap_add_member(g, m, object, image, size, bootinfo_find_module(module));
	if (e == E_OK)
		e = swap_group_load(g, r);
	memset(g, 0, sizeof(*g)); /* its options point at this copy's code: not kept */
	return r->result = e;
}

enum err swap_module(const char *module, const void *image, size_t size, struct swap_report *r)
{
	return swap_one(module, module, image, size, r);
}

enum err swap_module_to(const char *module, const char *object, struct swap_report *r)
{
	const struct boot_module *obj = bootinfo_find_module(object);

	*r = (struct swap_report){ .module = module };
	if (!obj) {
		pr_err("swap: no boot module '%s' (make run MODULES=.../%s.o)\n", object, object);
		return r->result = E_SWAP_NO_OBJECT;
	}
	if (swap_one(module, object, phys_to_virt(obj->start), obj->end - obj->start, r) != E_OK)
		return r->result;
	swap_print(r, 1, E_OK);
	swap_retire_old_code(); /* (the caller's frames are of copies that stay) */
	return E_OK;
}
/* Print the report lines of a group swap. */
static void swap_print(const struct swap_report *r, unsigned n, enum err e)
{
	if (e != E_OK) {
		for (unsigned i = 0; i < n; i++)
			pr_err("swap: %s: not swapped: %s (%s); the nano_core's copy stays\n",
			       r[i].module, err_name(e), err_msg(e));
		return;
	}
	for (unsigned i = 0; i < n; i++)
		kprintf("swap: %-14s text %lx-%lx -> %lx-%lx, %lu data bytes bound, %u "
			"relocations applied, %lu cycles\n", r[i].module, r[i].old_text_start,
			r[i].old_text_end, r[i].new_text_start, r[i].new_text_end,
			r[i].data_bytes_bound, r[i].relocs_applied, r[i].cycles);
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

enum err swap_nano_core_crates(const char *list)
{
	uint64_t t_start = rdtsc();
	struct swap_group *g = &group;
	static struct swap_report later[SWAP_MAX_MODULES];
	struct swap_report *out = boot_swap_done ? later : reports;
	bool want[SWAP_MAX_MODULES + 1];
	enum err e = core_desc_init(), first = E_OK;
	if (e != E_OK)
		return e;
	g->n = 0;
	if (core.desc.h->nmodules > SWAP_MAX_MODULES) {
		pr_err("swap: %u modules exceed SWAP_MAX_MODULES (%d)\n", core.desc.h->nmodules,
		       SWAP_MAX_MODULES);
		return E_LIMIT;
	}
	first = parse_list(list, want);
	/* (1) built for this swap when it is the first: lean (see core_crate_build) */
	e = core_init(core.crate ? NULL : want);
	if (e != E_OK)
		return e;
	phases = (struct swap_phases){ .load = rdtsc() - t_start };
	phases.core = phases.load;
	/* (2) the description lists modules in link order: memory first */
	for (uint32_t m = 0; m < core.desc.h->nmodules && e == E_OK; m++) {
		const char *name = ncd_str(&core.desc, core.desc.mods[m].name);
		const struct boot_module *obj;

		if (!want[m])
			continue;
		obj = bootinfo_find_module(name);
		if (!obj) {
			pr_err("swap: %s: no boot module holds its object (module2 .../%s.o %s)\n",
			       name, name, name);
			e = E_SWAP_NO_OBJECT;
			break;
		}
		e = swap_add_member(g, m, name, phys_to_virt(obj->start), obj->end - obj->start,
				    obj); /* (the object linked) */
	}
	if (e == E_OK && g->n)
		e = swap_group_load(g, out);   /* (3)-(7) */
	if (e == E_OK)
		core.lean = false; /* what it lacks belonged to the copies just replaced */
	else if (core_crate_complete(crates_namespace()) != E_OK)
		pr_err("swap: later swaps are refused (the nano_core crate is incomplete)\n");
	if (g->n)
		swap_print(out, g->n, e);
	if (!boot_swap_done) {
		nreports = g->n;
		boot_phases = phases; /* (retire: measured when the boot runs it) */
	}
	first = first == E_OK ? e : first;
	unsigned g_n = g->n;

	memset(g, 0, sizeof(*g)); /* its options point at this copy's code: not kept */
	if (boot_swap_done && e == E_OK && g_n)
		swap_retire_old_code(); /* later swaps: at once (a caller's old frames keep theirs) */
	boot_swap_done = true;
	return first;
}

const struct swap_report *swap_reports(unsigned *count)
{
	*count = nreports;
	return reports;
}
