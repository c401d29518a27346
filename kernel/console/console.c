/*
 * kprintf and log levels on top of the serial port and the VGA mirror
 * (panic is in panic.c). Formatting itself lives in format.c so the host
 * tests can check it.
 */
#include <console/console.h>
#include <console/format.h>
#include <lib/string.h>
#include "console_internal.h"
#include <nanoswap/probe.h>

MODULE_PROBE(console)

static enum log_level console_level = LOG_INFO;
static unsigned long errors;	/* console_errors */
static char *capture;		/* console_capture: [capture_len] of [capture_size] */
static unsigned long capture_size, capture_len;

static const char *const level_names[] = {
	[LOG_ERR] = "err", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static void console_sink(void *ctx, char c)
{
	(void)ctx;
	serial_putc(c);
	vga_putc(c);
	if (capture && capture_len + 1 < capture_size) {
		capture[capture_len++] = c;
		capture[capture_len] = '\0';
	}
}

void console_capture(char *buf, unsigned long size)
{
	capture = size ? buf : NULL;
	capture_size = size;
	capture_len = 0;
	if (capture)
		capture[0] = '\0';
}

void console_init(void)
{
	serial_init();
	vga_clear();
}

void kvprintf(const char *fmt, va_list ap)
{
	fmt_vformat(console_sink, NULL, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void klog(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	errors += level == LOG_ERR;
	if (level > console_level)
		return;
	if (level == LOG_ERR)
		kprintf("error: ");
	else if (level == LOG_WARN)
		kprintf("warning: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

char console_getc(void)
{
	char c;

	while (!serial_try_getc(&c))
		__asm__ volatile("pause");
	return c;
}

unsigned long console_errors(void)
{
	return errors;
}

enum log_level console_get_level(void)
{
	return console_level;
}

const char *console_level_name(enum log_level level)
{
	return (unsigned)level < sizeof(level_names) / sizeof(level_names[0]) ?
	       level_names[level] : "?";
}

void console_set_level(enum log_level level)
{
	console_level = level;
}

enum err console_parse_level(const char *name, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return E_OK;
		}
	}
	return E_LOG_UNKNOWN_LEVEL;
}
