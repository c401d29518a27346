/*
 * The kernel command line: space-separated `key` or `key=value` tokens.
 * Known keys: test[=PREFIX] (run the in-kernel tests, only those whose name
 * starts with PREFIX if given, then exit QEMU), bench (run the benchmarks,
 * then exit QEMU), swap=all|none|memory,heap,... (which constituent modules
 * swap_nano_core_crates re-loads; all by default), loglevel=err|warn|info|debug,
 * swap_fail=alloc|reserve|map|protect|alias:N (the boot swap's N-th call of
 * that loader service fails: the kernel must boot on as before), smp_skip=N
 * (1-9: the N-th other CPU is never sent STARTUP, so it does not answer: the
 * bring-up must leave it out and boot on).
 * Unknown keys get a warning and are otherwise ignored.
 */
#ifndef INIT_CMDLINE_H
#define INIT_CMDLINE_H

#include <stdbool.h>

#define CMDLINE_MAX	1024

struct cmdline {
	char buf[CMDLINE_MAX];		/* tokens, NUL-separated */
	bool test;			/* run the in-kernel tests */
	bool bench;			/* run the benchmarks (make bench) */
	const char *test_filter;	/* "" runs them all */
	const char *loglevel;		/* NULL unless given */
	const char *swap;		/* modules to re-load: "all" (default), "none", "a,b" */
	const char *swap_fail;		/* "KIND:N": the boot swap's N-th KIND call fails */
	unsigned smp_skip;		/* the other CPU never started (1-9), 0: none */
	unsigned unknown;		/* keys we warned about */
};

/*
 * Parse line into *out. warn (may be NULL) is called once per unknown key or
 * malformed token. Returns false if the line is longer than CMDLINE_MAX-1.
 */
bool cmdline_parse(const char *line, struct cmdline *out,
		   void (*warn)(const char *fmt, ...));

#endif
