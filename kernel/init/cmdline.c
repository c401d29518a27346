/*
 * Kernel command-line parsing. Pure C (host-tested): the line is copied into
 * the struct, split in place, and each token matched against the known keys.
 */
#include <init/cmdline.h>
#include <lib/string.h>

#define WARN(...) do { if (warn) warn(__VA_ARGS__); } while (0)

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Handle one NUL-terminated token "key" or "key=value". */
static void apply_token(char *tok, struct cmdline *out, void (*warn)(const char *fmt, ...))
{
	char *eq = strchr(tok, '=');
	const char *value = NULL;

	if (eq) {
		*eq = '\0';
		value = eq + 1;
	}
	if (strcmp(tok, "test") == 0) {
		out->test = true;
		out->test_filter = value ? value : "";
	} else if (strcmp(tok, "bench") == 0 && !value) {
		out->bench = true;
	} else if (strcmp(tok, "swap") == 0 && value && *value) {
		out->swap = value;
	} else if (strcmp(tok, "loglevel") == 0 && value && *value) {
		out->loglevel = value;
	} else if (strcmp(tok, "swap_fail") == 0 && value && *value) {
		out->swap_fail = value;
	} else if (strcmp(tok, "smp_skip") == 0 && value && *value >= '1' && *value <= '9' &&
		   !value[1]) {
		out->smp_skip = (unsigned)(*value - '0');
	} else if (strcmp(tok, "loglevel") == 0 || strcmp(tok, "swap") == 0 ||
		   strcmp(tok, "swap_fail") == 0 || strcmp(tok, "smp_skip") == 0) {
		WARN("cmdline: '%s' needs a value\n", tok);
		out->unknown++;
	} else {
		WARN("cmdline: unknown option '%s' (ignored)\n", tok);
		out->unknown++;
	}
}

bool cmdline_parse(const char *line, struct cmdline *out, void (*warn)(const char *fmt, ...))
{
	size_t len = strnlen(line, CMDLINE_MAX);

	memset(out, 0, sizeof(*out));
	out->test_filter = "";
	out->swap = "all";
	if (len == CMDLINE_MAX) {
		WARN("cmdline: longer than CMDLINE_MAX-1 (%d) characters; ignored\n", CMDLINE_MAX - 1);
		return false;
	}
	memcpy(out->buf, line, len + 1);
	for (char *p = out->buf; *p;) {
		while (is_space(*p))
			*p++ = '\0';
		if (!*p)
			break;
		char *tok = p;
		while (*p && !is_space(*p))
			p++;
		if (*p)
			*p++ = '\0';
		apply_token(tok, out, warn);
	}
	return true;
}
