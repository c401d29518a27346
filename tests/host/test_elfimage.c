/*
 * Host tests for tools/elf_image.h, the checked reader of the linked
 * nano_core that elfcheck --nano-core and ncdesc use: the real image
 * (build/nano_core.elf, or $NANO_CORE) parses, and each malformed variant of
 * it is refused with its reason instead of read out of bounds or misaligned
 * (under ASan and UBSan, as these tests run).
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "../../tools/elf_image.h"

static uint8_t *good;
static size_t good_size;
static struct elf_image im;

/* A private, exact-size (so ASan sees its end), 16-aligned copy. */
static uint8_t *copy(void)
{
	uint8_t *p = aligned_alloc(16, (good_size + 15) & ~(size_t)15);

	memcpy(p, good, good_size);
	return p;
}

static Elf64_Shdr *shdr(uint8_t *p, unsigned i)
{
	return (Elf64_Shdr *)(p + ((Elf64_Ehdr *)p)->e_shoff) + i;
}

/* Index of the first section of `type` in the good image. */
static unsigned find_type(uint32_t type)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)good;

	for (unsigned i = 0; i < eh->e_shnum; i++)
		if (shdr(good, i)->sh_type == type)
			return i;
	fprintf(stderr, "the nano_core has no section of type %u\n", type);
	exit(1);
}

/* Parse p (freed here): must be refused with a reason containing `why`. */
static void expect_refused(uint8_t *p, size_t size, const char *why)
{
	bool ok = elf_image_parse(&im, p, size);

	if (ok)
		check_fail(__FILE__, __LINE__, "accepted, want refused (%s)", why);
	else if (!strstr(im.why, why))
		check_fail(__FILE__, __LINE__, "refused with '%s', want '%s'", im.why, why);
	free(p);
}

static void test_good_parses(void)
{
	REQUIRE(elf_image_parse(&im, good, good_size));
	CHECK(im.nsyms > 100);
	CHECK(elf_image_sym_name(&im, &im.syms[1]) != NULL);
}

/* The symtab's sh_link names a NOBITS section placed past the end of the
 * file: the old reader took it as the string table and read far out of
 * bounds (ASan SEGV). */
static void test_strtab_link_nobits_past_eof(void)
{
	uint8_t *p = copy();
	unsigned sym = find_type(SHT_SYMTAB), bss = find_type(SHT_NOBITS);

	shdr(p, sym)->sh_link = bss;
	shdr(p, bss)->sh_offset = good_size + (64ul << 20);
	expect_refused(p, good_size, "is not a string table");
}

/* The string table itself turned NOBITS, past the end of the file. */
static void test_strtab_nobits_past_eof(void)
{
	uint8_t *p = copy();
	unsigned str = shdr(good, find_type(SHT_SYMTAB))->sh_link;

	shdr(p, str)->sh_type = SHT_NOBITS;
	shdr(p, str)->sh_offset = good_size + (64ul << 20);
	expect_refused(p, good_size, "is not a string table");
}

/* A symbol table 4 bytes off its alignment (the old reader: UBSan). */
static void test_symtab_misaligned(void)
{
	uint8_t *p = copy();

	shdr(p, find_type(SHT_SYMTAB))->sh_offset += 4;
	expect_refused(p, good_size, "8-aligned");
}

static void test_symtab_bad_size(void)
{
	uint8_t *p = copy();

	shdr(p, find_type(SHT_SYMTAB))->sh_size -= 8;
	expect_refused(p, good_size, "sh_size");
}

static void test_symtab_past_eof(void)
{
	uint8_t *p = copy();

	shdr(p, find_type(SHT_SYMTAB))->sh_size = (uint64_t)good_size * 24;
	expect_refused(p, good_size, "exceed the file");
}

static void test_strtab_unterminated(void)
{
	uint8_t *p = copy();

	shdr(p, shdr(good, find_type(SHT_SYMTAB))->sh_link)->sh_size -= 1;
	expect_refused(p, good_size, "does not end in NUL");
}

static void test_two_symtabs(void)
{
	uint8_t *p = copy();
	unsigned sym = find_type(SHT_SYMTAB);

	shdr(p, shdr(good, sym)->sh_link)->sh_type = SHT_SYMTAB;
	expect_refused(p, good_size, "both SHT_SYMTAB");
}

static void test_shdrs_past_eof(void)
{
	uint8_t *p = copy();

	((Elf64_Ehdr *)p)->e_shoff = good_size - 64;
	expect_refused(p, good_size, "section headers");
}

static void test_truncated(void)
{
	expect_refused(copy(), 40, "an ELF header is");
}

int main(void)
{
	good = check_read_build_file("NANO_CORE", "build/nano_core.elf", &good_size);
	CHECK_RUN(test_good_parses);
	CHECK_RUN(test_strtab_link_nobits_past_eof);
	CHECK_RUN(test_strtab_nobits_past_eof);
	CHECK_RUN(test_symtab_misaligned);
	CHECK_RUN(test_symtab_bad_size);
	CHECK_RUN(test_symtab_past_eof);
	CHECK_RUN(test_strtab_unterminated);
	CHECK_RUN(test_two_symtabs);
	CHECK_RUN(test_shdrs_past_eof);
	CHECK_RUN(test_truncated);
	free(good);
	return check_summary();
}
