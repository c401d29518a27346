/*
 * Bounds-checked multiboot2 parsing. GRUB is trusted to be GRUB, but the
 * parser is not: every tag is checked against the total size before it is
 * read, so a malformed list yields a named error instead of a wild read.
 * Pure C, shared with the host tests.
 */
#include <bootinfo/bootinfo.h>
#include <stdbool.h>

#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_MODULE		3
#define MB2_TAG_MMAP		6
#define MB2_TAG_ELF_SECTIONS	9
#define MB2_TAG_ACPI_OLD	14	/* a copy of the ACPI 1.0 RSDP */
#define MB2_TAG_ACPI_NEW	15	/* a copy of the ACPI 2.0+ RSDP */
#define ELF64_SHDR_SIZE		64

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

#define LOG(...) do { if (log) log(__VA_ARGS__); } while (0)

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* A string occupying [p, p+len) must have its NUL inside. */
static bool string_terminated(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!p[i])
			return true;
	return false;
}

static enum err parse_mmap(const uint8_t *tag, uint32_t size, struct bootinfo *out,
			   void (*log)(const char *fmt, ...))
{
	if (size < 16) {
		LOG("mb2: memory-map tag of %u bytes is shorter than its 16-byte header\n", size);
		return E_MB2_BAD_MMAP;
	}
	uint32_t entry_size = rd32(tag + 8);
	if (entry_size < 24 || entry_size % 8 || (size - 16) % entry_size) {
		LOG("mb2: memory-map entry size %u does not fit tag size %u\n", entry_size, size);
		return E_MB2_BAD_MMAP;
	}
	for (uint32_t off = 16; off < size; off += entry_size) {
		if (out->mmap_count == BOOTINFO_MAX_MMAP) {
			LOG("mb2: more than BOOTINFO_MAX_MMAP (%d) memory-map entries\n",
			    BOOTINFO_MAX_MMAP);
			return E_LIMIT;
		}
		struct mb2_mmap_entry *e = &out->mmap[out->mmap_count++];
		e->base = rd64(tag + off);
		e->len = rd64(tag + off + 8);
		e->type = rd32(tag + off + 16);
		if (e->base + e->len < e->base) {
			LOG("mb2: memory-map entry %u wraps around (base %llx len %llx)\n",
			    out->mmap_count - 1, (unsigned long long)e->base,
			    (unsigned long long)e->len);
			return E_MB2_BAD_MMAP;
		}
	}
	return E_OK;
}

static enum err parse_module(const uint8_t *tag, uint32_t size, struct bootinfo *out,
			     void (*log)(const char *fmt, ...))
{
	if (size < 17 || !string_terminated(tag + 16, size - 16)) {
		LOG("mb2: module tag of %u bytes has no NUL-terminated name\n", size);
		return E_MB2_BAD_MODULE;
	}
	uint32_t start = rd32(tag + 8), end = rd32(tag + 12);
	if (end < start) {
		LOG("mb2: module '%s' ends (%x) before it starts (%x)\n",
		    (const char *)tag + 16, end, start);
		return E_MB2_BAD_MODULE;
	}
	if (out->module_count == BOOTINFO_MAX_MODULES) {
		LOG("mb2: more than BOOTINFO_MAX_MODULES (%d) boot modules\n", BOOTINFO_MAX_MODULES);
		return E_LIMIT;
	}
	out->modules[out->module_count++] = (struct boot_module){
		.start = start, .end = end, .name = (const char *)tag + 16,
	};
	return E_OK;
}

static enum err parse_elf_sections(const uint8_t *tag, uint32_t size, struct bootinfo *out,
				   void (*log)(const char *fmt, ...))
{
	if (size < 20) {
		LOG("mb2: ELF-sections tag of %u bytes is shorter than its header\n", size);
		return E_MB2_BAD_ELF_SECTIONS;
	}
	uint32_t num = rd32(tag + 8), entsize = rd32(tag + 12), shndx = rd32(tag + 16);
	if (entsize < ELF64_SHDR_SIZE || (uint64_t)num * entsize > size - 20 ||
	    (num && shndx >= num)) {
		LOG("mb2: ELF-sections tag: %u headers of %u bytes (shstrndx %u) in %u bytes\n",
		    num, entsize, shndx, size);
		return E_MB2_BAD_ELF_SECTIONS;
	}
	out->elf_shdrs = tag + 20;
	out->elf_num = num;
	out->elf_entsize = entsize;
	out->elf_shndx = shndx;
	return E_OK;
}

/* Dispatch one tag (already known to lie within the info) by type. */
static enum err parse_tag(const uint8_t *tag, uint32_t type, uint32_t size,
			  struct bootinfo *out, void (*log)(const char *fmt, ...))
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		if (out->cmdline) {
			LOG("mb2: two command-line tags\n");
			return E_MB2_DUPLICATE;
		}
		if (!string_terminated(tag + 8, size - 8)) {
			LOG("mb2: command line is not NUL-terminated within its %u-byte tag\n", size);
			return E_MB2_BAD_STRING;
		}
		out->cmdline = (const char *)tag + 8;
		return E_OK;
	case MB2_TAG_MODULE:
		return parse_module(tag, size, out, log);
	case MB2_TAG_MMAP:
		if (out->mmap_seen) {
			LOG("mb2: two memory-map tags\n");
			return E_MB2_DUPLICATE;
		}
		out->mmap_seen = true;
		return parse_mmap(tag, size, out, log);
	case MB2_TAG_ELF_SECTIONS:
		if (out->elf_shdrs) {
			LOG("mb2: two ELF-sections tags\n");
			return E_MB2_DUPLICATE;
		}
		return parse_elf_sections(tag, size, out, log);
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		if (size < 8 + 20) {
			LOG("mb2: ACPI RSDP tag of %u bytes is shorter than an RSDP\n", size);
			return E_MB2_BAD_TAG;
		}
		if (!out->acpi_rsdp || type == MB2_TAG_ACPI_NEW) /* the newer one wins */
			out->acpi_rsdp = tag + 8;
		return E_OK;
	default:
		return E_OK;	/* tags we do not use */
	}
}

enum err mb2_parse(const void *info, size_t avail, struct bootinfo *out,
		   void (*log)(const char *fmt, ...))
{
	const uint8_t *base = info;

	*out = (struct bootinfo){ 0 };
	if (avail < 16) {
		LOG("mb2: only %zu bytes of boot information\n", avail);
		return E_MB2_TRUNCATED;
	}
	uint32_t total = rd32(base);
	if (total < 16 || total > avail) {
		LOG("mb2: total_size %u outside [16, %zu]\n", total, avail);
		return E_MB2_TRUNCATED;
	}
	out->info_size = total;
	for (uint32_t off = 8; off + 8 <= total;) {
		uint32_t type = rd32(base + off), size = rd32(base + off + 4);
		if (size < 8 || size > total - off) {
			LOG("mb2: tag type %u at offset %u has size %u (info is %u bytes)\n",
			    type, off, size, total);
			return E_MB2_BAD_TAG;
		}
		if (type == MB2_TAG_END) {
			if (size != 8) {
				LOG("mb2: end tag at offset %u has size %u, not 8\n", off, size);
				return E_MB2_BAD_TAG;
			}
			if (!out->cmdline)
				out->cmdline = "";
			return E_OK;
		}
		enum err e = parse_tag(base + off, type, size, out, log);
		if (e != E_OK)
			return e;
		off += (size + 7) & ~7u;
	}
	LOG("mb2: no end tag within %u bytes\n", total);
	return E_MB2_NO_END;
}
