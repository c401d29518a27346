/*
 * Freestanding memory and string functions. gcc emits calls to memcpy and
 * memset for struct copies even with -ffreestanding, so these must exist.
 */
#include <lib/string.h>
#include <stdint.h>
#include <nanoswap/probe.h>

MODULE_PROBE(lib)

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)		/* overlapping, dst above src: copy backwards */
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

/* An 8-byte load of string bytes, at any alignment. */
typedef uint64_t __attribute__((may_alias, aligned(1))) ns_word_t;

/* A word at a time: aligned 8-byte reads never cross into another page. */
size_t strlen(const char *s)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	const char *p = s;
	const ns_word_t *w;
	uint64_t z;

	for (; (uintptr_t)p & 7; p++)
		if (!*p)
			return p - s;
	for (w = (const ns_word_t *)p; !((z = (*w - ones) & ~*w & highs)); w++)
		;
	return (const char *)w + __builtin_ctzll(z) / 8 - s;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

/* Eight bytes at a time while neither read can reach into the next page
 * (past a NUL, it might not be mapped); the first byte that differs or ends
 * the strings is found in its word by bit arithmetic. Across a page end, a
 * byte at a time. */
int strcmp(const char *a, const char *b)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;

	for (;;) {
		uint64_t ra = 4096 - ((uintptr_t)a & 4095), rb = 4096 - ((uintptr_t)b & 4095);

		for (uint64_t n = (ra < rb ? ra : rb) / 8; n; n--, a += 8, b += 8) {
			uint64_t x = *(const ns_word_t *)a, y = *(const ns_word_t *)b;
			uint64_t diff = x ^ y, nul = (x - ones) & ~x & highs;

			if (diff | nul) {
				/* nul's lowest bit is exact (its false bits lie above
				 * a real NUL), diff's all are: the lowest of both is the
				 * first byte that differs or ends the strings */
				unsigned at = (unsigned)__builtin_ctzll(diff | nul) & ~7u;

				return (int)(uint8_t)(x >> at) - (int)(uint8_t)(y >> at);
			}
		}
		for (unsigned k = 0; k < 8; k++, a++, b++)
			if (*a != *b || !*a)
				return (unsigned char)*a - (unsigned char)*b;
	}
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}
