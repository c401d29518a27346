/*
 * Reading the bench manifest that make bench ships as a boot module (see
 * bench_measure.h for its lines): which objects to measure, and what each
 * synthetic one holds. A line that does not parse is reported and skipped.
 */
#include "bench_measure.h"

#include <bootinfo/bootinfo.h>
#include <console/console.h>
#include <lib/string.h>
#include <memory/memory.h>

#define BENCH_LINE_MAX 160

uint64_t bench_parse_u64(const char *s)
{
	uint64_t v = 0;

	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

/* Split line (modified in place) into at most BENCH_MAX_WORDS words. */
static int bench_split(char *line, char **tok)
{
	int n = 0;

	while (*line) {
		while (*line == ' ')
			*line++ = '\0';
		if (!*line)
			break;
		if (n == BENCH_MAX_WORDS)
			return -1;
		tok[n++] = line;
		while (*line && *line != ' ')
			line++;
	}
	return n;
}

bool bench_manifest_each(const char *kind, bool (*fn)(char **tok, int ntok))
{
	const struct boot_module *m = bootinfo_find_module("bench_manifest");
	const char *p, *end;

	if (!m)
		return true;
	p = phys_to_virt(m->start);
	end = p + (m->end - m->start);
	while (p < end) {
		char line[BENCH_LINE_MAX], *tok[BENCH_MAX_WORDS];
		size_t n = 0;
		int ntok;

		while (p < end && *p != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = *p;
			p++;
		}
		p++;
		line[n] = '\0';
		ntok = bench_split(line, tok);
		if (ntok < 0) {
			kprintf("bench: manifest line with more than %d words skipped\n",
				BENCH_MAX_WORDS);
			continue;
		}
		if (ntok > 0 && strcmp(tok[0], kind) == 0 && !fn(tok, ntok))
			return false;
	}
	return true;
}
