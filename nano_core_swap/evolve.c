/*
 * Live evolution of a crate loaded after boot: `swap CRATE OBJECT` replaces
 * the crate by a new version, the boot module OBJECT, while the kernel runs.
 * One transaction, as a group swap of modules (swap.c):
 *
 *  (1) compare the new object's data layout with the old object's
 *      (fingerprint.c); a changed layout needs NAME_state_transfer;
 *  (2) load the new version with fresh data (ld_group_prepare): it
 *      supersedes the old copy under the name NAME#GENERATION;
 *  (3) plan the redirect (redirect.c, as for a new version of a module):
 *      every live reference into the old copy's code, rodata and data needs
 *      its counterpart in the new one, references into data whose layout
 *      changed only to a variable's start;
 *  (4) run the new copy's state transfer (or copy each data symbol when the
 *      layout is the same and it has none);
 *  (5) commit the crate and the redirect, run its swap hooks;
 *  (6) retire the old copy (code, rodata and its own data) once proven
 *      unused, and unload it.
 * A failure before (5) leaves everything as it was.
 */
#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <lib/string.h>
#include <lib/util.h>
#include <loader/elf.h>
#include <memory/memory.h>
#include <nano_core_swap/layout.h>
#include <nano_core_swap/transfer.h>
#include "swap_internal.h"

/* What each crate this file made is a version of (for `ns`, and for the old
 * object a later swap compares with). */
struct crate_version {
	const struct ld_crate *crate;
	char object[SWAP_NAME_MAX];	/* the boot module it came from */
	char superseded[SWAP_NAME_MAX];	/* the crate it replaced */
	unsigned generation;		/* 2 for the first swap */
};
static struct crate_version versions[SWAP_MAX_VERSIONS];

struct swap_old_data {
	const struct ld_crate *crate;
};

void *swap_old_symbol(const struct swap_old_data *old, const char *name, size_t *size)
{
	size_t n;
	const struct ld_symbol *s = ld_crate_symbols(old->crate, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].section && s[i].section->kind == LD_KIND_DATA &&
		    strcmp(s[i].name, name) == 0) {
			if (size)
				*size = s[i].size;
			return (void *)s[i].addr;
		}
	return NULL;
}

static struct crate_version *version_of(const struct ld_crate *c)
{
	for (unsigned i = 0; i < SWAP_MAX_VERSIONS; i++)
		if (versions[i].crate && versions[i].crate == c)
			return &versions[i];
	return NULL;
}

bool swap_crate_version(const struct ld_crate *c, unsigned *generation,
			const char **superseded, const char **object)
{
	const struct crate_version *v = version_of(c);

	if (!v)
		return false;
	*generation = v->generation;
	*superseded = v->superseded;
	*object = v->object;
	return true;
}

/* The crate's name without its "#N" generation, into base[SWAP_NAME_MAX]. */
static void base_name(const char *crate, char *base)
{
	size_t n = 0;

	while (crate[n] && crate[n] != '#' && n < SWAP_NAME_MAX - 1)
		base[n] = crate[n], n++;
	base[n] = '\0';
}

/* The image of the object crate c came from: the one a swap recorded, else
 * the boot module of the crate's name (`load NAME`). */
static const struct boot_module *object_of(const struct ld_crate *c, const char **name)
{
	const struct crate_version *v = version_of(c);

	*name = v ? v->object : ld_crate_name(c);
	return bootinfo_find_module(*name);
}

/* The new crate's symbol `name` (a function), or NULL. */
static const struct ld_symbol *crate_function(const struct ld_crate *c, const char *name)
{
	size_t n;
	const struct ld_symbol *s = ld_crate_symbols(c, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].type == STT_FUNC && s[i].section && strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}

/* (4) without a transfer function: each old data symbol's bytes into the new
 * copy's same-named symbol (the layouts are the same: same sizes). */
static enum err copy_data(const struct ld_crate *old, const struct ld_crate *fresh)
{
	size_t n;
	const struct ld_symbol *s = ld_crate_symbols(old, &n);
	struct swap_old_data od = { fresh };

	for (size_t i = 0; i < n; i++) {
		size_t size;
		void *to;

		if (!s[i].section || s[i].section->kind != LD_KIND_DATA || !s[i].size)
			continue;
		to = swap_old_symbol(&od, s[i].name, &size);
		if (!to || size != s[i].size) {
			pr_err("swap: %s: data symbol %s (%lu bytes) has no counterpart of that "
			       "size in %s\n", ld_crate_name(old), s[i].name, s[i].size,
			       ld_crate_name(fresh));
			return E_SWAP_LAYOUT_CHANGED;
		}
		memcpy(to, (const void *)s[i].addr, size);
	}
	return E_OK;
}

/* (4) The new copy builds its data from the old: its NAME_state_transfer, or
 * a copy when the layout is the same. */
static enum err transfer_state(const struct ld_crate *old, const struct ld_crate *fresh,
			       const char *base, const char *object,
			       const struct swap_layout *lay)
{
	char fn_name[SWAP_NAME_MAX + 16];
	const struct ld_symbol *fn;
	struct swap_old_data od = { old };
	enum err e;

	fmt_snprintf(fn_name, sizeof(fn_name), "%s_state_transfer", base);
	fn = crate_function(fresh, fn_name);
	if (!fn && lay->changed) {
		pr_err("swap: %s: the data layout changed (%s) and it defines no %s\n", object,
		       lay->why, fn_name);
		return E_SWAP_NO_TRANSFER;
	}
	if (!fn)
		return copy_data(old, fresh);
	e = ((swap_state_transfer_fn *)fn->addr)(&od);
	if (e != E_OK)
		pr_err("swap: %s: %s refused: %s\n", object, fn_name, err_name(e));
	else if (lay->changed)
		kprintf("swap: %s: %s carried the state over (the layout changed: %s)\n",
			object, fn_name, lay->why);
	else
		kprintf("swap: %s: %s carried the state over\n", object, fn_name);
	return e;
}

/* Remember the new crate as a version (the oldest record is reused). */
static void record_version(const struct ld_crate *fresh, const struct ld_crate *old,
			   const char *object, unsigned generation)
{
	struct crate_version *v = version_of(old);

	if (!v) {
		v = &versions[0];
		for (unsigned i = 0; i < SWAP_MAX_VERSIONS; i++)
			if (!versions[i].crate || versions[i].generation < v->generation)
				v = &versions[i];
	}
	v->crate = fresh;
	v->generation = generation;
	fmt_snprintf(v->object, sizeof(v->object), "%s", object);
	fmt_snprintf(v->superseded, sizeof(v->superseded), "%s", ld_crate_name(old));
}

enum err swap_crate_to(const char *crate, const char *object, struct swap_report *r)
{
	struct ld_namespace *ns = crates_namespace();
	struct ld_crate *old;
	const struct boot_module *obj = bootinfo_find_module(object), *was;
	const char *was_name;
	struct swap_layout lay;
	struct ld_load_opts opts = { .keep_image = true };
	struct ld_group_member m;
	struct ld_group *lg;
	static struct swap_plan plan;
	struct ld_redirect_stats rs = { 0 };
	char base[SWAP_NAME_MAX], name[SWAP_NAME_MAX];
	const struct crate_version *v;
	const void *live;
	size_t live_size;
	unsigned generation;
	enum err e;

	*r = (struct swap_report){ .module = crate };
	if (ld_find_crate(ns, crate, &old) != E_OK) {
		pr_err("swap: no crate '%s' (ns lists them)\n", crate);
		return r->result = E_LD_NOT_FOUND;
	}
	if (old == nano_core_crate() || swap_provides_module(old)) {
		pr_err("swap: %s is part of the nano_core: swap its module instead\n", crate);
		return r->result = E_SWAP_UNKNOWN_MODULE;
	}
	if (!obj) {
		pr_err("swap: no boot module '%s' (make run MODULES=.../%s.o)\n", object, object);
		return r->result = E_SWAP_NO_OBJECT;
	}
	was = object_of(old, &was_name);
	e = was ? ld_object_section(crates_services(), was_name, phys_to_virt(was->start),
				    was->end - was->start, NSL_SECTION, &live, &live_size)
		: E_SWAP_NO_OBJECT;
	if (e != E_OK) {
		pr_err("swap: %s: the object it came from (%s) gives no layout to compare with\n",
		       crate, was_name);
		return r->result = e == E_LD_NOT_FOUND ? E_SWAP_NO_LAYOUT : e;
	}
	e = swap_compare_layouts(object, live, live_size, phys_to_virt(obj->start),
				 obj->end - obj->start, NULL, 0, &lay);    /* (1) */
	if (e != E_OK)
		return r->result = e;
	base_name(crate, base);
	v = version_of(old);
	generation = v ? v->generation + 1 : 2;
	fmt_snprintf(name, sizeof(name), "%s#%u", base, generation);
	opts.supersedes = old;
	m = (struct ld_group_member){ .name = name, .image = phys_to_virt(obj->start),
				      .size = obj->end - obj->start, .opts = &opts };
	e = ld_group_prepare(ns, &m, 1, NULL, NULL, &lg);                  /* (2) */
	if (e != E_OK)
		return r->result = e;
	e = swap_plan_for_crate(&plan, old, m.crate, object, lay.changed);
	if (e == E_OK)
		e = swap_redirect_plan(&plan);                             /* (3) */
	if (e == E_OK) {
		e = transfer_state(old, m.crate, base, object, &lay);      /* (4) */
		if (e != E_OK)
			swap_redirect_abort(&plan);
	}
	if (e != E_OK) {
		ld_group_abort(lg);
		memset(&plan, 0, sizeof(plan));
		return r->result = e;
	}
	ld_group_commit(lg);                                               /* (5) */
	swap_redirect_commit(&plan, &rs);
	memset(&plan, 0, sizeof(plan));
	swap_run_hooks(m.crate);
	record_version(m.crate, old, object, generation);
	crates_changed();
	kprintf("swap: %s -> %s (from %s): redirected %lu references (%lu edges)\n", crate,
		name, object, rs.written, rs.edges);
	*r = (struct swap_report){ .module = crate, .result = E_OK };
	swap_queue_crate_retire(old);                                      /* (6) */
	swap_retire_old_code();
	return E_OK;
}
