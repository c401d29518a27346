/*
 * printf-style formatting into a caller-supplied sink. Pure C, no kernel
 * state: kprintf uses it for the console and the host tests use it directly.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%, length modifiers hh h l ll z,
 * flags '-', '0' and '+', a field width (digits or '*') and a precision ('.'
 * then digits or '*'): at most that many characters of a %s (which then need
 * not be NUL-terminated), at least that many digits of a number (C's rules;
 * capped at 256). %p prints 0x and 16 hex digits; %s of NULL prints "(null)".
 * An unknown conversion is printed as is.
 */
#ifndef CONSOLE_FORMAT_H
#define CONSOLE_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*fmt_sink_fn)(void *ctx, char c);

/* Format into sink; returns the number of characters produced. */
size_t fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap);

/*
 * snprintf: writes at most size-1 characters and a NUL (when size > 0);
 * returns the length the whole output would have had.
 */
size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
