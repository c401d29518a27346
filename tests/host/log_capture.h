/*
 * The captured log of a host unit test. The code under test logs through a
 * callback (mb2_parse, cmdline_parse) or through klog (nano_core_swap/desc.c);
 * the test sends it here, then checks how many messages came and what the
 * last one said: a refusal is logged exactly once and names what it refused.
 * (The loader's host tests keep their log in the shim, loader/host/shim.h.)
 */
#ifndef TESTS_HOST_LOG_CAPTURE_H
#define TESTS_HOST_LOG_CAPTURE_H

#include <stdarg.h>
#include <stdio.h>

static struct log_capture {
	unsigned calls;		/* messages since log_capture_reset() */
	char text[512];		/* the last of them */
} logged;

/* Forget what was logged before (call before the code under test runs). */
static inline void log_capture_reset(void)
{
	logged.calls = 0;
	logged.text[0] = '\0';
}

/* Count one message and keep its text. */
static inline void log_capture_v(const char *fmt, va_list ap)
{
	vsnprintf(logged.text, sizeof(logged.text), fmt, ap);
	logged.calls++;
}

/* The same, as a log callback for the code under test. */
static inline void __attribute__((format(printf, 1, 2))) log_capture(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_capture_v(fmt, ap);
	va_end(ap);
}

#endif
