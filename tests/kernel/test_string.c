/*
 * strlen and strcmp read eight bytes at a time: they must give the byte-wise
 * answers at every alignment and length, and never read past a string that
 * ends right before an unmapped page.
 */
#include <ktest/ktest.h>
#include <lib/string.h>
#include <memory/memory.h>

/* The byte-wise reference. */
static int ref_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

KTEST(string, any_alignment_and_length)
{
	static char x[64], y[80];

	for (unsigned ax = 0; ax < 8; ax++)
		for (unsigned ay = 0; ay < 8; ay++)
			for (unsigned len = 0; len < 40; len++) {
				char *a = x + ax, *b = y + ay;

				for (unsigned i = 0; i < len; i++)
					a[i] = b[i] = (char)('a' + (i * 7 + len) % 26);
				a[len] = b[len] = '\0';
				KT_ASSERT_EQ(strlen(a), len);
				KT_ASSERT(strcmp(a, b) == 0, "equal strings of %u at %u/%u differ",
					  len, ax, ay);
				for (unsigned k = 0; k <= len; k++) { /* differ at k, both ways */
					char keep = b[k];

					b[k] = (char)(k == len ? 'z' : (char)0xe0);
					KT_ASSERT(sign(strcmp(a, b)) == sign(ref_strcmp(a, b)) &&
						  sign(strcmp(b, a)) == sign(ref_strcmp(b, a)),
						  "strings of %u at %u/%u differing at %u", len, ax, ay, k);
					b[k] = keep;
				}
			}
}

KTEST(string, stops_before_an_unmapped_page)
{
	uint64_t va, pa;
	static char copy[32];

	/* two pages reserved, the first mapped: the second faults if read */
	KT_ASSERT(vrange_alloc(2, &va) == E_OK, "vrange_alloc(2) failed");
	KT_ASSERT(frame_alloc(&pa) == E_OK, "frame_alloc failed");
	KT_ASSERT(vm_map(va, pa, VM_WRITE) == E_OK, "vm_map failed");
	for (unsigned len = 0; len < 24; len++) {
		char *s = (char *)(va + PAGE_SIZE - len - 1);

		for (unsigned i = 0; i < len; i++)
			s[i] = copy[i] = (char)('A' + i);
		s[len] = copy[len] = '\0';
		KT_ASSERT_EQ(strlen(s), len);
		KT_ASSERT(strcmp(s, copy) == 0 && strcmp(copy, s) == 0,
			  "a string of %u at the page end differs from its copy", len);
		KT_ASSERT(strcmp(s, s) == 0, "a string of %u is not itself", len);
	}
	KT_ASSERT(vm_unmap(va, NULL) == E_OK, "vm_unmap failed");
	frame_free(pa);
	vrange_free(va, 2);
}
