/*
 * The shell's view of the objects a crate can come from: `objects` lists the
 * boot modules and the uploads the push channel kept (size, CRC-32), and
 * `forget NAME` frees an upload.
 */
#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <crates/crates.h>
#include <loader/loader.h>
#include <memory/layout.h>
#include <push/frame.h>
#include <push/push.h>
#include <lib/string.h>
#include "shell_internal.h"

static void objects_print_upload(void *ctx, const struct push_object *o)
{
	(void)ctx;
	kprintf("  %-16s %8u bytes  crc %08x  upload\n", o->name, o->size, o->crc);
}

enum err cmd_objects(int argc, char **argv)
{
	struct push_stats s;

	(void)argc, (void)argv;
	for (unsigned i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		uint32_t size = (uint32_t)(m->end - m->start);

		kprintf("  %-16s %8u bytes  crc %08x  boot module\n", m->name, size,
			push_crc32(push_crc32(0, m->name, strlen(m->name)), phys_to_virt(m->start),
				   size));
	}
	push_for_each(objects_print_upload, NULL);
	push_get_stats(&s);
	kprintf("uploads: %lu frames, %lu kept, %lu refused\n", s.frames, s.accepted, s.refused);
	return E_OK;
}

enum err cmd_forget(int argc, char **argv)
{
	struct ld_crate *c;
	enum err e;

	(void)argc;
	if (ld_find_crate(crates_namespace(), argv[1], &c) == E_OK) {
		kprintf("forget: crate %s came from upload %s: unload it first\n", argv[1], argv[1]);
		return E_INVALID_ARG;
	}
	if ((e = push_forget(argv[1])) != E_OK) {
		kprintf("forget: no upload named %s (boot modules stay)\n", argv[1]);
		return e;
	}
	kprintf("forget: %s freed\n", argv[1]);
	return E_OK;
}
