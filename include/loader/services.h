/*
 * Everything the loader needs from outside itself, as one struct of callbacks:
 * heap, module-area virtual ranges, mapping and protection, and logging. The
 * kernel fills it from its own subsystems; the host tests fill it with a shim
 * that counts live allocations and mappings, so a test can prove that a failed
 * load gave everything back.
 *
 * Two addresses exist for every loaded byte: the RUN address (where code will
 * execute and what relocations compute with, always in the module area) and
 * the WRITE pointer (where the loader stores the byte while laying it out).
 * In the kernel they are equal; in the host shim the run address is a fake
 * module-area address and the write pointer is host memory.
 */
#ifndef LOADER_SERVICES_H
#define LOADER_SERVICES_H

#include <stddef.h>
#include <stdint.h>
#include <nanoswap/err.h>

/* The lowest address -mcmodel=kernel code reaches (R_X86_64_32S: the top
 * 2 GiB). Every crate must lie at or above it; the kernel's module area
 * (MODULE_AREA_BASE, include/memory/layout.h: 0xFFFFFFFFC0000000) is the
 * upper 1 GiB of that range, and the host tests place crates from this base. */
#define LD_CMODEL_KERNEL_BASE 0xFFFFFFFF80000000ull
#define LD_PAGE_SIZE 4096ull

/* Final protection of a mapped range. Anything not executable is also NX. */
enum ld_prot {
	LD_PROT_RX, /* text */
	LD_PROT_R,  /* rodata, loader GOT: read-only, NX */
	LD_PROT_RW, /* data, bss: read-write, NX */
};

struct ld_services {
	void *ctx; /* passed back as the first argument of every callback */

	/* Heap. alloc returns NULL when exhausted (the loader reports E_NO_HEAP);
	 * memory need not be zeroed. free(NULL) must be accepted. */
	void *(*heap_alloc)(void *ctx, size_t size);
	void (*heap_free)(void *ctx, void *ptr);

	/* Reserve `size` bytes (a multiple of LD_PAGE_SIZE) of page-aligned
	 * virtual space in the module area; nothing is mapped yet. Returns
	 * E_NO_VSPACE (or another code) on failure. release gives it back. */
	enum err (*vrange_reserve)(void *ctx, uint64_t size, uint64_t *base);
	void (*vrange_release)(void *ctx, uint64_t base, uint64_t size);

	/* Map fresh frames over a reserved, page-aligned range, writable by the
	 * loader (through vrange_writable). Their contents are undefined: the
	 * loader writes every byte (copies, gaps, tails, NOBITS). unmap removes
	 * the mapping and frees the frames. */
	enum err (*vrange_map)(void *ctx, uint64_t base, uint64_t size);
	void (*vrange_unmap)(void *ctx, uint64_t base, uint64_t size);

	/* Set the final protection of a mapped, page-aligned range. */
	enum err (*vrange_protect)(void *ctx, uint64_t base, uint64_t size,
				   enum ld_prot prot);

	/* Where the loader may write the `size` bytes that will run at `addr`
	 * (mapped by vrange_map, or an existing section the load is bound to).
	 * NULL when no such writable memory exists. The kernel returns `addr`. */
	void *(*vrange_writable)(void *ctx, uint64_t addr, uint64_t size);

	/* printf-like, one message per call, without a trailing newline (the
	 * service ends the line). Conversions used: %s %d %u %x %ld %lu %lx. */
	void (*log)(void *ctx, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/* Optional (NULL: no read-only memory can be patched): a writable alias
	 * of the page holding run address `page` (page-aligned, mapped,
	 * typically code), NULL if none can be made; alias_unmap removes it. The
	 * redirect patches code through it, never by making a page W+X. */
	void *(*alias_map)(void *ctx, uint64_t page);
	void (*alias_unmap)(void *ctx, void *alias);

	/* Optional (may be NULL): a monotonic counter for ld_load_stats (the
	 * kernel's rdtsc, which counts guest instructions under QEMU -icount). */
	uint64_t (*clock)(void *ctx);

	/* Optional (NULL: nothing else runs at once): hold everything else that
	 * may read the namespace (other threads, interrupts) while a commit
	 * publishes a crate, since lookups take no lock; resume lets them go
	 * on, given quiesce's token. */
	uint64_t (*quiesce)(void *ctx);
	void (*resume)(void *ctx, uint64_t token);
};

#endif
