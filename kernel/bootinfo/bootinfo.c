/*
 * The kernel side of bootinfo: check the boot loader's magic, find the
 * multiboot2 information through the direct map and parse it once.
 */
#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <lib/string.h>
#include <memory/layout.h>
#include <nanoswap/probe.h>

MODULE_PROBE(bootinfo)

struct bootinfo boot_info;

static void bootinfo_log(const char *fmt, ...)
{
	va_list ap;

	kprintf("error: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

enum err bootinfo_init(uint32_t magic, uint64_t info_phys)
{
	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_err("bootinfo: boot loader magic %x is not multiboot2's %x\n",
		       magic, MB2_BOOTLOADER_MAGIC);
		return E_MB2_BAD_MAGIC;
	}
	const uint32_t *info = phys_to_virt(info_phys);
	size_t avail = info[0] < BOOTINFO_MAX_INFO_SIZE ? info[0] : BOOTINFO_MAX_INFO_SIZE;
	enum err e = mb2_parse(info, avail, &boot_info, bootinfo_log);
	if (e != E_OK)
		return e;
	boot_info.info_phys = info_phys;
	return E_OK;
}

const struct boot_module *bootinfo_find_module(const char *name)
{
	for (unsigned i = 0; i < boot_info.module_count; i++)
		if (boot_info.modules[i].name[0] == name[0] &&
		    strcmp(boot_info.modules[i].name, name) == 0)
			return &boot_info.modules[i];
	return NULL;
}
