/*
 * Boot tests: GRUB handed us the nano_core's full image and every constituent
 * module object, and linker.ld gave every module its own page-aligned ranges
 * that hold that module's code and nothing else's.
 */
#include <bootinfo/bootinfo.h>
#include <bootinfo/ksym.h>
#include <console/console.h>
#include <heap/heap.h>
#include <interrupts/interrupts.h>
#include <ktest/ktest.h>
#include <lib/string.h>
#include <memory/memory.h>
#include "modules.h"

#define ET_REL	1
#define ET_EXEC	2

struct mod_range {
	const char *name;
	uint64_t text_start, text_end, rodata_start, rodata_end;
	uint64_t data_start, data_end, bss_start, bss_end;
};

#define DECLARE(m) extern char __mod_##m##_text_start[], __mod_##m##_text_end[], \
	__mod_##m##_rodata_start[], __mod_##m##_rodata_end[], __mod_##m##_data_start[], \
	__mod_##m##_data_end[], __mod_##m##_bss_start[], __mod_##m##_bss_end[];
FOR_EACH_MODULE(DECLARE)
#define RANGE(m) { #m, (uint64_t)__mod_##m##_text_start, (uint64_t)__mod_##m##_text_end, \
	(uint64_t)__mod_##m##_rodata_start, (uint64_t)__mod_##m##_rodata_end, \
	(uint64_t)__mod_##m##_data_start, (uint64_t)__mod_##m##_data_end, \
	(uint64_t)__mod_##m##_bss_start, (uint64_t)__mod_##m##_bss_end },
static const struct mod_range mod_ranges[] = { FOR_EACH_MODULE(RANGE) };

static uint16_t elf_type(const struct boot_module *m)
{
	const uint8_t *p = phys_to_virt(m->start);

	if (m->end - m->start < 64 || memcmp(p, "\177ELF", 4) != 0 || p[4] != 2)
		return 0;
	return (uint16_t)(p[16] | p[17] << 8);
}

KTEST(boot, modules_are_the_objects)
{
	const struct boot_module *core = bootinfo_find_module("nano_core");

	KT_ASSERT(core, "no nano_core boot module");
	KT_ASSERT_EQ(elf_type(core), ET_EXEC);
	for (unsigned i = 0; i < sizeof(mod_ranges) / sizeof(mod_ranges[0]); i++) {
		const struct boot_module *m = bootinfo_find_module(mod_ranges[i].name);
		KT_ASSERT(m, "constituent module %s is not a boot module", mod_ranges[i].name);
		KT_ASSERT(elf_type(m) == ET_REL, "module %s is not an ET_REL object", m->name);
		KT_ASSERT((m->start & (PAGE_SIZE - 1)) == 0, "module %s not page-aligned", m->name);
	}
	/* memory comes first among the constituent modules */
	KT_ASSERT(bootinfo_find_module("memory") < bootinfo_find_module(mod_ranges[1].name),
		  "memory is not the first constituent module");
	KT_ASSERT(strcmp(mod_ranges[0].name, "memory") == 0, "MODULES does not start with memory");
}

/* Is the image's own symbol fn (by name: not whatever copy this code links to)
 * inside module's text range? */
static bool in_text(const char *module, const char *fn)
{
	uint64_t addr = ksym_find(fn);

	for (unsigned i = 0; i < sizeof(mod_ranges) / sizeof(mod_ranges[0]); i++)
		if (strcmp(mod_ranges[i].name, module) == 0)
			return addr >= mod_ranges[i].text_start && addr < mod_ranges[i].text_end;
	return false;
}

KTEST(boot, module_ranges)
{
	uint64_t prev_end = 0;

	for (unsigned i = 0; i < sizeof(mod_ranges) / sizeof(mod_ranges[0]); i++) {
		const struct mod_range *r = &mod_ranges[i];
		const uint64_t b[] = { r->text_start, r->text_end, r->rodata_start, r->rodata_end,
				       r->data_start, r->data_end, r->bss_start, r->bss_end };
		for (unsigned j = 0; j < 8; j++)
			KT_ASSERT((b[j] & (PAGE_SIZE - 1)) == 0, "%s bound %u not page-aligned",
				  r->name, j);
		KT_ASSERT(r->text_start >= prev_end, "%s text overlaps the previous module", r->name);
		KT_ASSERT(r->text_end > r->text_start, "%s has no text", r->name);
		prev_end = r->text_end;
	}
	KT_ASSERT(in_text("memory", "frame_alloc"), "frame_alloc outside memory's text");
	KT_ASSERT(in_text("console", "kprintf"), "kprintf outside console's text");
	KT_ASSERT(in_text("interrupts", "fault_catch"), "fault_catch outside interrupts' text");
	KT_ASSERT(in_text("heap", "kmalloc"), "kmalloc outside heap's text");
	KT_ASSERT(!in_text("memory", "kmalloc"), "kmalloc inside memory's text");
}
