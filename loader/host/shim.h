/*
 * The host implementation of the loader's services (include/loader/services.h):
 * heap from malloc, a fake module area whose run addresses start at
 * LD_CMODEL_KERNEL_BASE while the bytes live in host memory, and counters of
 * everything live, so a test can prove that a failed load returned all it
 * took. Failure injection makes the N-th allocation, reservation, mapping or
 * protection fail, to exercise every unwind path.
 */
#ifndef LOADER_HOST_SHIM_H
#define LOADER_HOST_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <loader/services.h>

#define SHIM_MAX_RANGES 256
#define SHIM_LOG_LINES 64
/* What a fresh mapping holds before the loader writes it (vrange_map
 * promises no contents). */
#define SHIM_FRESH_BYTE 0xa5

struct shim_range {
	uint64_t run;   /* run address */
	uint64_t size;
	uint8_t *host;  /* host memory, when mapped or registered */
	bool reserved;
	bool mapped;
	bool external;  /* registered by a test, not by the loader */
	uint8_t *page_prot; /* per page: 0 = not yet protected, else 1 + prot */
};

struct shim_counters {
	long heap_live;
	long reserved_live;
	long mapped_live;
	uint64_t mapped_bytes;
	long aliases_live;
};

struct shim {
	struct ld_services svc;
	struct shim_counters now;
	struct shim_range ranges[SHIM_MAX_RANGES];
	uint64_t next_run;
	uint64_t area_limit; /* bytes the fake module area may hand out */
	uint64_t area_used;
	/* failure injection: fail the Nth call from now (1-based), 0 = never */
	long fail_alloc_at, fail_reserve_at, fail_map_at, fail_protect_at, fail_alias_at;
	long nalloc, nreserve, nmap, nprotect, nalias;
	/* log capture */
	char log[SHIM_LOG_LINES][512];
	int nlog;
	bool echo; /* also print log lines to stderr */
};

void shim_init(struct shim *s);
/* Check that nothing is left (after ld_namespace_destroy); returns false and
 * prints what is left otherwise. */
bool shim_is_empty(const struct shim *s);
bool shim_counters_equal(const struct shim_counters *a, const struct shim_counters *b);
void shim_clear_log(struct shim *s);
/* Did any logged line contain `needle`? */
bool shim_log_contains(const struct shim *s, const char *needle);
/* The last logged line, or "". */
const char *shim_last_log(const struct shim *s);
/* Register host memory as existing, writable module-area memory at `run`. */
bool shim_register_external(struct shim *s, uint64_t run, void *host, uint64_t size);
/* The protection of the page holding `run`: -1 none set yet / unmapped. */
int shim_page_prot(const struct shim *s, uint64_t run);
/* The mapped range containing `run`, or NULL. */
const struct shim_range *shim_find(const struct shim *s, uint64_t run, uint64_t size);

#endif
