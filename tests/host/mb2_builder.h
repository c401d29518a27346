/*
 * A builder for multiboot2 boot-information lists laid out as GRUB 2.06 lays
 * them out, for the host tests of kernel/bootinfo/mb2.c (test_mb2.c).
 */
#ifndef TESTS_HOST_MB2_BUILDER_H
#define TESTS_HOST_MB2_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TAG_END		0
#define TAG_CMDLINE	1
#define TAG_BOOTLOADER	2
#define TAG_MODULE	3
#define TAG_MMAP	6
#define TAG_ELF		9

struct mb2b {
	uint8_t buf[8192];
	size_t len;
};

static void put32_at(struct mb2b *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->buf[off + i] = (uint8_t)(v >> (8 * i));
}

static void put32(struct mb2b *b, uint32_t v)
{
	put32_at(b, b->len, v);
	b->len += 4;
}

static void put64(struct mb2b *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void put_bytes(struct mb2b *b, const void *p, size_t n)
{
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

/* An empty list: the fixed part (total_size filled in by mb2b_finish). */
static void mb2b_init(struct mb2b *b)
{
	memset(b, 0, sizeof(*b));
	b->len = 8;
}

/* Start a tag; returns its offset for tag_close. */
static size_t tag_open(struct mb2b *b, uint32_t type)
{
	size_t off = b->len;

	put32(b, type);
	put32(b, 0);
	return off;
}

/* Set the tag's size to what was written and pad to 8 bytes. */
static void tag_close(struct mb2b *b, size_t off)
{
	put32_at(b, off + 4, (uint32_t)(b->len - off));
	b->len = (b->len + 7) & ~(size_t)7;
}

static size_t add_string_tag(struct mb2b *b, uint32_t type, const char *s)
{
	size_t off = tag_open(b, type);

	put_bytes(b, s, strlen(s) + 1);
	tag_close(b, off);
	return off;
}

static size_t add_module(struct mb2b *b, uint32_t start, uint32_t end, const char *name)
{
	size_t off = tag_open(b, TAG_MODULE);

	put32(b, start);
	put32(b, end);
	put_bytes(b, name, strlen(name) + 1);
	tag_close(b, off);
	return off;
}

struct mmap_in {
	uint64_t base, len;
	uint32_t type;
};

static size_t add_mmap(struct mb2b *b, uint32_t entry_size, const struct mmap_in *e, size_t n)
{
	size_t off = tag_open(b, TAG_MMAP);

	put32(b, entry_size);
	put32(b, 0);		/* entry_version */
	for (size_t i = 0; i < n; i++) {
		size_t entry = b->len;
		put64(b, e[i].base);
		put64(b, e[i].len);
		put32(b, e[i].type);
		put32(b, 0);
		b->len = entry + entry_size;	/* entries may be larger than 24 */
	}
	tag_close(b, off);
	return off;
}

/* GRUB's layout: u32 num, u32 entsize, u32 shndx, then the headers. */
static size_t add_elf(struct mb2b *b, uint32_t num, uint32_t entsize, uint32_t shndx,
		      size_t header_bytes)
{
	size_t off = tag_open(b, TAG_ELF);

	put32(b, num);
	put32(b, entsize);
	put32(b, shndx);
	for (size_t i = 0; i < header_bytes; i++)
		b->buf[b->len++] = (uint8_t)(i * 7 + 1);
	tag_close(b, off);
	return off;
}

static void add_end(struct mb2b *b)
{
	put32(b, TAG_END);
	put32(b, 8);
}

/* Set total_size to the length; return a malloc'd copy of exactly avail bytes. */
static uint8_t *mb2b_finish(struct mb2b *b, size_t avail)
{
	put32_at(b, 0, (uint32_t)b->len);
	uint8_t *info = malloc(avail ? avail : 1);
	if (info)
		memcpy(info, b->buf, avail < b->len ? avail : b->len);
	return info;
}

#endif
