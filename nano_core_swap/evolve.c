/*
 * Live evolution of a crate loaded after boot: `swap CRATE OBJECT` replaces
 * the crate by a new version, the boot module OBJECT, while the kernel runs.
 * It is txn.c's one transaction with a crate as its member: (2) here, the new
 * object's data layout compared with the old object's (fingerprint.c); (3)
 * the new version loaded with fresh data, superseding the old copy under the
 * name NAME#GENERATION; (5) every live reference into the old copy's code,
 * rodata and data redirected (into data whose layout changed only to a
 * variable's start); (6) its state carried over, by its NAME_state_transfer
 * (under fault_catch: a fault cancels the swap) or a copy of each data
 * symbol when the layout is the same; (9) recorded as a version; (11) the
 * old copy, its data included, retired and unloaded once proven unused.
 */
#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <console/format.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <lib/string.h>
#include <lib/util.h>
#include <loader/elf.h>
#include <memory/memory.h>
#include <nano_core_swap/layout.h>
#include <nano_core_swap/transfer.h>
#include <nanoswap/noptr.h>
#include "swap_internal.h"

/* What each crate this file made is a version of (for `ns`, and for the old
 * object a later swap compares with). */
struct crate_version {
	const struct ld_crate *crate;	/* (may be unloaded since: name checks it) */
	char name[SWAP_NAME_MAX];	/* the crate's: "tstate#2" */
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

/* The record of crate c; a record whose crate was unloaded, and whose
 * address a new crate now has, is not c's (the names differ). */
static struct crate_version *version_of(const struct ld_crate *c)
{
	for (unsigned i = 0; i < SWAP_MAX_VERSIONS; i++)
		if (versions[i].crate && versions[i].crate == c &&
		    strcmp(versions[i].name, ld_crate_name(c)) == 0)
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

/* What fault_catch runs: the new copy's transfer function. */
struct transfer_call {
	swap_state_transfer_fn *fn;
	const struct swap_old_data *od;
	enum err e;
};

static void transfer_run(void *arg)
{
	struct transfer_call *c = arg;

	c->e = c->fn(c->od);
}

/* (6) The new copy builds its data from the old: its NAME_state_transfer
 * (the new code, before the commit, under fault_catch), or a copy when the
 * layout is the same. */
enum err swap_transfer_state(const struct swap_member *sm, struct ld_crate *fresh)
{
	char fn_name[SWAP_NAME_MAX + 16];
	const struct ld_symbol *fn;
	struct swap_old_data od = { sm->old };
	struct transfer_call call = { .od = &od };
	struct trap_record rec;

	fmt_snprintf(fn_name, sizeof(fn_name), "%s_state_transfer", sm->base);
	fn = crate_function(fresh, fn_name);
	if (!fn && sm->lay.changed) {
		pr_err("swap: %s: the data layout changed (%s) and it defines no %s\n", sm->object,
		       sm->lay.why, fn_name);
		return E_SWAP_NO_TRANSFER;
	}
	if (!fn)
		return copy_data(sm->old, fresh);
	call.fn = (swap_state_transfer_fn *)fn->addr;
	if (fault_catch(transfer_run, &call, &rec)) {
		pr_err("swap: %s: %s faulted (exception %lu at %lx): the swap is cancelled\n",
		       sm->object, fn_name, rec.vector, rec.rip);
		return E_SWAP_FAULTED;
	}
	if (call.e != E_OK)
		pr_err("swap: %s: %s refused: %s\n", sm->object, fn_name, err_name(call.e));
	else if (sm->lay.changed)
		kprintf("swap: %s: %s carried the state over (the layout changed: %s)\n",
			sm->object, fn_name, sm->lay.why);
	else
		kprintf("swap: %s: %s carried the state over\n", sm->object, fn_name);
	return call.e;
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
	fmt_snprintf(v->name, sizeof(v->name), "%s", ld_crate_name(fresh));
	v->generation = generation;
	fmt_snprintf(v->object, sizeof(v->object), "%s", object);
	fmt_snprintf(v->superseded, sizeof(v->superseded), "%s", ld_crate_name(old));
}

void swap_crate_keep(const struct swap_member *sm, const struct ld_crate *fresh)
{
	record_version(fresh, sm->old, sm->object, sm->generation);
}

/* (2) The crate member: crate `crate`'s new version from boot module
 * `object`, its layout compared with the old object's. */
static enum err swap_add_crate(struct swap_txn *t, const char *crate, const char *object)
{
	struct swap_member *sm = &t->sm[0];
	const struct boot_module *obj = bootinfo_find_module(object), *was;
	const struct crate_version *v;
	const char *was_name;
	struct ld_crate *old;
	const void *live;
	size_t live_size;
	enum err e;

	if (ld_find_crate(crates_namespace(), crate, &old) != E_OK) {
		pr_err("swap: no crate '%s' (ns lists them)\n", crate);
		return E_LD_NOT_FOUND;
	}
	if (old == nano_core_crate() || swap_provides_module(old)) {
		pr_err("swap: %s is part of the nano_core: swap its module instead\n", crate);
		return E_SWAP_UNKNOWN_MODULE;
	}
	if (!obj) {
		pr_err("swap: no boot module '%s' (make run MODULES=.../%s.o)\n", object, object);
		return E_SWAP_NO_OBJECT;
	}
	was = object_of(old, &was_name);
	e = was ? ld_object_section(crates_services(), was_name, phys_to_virt(was->start),
				    was->end - was->start, NSL_SECTION, &live, &live_size)
		: E_SWAP_NO_OBJECT;
	if (e != E_OK) {
		pr_err("swap: %s: the object it came from (%s) gives no layout to compare with\n",
		       crate, was_name);
		return e == E_LD_NOT_FOUND ? E_SWAP_NO_LAYOUT : e;
	}
	*sm = (struct swap_member){ .module = NCD_NONE, .old = old, .object = object,
				    .bind = { .module = NCD_NONE, .name = crate } };
	e = swap_compare_layouts(object, live, live_size, phys_to_virt(obj->start),
				 obj->end - obj->start, NULL, 0, &sm->lay);
	if (e != E_OK)
		return e;
	base_name(crate, sm->base);
	v = version_of(old);
	sm->generation = v ? v->generation + 1 : 2;
	fmt_snprintf(sm->crate_name, sizeof(sm->crate_name), "%s#%u", sm->base, sm->generation);
	sm->opts = (struct ld_load_opts){ .keep_image = true, .supersedes = old };
	t->members[0] = (struct ld_group_member){ .name = sm->crate_name,
						  .image = phys_to_virt(obj->start),
						  .size = obj->end - obj->start, .opts = &sm->opts };
	t->n = 1;
	return E_OK;
}

static enum err swap_crate_to_unlocked(const char *crate, const char *object, struct swap_report *r)
{
	static struct swap_txn t NS_NOSCAN; /* (its options: this copy's code) */
	struct swap_retire_result rr;
	enum err e;

	*r = (struct swap_report){ .module = crate };
	memset(&t, 0, sizeof(t));
	e = core_ready();
	if (e == E_OK)
		e = swap_add_crate(&t, crate, object);                     /* (2) */
	if (e == E_OK)
		e = swap_txn_run(&t);                                      /* (3)-(9) */
	if (e == E_OK) {
		kprintf("swap: %s -> %s (from %s): redirected %lu references (%lu edges)\n",
			crate, t.sm[0].crate_name, object, t.rs.written, t.rs.edges);
		swap_retire_apply(&rr, false);                                    /* (11) */
		swap_retire_report();
		kprintf("swap: %s in %lu cycles: load %lu, redirect %lu, hooks %lu, retire "
			"%lu\n", t.sm[0].crate_name, t.cost.load + t.cost.redirect + t.cost.hooks +
			t.cost.retire, t.cost.load, t.cost.redirect, t.cost.hooks, t.cost.retire);
	}
	memset(&t, 0, sizeof(t));
	return r->result = e;
}

/* (the namespace lock held: one loader or swap at a time) */
enum err swap_crate_to(const char *crate, const char *object, struct swap_report *r)
{
	enum err e;

	crates_lock();
	e = swap_crate_to_unlocked(crate, object, r);
	crates_unlock();
	return e;
}
