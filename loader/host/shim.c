/*
 * Host services for the loader: see shim.h. Run addresses are handed out
 * upward from LD_CMODEL_KERNEL_BASE + 1 MiB and never reused, so a stale
 * address is never silently valid again.
 */
#include "shim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool shim_should_fail(long *counter, long at)
{
	++*counter;
	return at != 0 && *counter == at;
}

static void *shim_heap_alloc(void *ctx, size_t size)
{
	struct shim *s = ctx;
	void *p;

	if (shim_should_fail(&s->nalloc, s->fail_alloc_at))
		return NULL;
	p = malloc(size ? size : 1);
	if (p)
		s->now.heap_live++;
	return p;
}

static void shim_heap_free(void *ctx, void *ptr)
{
	struct shim *s = ctx;

	if (!ptr)
		return;
	s->now.heap_live--;
	free(ptr);
}

static struct shim_range *shim_slot(struct shim *s, uint64_t run)
{
	for (int i = 0; i < SHIM_MAX_RANGES; i++)
		if ((s->ranges[i].reserved || s->ranges[i].external) && s->ranges[i].run == run)
			return &s->ranges[i];
	return NULL;
}

static enum err shim_reserve(void *ctx, uint64_t size, uint64_t *base)
{
	struct shim *s = ctx;

	if (shim_should_fail(&s->nreserve, s->fail_reserve_at))
		return E_NO_VSPACE;
	if (size == 0 || size % LD_PAGE_SIZE || size > s->area_limit - s->area_used)
		return E_NO_VSPACE;
	for (int i = 0; i < SHIM_MAX_RANGES; i++) {
		struct shim_range *r = &s->ranges[i];

		if (r->reserved || r->external)
			continue;
		memset(r, 0, sizeof(*r));
		r->run = s->next_run;
		r->size = size;
		r->reserved = true;
		s->next_run += size + LD_PAGE_SIZE; /* a guard gap */
		s->area_used += size;
		s->now.reserved_live++;
		*base = r->run;
		return E_OK;
	}
	return E_NO_VSPACE;
}

static void shim_release(void *ctx, uint64_t base, uint64_t size)
{
	struct shim *s = ctx;
	struct shim_range *r = shim_slot(s, base);

	if (!r || r->size != size || r->mapped || r->external) {
		fprintf(stderr, "shim: bad release %lx size %lx\n", (unsigned long)base,
			(unsigned long)size);
		abort();
	}
	r->reserved = false;
	s->area_used -= size;
	s->now.reserved_live--;
}

static enum err shim_map(void *ctx, uint64_t base, uint64_t size)
{
	struct shim *s = ctx;
	struct shim_range *r = shim_slot(s, base);

	if (shim_should_fail(&s->nmap, s->fail_map_at))
		return E_NO_FRAMES;
	if (!r || r->size != size || r->mapped || base % LD_PAGE_SIZE) {
		fprintf(stderr, "shim: bad map %lx size %lx\n", (unsigned long)base,
			(unsigned long)size);
		abort();
	}
	r->host = aligned_alloc(LD_PAGE_SIZE, size);
	if (!r->host)
		return E_NO_FRAMES;
	memset(r->host, SHIM_FRESH_BYTE, size); /* frames come dirty: the loader writes every byte */
	r->page_prot = calloc(size / LD_PAGE_SIZE, 1);
	if (!r->page_prot) {
		free(r->host);
		return E_NO_FRAMES;
	}
	r->mapped = true;
	s->now.mapped_live++;
	s->now.mapped_bytes += size;
	return E_OK;
}

static void shim_unmap(void *ctx, uint64_t base, uint64_t size)
{
	struct shim *s = ctx;
	struct shim_range *r = shim_slot(s, base);

	if (!r || r->size != size || !r->mapped) {
		fprintf(stderr, "shim: bad unmap %lx size %lx\n", (unsigned long)base,
			(unsigned long)size);
		abort();
	}
	memset(r->host, 0xcc, size); /* poison: a use after unload shows */
	free(r->host);
	free(r->page_prot);
	r->page_prot = NULL;
	r->host = NULL;
	r->mapped = false;
	s->now.mapped_live--;
	s->now.mapped_bytes -= size;
}

const struct shim_range *shim_find(const struct shim *s, uint64_t run, uint64_t size)
{
	for (int i = 0; i < SHIM_MAX_RANGES; i++) {
		const struct shim_range *r = &s->ranges[i];

		if (!(r->mapped || r->external) || run < r->run)
			continue;
		if (run - r->run <= r->size && size <= r->size - (run - r->run))
			return r;
	}
	return NULL;
}

static enum err shim_protect(void *ctx, uint64_t base, uint64_t size, enum ld_prot prot)
{
	struct shim *s = ctx;
	const struct shim_range *found = shim_find(s, base, size);
	struct shim_range *r = (struct shim_range *)found;

	if (shim_should_fail(&s->nprotect, s->fail_protect_at))
		return E_NOT_MAPPED;
	if (!r || r->external || base % LD_PAGE_SIZE || size % LD_PAGE_SIZE) {
		fprintf(stderr, "shim: bad protect %lx size %lx\n", (unsigned long)base,
			(unsigned long)size);
		abort();
	}
	for (uint64_t a = base; a < base + size; a += LD_PAGE_SIZE)
		r->page_prot[(a - r->run) / LD_PAGE_SIZE] = (uint8_t)(1 + prot);
	return E_OK;
}

int shim_page_prot(const struct shim *s, uint64_t run)
{
	const struct shim_range *r = shim_find(s, run, 1);

	if (!r || !r->page_prot)
		return -1;
	return r->page_prot[(run - r->run) / LD_PAGE_SIZE] - 1;
}

static void *shim_writable(void *ctx, uint64_t addr, uint64_t size)
{
	const struct shim_range *r = shim_find(ctx, addr, size);

	return r ? r->host + (addr - r->run) : NULL;
}

/* A writable alias of a mapped page: its host bytes (counted, and made to
 * fail like the other services). */
static void *shim_alias_map(void *ctx, uint64_t page)
{
	struct shim *s = ctx;
	void *p;

	if (shim_should_fail(&s->nalias, s->fail_alias_at))
		return NULL;
	p = shim_writable(ctx, page, LD_PAGE_SIZE);
	if (p)
		s->now.aliases_live++;
	return p;
}

static void shim_alias_unmap(void *ctx, void *alias)
{
	struct shim *s = ctx;

	(void)alias;
	s->now.aliases_live--;
}

static void shim_log(void *ctx, const char *fmt, ...)
{
	struct shim *s = ctx;
	char *line = s->log[s->nlog % SHIM_LOG_LINES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(s->log[0]), fmt, ap);
	va_end(ap);
	s->nlog++;
	if (s->echo)
		fprintf(stderr, "%s\n", line);
}

void shim_init(struct shim *s)
{
	memset(s, 0, sizeof(*s));
	s->svc = (struct ld_services){
		.ctx = s,
		.heap_alloc = shim_heap_alloc,
		.heap_free = shim_heap_free,
		.vrange_reserve = shim_reserve,
		.vrange_release = shim_release,
		.vrange_map = shim_map,
		.vrange_unmap = shim_unmap,
		.vrange_protect = shim_protect,
		.vrange_writable = shim_writable,
		.alias_map = shim_alias_map,
		.alias_unmap = shim_alias_unmap,
		.log = shim_log,
	};
	s->next_run = LD_CMODEL_KERNEL_BASE + (1u << 20);
	s->area_limit = 64ull << 20;
}

bool shim_counters_equal(const struct shim_counters *a, const struct shim_counters *b)
{
	return a->heap_live == b->heap_live && a->reserved_live == b->reserved_live &&
	       a->mapped_live == b->mapped_live && a->mapped_bytes == b->mapped_bytes &&
	       a->aliases_live == b->aliases_live;
}

bool shim_is_empty(const struct shim *s)
{
	struct shim_counters zero = { 0 };

	if (shim_counters_equal(&s->now, &zero))
		return true;
	fprintf(stderr, "shim: left: heap %ld, reserved %ld, mapped %ld (%lu bytes)\n",
		s->now.heap_live, s->now.reserved_live, s->now.mapped_live,
		(unsigned long)s->now.mapped_bytes);
	return false;
}

void shim_clear_log(struct shim *s)
{
	s->nlog = 0;
}

bool shim_log_contains(const struct shim *s, const char *needle)
{
	int n = s->nlog < SHIM_LOG_LINES ? s->nlog : SHIM_LOG_LINES;

	for (int i = 0; i < n; i++)
		if (strstr(s->log[i], needle))
			return true;
	return false;
}

const char *shim_last_log(const struct shim *s)
{
	return s->nlog ? s->log[(s->nlog - 1) % SHIM_LOG_LINES] : "";
}

bool shim_register_external(struct shim *s, uint64_t run, void *host, uint64_t size)
{
	for (int i = 0; i < SHIM_MAX_RANGES; i++) {
		struct shim_range *r = &s->ranges[i];

		if (r->reserved || r->external)
			continue;
		memset(r, 0, sizeof(*r));
		r->run = run;
		r->size = size;
		r->host = host;
		r->external = true;
		return true;
	}
	return false;
}
