/*
 * The one formatter behind the kernel log, panic messages and test output.
 * Bounded: a conversion never writes more than its width plus 64 characters
 * of digits, and the buffer variant never writes past its size.
 */
#include <stdbool.h>
#include <stdint.h>

#include <osprey/format.h>

struct spec {
	bool left;
	bool zero;
	int width;
	int prec; /* -1: none */
};

struct out {
	format_sink_fn *sink;
	void *ctx;
	int n;
};

static void put(struct out *o, char c)
{
	o->sink(o->ctx, c);
	o->n++;
}

/*
 * Every conversion ends here, in one loop with one call of the sink:
 * spaces, then the prefix (a sign or "0x"), zeros, the body and spaces,
 * where the width asks for spaces before (or after, for '-') or zeros
 * between prefix and body.  Under TCG each block of code run for the first
 * time costs microseconds and every boot prints, so numbers and strings
 * share it (and it is not inlined twice).
 */
static __attribute__((noinline)) void emit(struct out *o, const struct spec *s, const char *prefix,
					   int plen, const char *body, int len)
{
	int fill = s->width - plen - len;

	if (fill < 0)
		fill = 0;
	int before = !s->left && !s->zero ? fill : 0;
	int zeros = !s->left && s->zero ? fill : 0;
	int total = fill + plen + len;

	for (int i = 0; i < total; i++) {
		int j = i - before;
		char c = ' ';

		if (j >= 0 && j < plen)
			c = prefix[j];
		else if ((j -= plen) >= 0 && j < zeros)
			c = '0';
		else if ((j -= zeros) >= 0 && j < len)
			c = body[j];
		put(o, c);
	}
}

static void emit_str(struct out *o, struct spec *s, const char *str)
{
	int len = 0;

	if (!str)
		str = "(null)";
	while (str[len] && (s->prec < 0 || len < s->prec))
		len++;
	s->zero = false; /* strings are padded with spaces */
	emit(o, s, "", 0, str, len);
}

static void emit_num(struct out *o, const struct spec *s, uint64_t v, unsigned base, bool upper,
		     const char *prefix, int plen)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[64];
	int len = 0;

	do {
		buf[sizeof(buf) - 1 - len++] = digits[v % base];
		v /= base;
	} while (v);
	emit(o, s, prefix, plen, buf + sizeof(buf) - len, len);
}

static int parse_int(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9') {
		if (v < 100000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

int format_v(format_sink_fn *sink, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { sink, ctx, 0 };
	const char *p = fmt;

	while (*p) {
		if (*p != '%') {
			put(&o, *p++);
			continue;
		}
		p++;
		struct spec s = { false, false, 0, -1 };

		for (;; p++) {
			if (*p == '-')
				s.left = true;
			else if (*p == '0')
				s.zero = true;
			else
				break;
		}
		if (*p == '*') {
			s.width = va_arg(ap, int);
			if (s.width < 0) {
				s.left = true;
				s.width = -s.width;
			}
			p++;
		} else {
			s.width = parse_int(&p);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				s.prec = va_arg(ap, int);
				p++;
			} else {
				s.prec = parse_int(&p);
			}
		}
		int lng = 0; /* 0 int, 1 long, 2 long long, -1 short, -2 char */

		for (;; p++) {
			if (*p == 'l')
				lng = lng == 1 ? 2 : 1;
			else if (*p == 'h')
				lng = lng == -1 ? -2 : -1;
			else if (*p == 'z' || *p == 't')
				lng = 1;
			else
				break;
		}
		char conv = *p;

		if (conv)
			p++;
		switch (conv) {
		case 'd':
		case 'i': {
			int64_t v;

			if (lng == 2)
				v = va_arg(ap, long long);
			else if (lng == 1)
				v = va_arg(ap, long);
			else
				v = va_arg(ap, int);
			if (lng == -1)
				v = (short)v;
			else if (lng == -2)
				v = (signed char)v;
			emit_num(&o, &s, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, false, "-", v < 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uint64_t v;

			if (lng == 2)
				v = va_arg(ap, unsigned long long);
			else if (lng == 1)
				v = va_arg(ap, unsigned long);
			else
				v = va_arg(ap, unsigned int);
			if (lng == -1)
				v = (unsigned short)v;
			else if (lng == -2)
				v = (unsigned char)v;
			unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;

			emit_num(&o, &s, v, base, conv == 'X', "", 0);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(ap, void *);

			emit_num(&o, &s, v, 16, false, "0x", 2);
			break;
		}
		case 'c': {
			char c[2] = { (char)va_arg(ap, int), 0 };

			s.prec = 1;
			if (!c[0])
				put(&o, 0);
			else
				emit_str(&o, &s, c);
			break;
		}
		case 's':
			emit_str(&o, &s, va_arg(ap, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		case 0:
			break;
		default:
			/* Unknown conversion: show it rather than guess at va_arg. */
			put(&o, '%');
			put(&o, conv);
			break;
		}
	}
	return o.n;
}

struct bufctx {
	char *buf;
	size_t size;
	size_t pos;
};

static void buf_sink(void *ctx, char c)
{
	struct bufctx *b = ctx;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

int format_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bufctx b = { buf, size, 0 };
	int n = format_v(buf_sink, &b, fmt, ap);

	if (size)
		buf[b.pos < size ? b.pos : size - 1] = 0;
	return n;
}

int format_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = format_vsnprintf(buf, size, fmt, ap);

	va_end(ap);
	return n;
}
