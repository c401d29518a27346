/*
 * swap_nano_core_crates(): re-load constituent modules of the nano_core from
 * their objects, all of them as ONE swap transaction (txn.c lists its steps,
 * which README's "The swap" mirrors). This file holds the module side: the
 * nano_core crate from its description (step (1)), choosing the modules and
 * their objects (step (2)), binding their data to the image's (step (3)),
 * which copy of each module is live, and the reports. A crate's new version
 * is evolve.c's; both run txn.c's one procedure.
 */
#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <lib/string.h>
#include <lib/util.h>
#include <lib/x86.h>
#include <memory/memory.h>
#include <nanoswap/noptr.h>
#include <nanoswap/probe.h>
#include <sched/sched.h>
#include "retire_internal.h"

MODULE_PROBE(nano_core_swap)

/* The reports describe old code by number: never scanned (NS_NOSCAN). */
static struct swap_report reports[SWAP_MAX_MODULES] NS_NOSCAN;	/* the boot's */
static struct swap_report later[SWAP_MAX_MODULES] NS_NOSCAN;	/* the last call's */
static unsigned nreports;
static bool boot_swap_done;	/* later calls (the shell's) only print their reports */
static struct swap_phases phases, boot_phases; /* the last swap's; the boot's */
/* The transaction being run: its options hold pointers to this copy's
 * code (callbacks), so it is never scanned, and cleared after each swap. */
static struct swap_txn txn NS_NOSCAN;

const struct swap_phases *swap_boot_phases(void)
{
	return &boot_phases;
}

const struct swap_phases *swap_last_phases(void)
{
	return &phases;
}

/* Per description module: the crate that provides it now (NULL: the
 * nano_core) and how many times it was swapped. */
static struct ld_crate *provider[SWAP_MAX_MODULES];
static unsigned generation[SWAP_MAX_MODULES];
static char superseded[SWAP_MAX_MODULES][SWAP_NAME_MAX]; /* the copy each replaced */
static char from_object[SWAP_MAX_MODULES][SWAP_NAME_MAX]; /* the object it came from */

/* The tables linker.ld builds from input sections by name (KEEP(*(SORT_BY_NAME
 * (...)))): a new copy lays them out the same way and defines their bounds,
 * so the code that walks them walks its own copy's entries. */
static const struct ld_collection swap_collections[] = {
	{ ".ktests.", "__ktests_start", "__ktests_end" },
	{ ".kbench.", "__kbench_start", "__kbench_end" },
};

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

/* The lowest and highest address of crate c's text (a new copy's, or a
 * module's last copy's). */
static void crate_text_range(const struct ld_crate *c, uint64_t *lo, uint64_t *hi)
{
	size_t n;
	const struct ld_section *secs = ld_crate_sections(c, &n);

	*lo = ~0ull, *hi = 0;
	for (size_t i = 0; i < n; i++)
		if (secs[i].kind == LD_KIND_TEXT && secs[i].size && !secs[i].bound) {
			*lo = MIN(*lo, secs[i].addr);
			*hi = MAX(*hi, secs[i].addr + secs[i].size);
		}
	if (!*hi)
		*lo = 0;
}

/* Fill member sm's report from its new crate c. */
static void report_member(const struct swap_member *sm, struct ld_crate *c, struct swap_report *r)
{
	size_t n;
	const struct ld_section *secs = ld_crate_sections(c, &n);
	const struct ld_load_stats *st = &sm->stats;

	r->sections = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		if (!secs[i].bound)
			r->fresh_bytes += secs[i].size;
		if (!secs[i].bound)
			r->relocs_applied += secs[i].nrelocs;
	}
	crate_text_range(c, &r->new_text_start, &r->new_text_end);
	r->cycles = st->validate + st->layout + st->copy + st->symbols + st->relocate + st->commit;
	r->phases = *st;
	r->data_bytes_bound = sm->bind.bytes;
	fmt_snprintf(r->copy, sizeof(r->copy), "%s", ld_crate_name(c));
}

/* (4) Before anything is committed: every data section of the running
 * copy has its counterpart in the new one (else the layout changed). */
enum err swap_check_module(const struct swap_member *sm)
{
	if (sm->bind.bound == core.desc.mods[sm->module].ndata_sections)
		return E_OK;
	pr_err("swap: %s: the object has %u data sections, the nano_core %u: the layout "
	       "changed\n", sm->bind.name, sm->bind.bound, core.desc.mods[sm->module].ndata_sections);
	return E_SWAP_LAYOUT_CHANGED;
}

/* Is description module m a member of transaction t (so far)? */
static bool swap_group_has(void *ctx, uint32_t m)
{
	const struct swap_txn *t = ctx;

	for (unsigned i = 0; i < t->n; i++)
		if (t->sm[i].module == m)
			return true;
	return false;
}

/* (2) Add module m, from the object image called `object` (size bytes), to
 * the transaction: its data layout must be the running one's (its data stays
 * where it is, bound), and so must the types its global functions take,
 * unless their callers are members too. `linked`: the boot module of the
 * object that was linked (an image without a layout blob must be it), or NULL. */
static enum err swap_add_member(struct swap_txn *t, uint32_t m, const char *object,
				const void *image, size_t size, const struct boot_module *linked)
{
	struct swap_member *sm = &t->sm[t->n];
	const char *name = ncd_str(&core.desc, core.desc.mods[m].name);
	enum err e;

	e = swap_can_replace(m, name);
	if (e != E_OK)
		return e;
	*sm = (struct swap_member){ .module = m, .object = object,
				    .old = provider[m] ? provider[m] : core.crate,
				    .bind = { .module = m, .name = name } };
	e = swap_compare_layouts(object, core.desc.layouts + core.desc.mods[m].layout,
				 core.desc.mods[m].layout_size, image, size,
				 linked ? phys_to_virt(linked->start) : NULL,
				 linked ? linked->end - linked->start : 0, &sm->lay);
	if (e == E_OK && sm->lay.changed) {
		pr_err("swap: %s: the data layout of %s differs: %s (a constituent module's "
		       "data stays in place: its layout may not change)\n", name, object,
		       sm->lay.why);
		e = E_SWAP_LAYOUT_CHANGED;
	}
	if (e == E_OK) /* a changed interface: its callers must be in the group */
		e = swap_check_interfaces(&sm->lay, name, sm->old, swap_group_has, t);
	if (e != E_OK)
		return e;
	/* a module swapped before supersedes its last copy, under a new crate name */
	sm->opts = (struct ld_load_opts){
		.ctx = &sm->bind, .bind_section = swap_bind,
		.supersedes = sm->old,
		.keep_image = true, /* a boot module: it stays in memory */
		.stats = &sm->stats,
		.collections = swap_collections, .ncollections = ARRAY_SIZE(swap_collections),
	};
	sm->generation = generation[m] + 1;
	fmt_snprintf(sm->base, sizeof(sm->base), "%s", name);
	if (generation[m])
		fmt_snprintf(sm->crate_name, sizeof(sm->crate_name), "%s#%u", name,
			     generation[m] + 1);
	else
		fmt_snprintf(sm->crate_name, sizeof(sm->crate_name), "%s", name);
	t->members[t->n] = (struct ld_group_member){ .name = sm->crate_name, .image = image,
						     .size = size, .opts = &sm->opts };
	t->n++;
	return E_OK;
}

void swap_plan_fill(struct swap_txn *t)
{
	struct swap_plan *p = &t->plan;

	*p = (struct swap_plan){ .n = t->n, .boot_module = ncd_find_module(&core.desc, "boot") };
	for (uint32_t m = 0, nm = swap_tracked_modules(); m < nm; m++)
		p->core_replaced[m] = provider[m] != NULL;
	for (unsigned i = 0; i < t->n; i++) {
		const struct swap_member *sm = &t->sm[i];

		p->module[i] = sm->module;
		p->old[i] = sm->old;
		p->new_[i] = t->members[i].crate;
		p->object[i] = sm->object;
		p->layout_changed[i] = sm->module == NCD_NONE && sm->lay.changed;
		if (sm->module != NCD_NONE)
			p->core_replaced[sm->module] = true;
	}
}

/* (9) Member i is its module's live copy (a crate's: evolve.c records it). */
void swap_member_keep(struct swap_txn *t, unsigned i)
{
	const struct swap_member *sm = &t->sm[i];
	uint32_t m = sm->module;

	if (m == NCD_NONE) {
		swap_crate_keep(sm, t->members[i].crate);
		return;
	}
	fmt_snprintf(from_object[m], SWAP_NAME_MAX, "%s", sm->object);
	fmt_snprintf(superseded[m], SWAP_NAME_MAX, "%s", ld_crate_name(sm->old));
	provider[m] = t->members[i].crate;
	generation[m]++;
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

struct ld_crate *swap_module_provider(uint32_t m)
{
	return m < SWAP_MAX_MODULES && provider[m] ? provider[m] : core.crate;
}

/* How many constituent modules run on a re-loaded copy. */
static unsigned swap_count_swapped(void)
{
	unsigned n = 0;

	for (uint32_t m = 0, nm = swap_tracked_modules(); m < nm; m++)
		n += provider[m] != NULL;
	return n;
}

/* (11) retire what the swaps so far queued; say so, with `swapped` (the
 * modules this call swapped) in the summary. */
static void swap_retire_and_say(unsigned swapped)
{
	struct swap_retire_result r;
	uint64_t t0 = rdtsc();

	swap_retire_apply(&r, false);
	phases.retire += rdtsc() - t0;
	phases.retire_pause += r.pause;
	swap_retire_report();
	kprintf("swap: %u module%s swapped, %u of %u original text pages mapped, %lu KiB "
		"returned\n", swapped, swapped == 1 ? "" : "s", r.text_mapped, r.text_pages, r.kib);
}

void swap_retire_old_code(void)
{
	static bool boot_retired;

	phases.retire = phases.retire_pause = 0;
	swap_retire_and_say(swap_count_swapped());
	if (!boot_retired) {
		boot_phases.retire = phases.retire;
		boot_phases.retire_pause = phases.retire_pause;
		boot_retired = true;
	}
}

/* (3)-(9) Run the transaction t built; fill one report per member. */
static enum err swap_run(struct swap_txn *t, struct swap_report *out)
{
	enum err e;

	for (unsigned i = 0; i < t->n; i++) {
		const struct swap_member *sm = &t->sm[i];
		struct swap_report *r = &out[i];

		*r = (struct swap_report){ .module = sm->bind.name, .result = E_OK };
		fmt_snprintf(r->replaced, sizeof(r->replaced), "%s", ld_crate_name(sm->old));
		if (sm->old == core.crate)
			ncd_text_range(&core.desc, sm->module, &r->old_text_start, &r->old_text_end);
		else
			crate_text_range(sm->old, &r->old_text_start, &r->old_text_end);
	}
	t->boot = !boot_swap_done;
	e = swap_txn_run(t);
	phases.load += t->cost.load;
	phases.redirect += t->cost.redirect;
	phases.hooks += t->cost.hooks;
	phases.retire += t->cost.retire;
	phases.pause += t->pause;
	phases.retire_pause += t->retire_pause;
	phases.waits += t->waits;
	for (unsigned i = 0; i < t->n; i++) {
		out[i].result = e;
		if (e == E_OK)
			report_member(&t->sm[i], t->members[i].crate, &out[i]);
	}
	if (e == E_OK) {
		kprintf("swap: redirected %lu references (%lu edges, %lu code pages patched), "
			"%lu data words changed at run time left as they are\n", t->rs.written,
			t->rs.edges, t->rs.pages, t->rs.kept);
		kprintf("swap: %u hooks ran in the new copies\n", t->hooks);
	}
	return e;
}

/* Forget the transaction: its options point at this copy's code. */
static void swap_txn_clear(struct swap_txn *t)
{
	memset(t, 0, sizeof(*t));
}

/* The whole cost of the last call, said once it is done. */
static void swap_say_cost(unsigned n)
{
	kprintf("swap: %u module%s in %lu cycles: load %lu, redirect %lu, hooks %lu, "
		"retire %lu\n", n, n == 1 ? "" : "s",
		phases.load + phases.redirect + phases.hooks + phases.retire, phases.load,
		phases.redirect, phases.hooks, phases.retire);
	kprintf("swap: paused %lu cycles with the other threads stopped (the commit), %lu for "
		"the retire's proof%s\n", phases.pause, phases.retire_pause,
		phases.waits ? "; waited for a thread to leave changed code" : "");
}

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

enum err core_ready(void)
{
	return core_desc_init();
}

/* Swap constituent module `module` for the object image called `object`. */

/* Swap constituent module `module` for the object image called `object`. */
static enum err swap_one(const char *module, const char *object, const void *image,
			 size_t size, struct swap_report *r)
{
	struct swap_txn *t = &txn;
	enum err e = core_init(NULL);                                      /* (1) */
	uint32_t m = e == E_OK ? ncd_find_module(&core.desc, module) : NCD_NONE;

	*r = (struct swap_report){ .module = module };
	phases = (struct swap_phases){ 0 };
	swap_txn_clear(t);
	if (e != E_OK)
		return r->result = e;
	e = swap_can_replace(m, module);
	if (e == E_OK)
		e = swap_add_member(t, m, object, image, size, bootinfo_find_module(module)); /* (2) */
	if (e == E_OK)
		e = swap_run(t, r);                                        /* (3)-(9) */
	swap_txn_clear(t);
	return r->result = e;
}

static enum err swap_module_unlocked(const char *module, const void *image, size_t size, struct swap_report *r)
{
	enum err e = swap_one(module, module, image, size, r);

	if (e == E_OK)
		swap_retire_and_say(1);                                    /* (11) */
	return e;
}

/* (the namespace lock held: one loader or swap at a time) */
enum err swap_module(const char *module, const void *image, size_t size, struct swap_report *r)
{
	enum err e;

	crates_lock();
	e = swap_module_unlocked(module, image, size, r);
	crates_unlock();
	return e;
}

static enum err swap_module_to_unlocked(const char *module, const char *object, struct swap_report *r)
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
	swap_retire_and_say(1);                                            /* (11) */
	swap_say_cost(1);
	return E_OK;
}

/* (the namespace lock held: one loader or swap at a time) */
enum err swap_module_to(const char *module, const char *object, struct swap_report *r)
{
	enum err e;

	crates_lock();
	e = swap_module_to_unlocked(module, object, r);
	crates_unlock();
	return e;
}

/* Print the report lines of a swap. */
static void swap_print(const struct swap_report *r, unsigned n, enum err e)
{
	if (e != E_OK) {
		for (unsigned i = 0; i < n; i++)
			pr_err("swap: %s: not swapped: %s (%s); %s stays\n", r[i].module,
			       err_name(e), err_msg(e), r[i].replaced[0] ? r[i].replaced
									: "the running copy");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		kprintf("swap: %-14s text %lx-%lx -> %lx-%lx, %lu data bytes bound, %u "
			"relocations applied, %lu cycles\n", r[i].module, r[i].old_text_start,
			r[i].old_text_end, r[i].new_text_start, r[i].new_text_end,
			r[i].data_bytes_bound, r[i].relocs_applied, r[i].cycles);
		if (strcmp(r[i].replaced, "nano_core") != 0)
			kprintf("swap: %-14s %s replaces %s\n", r[i].module, r[i].copy,
				r[i].replaced);
	}
}

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


static enum err swap_nano_core_crates_unlocked(const char *list)
{
	uint64_t t_start = rdtsc();
	struct swap_txn *t = &txn;
	struct swap_report *out = boot_swap_done ? later : reports;
	bool want[SWAP_MAX_MODULES + 1];
	enum err e = core_desc_init(), first = E_OK;
	unsigned n;

	if (e != E_OK)
		return e;
	if (!boot_swap_done)
		swap_forward_install(); /* (a stale call into retired code goes on) */
	swap_txn_clear(t);
	if (core.desc.h->nmodules > SWAP_MAX_MODULES) {
		pr_err("swap: %u modules exceed SWAP_MAX_MODULES (%d)\n", core.desc.h->nmodules,
		       SWAP_MAX_MODULES);
		return E_LIMIT;
	}
	first = parse_list(list, want);
	/* (1) built for this swap when it is the first: lean (see core_crate_build) */
	e = core_init(core.crate ? NULL : want);
	if (e != E_OK && !core.crate && core_init(NULL) == E_OK)
		pr_warn("swap: the nano_core crate was built whole at the second try: the "
			"swap is not made\n");
	if (e != E_OK)
		return e;
	phases = (struct swap_phases){ .load = rdtsc() - t_start };
	phases.core = phases.load;
	t_start = rdtsc();
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
		e = swap_add_member(t, m, name, phys_to_virt(obj->start), obj->end - obj->start,
				    obj); /* (the object linked) */
	}
	phases.load += rdtsc() - t_start; /* (the layouts compared) */
	if (e == E_OK && t->n)
		e = swap_run(t, out);                                      /* (3)-(9) */
	if (e == E_OK)
		core.lean = false; /* what it lacks belonged to the copies just replaced */
	else if (core_crate_complete(crates_namespace()) != E_OK)
		pr_err("swap: later swaps are refused (the nano_core crate is incomplete)\n");
	n = t->n;
	if (n)
		swap_print(out, n, e);
	if (!boot_swap_done) {
		nreports = n;
		boot_phases = phases; /* (retire: measured when the boot runs it) */
	}
	first = first == E_OK ? e : first;
	swap_txn_clear(t);
	if (boot_swap_done && e == E_OK && n) {
		swap_retire_and_say(n); /* (11) at once (a copy still running: at the safe point) */
		swap_say_cost(n);
	}
	boot_swap_done = true;
	return first;
}

/* (the namespace lock held: one loader or swap at a time) */
enum err swap_nano_core_crates(const char *list)
{
	enum err e;

	crates_lock();
	e = swap_nano_core_crates_unlocked(list);
	crates_unlock();
	return e;
}

const struct swap_report *swap_reports(unsigned *count)
{
	*count = nreports;
	return reports;
}
