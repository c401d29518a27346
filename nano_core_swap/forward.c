/*
 * Forwarding: a stale pointer to a retired function (one no proof could see:
 * in a register or a stack slot) is called, the instruction fetch faults on
 * the unmapped page, and interrupts asks us (interrupts_set_forwarder): the
 * call goes on at the live copy's function of the same name, said once per
 * call site. A retired copy's range stays reserved, unmapped, so that such a
 * pointer never reaches other code. The image's old code is named by the
 * description; a retired crate by a small record of its functions, taken
 * before it is unloaded (its names point into its object, a boot module,
 * which stays).
 */
#include <console/console.h>
#include <crates/crates.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <lib/spinlock.h>
#include <lib/string.h>
#include <lib/util.h>
#include <loader/elf.h>
#include <nanoswap/noptr.h>
#include <nanoswap/swap_hook.h>
#include "retire_internal.h"

/* A function of a retired crate: its offset from the crate's text start. */
struct forward_fn {
	uint64_t off;
	const char *name;
};

/* A retired crate: its text range, what it was a copy of, its functions. */
struct forward_copy {
	uint64_t lo, hi;
	uint32_t module;		/* description index, or NCD_NONE (a crate) */
	char base[SWAP_NAME_MAX];	/* the crate's name without its generation */
	struct forward_fn *fns;		/* shared by the copies of one object */
	size_t nfns;
	bool borrowed;			/* fns is an earlier record's */
	bool unloaded;			/* the unload went through */
};

/* Heap blocks marked metadata (they describe old code, never call it). */
static struct forward_copy *copies;
static size_t ncopies, cap;
/* Call sites already said, so that each is said once. */
static uint64_t said[64] NS_NOSCAN;
static unsigned nsaid;
static struct spinlock said_lock = SPINLOCK_INIT("forward said");	/* (faults on every CPU) */

/* The base name of crate `name` ("heap" of "heap#3") into out. */
static void forward_base(const char *name, char *out)
{
	size_t n = 0;

	while (name[n] && name[n] != '#' && n < SWAP_NAME_MAX - 1)
		out[n] = name[n], n++;
	out[n] = '\0';
}

/* Is s a function of its crate's text? */
static bool forward_is_fn(const struct ld_symbol *s)
{
	return s->type == STT_FUNC && s->section && s->section->kind == LD_KIND_TEXT;
}

/* Is sym (nsyms of them, text from lo) the function list of record f? */
static bool forward_same_fns(const struct forward_copy *f, const struct ld_symbol *sym,
			     size_t nsyms, uint64_t lo)
{
	size_t k = 0;

	for (size_t i = 0; i < nsyms; i++)
		if (forward_is_fn(&sym[i])) {
			if (k == f->nfns || f->fns[k].off != sym[i].addr - lo ||
			    f->fns[k].name != sym[i].name)
				return false;
			k++;
		}
	return k == f->nfns;
}

/*
 * Remember retired crate c's text range and functions. Every copy of one
 * object has the same list (offsets from its text start, names in the
 * object), so a module swapped again and again shares its first record's:
 * each retired copy costs one record, not a list.
 */
void swap_forward_remember(const struct ld_crate *c, uint32_t module)
{
	size_t n, nsyms, k = 0;
	const struct ld_section *s = ld_crate_sections(c, &n);
	const struct ld_symbol *sym = ld_crate_symbols(c, &nsyms);
	struct forward_copy *f;
	uint64_t lo = ~0ull, hi = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i].kind == LD_KIND_TEXT && s[i].size && !s[i].bound) {
			lo = MIN(lo, s[i].addr);
			hi = MAX(hi, s[i].addr + s[i].size);
		}
	if (!hi)
		return;
	if (ncopies == cap) {
		size_t ncap = cap ? 2 * cap : 16;
		struct forward_copy *more = kmalloc(ncap * sizeof(*more));

		if (!more) {
			pr_warn("retire: out of heap to remember %s's functions: a stale call into it "
				"is not forwarded\n", ld_crate_name(c));
			return;
		}
		heap_mark_metadata(more);
		memcpy(more, copies, ncopies * sizeof(*more));
		kfree(copies);
		copies = more;
		cap = ncap;
	}
	f = &copies[ncopies];
	*f = (struct forward_copy){ .lo = lo, .hi = hi, .module = module };
	forward_base(ld_crate_name(c), f->base);
	for (size_t i = 0; i < ncopies; i++)
		if (copies[i].fns && !copies[i].borrowed && strcmp(copies[i].base, f->base) == 0 &&
		    forward_same_fns(&copies[i], sym, nsyms, lo)) {
			f->fns = copies[i].fns;
			f->nfns = copies[i].nfns;
			f->borrowed = true;
			ncopies++;
			return;
		}
	for (size_t i = 0; i < nsyms; i++)
		k += forward_is_fn(&sym[i]);
	f->fns = k ? kmalloc(k * sizeof(*f->fns)) : NULL;
	if (k && !f->fns) {
		pr_warn("retire: out of heap to remember %s's functions: a stale call into it is "
			"not forwarded\n", ld_crate_name(c));
		return;
	}
	if (f->fns)
		heap_mark_metadata(f->fns);
	for (size_t i = 0; i < nsyms; i++)
		if (forward_is_fn(&sym[i]))
			f->fns[f->nfns++] = (struct forward_fn){ sym[i].addr - lo, sym[i].name };
	ncopies++;
}

void swap_forward_forget_unloaded(void)
{
	while (ncopies && !copies[ncopies - 1].unloaded) {
		ncopies--;
		if (!copies[ncopies].borrowed)
			kfree(copies[ncopies].fns);
	}
}

/* The records of the last remembered copies: their unload went through. */
void swap_forward_unloaded(void)
{
	for (size_t i = 0; i < ncopies; i++)
		copies[i].unloaded = true;
}

/* The name of the image's function starting at pc, its module in *m. */
static const char *forward_image_name(uint64_t pc, uint32_t *m)
{
	const struct ncd_view *v = &core.desc;

	for (uint32_t i = 0; i < v->h->nsymbols; i++) {
		const struct ncd_symbol *s = &v->syms[i];

		if (s->addr == pc && s->type == STT_FUNC && s->section != NCD_NONE &&
		    v->secs[s->section].kind == NCD_TEXT) {
			*m = v->secs[s->section].module;
			return ncd_str(v, s->name);
		}
	}
	return NULL;
}

/* The live crate of what `base` was: the last loaded whose name it begins. */
static struct ld_crate *forward_live_crate(const char *base)
{
	struct ld_crate *live = NULL;
	char b[SWAP_NAME_MAX];

	for (struct ld_crate *c = ld_crate_first(crates_namespace()); c; c = ld_crate_next(c)) {
		forward_base(ld_crate_name(c), b);
		if (strcmp(b, base) == 0)
			live = c;
	}
	return live;
}

/* Crate c's function `name`, or 0. */
static uint64_t forward_function(const struct ld_crate *c, const char *name)
{
	size_t n;
	const struct ld_symbol *s = c ? ld_crate_symbols(c, &n) : NULL;

	for (size_t i = 0; s && i < n; i++)
		if (forward_is_fn(&s[i]) && strcmp(s[i].name, name) == 0)
			return s[i].addr;
	return 0;
}

/* The old function at pc (a retired copy's) and the live crate to look in. */
static const char *forward_old(uint64_t pc, struct ld_crate **live, const char **from)
{
	extern char __text_start[], __text_end[];
	const char *name = NULL;
	uint32_t m = NCD_NONE;

	*live = NULL;
	if (pc >= (uint64_t)__text_start && pc < (uint64_t)__text_end) {
		name = core.desc.h ? forward_image_name(pc, &m) : NULL;
		*from = "nano_core";
		if (name && m < SWAP_MAX_MODULES && swap_module_provider(m) != core.crate)
			*live = swap_module_provider(m);
		return *live ? name : NULL;
	}
	for (size_t i = ncopies; i-- > 0;) {
		const struct forward_copy *f = &copies[i];

		if (pc < f->lo || pc >= f->hi)
			continue;
		for (size_t k = 0; k < f->nfns && !name; k++)
			if (f->fns[k].off == pc - f->lo)
				name = f->fns[k].name;
		*from = f->base;
		*live = f->module != NCD_NONE ? swap_module_provider(f->module)
					      : forward_live_crate(f->base);
		return name;
	}
	return NULL;
}

/* The forwarder (interrupts calls it on the faulting fetch at pc). */
static bool swap_forward(uint64_t pc, uint64_t return_address, uint64_t *to)
{
	struct ld_crate *live;
	const char *from, *name = forward_old(pc, &live, &from), *caller = "?";
	uint64_t off = 0, flags;
	unsigned i;

	*to = name && live ? forward_function(live, name) : 0;
	if (!*to)
		return false;
	flags = spin_lock_irqsave(&said_lock);
	for (i = 0; i < nsaid && said[i] != return_address; i++)
		;
	if (i == nsaid) {
		(void)crates_symbolize(return_address - 1, &caller, &off);
		kprintf("forward: a call from %s+0x%lx (%lx) into retired %s:%s goes to %s:%s at "
			"%lx (said once for that call site)\n", caller, off + 1, return_address,
			from, name, ld_crate_name(live), name, *to);
		if (nsaid < ARRAY_SIZE(said))
			said[nsaid++] = return_address;
	}
	spin_unlock_irqrestore(&said_lock, flags);
	return true;
}

void swap_forward_install(void)
{
	interrupts_set_forwarder(swap_forward);
}

/* After a swap of this module, the new copy forwards. */
static enum err forward_swapped(void)
{
	swap_forward_install();
	return E_OK;
}
SWAP_HOOK(forward_swapped);
