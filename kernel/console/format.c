/*
 * The formatting engine behind kprintf: a small printf that writes one
 * character at a time into a sink, so it needs no buffer and cannot overflow
 * one. Kept free of kernel state so the host tests can check it exactly.
 */
#include <console/format.h>
#include <stdbool.h>
#include <stdint.h>

#define FMT_MAX_WIDTH	256
#define FMT_MAX_PRECISION	256	/* of a number: more digits than that are a typo */

struct fmt_spec {
	bool left;		/* '-': pad on the right */
	bool zero;		/* '0': pad numbers with zeros */
	bool plus;		/* '+': signed conversions always show a sign */
	unsigned width;
	int precision;		/* '.N' or '.*': max chars of %s, min digits of a number; -1 none */
	int length;		/* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t */
};

struct fmt_out {
	fmt_sink_fn sink;
	void *ctx;
	size_t count;
};

static void out_char(struct fmt_out *o, char c)
{
	o->sink(o->ctx, c);
	o->count++;
}

static void out_padded(struct fmt_out *o, const struct fmt_spec *spec,
		       const char *prefix, const char *body, size_t body_len)
{
	size_t prefix_len = 0;

	while (prefix[prefix_len])
		prefix_len++;
	size_t len = prefix_len + body_len;
	size_t pad = spec->width > len ? spec->width - len : 0;

	if (!spec->left && !spec->zero)
		for (; pad; pad--)
			out_char(o, ' ');
	for (size_t i = 0; i < prefix_len; i++)
		out_char(o, prefix[i]);
	if (!spec->left && spec->zero)
		for (; pad; pad--)
			out_char(o, '0');
	for (size_t i = 0; i < body_len; i++)
		out_char(o, body[i]);
	for (; pad; pad--)
		out_char(o, ' ');
}

static void out_number(struct fmt_out *o, const struct fmt_spec *spec,
		       uint64_t value, bool negative, unsigned base, bool upper,
		       const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[FMT_MAX_PRECISION + 24];
	size_t n = sizeof(buf);
	struct fmt_spec s = *spec;

	if (s.precision >= 0)	/* C: a precision turns zero padding off */
		s.zero = false;
	if (s.precision > FMT_MAX_PRECISION)
		s.precision = FMT_MAX_PRECISION;
	while (value) {
		buf[--n] = digits[value % base];
		value /= base;
	}
	if (n == sizeof(buf) && s.precision != 0)	/* 0 prints "0" unless "%.0d" */
		buf[--n] = '0';
	while (s.precision > 0 && sizeof(buf) - n < (size_t)s.precision)
		buf[--n] = '0';
	out_padded(o, &s, negative ? "-" : prefix, buf + n, sizeof(buf) - n);
}

static int64_t arg_signed(va_list *ap, int length)
{
	switch (length) {
	case -2: return (signed char)va_arg(*ap, int);
	case -1: return (short)va_arg(*ap, int);
	case 0: return va_arg(*ap, int);
	case 1: return va_arg(*ap, long);
	case 2: return va_arg(*ap, long long);
	default: return (int64_t)va_arg(*ap, size_t);
	}
}

static uint64_t arg_unsigned(va_list *ap, int length)
{
	switch (length) {
	case -2: return (unsigned char)va_arg(*ap, unsigned);
	case -1: return (unsigned short)va_arg(*ap, unsigned);
	case 0: return va_arg(*ap, unsigned);
	case 1: return va_arg(*ap, unsigned long);
	case 2: return va_arg(*ap, unsigned long long);
	default: return va_arg(*ap, size_t);
	}
}

/*
 * Parse the digits or '*' after a '.': spec->precision becomes 0..INT_MAX
 * (a negative '*' argument means none, as in C). Returns what follows.
 */
static const char *parse_precision(const char *p, struct fmt_spec *spec, va_list *ap)
{
	if (*p == '*') {
		int v = va_arg(*ap, int);
		spec->precision = v < 0 ? -1 : v;
		return p + 1;
	}
	spec->precision = 0;
	for (; *p >= '0' && *p <= '9'; p++)	/* saturate instead of wrapping */
		if (spec->precision <= 0x7FFFFFF)
			spec->precision = spec->precision * 10 + (*p - '0');
	return p;
}

/* Parse flags, width, precision and length; returns the conversion character's position. */
static const char *parse_spec(const char *p, struct fmt_spec *spec, va_list *ap)
{
	*spec = (struct fmt_spec){ 0 };
	for (;; p++) {
		if (*p == '-')
			spec->left = true;
		else if (*p == '0')
			spec->zero = true;
		else if (*p == '+')
			spec->plus = true;
		else
			break;
	}
	if (*p == '*') {
		int w = va_arg(*ap, int);
		spec->left |= w < 0;
		spec->width = w < 0 ? 0u - (unsigned)w : (unsigned)w;
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++)	/* stop growing past the clamp: no wrap */
		if (spec->width <= FMT_MAX_WIDTH)
			spec->width = spec->width * 10 + (unsigned)(*p - '0');
	if (spec->width > FMT_MAX_WIDTH)	/* keep a typo from flooding the console */
		spec->width = FMT_MAX_WIDTH;
	spec->precision = -1;
	if (*p == '.')
		p = parse_precision(p + 1, spec, ap);
	if (*p == 'h') {
		spec->length = p[1] == 'h' ? -2 : -1;
		p += p[1] == 'h' ? 2 : 1;
	} else if (*p == 'l') {
		spec->length = p[1] == 'l' ? 2 : 1;
		p += p[1] == 'l' ? 2 : 1;
	} else if (*p == 'z') {
		spec->length = 3;
		p++;
	}
	return p;
}

size_t fmt_vformat(fmt_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
	struct fmt_out o = { sink, ctx, 0 };
	struct fmt_spec spec;
	va_list args;

	va_copy(args, ap);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		const char *start = p;
		p = parse_spec(p + 1, &spec, &args);
		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = arg_signed(&args, spec.length);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			out_number(&o, &spec, mag, v < 0, 10, false, spec.plus ? "+" : "");
			break;
		}
		case 'u':
			out_number(&o, &spec, arg_unsigned(&args, spec.length), false, 10, false, "");
			break;
		case 'x':
		case 'X':
			out_number(&o, &spec, arg_unsigned(&args, spec.length), false, 16,
				   *p == 'X', "");
			break;
		case 'p':
			spec.left = false;
			spec.zero = true;
			spec.width = 18;
			spec.precision = -1;
			out_number(&o, &spec, (uintptr_t)va_arg(args, void *), false, 16, false, "0x");
			break;
		case 'c': {
			char c = (char)va_arg(args, int);
			out_padded(&o, &spec, "", &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);
			size_t len = 0;
			if (!s)
				s = "(null)";
			while ((spec.precision < 0 || len < (size_t)spec.precision) && s[len])
				len++;	/* never reads past the precision: s need not be NUL-terminated */
			spec.zero = false;
			out_padded(&o, &spec, "", s, len);
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		default:	/* unknown or truncated: print the spec as written */
			for (const char *q = start; q <= p && *q; q++)
				out_char(&o, *q);
			if (!*p)
				p--;
			break;
		}
	}
	va_end(args);
	return o.count;
}

struct fmt_buf {
	char *buf;
	size_t size;
	size_t pos;
};

static void buf_sink(void *ctx, char c)
{
	struct fmt_buf *b = ctx;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_buf b = { buf, size, 0 };
	size_t n = fmt_vformat(buf_sink, &b, fmt, ap);

	if (size)
		buf[b.pos < size ? b.pos : size - 1] = '\0';
	return n;
}

size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	size_t n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
