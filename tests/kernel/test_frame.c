/*
 * Frame allocator tests: every frame is handed out once, exhaustion is
 * reported, frees are reusable, and no reserved frame is ever handed out.
 */
#include <bootinfo/bootinfo.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <memory/memory.h>
#include <nanoswap/noptr.h>

static uint64_t seen[FRAME_MAX_PHYS / PAGE_SIZE / 64] NS_NOPTR;	/* frames this test got */

static bool in_reserved(uint64_t phys)
{
	unsigned n;
	const struct phys_range *r = frame_reserved(&n);

	for (unsigned i = 0; i < n; i++)
		if (phys >= r[i].start && phys < r[i].end)
			return true;
	return false;
}

/* Take every free frame (chained through the direct map), check each, give them back. */
KTEST(frame, exhaustion_no_double_no_reserved)
{
	struct mem_stats before, empty, after;
	uint64_t head = 0, count = 0, phys;
	enum err e;

	memset(seen, 0, sizeof(seen));
	mem_get_stats(&before);
	while ((e = frame_alloc(&phys)) == E_OK) {
		uint64_t f = phys / PAGE_SIZE;
		KT_ASSERT(!(seen[f / 64] & (1UL << (f % 64))), "frame %lx handed out twice", phys);
		seen[f / 64] |= 1UL << (f % 64);
		KT_ASSERT(!in_reserved(phys), "reserved frame %lx handed out", phys);
		KT_ASSERT(frame_is_usable_ram(phys), "frame %lx is not RAM", phys);
		*(uint64_t *)phys_to_virt(phys) = head;
		head = phys;
		count++;
	}
	mem_get_stats(&empty);
	KT_ASSERT(e == E_NO_FRAMES, "exhaustion returned %s, expected NO_FRAMES", err_name(e));
	KT_ASSERT_EQ(empty.frames_free, 0);
	KT_ASSERT_EQ(count, before.frames_free);
	while (head) {
		uint64_t next = *(uint64_t *)phys_to_virt(head);
		frame_free(head);
		head = next;
	}
	mem_get_stats(&after);
	KT_ASSERT_EQ(after.frames_used, before.frames_used);
	KT_ASSERT_EQ(after.frames_free, before.frames_free);
}

KTEST(frame, free_is_reusable)
{
	uint64_t a, b;
	struct mem_stats s0, s1;

	mem_get_stats(&s0);
	KT_ASSERT(frame_alloc(&a) == E_OK, "no frame");
	mem_get_stats(&s1);
	KT_ASSERT_EQ(s1.frames_used, s0.frames_used + 1);
	frame_free(a);
	KT_ASSERT(frame_alloc(&b) == E_OK, "no frame after a free");
	KT_ASSERT_EQ(b, a);
	frame_free(b);
	mem_get_stats(&s1);
	KT_ASSERT_EQ(s1.frames_used, s0.frames_used);
}

static bool covers(uint64_t start, uint64_t end)
{
	unsigned n;
	const struct phys_range *r = frame_reserved(&n);

	for (unsigned i = 0; i < n; i++)
		if (r[i].start <= start && end <= r[i].end)
			return true;
	return false;
}

/* The kernel image (but the code a swap retired), the boot information and
 * every boot module are reserved. */
KTEST(frame, boot_data_reserved)
{
	extern char __kernel_phys_start[], __text_start[], __rodata_end[], __data_start[],
		__kernel_phys_end[];
	uint64_t pa, flags;

	KT_ASSERT(covers((uint64_t)__kernel_phys_start, (uint64_t)__text_start - KERNEL_VMA),
		  "the image's boot part is not reserved");
	KT_ASSERT(covers((uint64_t)__data_start - KERNEL_VMA, (uint64_t)__kernel_phys_end),
		  "the image's data is not reserved");
	for (uint64_t va = (uint64_t)__text_start; va < (uint64_t)__rodata_end; va += PAGE_SIZE) {
		bool mapped = vm_translate(va, &pa, &flags) == E_OK;	/* else: retired */
		KT_ASSERT(covers(va - KERNEL_VMA, va - KERNEL_VMA + PAGE_SIZE) == mapped,
			  "image page %lx is %smapped but %sreserved", va, mapped ? "" : "not ",
			  mapped ? "not " : "");
	}
	KT_ASSERT(covers(boot_info.info_phys, boot_info.info_phys + boot_info.info_size),
		  "multiboot2 info not reserved");
	KT_ASSERT(boot_info.module_count > 0, "no boot modules");
	for (unsigned i = 0; i < boot_info.module_count; i++)
		KT_ASSERT(covers(boot_info.modules[i].start, boot_info.modules[i].end),
			  "module %s not reserved", boot_info.modules[i].name);
}
