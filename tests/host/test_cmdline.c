/*
 * Host tests for kernel/init/cmdline.c: the known keys, warnings for unknown
 * or malformed tokens, whitespace handling and the CMDLINE_MAX limit. Lines
 * near the limit live in exact-size heap buffers so ASan sees any over-read.
 */
#include <init/cmdline.h>
#include <stdlib.h>

#include "check.h"
#include "log_capture.h"

static struct cmdline cl;

static bool parse(const char *line)
{
	log_capture_reset();
	memset(&cl, 0xa5, sizeof(cl));
	return cmdline_parse(line, &cl, log_capture);
}

/* p points into cl.buf (results are not pointers into the caller's line). */
static bool in_buf(const char *p)
{
	return p >= cl.buf && p < cl.buf + sizeof(cl.buf);
}

static void test_empty_line(void)
{
	CHECK(parse(""));
	CHECK(!cl.test);
	CHECK_STR(cl.test_filter, "");
	CHECK(cl.loglevel == NULL);
	CHECK_EQ_U(cl.unknown, 0);
	CHECK_EQ_U(logged.calls, 0);

	/* Only whitespace is the same as empty. */
	CHECK(parse(" \t \r\n  "));
	CHECK(!cl.test);
	CHECK(cl.loglevel == NULL);
	CHECK_EQ_U(cl.unknown, 0);
	CHECK_EQ_U(logged.calls, 0);
}

static void test_test_all(void)
{
	CHECK(parse("test"));
	CHECK(cl.test);
	CHECK_STR(cl.test_filter, "");
	CHECK(cl.loglevel == NULL);
	CHECK_EQ_U(cl.unknown, 0);
	CHECK_EQ_U(logged.calls, 0);

	/* "test=" is the same as "test". */
	CHECK(parse("test="));
	CHECK(cl.test);
	CHECK_STR(cl.test_filter, "");
	CHECK_EQ_U(logged.calls, 0);
}

static void test_test_filter(void)
{
	const char *line = "test=memory.";

	CHECK(parse(line));
	CHECK(cl.test);
	CHECK_STR(cl.test_filter, "memory.");
	CHECK(in_buf(cl.test_filter));
	CHECK_STR(line, "test=memory.");	/* the input is not modified */
	CHECK_EQ_U(cl.unknown, 0);
	CHECK_EQ_U(logged.calls, 0);

	/* Only the first '=' splits: the rest belongs to the value. */
	CHECK(parse("test=a=b"));
	CHECK_STR(cl.test_filter, "a=b");
}

static void test_loglevel(void)
{
	CHECK(parse("loglevel=debug"));
	CHECK_STR(cl.loglevel, "debug");
	CHECK(in_buf(cl.loglevel));
	CHECK(!cl.test);
	CHECK_EQ_U(cl.unknown, 0);
	CHECK_EQ_U(logged.calls, 0);

	/* Together with test, in either order. */
	CHECK(parse("loglevel=warn test=heap"));
	CHECK_STR(cl.loglevel, "warn");
	CHECK(cl.test);
	CHECK_STR(cl.test_filter, "heap");
	CHECK(parse("test loglevel=err"));
	CHECK_STR(cl.loglevel, "err");
	CHECK(cl.test);
	CHECK_STR(cl.test_filter, "");

	/* The later of two wins. */
	CHECK(parse("loglevel=info loglevel=debug"));
	CHECK_STR(cl.loglevel, "debug");
	CHECK_EQ_U(logged.calls, 0);
}

static void test_loglevel_without_value(void)
{
	CHECK(parse("loglevel"));
	CHECK(cl.loglevel == NULL);
	CHECK_EQ_U(cl.unknown, 1);
	CHECK_EQ_U(logged.calls, 1);
	CHECK_CONTAINS(logged.text, "loglevel");

	CHECK(parse("loglevel= test"));
	CHECK(cl.loglevel == NULL);
	CHECK(cl.test);
	CHECK_EQ_U(cl.unknown, 1);
	CHECK_EQ_U(logged.calls, 1);
	CHECK_CONTAINS(logged.text, "needs a value");
}

static void test_unknown_keys(void)
{
	CHECK(parse("quiet test foo=bar loglevel=info"));
	CHECK(cl.test);
	CHECK_STR(cl.loglevel, "info");
	CHECK_EQ_U(cl.unknown, 2);
	CHECK_EQ_U(logged.calls, 2);
	/* The warning names the key, without its value. */
	CHECK_CONTAINS(logged.text, "'foo'");
	CHECK(!strstr(logged.text, "bar"));

	/* Keys are matched whole and case-sensitively. */
	CHECK(parse("tests Test testx=1 loglevelx=2"));
	CHECK(!cl.test);
	CHECK(cl.loglevel == NULL);
	CHECK_EQ_U(cl.unknown, 4);
	CHECK_EQ_U(logged.calls, 4);

	/* "=x" is a token with an empty key. */
	CHECK(parse("=x"));
	CHECK_EQ_U(cl.unknown, 1);
	CHECK_EQ_U(logged.calls, 1);
}

/* With a NULL warn, unknown keys are still counted. */
static void test_null_warn(void)
{
	memset(&cl, 0xa5, sizeof(cl));
	CHECK(cmdline_parse("bogus loglevel test=x", &cl, NULL));
	CHECK_EQ_U(cl.unknown, 2);
	CHECK(cl.test);
	CHECK_STR(cl.test_filter, "x");
}

static void test_whitespace(void)
{
	CHECK(parse("  test=memory.\t\t loglevel=warn   \n"));
	CHECK(cl.test);
	CHECK_STR(cl.test_filter, "memory.");
	CHECK_STR(cl.loglevel, "warn");
	CHECK_EQ_U(cl.unknown, 0);
	CHECK_EQ_U(logged.calls, 0);

	/* Tabs, CR and LF all separate tokens; values end at them. */
	CHECK(parse("\ttest=a\rloglevel=info\nfoo"));
	CHECK_STR(cl.test_filter, "a");
	CHECK_STR(cl.loglevel, "info");
	CHECK_EQ_U(cl.unknown, 1);
	CHECK_CONTAINS(logged.text, "'foo'");
}

/* Fill a malloc of exactly len+1 bytes with "test=" and 'x's. */
static char *long_line(size_t len)
{
	char *line = malloc(len + 1);

	if (!line)
		return NULL;
	memset(line, 'x', len);
	memcpy(line, "test=", 5);
	line[len] = '\0';
	return line;
}

static void test_longest_line(void)
{
	char *line = long_line(CMDLINE_MAX - 1);

	REQUIRE(line);
	CHECK(parse(line));
	CHECK(cl.test);
	CHECK_EQ_U(strlen(cl.test_filter), CMDLINE_MAX - 1 - 5);
	CHECK_EQ_U(logged.calls, 0);
	free(line);
}

static void test_too_long_line(void)
{
	char *line = long_line(CMDLINE_MAX);

	REQUIRE(line);
	CHECK(!parse(line));
	/* Nothing was taken from it: the output is the empty line's. */
	CHECK(!cl.test);
	CHECK_STR(cl.test_filter, "");
	CHECK(cl.loglevel == NULL);
	CHECK_EQ_U(cl.unknown, 0);
	CHECK_EQ_U(logged.calls, 1);
	CHECK_CONTAINS(logged.text, "CMDLINE_MAX");
	free(line);

	line = long_line(5000);
	REQUIRE(line);
	CHECK(!parse(line));
	free(line);

	/* A buffer of CMDLINE_MAX bytes without any NUL: read no further. */
	line = malloc(CMDLINE_MAX);
	REQUIRE(line);
	memset(line, 'y', CMDLINE_MAX);
	CHECK(!parse(line));
	CHECK_EQ_U(logged.calls, 1);
	free(line);
}

/* swap= names the modules to re-load (all by default); bench is a flag. */
static void test_swap_and_bench(void)
{
	CHECK(parse(""));
	CHECK_STR(cl.swap, "all");
	CHECK(!cl.bench);

	CHECK(parse("swap=memory,heap bench"));
	CHECK_STR(cl.swap, "memory,heap");
	CHECK(in_buf(cl.swap));
	CHECK(cl.bench);
	CHECK_EQ_U(logged.calls, 0);

	CHECK(parse("swap=none"));
	CHECK_STR(cl.swap, "none");

	CHECK(parse("swap"));		/* no value: warned, default kept */
	CHECK_STR(cl.swap, "all");
	CHECK_EQ_U(logged.calls, 1);
	CHECK_CONTAINS(logged.text, "'swap' needs a value");

	CHECK(parse("bench=1"));	/* bench takes no value */
	CHECK(!cl.bench);
	CHECK_EQ_U(logged.calls, 1);
}

static void test_smp_skip(void)
{
	CHECK(parse("smp_skip=2"));
	CHECK_EQ_U(cl.smp_skip, 2);
	CHECK_EQ_U(logged.calls, 0);

	CHECK(parse("smp_skip=0"));	/* 1-9 only: warned, none skipped */
	CHECK_EQ_U(cl.smp_skip, 0);
	CHECK_EQ_U(logged.calls, 1);
	CHECK_CONTAINS(logged.text, "'smp_skip' needs a value");

	CHECK(parse("smp_skip=12"));
	CHECK_EQ_U(cl.smp_skip, 0);
	CHECK_EQ_U(logged.calls, 1);
}

int main(void)
{
	CHECK_RUN(test_empty_line);
	CHECK_RUN(test_test_all);
	CHECK_RUN(test_test_filter);
	CHECK_RUN(test_loglevel);
	CHECK_RUN(test_loglevel_without_value);
	CHECK_RUN(test_unknown_keys);
	CHECK_RUN(test_null_warn);
	CHECK_RUN(test_whitespace);
	CHECK_RUN(test_longest_line);
	CHECK_RUN(test_too_long_line);
	CHECK_RUN(test_swap_and_bench);
	CHECK_RUN(test_smp_skip);
	return check_summary();
}
