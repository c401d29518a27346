/*
 * Checks and conversions of the shell's input, one small function per rule,
 * each saying what it refuses: the words of a line, an address, a crate name.
 * A command decodes all of its arguments with these before it acts.
 */
#include <console/console.h>
#include <crates/crates.h>
#include "shell_internal.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

enum err shell_split(char *line, int *argc, char **argv)
{
	int n = 0;

	for (char *p = line; *p;) {
		while (is_space(*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (n == SHELL_MAX_ARGS)
			return E_SHELL_USAGE;
		argv[n++] = p;
		while (*p && !is_space(*p))
			p++;
	}
	*argc = n;
	return E_OK;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum err shell_parse_addr(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, digits++) {
		int d = hex_digit(*s);
		if (d < 0) {
			kprintf("'%c' is not a hex digit\n", *s);
			return E_SHELL_USAGE;
		}
		if (v >> 60) {
			kprintf("address has more than 64 bits\n");
			return E_SHELL_USAGE;
		}
		v = v << 4 | (uint64_t)d;
	}
	if (!digits) {
		kprintf("address has no hex digits\n");
		return E_SHELL_USAGE;
	}
	*out = v;
	return E_OK;
}

enum err shell_find_crate(const char *name, struct ld_crate **out)
{
	if (ld_find_crate(crates_namespace(), name, out) != E_OK) {
		kprintf("no crate '%s' ('ns' lists them)\n", name);
		return E_LD_NOT_FOUND;
	}
	return E_OK;
}
