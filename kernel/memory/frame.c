/*
 * The physical frame allocator: one bit per 4 KiB frame below FRAME_MAX_PHYS,
 * set when the frame is in use or not RAM. Built from the multiboot2 memory
 * map; everything the boot loader placed in memory is reserved before the
 * first allocation, so no frame holding live data is ever handed out.
 */
#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <lib/string.h>
#include <lib/util.h>
#include <loader/elf.h>	/* ELF definitions only (a leaf header) */
#include "memory_internal.h"
#include <nanoswap/noptr.h>

static uint64_t frame_bitmap[FRAME_COUNT / 64] NS_NOPTR;		/* 1 = not available */
static uint64_t frame_usable[FRAME_COUNT / 64] NS_NOPTR;		/* 1 = RAM per the memory map */
/* 1 = handed out by frame_alloc to a caller that uses it as it likes (a raw
 * frame, reached through the direct map): the swap's retire scans these,
 * while frames the memory module maps (page tables, vm_map_fresh) are seen
 * through their mappings. */
static uint64_t frame_raw[FRAME_COUNT / 64] NS_NOPTR;
static uint64_t raw_lo = ~0ull, raw_hi;	/* the words of frame_raw ever set: [lo, hi] */
static uint64_t frame_hint __attribute__((used));	/* next word to search (kept by every
							 * version: one data layout) */
static struct phys_range reserved[FRAME_MAX_RESERVED];
static unsigned reserved_count;

static bool bit_test(const uint64_t *map, uint64_t frame)
{
	return map[frame / 64] & (1UL << (frame % 64));
}

static void bit_set(uint64_t *map, uint64_t frame)
{
	map[frame / 64] |= 1UL << (frame % 64);
}

static void bit_clear(uint64_t *map, uint64_t frame)
{
	map[frame / 64] &= ~(1UL << (frame % 64));
}

bool frame_is_usable_ram(uint64_t phys)
{
	return phys < FRAME_MAX_PHYS && bit_test(frame_usable, phys / PAGE_SIZE);
}

bool frame_range_has_ram(uint64_t start, uint64_t end)
{
	const uint64_t span = 64 * PAGE_SIZE;	/* frames per bitmap word */

	if (!IS_ALIGNED(start, span) || !IS_ALIGNED(end, span))
		panic("BUG: frame_range_has_ram(%lx, %lx): not 256 KiB aligned", start, end);
	for (uint64_t w = start / span; w < end / span && w < ARRAY_SIZE(frame_usable); w++)
		if (frame_usable[w])
			return true;
	return false;
}

/* Add usable frames: those entirely inside [base, base+len). */
static void add_ram(uint64_t base, uint64_t len)
{
	uint64_t start = ALIGN_UP(base, PAGE_SIZE), end = ALIGN_DOWN(base + len, PAGE_SIZE);

	if (end > FRAME_MAX_PHYS) {
		pr_warn("memory: RAM above FRAME_MAX_PHYS (%lu MiB) is ignored\n",
			FRAME_MAX_PHYS / MiB);
		end = FRAME_MAX_PHYS;
	}
	for (uint64_t f = start / PAGE_SIZE; f < end / PAGE_SIZE; f++) {
		if (bit_test(frame_usable, f))
			continue;	/* overlapping map entries */
		bit_set(frame_usable, f);
		bit_clear(frame_bitmap, f);
		mem_counters.frames_total++;
	}
}

/* Reserve the frames touching [start, end); record the range for the tests. */
static void reserve(uint64_t start, uint64_t end, const char *what)
{
	if (end <= start)
		return;
	if (reserved_count == FRAME_MAX_RESERVED)
		panic("memory: more than FRAME_MAX_RESERVED (%d) reserved ranges", FRAME_MAX_RESERVED);
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	reserved[reserved_count] = (struct phys_range){ .start = start, .end = end };
	memcpy(reserved[reserved_count].what, what,
	       strnlen(what, sizeof(reserved[0].what) - 1)); /* the rest stays zero */
	reserved_count++;
	for (uint64_t f = start / PAGE_SIZE; f < end / PAGE_SIZE && f < FRAME_COUNT; f++) {
		if (!bit_test(frame_bitmap, f)) {
			bit_set(frame_bitmap, f);
			mem_counters.frames_reserved++;
		}
	}
}

/* Sections GRUB loaded outside the image (symtab, strtab) carry their physical address. */
static void reserve_elf_sections(const struct bootinfo *bi)
{
	for (unsigned i = 0; i < bi->elf_num; i++) {
		Elf64_Shdr sh;	/* copied out: GRUB's headers sit 4-byte aligned */
		memcpy(&sh, (const uint8_t *)bi->elf_shdrs + (uint64_t)i * bi->elf_entsize,
		       sizeof(sh));
		if (!(sh.sh_flags & SHF_ALLOC) && sh.sh_addr && sh.sh_size)
			reserve(sh.sh_addr, sh.sh_addr + sh.sh_size, "ELF section");
	}
}

void frame_init(const struct bootinfo *bi)
{
	memset(frame_bitmap, 0xff, sizeof(frame_bitmap));
	for (unsigned i = 0; i < bi->mmap_count; i++)
		if (bi->mmap[i].type == MB2_MEM_AVAILABLE)
			add_ram(bi->mmap[i].base, bi->mmap[i].len);

	reserve(0, 1 * MiB, "low memory (BIOS, real mode)");
	reserve((uint64_t)__kernel_phys_start, (uint64_t)__kernel_phys_end, "kernel image");
	reserve(bi->info_phys, bi->info_phys + bi->info_size, "multiboot2 info");
	for (unsigned i = 0; i < bi->module_count; i++)
		reserve(bi->modules[i].start, bi->modules[i].end, bi->modules[i].name);
	reserve_elf_sections(bi);
}

const struct phys_range *frame_reserved(unsigned *count)
{
	*count = reserved_count;
	return reserved;
}

/*
 * The lowest free frame from the hint's word on (the default), or, built with
 * FRAME_ALLOC_TOP_DOWN (memory_v2, a new version of this module the tests
 * swap in at run time), the highest free frame.
 */
/* A free frame, not marked raw (the module's own: tables, fresh mappings). */
enum err frame_take(uint64_t *phys)
{
	for (uint64_t n = 0; n < ARRAY_SIZE(frame_bitmap); n++) {
#ifdef FRAME_ALLOC_TOP_DOWN
		uint64_t w = ARRAY_SIZE(frame_bitmap) - 1 - n;
		if (frame_bitmap[w] == ~0UL)
			continue;
		uint64_t frame = w * 64 + 63 - (uint64_t)__builtin_clzl(~frame_bitmap[w]);
#else
		uint64_t w = (frame_hint + n) % ARRAY_SIZE(frame_bitmap);
		if (frame_bitmap[w] == ~0UL)
			continue;
		uint64_t frame = w * 64 + (uint64_t)__builtin_ctzl(~frame_bitmap[w]);
#endif
		bit_set(frame_bitmap, frame);
		frame_hint = w;
		mem_counters.frames_used++;
		*phys = frame * PAGE_SIZE;
		return E_OK;
	}
	return E_NO_FRAMES;
}

static enum err frame_alloc_unlocked(uint64_t *phys)
{
	enum err e = frame_take(phys);

	if (e == E_OK) {
		bit_set(frame_raw, *phys / PAGE_SIZE);
		raw_lo = MIN(raw_lo, *phys / PAGE_SIZE / 64);
		raw_hi = MAX(raw_hi, *phys / PAGE_SIZE / 64);
	}
	return e;
}

enum err frame_alloc(uint64_t *phys)
{
	uint64_t flags = mem_lock();
	enum err r = frame_alloc_unlocked(phys);

	mem_unlock(flags);
	return r;
}

void frame_for_each_raw(void (*fn)(void *ctx, uint64_t phys), void *ctx)
{
	for (uint64_t w = raw_lo; w <= raw_hi && w < ARRAY_SIZE(frame_raw); w++)
		for (uint64_t bits = frame_raw[w]; bits; bits &= bits - 1)
			fn(ctx, (w * 64 + (uint64_t)__builtin_ctzl(bits)) * PAGE_SIZE);
}

static void frame_free_unlocked(uint64_t phys)
{
	uint64_t frame = phys / PAGE_SIZE;

	if (!IS_ALIGNED(phys, PAGE_SIZE) || !frame_is_usable_ram(phys))
		panic("BUG: frame_free(%lx): not a RAM frame", phys);
	if (!bit_test(frame_bitmap, frame))
		panic("BUG: frame_free(%lx): frame is already free", phys);
	for (unsigned i = 0; i < reserved_count; i++)
		if (phys >= reserved[i].start && phys < reserved[i].end)
			panic("BUG: frame_free(%lx): frame is reserved (%s)", phys, reserved[i].what);
	bit_clear(frame_bitmap, frame);
	bit_clear(frame_raw, frame);
	mem_counters.frames_used--;
}

void frame_free(uint64_t phys)
{
	uint64_t flags = mem_lock();

	frame_free_unlocked(phys);
	mem_unlock(flags);
}

static bool frame_release_reserved_unlocked(uint64_t start, uint64_t end)
{
	unsigned i;

	for (i = 0; i < reserved_count; i++)
		if (start >= reserved[i].start && end <= reserved[i].end && start < end)
			break;
	if (i == reserved_count || !IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE))
		panic("BUG: frame_release_reserved(%lx, %lx): not inside one reserved range",
		      start, end);
	if (start > reserved[i].start && end < reserved[i].end) { /* a hole: split */
		if (reserved_count == FRAME_MAX_RESERVED) {
			pr_warn("memory: FRAME_MAX_RESERVED (%d) reserved ranges: frames "
				"[%lx, %lx) stay reserved\n", FRAME_MAX_RESERVED, start, end);
			return false;
		}
		reserved[reserved_count] = reserved[i];
		reserved[reserved_count++].start = end;
		reserved[i].end = start;
	} else if (start == reserved[i].start) {
		reserved[i].start = end;
	} else {
		reserved[i].end = start;
	}
	for (uint64_t f = start / PAGE_SIZE; f < end / PAGE_SIZE; f++) {
		bit_clear(frame_bitmap, f);
		mem_counters.frames_reserved--;
	}
	return true;
}

bool frame_release_reserved(uint64_t start, uint64_t end)
{
	uint64_t flags = mem_lock();
	bool r = frame_release_reserved_unlocked(start, end);

	mem_unlock(flags);
	return r;
}

static enum err frame_alloc_table_unlocked(uint64_t *phys)
{
	enum err e = frame_take(phys);

	if (e != E_OK)
		return e;
	memset(phys_to_virt(*phys), 0, PAGE_SIZE);
	mem_counters.table_frames++;
	return E_OK;
}

enum err frame_alloc_table(uint64_t *phys)
{
	uint64_t flags = mem_lock();
	enum err r = frame_alloc_table_unlocked(phys);

	mem_unlock(flags);
	return r;
}

static void frame_free_table_unlocked(uint64_t phys)
{
	mem_counters.table_frames--;
	frame_free(phys);
}

void frame_free_table(uint64_t phys)
{
	uint64_t flags = mem_lock();

	frame_free_table_unlocked(phys);
	mem_unlock(flags);
}
