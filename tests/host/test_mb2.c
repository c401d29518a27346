/*
 * Host tests for kernel/bootinfo/mb2.c. A small builder lays out multiboot2
 * tag lists as GRUB 2.06 does; each list is then copied into a malloc of
 * exactly avail bytes, so under ASan any read past what the parser was told
 * it may read fails the test. Malformed lists must yield their named error
 * and one log message.
 */
#include <bootinfo/bootinfo.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "log_capture.h"
#include "mb2_builder.h"

static struct bootinfo bi;
static uint8_t *bi_info;	/* what bi's pointers point into, until the next parse */

/* Parse b (copied into exactly avail bytes) with the log callback. */
static enum err parse_avail(struct mb2b *b, size_t avail)
{
	free(bi_info);
	bi_info = mb2b_finish(b, avail);
	log_capture_reset();
	memset(&bi, 0xa5, sizeof(bi));
	return mb2_parse(bi_info, avail, &bi, log_capture);
}

static enum err parse(struct mb2b *b)
{
	return parse_avail(b, b->len);
}

/* A malformed list: the named error, logged exactly once, mentioning what. */
#define CHECK_REJECTED(b, want, log_mentions)                                  \
	do {                                                                   \
		CHECK_ERR(parse(b), want);                                     \
		CHECK_EQ_U(logged.calls, 1);                                   \
		CHECK_CONTAINS(logged.text, log_mentions);                     \
	} while (0)

/* ---- good lists ---------------------------------------------------------------- */

static const struct mmap_in good_mmap[] = {
	{ 0x0, 0x9fc00, MB2_MEM_AVAILABLE },
	{ 0x100000, 0x7ee0000, MB2_MEM_AVAILABLE },
	{ 0x7fe0000, 0x20000, MB2_MEM_ACPI },
	{ 0xfffc0000, 0x40000, MB2_MEM_BAD },
};

static void test_good_full(void)
{
	struct mb2b b;

	mb2b_init(&b);
	size_t cmd = add_string_tag(&b, TAG_CMDLINE, "test=memory. loglevel=debug");
	add_string_tag(&b, TAG_BOOTLOADER, "GRUB 2.06");
	add_mmap(&b, 24, good_mmap, 4);
	size_t m1 = add_module(&b, 0x200000, 0x203456, "memory");
	size_t m2 = add_module(&b, 0x204000, 0x204000, "console");
	size_t elf = add_elf(&b, 5, 64, 4, 5 * 64);
	add_end(&b);

	uint8_t *info = mb2b_finish(&b, b.len);
	REQUIRE(info);
	log_capture_reset();
	memset(&bi, 0xa5, sizeof(bi));
	enum err e = mb2_parse(info, b.len, &bi, log_capture);
	CHECK_ERR(e, E_OK);
	CHECK_EQ_U(logged.calls, 0);
	CHECK_EQ_U(bi.info_size, b.len);

	CHECK(bi.cmdline == (const char *)info + cmd + 8);	/* points into the info */
	CHECK_STR(bi.cmdline, "test=memory. loglevel=debug");

	CHECK_EQ_U(bi.mmap_count, 4);
	for (unsigned i = 0; i < 4 && i < bi.mmap_count; i++) {
		CHECK_EQ_U(bi.mmap[i].base, good_mmap[i].base);
		CHECK_EQ_U(bi.mmap[i].len, good_mmap[i].len);
		CHECK_EQ_U(bi.mmap[i].type, good_mmap[i].type);
	}

	CHECK_EQ_U(bi.module_count, 2);
	CHECK_EQ_U(bi.modules[0].start, 0x200000);
	CHECK_EQ_U(bi.modules[0].end, 0x203456);
	CHECK(bi.modules[0].name == (const char *)info + m1 + 16);
	CHECK_STR(bi.modules[0].name, "memory");
	CHECK_EQ_U(bi.modules[1].start, 0x204000);
	CHECK_EQ_U(bi.modules[1].end, 0x204000);	/* an empty module is fine */
	CHECK(bi.modules[1].name == (const char *)info + m2 + 16);
	CHECK_STR(bi.modules[1].name, "console");

	CHECK(bi.elf_shdrs == info + elf + 20);
	CHECK_EQ_U(bi.elf_num, 5);
	CHECK_EQ_U(bi.elf_entsize, 64);
	CHECK_EQ_U(bi.elf_shndx, 4);
	free(info);
}

static void test_good_minimal(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_end(&b);
	CHECK_ERR(parse(&b), E_OK);
	CHECK_EQ_U(logged.calls, 0);
	CHECK_EQ_U(bi.info_size, 16);
	/* No command-line tag: "" rather than NULL; nothing else found. */
	CHECK_STR(bi.cmdline, "");
	CHECK_EQ_U(bi.mmap_count, 0);
	CHECK_EQ_U(bi.module_count, 0);
	CHECK(bi.elf_shdrs == NULL);
	CHECK_EQ_U(bi.elf_num, 0);

	/* The NULL log is allowed. */
	uint8_t *info = mb2b_finish(&b, b.len);
	REQUIRE(info);
	CHECK_ERR(mb2_parse(info, b.len, &bi, NULL), E_OK);
	free(info);
}

/* avail may exceed total_size; the tags after the end tag are not read. */
static void test_good_slack_and_trailing(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_string_tag(&b, TAG_CMDLINE, "");
	add_end(&b);
	size_t total = b.len;
	put32(&b, 12345);	/* garbage after the end tag, within total */
	put32(&b, 3);
	put32_at(&b, 0, (uint32_t)b.len);
	uint8_t *info = malloc(b.len + 40);
	REQUIRE(info);
	memcpy(info, b.buf, b.len);
	log_capture_reset();
	CHECK_ERR(mb2_parse(info, b.len + 40, &bi, log_capture), E_OK);
	CHECK_EQ_U(bi.info_size, total + 8);
	CHECK_STR(bi.cmdline, "");
	CHECK_EQ_U(logged.calls, 0);
	free(info);
}

/* entry_size larger than 24 (the spec allows growth): the extra bytes are skipped. */
static void test_good_mmap_large_entries(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_mmap(&b, 40, good_mmap, 3);
	add_end(&b);
	CHECK_ERR(parse(&b), E_OK);
	CHECK_EQ_U(bi.mmap_count, 3);
	CHECK_EQ_U(bi.mmap[2].base, good_mmap[2].base);
	CHECK_EQ_U(bi.mmap[2].len, good_mmap[2].len);
	CHECK_EQ_U(bi.mmap[2].type, MB2_MEM_ACPI);
}

/* Exactly at the fixed limits is fine. */
static void test_good_at_limits(void)
{
	struct mb2b b;
	struct mmap_in e[BOOTINFO_MAX_MMAP];
	char name[16];

	for (unsigned i = 0; i < BOOTINFO_MAX_MMAP; i++)
		e[i] = (struct mmap_in){ (uint64_t)i << 20, 1 << 20, MB2_MEM_AVAILABLE };
	mb2b_init(&b);
	add_mmap(&b, 24, e, BOOTINFO_MAX_MMAP);
	for (unsigned i = 0; i < BOOTINFO_MAX_MODULES; i++) {
		snprintf(name, sizeof(name), "mod%u", i);
		add_module(&b, i * 0x1000, i * 0x1000 + 0x800, name);
	}
	add_end(&b);
	CHECK_ERR(parse(&b), E_OK);
	CHECK_EQ_U(bi.mmap_count, BOOTINFO_MAX_MMAP);
	CHECK_EQ_U(bi.mmap[BOOTINFO_MAX_MMAP - 1].base, (uint64_t)(BOOTINFO_MAX_MMAP - 1) << 20);
	CHECK_EQ_U(bi.module_count, BOOTINFO_MAX_MODULES);
	snprintf(name, sizeof(name), "mod%u", BOOTINFO_MAX_MODULES - 1);
	CHECK_STR(bi.modules[BOOTINFO_MAX_MODULES - 1].name, name);
}

/* num 0: no headers, shndx unchecked. */
static void test_good_elf_empty(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_elf(&b, 0, 64, 0, 0);
	add_end(&b);
	CHECK_ERR(parse(&b), E_OK);
	CHECK_EQ_U(bi.elf_num, 0);
}

/* ---- the fixed part ------------------------------------------------------- */

static void test_avail_below_16(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_end(&b);
	for (size_t avail = 0; avail < 16; avail++) {
		CHECK_ERR(parse_avail(&b, avail), E_MB2_TRUNCATED);
		CHECK_EQ_U(logged.calls, 1);
	}
	/* The output is reset even when parsing fails at once. */
	CHECK_EQ_U(bi.module_count, 0);
	CHECK_EQ_U(bi.mmap_count, 0);
	CHECK(bi.cmdline == NULL);
}

static void test_total_above_avail(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_string_tag(&b, TAG_CMDLINE, "x");
	add_end(&b);
	CHECK_ERR(parse_avail(&b, b.len - 1), E_MB2_TRUNCATED);
	CHECK_EQ_U(logged.calls, 1);
	CHECK_CONTAINS(logged.text, "total_size");

	/* A huge total_size in a short buffer. */
	mb2b_init(&b);
	add_end(&b);
	uint8_t *info = mb2b_finish(&b, b.len);
	REQUIRE(info);
	info[3] = 0xff;
	log_capture_reset();
	CHECK_ERR(mb2_parse(info, b.len, &bi, log_capture), E_MB2_TRUNCATED);
	CHECK_EQ_U(logged.calls, 1);
	free(info);
}

static void test_total_below_16(void)
{
	for (uint32_t total = 0; total < 16; total += 4) {
		struct mb2b b;
		mb2b_init(&b);
		add_end(&b);
		uint8_t *info = mb2b_finish(&b, b.len);
		REQUIRE(info);
		info[0] = (uint8_t)total;
		log_capture_reset();
		CHECK_ERR(mb2_parse(info, b.len, &bi, log_capture), E_MB2_TRUNCATED);
		CHECK_EQ_U(logged.calls, 1);
		free(info);
	}
}

/* ---- tag framing ------------------------------------------------------------ */

static void test_tag_size_below_8(void)
{
	for (uint32_t size = 0; size < 8; size++) {
		struct mb2b b;
		mb2b_init(&b);
		size_t off = add_string_tag(&b, TAG_BOOTLOADER, "GRUB");
		add_end(&b);
		put32_at(&b, off + 4, size);
		CHECK_REJECTED(&b, E_MB2_BAD_TAG, "size");
	}
}

static void test_tag_past_total(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_string_tag(&b, TAG_CMDLINE, "abc");
	size_t off = add_string_tag(&b, TAG_BOOTLOADER, "GRUB 2.06");
	add_end(&b);
	/* One byte past the end of the info. */
	put32_at(&b, off + 4, (uint32_t)(b.len - off + 1));
	CHECK_REJECTED(&b, E_MB2_BAD_TAG, "offset 24");

	/* A size so large that off + size would wrap in 32 bits. */
	put32_at(&b, off + 4, 0xfffffff8u);
	CHECK_REJECTED(&b, E_MB2_BAD_TAG, "size");
}

static void test_no_end_tag(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_string_tag(&b, TAG_CMDLINE, "test");
	add_mmap(&b, 24, good_mmap, 2);
	CHECK_REJECTED(&b, E_MB2_NO_END, "no end tag");

	/* The smallest list: one 8-byte tag that is not the end tag. */
	mb2b_init(&b);
	put32(&b, 4);
	put32(&b, 8);
	CHECK_REJECTED(&b, E_MB2_NO_END, "no end tag within 16 bytes");

	/* Fewer than 8 bytes left after the last tag: not read as a tag header. */
	mb2b_init(&b);
	add_string_tag(&b, TAG_CMDLINE, "test");
	put32(&b, TAG_END);
	CHECK_REJECTED(&b, E_MB2_NO_END, "no end tag");
}

static void test_end_tag_wrong_size(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_string_tag(&b, TAG_CMDLINE, "test");
	put32(&b, TAG_END);
	put32(&b, 16);
	put64(&b, 0);
	CHECK_REJECTED(&b, E_MB2_BAD_TAG, "end tag");
}

/* ---- command line -------------------------------------------------------- */

static void test_cmdline_not_terminated(void)
{
	struct mb2b b;

	mb2b_init(&b);
	size_t off = add_string_tag(&b, TAG_CMDLINE, "loglevel=debug");
	add_end(&b);
	b.buf[off + 8 + strlen("loglevel=debug")] = 'X';	/* the NUL, inside the tag */
	CHECK_REJECTED(&b, E_MB2_BAD_STRING, "command line");

	/* An empty tag has no room for a NUL. */
	mb2b_init(&b);
	off = tag_open(&b, TAG_CMDLINE);
	tag_close(&b, off);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_STRING, "command line");

	/* The last bytes of the buffer: the parser must not look past the tag. */
	mb2b_init(&b);
	off = tag_open(&b, TAG_CMDLINE);
	put_bytes(&b, "abcdefgh", 8);
	tag_close(&b, off);
	CHECK_REJECTED(&b, E_MB2_BAD_STRING, "command line");
}

static void test_cmdline_duplicate(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_string_tag(&b, TAG_CMDLINE, "test");
	add_string_tag(&b, TAG_CMDLINE, "loglevel=info");
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_DUPLICATE, "command-line");

	/* Also when the first one is empty. */
	mb2b_init(&b);
	add_string_tag(&b, TAG_CMDLINE, "");
	add_string_tag(&b, TAG_CMDLINE, "");
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_DUPLICATE, "command-line");
}

/* ---- memory map -------------------------------------------------------------- */

static void test_mmap_bad_entry_size(void)
{
	static const uint32_t bad_sizes[] = { 0, 8, 16, 20, 28, 25 };
	struct mb2b b;

	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		mb2b_init(&b);
		size_t off = add_mmap(&b, 24, good_mmap, 2);
		add_end(&b);
		put32_at(&b, off + 8, bad_sizes[i]);
		CHECK_REJECTED(&b, E_MB2_BAD_MMAP, "entry size");
	}

	/* 32 is a valid entry size but does not divide 2 * 24 bytes of entries. */
	mb2b_init(&b);
	size_t off = add_mmap(&b, 24, good_mmap, 2);
	add_end(&b);
	put32_at(&b, off + 8, 32);
	CHECK_REJECTED(&b, E_MB2_BAD_MMAP, "entry size 32");

	/* Tag size not a whole number of entries. */
	mb2b_init(&b);
	off = add_mmap(&b, 24, good_mmap, 2);
	add_end(&b);
	put32_at(&b, off + 4, 16 + 24 + 8);
	CHECK_REJECTED(&b, E_MB2_BAD_MMAP, "tag size 48");
}

static void test_mmap_short_header(void)
{
	struct mb2b b;

	mb2b_init(&b);
	size_t off = tag_open(&b, TAG_MMAP);
	put32(&b, 24);
	tag_close(&b, off);	/* size 12: no entry_version */
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_MMAP, "16-byte header");
}

static void test_mmap_entry_wraps(void)
{
	static const struct mmap_in wrap[] = {
		{ 0x0, 0x1000, MB2_MEM_AVAILABLE },
		{ 0xfffffffffffff000ull, 0x2000, MB2_MEM_AVAILABLE },
	};
	struct mb2b b;

	mb2b_init(&b);
	add_mmap(&b, 24, wrap, 2);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_MMAP, "entry 1 wraps");
}

static void test_mmap_duplicate(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_mmap(&b, 24, good_mmap, 2);
	add_mmap(&b, 24, good_mmap + 2, 2);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_DUPLICATE, "memory-map");
}

static void test_mmap_too_many(void)
{
	struct mmap_in e[BOOTINFO_MAX_MMAP + 1];
	struct mb2b b;

	for (unsigned i = 0; i <= BOOTINFO_MAX_MMAP; i++)
		e[i] = (struct mmap_in){ (uint64_t)i << 20, 1 << 20, MB2_MEM_AVAILABLE };
	mb2b_init(&b);
	add_mmap(&b, 24, e, BOOTINFO_MAX_MMAP + 1);
	add_end(&b);
	CHECK_REJECTED(&b, E_LIMIT, "BOOTINFO_MAX_MMAP");
}

/* ---- modules ------------------------------------------------------------------ */

static void test_module_end_before_start(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_module(&b, 0x200000, 0x1fffff, "heap");
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_MODULE, "'heap' ends");
}

/*
 * A module name must be NUL-terminated within the tag. mb2.c reports this as
 * E_MB2_BAD_MODULE (the command line's equivalent is E_MB2_BAD_STRING).
 */
static void test_module_name_not_terminated(void)
{
	struct mb2b b;

	mb2b_init(&b);
	size_t off = tag_open(&b, TAG_MODULE);
	put32(&b, 0x1000);
	put32(&b, 0x2000);
	put_bytes(&b, "memoryXX", 8);
	tag_close(&b, off);	/* the last bytes of the buffer: no end tag */
	CHECK_REJECTED(&b, E_MB2_BAD_MODULE, "NUL-terminated name");

	/* No room for a name at all (16 bytes). */
	mb2b_init(&b);
	off = tag_open(&b, TAG_MODULE);
	put32(&b, 0x1000);
	put32(&b, 0x2000);
	tag_close(&b, off);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_MODULE, "NUL-terminated name");

	/* Shorter than its fixed part. */
	mb2b_init(&b);
	off = tag_open(&b, TAG_MODULE);
	put32(&b, 0x1000);
	tag_close(&b, off);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_MODULE, "12 bytes");
}

static void test_module_too_many(void)
{
	struct mb2b b;

	mb2b_init(&b);
	for (unsigned i = 0; i <= BOOTINFO_MAX_MODULES; i++)
		add_module(&b, i * 0x1000, i * 0x1000 + 0x1000, "m");
	add_end(&b);
	CHECK_REJECTED(&b, E_LIMIT, "BOOTINFO_MAX_MODULES");
}

/* ---- ELF sections ----------------------------------------------------------- */

static void test_elf_headers_beyond_tag(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_elf(&b, 4, 64, 1, 3 * 64);	/* room for 3, claims 4 */
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_ELF_SECTIONS, "4 headers of 64 bytes");

	/* num * entsize overflows 32 bits: 0x4000000 * 64 == 1 << 32. */
	mb2b_init(&b);
	add_elf(&b, 0x4000000, 64, 1, 64);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_ELF_SECTIONS, "ELF-sections");

	/* The headers are the last bytes of the buffer and one is missing a byte. */
	mb2b_init(&b);
	add_elf(&b, 2, 64, 1, 2 * 64 - 1);
	CHECK_REJECTED(&b, E_MB2_BAD_ELF_SECTIONS, "ELF-sections");
}

static void test_elf_bad_shndx(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_elf(&b, 3, 64, 3, 3 * 64);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_ELF_SECTIONS, "shstrndx 3");

	mb2b_init(&b);
	add_elf(&b, 3, 64, 0xffffffffu, 3 * 64);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_ELF_SECTIONS, "ELF-sections");
}

static void test_elf_bad_header(void)
{
	struct mb2b b;

	/* entsize smaller than an Elf64_Shdr. */
	mb2b_init(&b);
	add_elf(&b, 2, 40, 1, 2 * 64);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_ELF_SECTIONS, "ELF-sections");

	/* Tag shorter than num/entsize/shndx. */
	mb2b_init(&b);
	size_t off = tag_open(&b, TAG_ELF);
	put32(&b, 0);
	put32(&b, 64);
	tag_close(&b, off);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_BAD_ELF_SECTIONS, "shorter than its header");
}

static void test_elf_duplicate(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_elf(&b, 1, 64, 0, 64);
	add_elf(&b, 1, 64, 0, 64);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_DUPLICATE, "ELF-sections");
}

/* Errors are returned (and not crashed on) without a log callback. */
static void test_null_log_on_error(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_module(&b, 2, 1, "x");
	add_end(&b);
	uint8_t *info = mb2b_finish(&b, b.len);
	REQUIRE(info);
	CHECK_ERR(mb2_parse(info, b.len, &bi, NULL), E_MB2_BAD_MODULE);
	CHECK_ERR(mb2_parse(info, 8, &bi, NULL), E_MB2_TRUNCATED);
	free(info);
}

/*
 * Regression tests for bugs found by these tests and since fixed.
 * A second memory-map tag is only noticed when the first had entries, since
 * the duplicate check is `out->mmap_count != 0`.
 */
static void test_regression_mmap_duplicate_after_empty(void)
{
	struct mb2b b;

	mb2b_init(&b);
	add_mmap(&b, 24, good_mmap, 0);
	add_mmap(&b, 24, good_mmap, 2);
	add_end(&b);
	CHECK_REJECTED(&b, E_MB2_DUPLICATE, "memory-map");
}

int main(void)
{
	CHECK_RUN(test_good_full);
	CHECK_RUN(test_good_minimal);
	CHECK_RUN(test_good_slack_and_trailing);
	CHECK_RUN(test_good_mmap_large_entries);
	CHECK_RUN(test_good_at_limits);
	CHECK_RUN(test_good_elf_empty);
	CHECK_RUN(test_avail_below_16);
	CHECK_RUN(test_total_above_avail);
	CHECK_RUN(test_total_below_16);
	CHECK_RUN(test_tag_size_below_8);
	CHECK_RUN(test_tag_past_total);
	CHECK_RUN(test_no_end_tag);
	CHECK_RUN(test_end_tag_wrong_size);
	CHECK_RUN(test_cmdline_not_terminated);
	CHECK_RUN(test_cmdline_duplicate);
	CHECK_RUN(test_mmap_bad_entry_size);
	CHECK_RUN(test_mmap_short_header);
	CHECK_RUN(test_mmap_entry_wraps);
	CHECK_RUN(test_mmap_duplicate);
	CHECK_RUN(test_mmap_too_many);
	CHECK_RUN(test_module_end_before_start);
	CHECK_RUN(test_module_name_not_terminated);
	CHECK_RUN(test_module_too_many);
	CHECK_RUN(test_elf_headers_beyond_tag);
	CHECK_RUN(test_elf_bad_shndx);
	CHECK_RUN(test_elf_bad_header);
	CHECK_RUN(test_elf_duplicate);
	CHECK_RUN(test_null_log_on_error);
	CHECK_RUN(test_regression_mmap_duplicate_after_empty);
	free(bi_info);
	return check_summary();
}
