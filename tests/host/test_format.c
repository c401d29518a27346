/*
 * Host tests for kernel/console/format.c, the printf subset behind kprintf.
 * Every case goes through fmt_snprintf (so gcc checks the format against the
 * arguments) and compares both the text and the returned length; formats gcc
 * would reject on purpose (unknown conversions, a trailing '%') go through
 * fmt_raw, which has no format attribute.
 */
#include <console/format.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "check.h"

/* fmt_vsnprintf without the format attribute, for deliberately odd formats. */
static size_t fmt_raw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	size_t n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* The output of one call must be want, and the return value its length. */
#define CHECK_FMT_WITH(fn, want, ...)                                          \
	do {                                                                   \
		char b_[512];                                                  \
		memset(b_, 'Z', sizeof(b_));                                   \
		size_t n_ = fn(b_, sizeof(b_), __VA_ARGS__);                   \
		CHECK_STR(b_, want);                                           \
		CHECK_EQ_U(n_, strlen(want));                                  \
	} while (0)
#define CHECK_FMT(want, ...)	CHECK_FMT_WITH(fmt_snprintf, want, __VA_ARGS__)
#define CHECK_FMT_RAW(want, ...) CHECK_FMT_WITH(fmt_raw, want, __VA_ARGS__)

static void test_plain_text_and_percent(void)
{
	CHECK_FMT("", "%s", "");
	CHECK_FMT("hello, world", "hello, world");
	CHECK_FMT("100%", "100%%");
	CHECK_FMT("%%", "%%%%");
	CHECK_FMT("a%b", "a%%%c", 'b');
	char buf[4] = "xyz";
	CHECK_EQ_U(fmt_snprintf(buf, sizeof(buf), "%s", ""), 0);
	CHECK_EQ_U(buf[0], '\0');
}

static void test_signed_decimal(void)
{
	CHECK_FMT("0", "%d", 0);
	CHECK_FMT("42", "%d", 42);
	CHECK_FMT("-42", "%i", -42);
	CHECK_FMT("2147483647", "%d", INT_MAX);
	CHECK_FMT("-2147483648", "%d", INT_MIN);
	CHECK_FMT("-1 0 1", "%d %i %d", -1, 0, 1);
	CHECK_FMT("+7 -7 +0", "%+d %+d %+d", 7, -7, 0);
	CHECK_FMT("  +12", "%+5ld", 12L);
}

static void test_unsigned_decimal(void)
{
	CHECK_FMT("0", "%u", 0u);
	CHECK_FMT("4294967295", "%u", UINT_MAX);
	/* An int -1 read as unsigned. */
	CHECK_FMT("4294967295", "%u", (unsigned)-1);
	CHECK_FMT("123456789", "%u", 123456789u);
}

static void test_hex(void)
{
	CHECK_FMT("0", "%x", 0u);
	CHECK_FMT("deadbeef", "%x", 0xdeadbeefu);
	CHECK_FMT("DEADBEEF", "%X", 0xdeadbeefu);
	CHECK_FMT("ffffffff", "%x", UINT_MAX);
	CHECK_FMT("a F", "%x %X", 10u, 15u);
	/* No 0x prefix without '#', and '#' is not supported. */
	CHECK_FMT("10", "%x", 16u);
}

static void test_length_hh_h(void)
{
	CHECK_FMT("-1", "%hhd", 255);
	CHECK_FMT("-128", "%hhd", 128);
	CHECK_FMT("127", "%hhi", 127);
	CHECK_FMT("1", "%hhu", 257);
	CHECK_FMT("ff", "%hhx", 0x1ff);
	CHECK_FMT("-1", "%hd", 65535);
	CHECK_FMT("-32768", "%hd", 32768);
	CHECK_FMT("65535", "%hu", 0x1ffff);
	CHECK_FMT("2345", "%hx", 0x12345);
	CHECK_FMT("ABCD", "%hX", 0xabcd);
}

static void test_length_l_ll(void)
{
	CHECK_FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK_FMT("9223372036854775807", "%lld", (long long)INT64_MAX);
	CHECK_FMT("-9223372036854775808", "%ld", LONG_MIN);
	CHECK_FMT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	CHECK_FMT("18446744073709551615", "%lu", ULONG_MAX);
	CHECK_FMT("ffffffffffffffff", "%llx", (unsigned long long)UINT64_MAX);
	CHECK_FMT("FFFF800000000000", "%lX", 0xffff800000000000ul);
	CHECK_FMT("-1", "%li", -1l);
	/* A 64-bit value is not cut to 32 bits. */
	CHECK_FMT("4294967296", "%llu", 1ull << 32);
	/* Arguments after a 64-bit one are still read correctly. */
	CHECK_FMT("1 ffffffffffffffff 2", "%d %llx %d", 1, ~0ull, 2);
}

static void test_length_z(void)
{
	CHECK_FMT("18446744073709551615", "%zu", SIZE_MAX);
	CHECK_FMT("ffffffffffffffff", "%zx", SIZE_MAX);
	CHECK_FMT("0", "%zu", (size_t)0);
	CHECK_FMT("-5", "%zd", (ssize_t)-5);
	CHECK_FMT("4096", "%zu", sizeof(char[4096]));
}

static void test_width_space_pad(void)
{
	CHECK_FMT("   42", "%5d", 42);
	CHECK_FMT("  -42", "%5d", -42);
	CHECK_FMT("   ff", "%5x", 0xffu);
	CHECK_FMT("12345", "%5d", 12345);
	/* A width smaller than the number does not cut it. */
	CHECK_FMT("123456", "%3d", 123456);
	CHECK_FMT("-123", "%2d", -123);
	CHECK_FMT("         a", "%10x", 0xau);
}

static void test_width_left_justify(void)
{
	CHECK_FMT("42   |", "%-5d|", 42);
	CHECK_FMT("-42  |", "%-5d|", -42);
	CHECK_FMT("ab   |", "%-5s|", "ab");
	CHECK_FMT("x  |", "%-3c|", 'x');
	/* '-' wins over '0', in either order. */
	CHECK_FMT_RAW("42   |", "%-05d|", 42);
	CHECK_FMT_RAW("42   |", "%0-5d|", 42);
}

static void test_width_zero_pad(void)
{
	CHECK_FMT("00042", "%05d", 42);
	/* The sign goes before the zeros. */
	CHECK_FMT("-0042", "%05d", -42);
	CHECK_FMT("000000ff", "%08x", 0xffu);
	CHECK_FMT("000000FF", "%08X", 0xffu);
	CHECK_FMT("0000000000000001", "%016llx", 1ull);
	CHECK_FMT("0", "%0d", 0);
	CHECK_FMT("123", "%02d", 123);
	CHECK_FMT("-9223372036854775808", "%020lld", (long long)INT64_MIN);
	CHECK_FMT("-09223372036854775808", "%021lld", (long long)INT64_MIN);
}

static void test_width_star(void)
{
	CHECK_FMT("     7", "%*d", 6, 7);
	/* A negative '*' width left-justifies. */
	CHECK_FMT("7     |", "%*d|", -6, 7);
	CHECK_FMT("  abc", "%*s", 5, "abc");
	CHECK_FMT("abc  |", "%-*s|", 5, "abc");
	CHECK_FMT("0007", "%0*d", 4, 7);
	CHECK_FMT("7", "%*d", 0, 7);
	/* The argument after the width is the value. */
	CHECK_FMT("[  1][2   ]", "[%*d][%*d]", 3, 1, -4, 2);
}

static void test_width_limit(void)
{
	char buf[400];

	/* Widths beyond 256 are clamped, so a typo cannot flood the console. */
	size_t n = fmt_snprintf(buf, sizeof(buf), "%300d", 5);
	CHECK_EQ_U(n, 256);
	CHECK_EQ_U(strlen(buf), 256);
	CHECK_EQ_U(buf[254], ' ');
	CHECK_EQ_U(buf[255], '5');
	n = fmt_snprintf(buf, sizeof(buf), "%*d", 1000, 5);
	CHECK_EQ_U(n, 256);
	n = fmt_snprintf(buf, sizeof(buf), "%256d", 5);
	CHECK_EQ_U(n, 256);
}

static void test_pointer(void)
{
	CHECK_FMT("0x0000000000001234", "%p", (void *)0x1234);
	CHECK_FMT("0x0000000000000000", "%p", (void *)0);
	CHECK_FMT("0xffff800000000000", "%p", (void *)0xffff800000000000ul);
	CHECK_FMT("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
	/* Always 0x and 16 digits: a width does not change it. */
	CHECK_FMT("0x00000000deadbeef", "%5p", (void *)0xdeadbeeful);
	CHECK_FMT("0x00000000deadbeef", "%30p", (void *)0xdeadbeeful);
	CHECK_FMT("[0x0000000000000001] 9", "[%p] %d", (void *)1, 9);
}

static void test_string(void)
{
	CHECK_FMT("abc", "%s", "abc");
	CHECK_FMT_RAW("(null)", "%s", (const char *)NULL);
	CHECK_FMT_RAW("  (null)", "%8s", (const char *)NULL);
	CHECK_FMT("  abc", "%5s", "abc");
	/* '0' does not zero-pad strings. */
	CHECK_FMT_RAW("  abc", "%05s", "abc");
	CHECK_FMT("abcdef", "%3s", "abcdef");
	CHECK_FMT("     ", "%5s", "");
	CHECK_FMT("a=1, b=two", "a=%d, b=%s", 1, "two");
}

static void test_precision_string(void)
{
	CHECK_FMT("abc", "%.3s", "abcdef");
	CHECK_FMT("abc", "%.3s", "abc");
	CHECK_FMT("ab", "%.3s", "ab");
	CHECK_FMT("", "%.0s", "abc");
	CHECK_FMT("", "%.s", "abc");	/* '.' alone is precision 0 */
	CHECK_FMT("ab", "%.*s", 2, "abcdef");
	CHECK_FMT("abcdef", "%.*s", -1, "abcdef");	/* negative: no precision */
	CHECK_FMT("   ab", "%5.2s", "abcdef");
	CHECK_FMT("ab   |", "%-5.2s|", "abcdef");
	CHECK_FMT("  abc", "%*.*s", 5, 3, "abcdef");
	/* the bytes past the precision are never read: no NUL needed */
	char unterminated[3] = { 'x', 'y', 'z' };
	CHECK_FMT("xyz", "%.3s", unterminated);
	CHECK_FMT("xy", "%.*s", 2, unterminated);
}

/* swap= parsing prints a name that is a slice of the list, not a string. */
static void test_regression_precision_slice(void)
{
	const char *list = "foo,,memory";
	CHECK_FMT("'foo' is not a constituent module",
		  "'%.*s' is not a constituent module", 3, list);
	CHECK_FMT("'' is not a constituent module",
		  "'%.*s' is not a constituent module", 0, list + 4);
}

/* Numbers follow C: at least precision digits, '0' flag then ignored. */
static void test_precision_number(void)
{
	static const struct { const char *fmt; int v; } cases[] = {
		{ "%.3d", 7 }, { "%.3d", -7 }, { "%.0d", 0 }, { "%.0d", 5 },
		{ "%5.3d", 42 }, { "%-6.3d|", 42 }, { "%05.3d", 42 }, { "%+.2d", 3 },
		{ "%.1d", 0 }, { "%.3x", 0xa }, { "%.3u", 12345 }, { "%.d", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[64];
		snprintf(want, sizeof(want), cases[i].fmt, cases[i].v);
		CHECK_FMT_RAW(want, cases[i].fmt, cases[i].v);
	}
	CHECK_FMT("0000000000000000ff", "%.18lx", 0xfful);
	CHECK_FMT_RAW("0x00000000deadbeef", "%.3p", (void *)0xdeadbeeful);	/* %p ignores it */
	/* a huge precision is capped, never a buffer overrun */
	char big[400];
	size_t n = fmt_raw(big, sizeof(big), "%.100000d", 1);
	CHECK_EQ_U(n, 256);
	CHECK_EQ_U(big[255], '1');
	CHECK_EQ_U(big[0], '0');
}

static void test_char(void)
{
	CHECK_FMT("A", "%c", 'A');
	CHECK_FMT("  A", "%3c", 'A');
	CHECK_FMT("xyz", "%c%c%c", 'x', 'y', 'z');
	CHECK_FMT("\xff", "%c", 0xff);
	/* %c of 0 emits a NUL: the count includes it. */
	char buf[8];
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ_U(fmt_snprintf(buf, sizeof(buf), "a%cb", 0), 3);
	CHECK(memcmp(buf, "a\0b\0", 4) == 0);
}

static void test_unknown_conversion(void)
{
	CHECK_FMT_RAW("%q", "%q");
	CHECK_FMT_RAW("a%qb", "a%qb");
	CHECK_FMT_RAW("%5q", "%5q");
	CHECK_FMT_RAW("%-08q", "%-08q");
	CHECK_FMT_RAW("%lq", "%lq");
	CHECK_FMT_RAW("%hhw", "%hhw");
	/* The unknown conversion consumes no argument. */
	CHECK_FMT_RAW("%y 7", "%y %d", 7);
	/* A '*' width is consumed, then the rest is printed as written. */
	CHECK_FMT_RAW("%*q 8", "%*q %d", 3, 8);
}

static void test_percent_at_end(void)
{
	CHECK_FMT_RAW("abc%", "abc%");
	CHECK_FMT_RAW("%", "%");
	CHECK_FMT_RAW("x%-5", "x%-5");
	CHECK_FMT_RAW("%l", "%l");
	CHECK_FMT_RAW("%hh", "%hh");
	CHECK_FMT_RAW("7%05", "%d%05", 7);
	/* Nothing is read past the terminating NUL: the bytes after it differ. */
	char fmt[8] = { 'a', '%', '\0', 'd', '%', 's', 0, 0 };
	CHECK_FMT_RAW("a%", fmt);
}

static void test_truncation(void)
{
	char buf[16];

	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ_U(fmt_snprintf(buf, 5, "hello world"), 11);
	CHECK(memcmp(buf, "hell\0", 5) == 0);
	CHECK_EQ_U(buf[5], 'Z');	/* nothing written past size */

	/* Exactly enough room, and one byte short of it. */
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ_U(fmt_snprintf(buf, 6, "%d", 12345), 5);
	CHECK_STR(buf, "12345");
	CHECK_EQ_U(buf[6], 'Z');
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ_U(fmt_snprintf(buf, 5, "%d", 12345), 5);
	CHECK_STR(buf, "1234");

	/* size 1: just the NUL. */
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ_U(fmt_snprintf(buf, 1, "%s-%d", "abc", -7), 6);
	CHECK_EQ_U(buf[0], '\0');
	CHECK_EQ_U(buf[1], 'Z');

	/* Truncation inside padding and inside a conversion. */
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ_U(fmt_snprintf(buf, 4, "%8d", 1), 8);
	CHECK_STR(buf, "   ");
	CHECK_EQ_U(fmt_snprintf(buf, 8, "%p", (void *)0x10), 18);
	CHECK_STR(buf, "0x00000");
}

static void test_size_zero(void)
{
	char buf[4] = { 'Z', 'Z', 'Z', 'Z' };

	CHECK_EQ_U(fmt_snprintf(buf, 0, "hello %d", 42), 8);
	CHECK(memcmp(buf, "ZZZZ", 4) == 0);
	/* With size 0 the buffer may be NULL: the length query idiom. */
	CHECK_EQ_U(fmt_snprintf(NULL, 0, "%s=%llu", "x", 12345ull), 7);
	CHECK_EQ_U(fmt_snprintf(NULL, 0, "%s", ""), 0);
}

/* Exact-size heap buffers: ASan catches any write past size. */
static void test_exact_heap_buffer(void)
{
	for (size_t size = 1; size <= 11; size++) {
		char *buf = malloc(size);
		REQUIRE(buf);
		size_t n = fmt_snprintf(buf, size, "%s:%05d", "abc", -12);
		CHECK_EQ_U(n, 9);
		CHECK_EQ_U(strlen(buf), size - 1 < 9 ? size - 1 : 9);
		CHECK(strncmp(buf, "abc:-0012", size - 1) == 0);
		free(buf);
	}
}

struct collect {
	char text[256];
	size_t calls;
};

static void collect_sink(void *ctx, char c)
{
	struct collect *col = ctx;

	if (col->calls < sizeof(col->text) - 1)
		col->text[col->calls] = c;
	col->calls++;
}

static size_t format_to(struct collect *col, const char *fmt, ...)
{
	va_list ap;

	memset(col, 0, sizeof(*col));
	va_start(ap, fmt);
	size_t n = fmt_vformat(collect_sink, col, fmt, ap);
	va_end(ap);
	return n;
}

/* fmt_vformat calls the sink once per character, never with the final NUL. */
static void test_vformat_sink(void)
{
	struct collect col;

	CHECK_EQ_U(format_to(&col, "a%db%sc", 12, "xy"), 7);
	CHECK_EQ_U(col.calls, 7);
	CHECK_STR(col.text, "a12bxyc");
	CHECK_EQ_U(format_to(&col, ""), 0);
	CHECK_EQ_U(col.calls, 0);
	CHECK_EQ_U(format_to(&col, "%-4s|%04x|%p", "k", 0xbeefu, (void *)0x8), 28);
	CHECK_EQ_U(col.calls, 28);
	CHECK_STR(col.text, "k   |beef|0x0000000000000008");
}

static void test_mixed_line(void)
{
	/* A realistic log line, all conversions in one call. */
	CHECK_FMT("mb2: tag   6 at 0x0000000000000040: size=160 [mmap    ] -1 ff%",
		  "mb2: tag %3u at %p: size=%zu [%-8s] %hhd %x%%", 6u, (void *)0x40,
		  (size_t)160, "mmap", 255, 255u);
}

/*
 * Regression tests for bugs found by these tests and since fixed.
 */

/* format.h: "%p prints 0x and 16 hex digits", even with the '-' flag. */
static void test_regression_pointer_left_flag(void)
{
	CHECK_FMT("0x0000000000001234", "%-p", (void *)0x1234);
}

/* "%*d" with INT_MIN: negating it overflowed (UBSan aborted); now it is a
 * left-justified field clamped to 256 characters. */
static void test_regression_star_width_int_min(void)
{
	char buf[400];
	CHECK_EQ_U(fmt_raw(buf, sizeof(buf), "%*d", INT_MIN, 7), 256);
	CHECK(buf[0] == '7' && buf[1] == ' ' && buf[255] == ' ');
}

/* Width digits wrapped around before the 256 clamp (4294967297 became 1). */
static void test_regression_width_digits_wrap(void)
{
	char buf[400];
	CHECK_EQ_U(fmt_raw(buf, sizeof(buf), "%4294967297d", 5), 256);
}

int main(void)
{
	CHECK_RUN(test_plain_text_and_percent);
	CHECK_RUN(test_signed_decimal);
	CHECK_RUN(test_unsigned_decimal);
	CHECK_RUN(test_hex);
	CHECK_RUN(test_length_hh_h);
	CHECK_RUN(test_length_l_ll);
	CHECK_RUN(test_length_z);
	CHECK_RUN(test_width_space_pad);
	CHECK_RUN(test_width_left_justify);
	CHECK_RUN(test_width_zero_pad);
	CHECK_RUN(test_width_star);
	CHECK_RUN(test_width_limit);
	CHECK_RUN(test_pointer);
	CHECK_RUN(test_string);
	CHECK_RUN(test_precision_string);
	CHECK_RUN(test_precision_number);
	CHECK_RUN(test_regression_precision_slice);
	CHECK_RUN(test_char);
	CHECK_RUN(test_unknown_conversion);
	CHECK_RUN(test_percent_at_end);
	CHECK_RUN(test_truncation);
	CHECK_RUN(test_size_zero);
	CHECK_RUN(test_exact_heap_buffer);
	CHECK_RUN(test_vformat_sink);
	CHECK_RUN(test_mixed_line);
	CHECK_RUN(test_regression_pointer_left_flag);
	CHECK_RUN(test_regression_width_digits_wrap);
	CHECK_RUN(test_regression_star_width_int_min);
	return check_summary();
}
