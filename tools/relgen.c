/*
 * relgen: write the assembly (gas syntax, for `gcc -c`) of a synthetic object
 * for the loader benchmarks and the host complexity test. Two shapes:
 *
 *   relgen relocs N T    N relocations from one text and one data section
 *                        into T target sections (.text.t0 ... .text.tT-1, one
 *                        global function relgen_tK each, so that gas keeps
 *                        the call's PLT32), the types in turn: a call
 *                        (R_X86_64_PLT32), a RIP-relative lea (PC32), a
 *                        sign-extended immediate (32S) and a pointer in .data
 *                        (64), as -mcmodel=kernel code has them;
 *   relgen symbols N     N global definitions sym0 ... symN-1 (one byte each
 *                        in .rodata.syms), for timing namespace lookups.
 *
 * The source sections hold every relocation, so an edge list per source
 * section grows with T: the case that makes a loader quadratic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relocation k's kind: 0 call, 1 lea, 2 movq $imm, 3 .quad (in data). */
#define RELGEN_KINDS 4

static int relgen_write_relocs(unsigned long n, unsigned long t)
{
	unsigned long k;

	for (k = 0; k < t; k++)
		printf("\t.section .text.t%lu,\"ax\",@progbits\n\t.globl relgen_t%lu\n"
		       "relgen_t%lu:\n\tret\n", k, k, k);
	printf("\t.section .text.src,\"ax\",@progbits\n\t.globl relgen_src\nrelgen_src:\n");
	for (k = 0; k < n; k++) {
		switch (k % RELGEN_KINDS) {
		case 0: printf("\tcall relgen_t%lu\n", k % t); break;		/* PLT32 */
		case 1: printf("\tleaq relgen_t%lu(%%rip), %%rax\n", k % t); break;	/* PC32 */
		case 2: printf("\tmovq $relgen_t%lu, %%rax\n", k % t); break;	/* 32S */
		default: break;
		}
	}
	printf("\tret\n\t.section .data.src,\"aw\",@progbits\n\t.balign 8\n");
	for (k = RELGEN_KINDS - 1; k < n; k += RELGEN_KINDS)
		printf("\t.quad relgen_t%lu\n", k % t);				/* 64 */
	return 0;
}

static int relgen_write_symbols(unsigned long n)
{
	unsigned long k;

	printf("\t.section .rodata.syms,\"a\",@progbits\n");
	for (k = 0; k < n; k++)
		printf("\t.globl sym%lu\nsym%lu:\n\t.byte %lu\n", k, k, k & 0xff);
	return 0;
}

/* A count in [1, 10^7]: larger would only make a file the loader refuses. */
static int relgen_parse_count(const char *s, unsigned long *out)
{
	char *end;

	*out = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *out < 1 || *out > 10000000ul) {
		fprintf(stderr, "relgen: '%s' is not a count in 1..10000000\n", s);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n, t;

	if (argc == 4 && strcmp(argv[1], "relocs") == 0) {
		if (relgen_parse_count(argv[2], &n) || relgen_parse_count(argv[3], &t))
			return 2;
		return relgen_write_relocs(n, t);
	}
	if (argc == 3 && strcmp(argv[1], "symbols") == 0) {
		if (relgen_parse_count(argv[2], &n))
			return 2;
		return relgen_write_symbols(n);
	}
	fprintf(stderr, "usage: relgen relocs N TARGETS | relgen symbols N\n");
	return 2;
}
