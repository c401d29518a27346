/*
 * The kernel's virtual address space, shared by boot/ (assembly), the linker
 * script and C. Everything the loader maps must sit in the top 2 GiB because
 * -mcmodel=kernel code reaches its symbols with sign-extended 32-bit values.
 */
#ifndef MEMORY_LAYOUT_H
#define MEMORY_LAYOUT_H

#ifdef __ASSEMBLER__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif

#define PAGE_SIZE		_UL(4096)
#define PAGE_SHIFT		12

/* Physical memory, all of it, RW+NX: 2 MiB pages, 4 KiB where RAM is (code read-only). */
#define DIRECT_MAP_BASE		_UL(0xFFFF800000000000)
/* Kernel heap: grows up from here, 4 KiB pages mapped on demand. */
#define HEAP_BASE		_UL(0xFFFFC00000000000)
#define HEAP_MAX_SIZE		_UL(0x40000000)		/* 1 GiB */
/* The kernel image: physical address + KERNEL_VMA. */
#define KERNEL_VMA		_UL(0xFFFFFFFF80000000)
#define KERNEL_PHYS		_UL(0x100000)
/* Module area: where the loader maps crates (inside the top 2 GiB). */
#define MODULE_AREA_BASE	_UL(0xFFFFFFFFC0000000)
#define MODULE_AREA_SIZE	_UL(0x3F000000)		/* 1008 MiB */

#define BOOT_STACK_SIZE		(16 * 1024)
/* The stack init continues on after the swap (pages, above a guard page). */
#define KERNEL_STACK_PAGES	8

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Physical address to its direct-map address, and back (a leaf header: the
 * modules that only need these include nothing of memory's). */
static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(phys + DIRECT_MAP_BASE);
}

static inline uint64_t direct_virt_to_phys(const void *virt)
{
	return (uint64_t)virt - DIRECT_MAP_BASE;
}
#endif

#endif
