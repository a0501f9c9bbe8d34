/*
 * Reading a trace file.  The input is untrusted (a guest wrote it, and a
 * crash or a full disk may cut it short): every length is checked against
 * what is left before it is used, every count is bounded before anything
 * is allocated from it, and every problem is one line naming what is wrong
 * and at which byte.  A record's tracepoint id is checked against the
 * table, so the formatter never indexes past it; the formatter itself
 * bounds widths and precisions and never reads an argument that is not
 * there.  The file is little-endian, as is every host this runs on
 * (x86-64), so fields are read with memcpy.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tracefile.h"

#define MAX_CPUS 4096
#define MAX_STRINGS 65536
#define MAX_WIDTH 64
#define MAX_FILE (1ull << 32) /* 4 GiB: far more than any ring set */

struct cursor {
	const uint8_t *buf;
	size_t len, off;
	char *err;
	size_t errlen;
};

static int bad(struct cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct cursor *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "at byte %zu: ", c->off);
	if (n < 0 || (size_t)n >= c->errlen)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Takes n bytes into out (may be NULL); -EINVAL naming what when they are not there. */
static int take(struct cursor *c, void *out, size_t n, const char *what)
{
	if (c->len - c->off < n)
		return bad(c, "truncated trace file: %s needs %zu bytes, %zu left", what, n,
			   c->len - c->off);
	if (out)
		memcpy(out, c->buf + c->off, n);
	c->off += n;
	return 0;
}

static int parse_points(struct cursor *c, struct tracefile *tf)
{
	for (uint32_t i = 0; i < tf->nr_points; i++) {
		struct trace_file_point fp;
		struct tf_point *p = &tf->points[i];
		int ret = take(c, &fp, sizeof(fp), "a tracepoint entry");

		if (ret)
			return ret;
		if (fp.name_len < 1 || fp.name_len > TRACE_NAME_MAX)
			return bad(c, "tracepoint %u: name length %u (expected 1..%d)", i,
				   fp.name_len, TRACE_NAME_MAX);
		if (fp.fmt_len > TRACE_FMT_MAX)
			return bad(c, "tracepoint %u: format length %u (at most %d)", i, fp.fmt_len,
				   TRACE_FMT_MAX);
		if (fp.nargs > TRACE_MAX_ARGS)
			return bad(c, "tracepoint %u: %u arguments (at most %d)", i, fp.nargs,
				   TRACE_MAX_ARGS);
		p->nargs = fp.nargs;
		p->str_mask = fp.str_mask & ((1u << fp.nargs) - 1);
		ret = take(c, p->name, fp.name_len, "a tracepoint name");
		if (ret)
			return ret;
		ret = take(c, p->fmt, fp.fmt_len, "a tracepoint format");
		if (ret)
			return ret;
		p->name[fp.name_len] = 0;
		p->fmt[fp.fmt_len] = 0;
		if (strlen(p->name) != fp.name_len)
			return bad(c, "tracepoint %u: NUL byte in its name", i);
	}
	return 0;
}

static int parse_strings(struct cursor *c, struct tracefile *tf)
{
	for (uint32_t i = 0; i < tf->nr_strings; i++) {
		struct trace_file_string fs;
		struct tf_string *s = &tf->strings[i];
		int ret = take(c, &fs, sizeof(fs), "a string entry");

		if (ret)
			return ret;
		if (fs.len > TRACE_STRING_MAX)
			return bad(c, "string %u: length %u (at most %d)", i, fs.len,
				   TRACE_STRING_MAX);
		s->addr = fs.addr;
		ret = take(c, s->text, fs.len, "a string");
		if (ret)
			return ret;
		s->text[fs.len] = 0;
	}
	return 0;
}

static int parse_cpus(struct cursor *c, struct tracefile *tf)
{
	size_t cap = 0;

	for (uint32_t i = 0; i < tf->nr_cpus; i++) {
		struct trace_file_cpu fc;
		int ret = take(c, &fc, sizeof(fc), "a CPU header");

		if (ret)
			return ret;
		if (fc.nr_records > (c->len - c->off) / sizeof(struct trace_record))
			return bad(c,
				   "truncated trace file: CPU %u claims %u records, %zu bytes left",
				   fc.cpu, fc.nr_records, c->len - c->off);
		tf->cpus[i].cpu = fc.cpu;
		tf->cpus[i].nr_records = fc.nr_records;
		tf->cpus[i].dropped = fc.dropped;
		tf->dropped += fc.dropped;
		if (tf->nr_events + fc.nr_records > cap) {
			size_t ncap = tf->nr_events + fc.nr_records;
			struct tf_event *ev = realloc(tf->events, ncap * sizeof(*ev) + 1);

			if (!ev)
				return -ENOMEM;
			tf->events = ev;
			cap = ncap;
		}
		for (uint32_t k = 0; k < fc.nr_records; k++) {
			struct trace_record rec;
			struct tf_event *ev = &tf->events[tf->nr_events];

			take(c, &rec, sizeof(rec), "a record");
			ev->id = TRACE_META_ID(rec.meta);
			if (ev->id >= tf->nr_points) {
				c->off -= sizeof(rec);
				return bad(
					c,
					"CPU %u record %u: tracepoint id %u, but the table has %u",
					fc.cpu, k, ev->id, tf->nr_points);
			}
			ev->tsc = rec.tsc;
			ev->tid = TRACE_META_TID(rec.meta);
			memcpy(ev->args, rec.args, sizeof(ev->args));
			ev->cpu = fc.cpu;
			ev->seq = tf->nr_events;
			tf->nr_events++;
		}
	}
	return 0;
}

static void clear(struct tracefile *tf)
{
	free(tf->points);
	free(tf->strings);
	free(tf->cpus);
	free(tf->events);
	memset(tf, 0, sizeof(*tf));
}

static int parse_one(struct cursor *c, struct tracefile *tf)
{
	struct trace_file_header h;
	uint64_t end = 0;
	int ret = take(c, &h, sizeof(h), "the header");

	if (ret)
		return ret;
	if (memcmp(h.magic, TRACE_FILE_MAGIC, sizeof(h.magic)) != 0) {
		c->off -= sizeof(h);
		return bad(c, "not an Osprey trace (no \"" TRACE_FILE_MAGIC "\" magic)");
	}
	if (h.version != TRACE_FILE_VERSION)
		return bad(c, "trace format version %u; this osprey reads version %d", h.version,
			   TRACE_FILE_VERSION);
	if (h.header_size != sizeof(h) || h.record_size != sizeof(struct trace_record))
		return bad(c, "header size %u and record size %u (expected %zu and %zu)",
			   h.header_size, h.record_size, sizeof(h), sizeof(struct trace_record));
	if (h.nr_points > TRACE_MAX_POINTS || h.nr_cpus > MAX_CPUS || h.nr_strings > MAX_STRINGS ||
	    h.nr_strings > (c->len - c->off) / sizeof(struct trace_file_string))
		return bad(c, "implausible counts: %u tracepoints, %u CPUs, %u strings",
			   h.nr_points, h.nr_cpus, h.nr_strings);
	tf->tsc_hz = h.tsc_hz;
	tf->tsc0 = h.tsc0;
	tf->nr_points = h.nr_points;
	tf->nr_cpus = h.nr_cpus;
	tf->nr_strings = h.nr_strings;
	tf->points = calloc(h.nr_points + 1, sizeof(*tf->points));
	tf->strings = calloc(h.nr_strings + 1, sizeof(*tf->strings));
	tf->cpus = calloc(h.nr_cpus + 1, sizeof(*tf->cpus));
	if (!tf->points || !tf->strings || !tf->cpus)
		return -ENOMEM;
	ret = parse_points(c, tf);
	if (!ret)
		ret = parse_strings(c, tf);
	if (!ret)
		ret = parse_cpus(c, tf);
	if (ret)
		return ret;
	ret = take(c, &end, sizeof(end), "the end marker");
	if (ret)
		return ret;
	if (end != TRACE_FILE_END) {
		c->off -= sizeof(end);
		return bad(c, "no end marker after the last CPU's records");
	}
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct tf_event *x = a, *y = b;

	if (x->tsc != y->tsc)
		return x->tsc < y->tsc ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int tracefile_parse(const uint8_t *buf, size_t len, struct tracefile *tf, char *err, size_t errlen)
{
	struct cursor c = { buf, len, 0, err, errlen };
	unsigned dumps = 0;

	memset(tf, 0, sizeof(*tf));
	if (errlen)
		err[0] = 0;
	if (len == 0) {
		snprintf(err, errlen, "empty trace file (was the guest run with --trace?)");
		return -EINVAL;
	}
	/* Several dumps may follow one another; the last one wins. */
	while (c.off < len) {
		struct tracefile one;
		int ret;

		memset(&one, 0, sizeof(one));
		ret = parse_one(&c, &one);
		if (ret) {
			if (ret == -ENOMEM)
				snprintf(err, errlen, "out of memory");
			clear(&one);
			clear(tf);
			return ret;
		}
		clear(tf);
		*tf = one;
		dumps++;
	}
	tf->dumps = dumps;
	if (tf->nr_events > 1)
		qsort(tf->events, tf->nr_events, sizeof(*tf->events), by_time);
	return 0;
}

int tracefile_load(const char *path, struct tracefile *tf, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	memset(tf, 0, sizeof(*tf));
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		return ret;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > MAX_FILE) {
				snprintf(err, errlen, "larger than 4 GiB: not a trace file");
				ret = -EFBIG;
				goto out_free;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				ret = -ENOMEM;
				goto out_free;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "read error");
		ret = -EIO;
		goto out_free;
	}
	ret = tracefile_parse(buf, len, tf, err, errlen);
out_free:
	free(buf);
	fclose(f);
	return ret;
}

void tracefile_free(struct tracefile *tf)
{
	clear(tf);
}

uint64_t tracefile_ns(const struct tracefile *tf, uint64_t tsc)
{
	uint64_t d = tsc > tf->tsc0 ? tsc - tf->tsc0 : 0;

	if (!tf->tsc_hz)
		return d;
	return (uint64_t)((unsigned __int128)d * 1000000000u / tf->tsc_hz);
}

const char *tracefile_string(const struct tracefile *tf, uint64_t addr)
{
	for (uint32_t i = 0; i < tf->nr_strings; i++)
		if (tf->strings[i].addr == addr)
			return tf->strings[i].text;
	return NULL;
}

int tracefile_point(const struct tracefile *tf, const char *name)
{
	for (uint32_t i = 0; i < tf->nr_points; i++)
		if (strcmp(tf->points[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Appends to out[0..outlen) at *n, always NUL-terminated; *n counts what fit. */
static void put(char *out, size_t outlen, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *out, size_t outlen, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n + 1 >= outlen)
		return;
	va_start(ap, fmt);
	r = vsnprintf(out + *n, outlen - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n += (size_t)r < outlen - *n ? (size_t)r : outlen - *n - 1;
}

/* Reads a decimal width or precision, bounded; a '*' is not supported (there is no int to take). */
static int spec_num(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9') {
		if (v < 1000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v > MAX_WIDTH ? MAX_WIDTH : v;
}

/*
 * One conversion of value v: the spec's flags, width and precision, the
 * length modifier as a width in bits, and the conversion letter.
 */
static void convert(const struct tracefile *tf, char *out, size_t outlen, size_t *n,
		    const char *flags, int width, int prec, int bits, char conv, uint64_t v)
{
	char spec[40];
	const char *s;

	if (conv == 'p') {
		put(out, outlen, n, "0x%" PRIx64, v);
		return;
	}
	if (conv == 'c') {
		put(out, outlen, n, "%c", (v & 0xff) >= 0x20 && (v & 0xff) < 0x7f ? (char)v : '?');
		return;
	}
	if (conv == 's') {
		s = tracefile_string(tf, v);
		if (!s) {
			put(out, outlen, n, "(?0x%" PRIx64 ")", v);
			return;
		}
		/* Only '-' means something for a string. */
		put(out, outlen, n, strchr(flags, '-') ? "%-*.*s" : "%*.*s", width,
		    prec < 0 ? TRACE_STRING_MAX : prec, s);
		return;
	}
	if (prec >= 0)
		snprintf(spec, sizeof(spec), "%%%s%d.%d", flags, width, prec);
	else
		snprintf(spec, sizeof(spec), "%%%s%d", flags, width);
	if (bits < 64)
		v &= (1ull << bits) - 1;
	switch (conv) {
	case 'd':
	case 'i': {
		bool neg = bits < 64 ? (v >> (bits - 1)) & 1 : v >> 63;
		int64_t sv = neg && bits < 64 ? (int64_t)(v | ~((1ull << bits) - 1)) : (int64_t)v;

		strcat(spec, PRId64);
		put(out, outlen, n, spec, sv);
		return;
	}
	case 'u':
		strcat(spec, PRIu64);
		break;
	case 'x':
		strcat(spec, PRIx64);
		break;
	case 'X':
		strcat(spec, PRIX64);
		break;
	default: /* 'o' */
		strcat(spec, PRIo64);
		break;
	}
	put(out, outlen, n, spec, v);
}

size_t tracefile_format(const struct tracefile *tf, const struct tf_event *ev, char *out,
			size_t outlen)
{
	const struct tf_point *pt;
	const char *p;
	unsigned arg = 0;
	size_t n = 0;

	if (!outlen)
		return 0;
	out[0] = 0;
	if (ev->id >= tf->nr_points)
		return 0;
	pt = &tf->points[ev->id];
	for (p = pt->fmt; *p; p++) {
		char flags[8];
		int nf = 0, width = 0, prec = -1, bits = 32;

		if (*p != '%') {
			put(out, outlen, &n, "%c", *p);
			continue;
		}
		p++;
		if (*p == '%') {
			put(out, outlen, &n, "%%");
			continue;
		}
		while (*p && strchr("-0+ #", *p) && nf < 7)
			flags[nf++] = *p++;
		flags[nf] = 0;
		width = spec_num(&p);
		if (*p == '.') {
			p++;
			prec = spec_num(&p);
		}
		if (*p == 'h') {
			bits = 16;
			if (*++p == 'h') {
				bits = 8;
				p++;
			}
		} else if (*p == 'l' || *p == 'z' || *p == 't' || *p == 'j') {
			bits = 64;
			if (*p++ == 'l' && *p == 'l')
				p++;
		}
		if (!*p || !strchr("diuxXocps", *p)) {
			put(out, outlen, &n, "(bad format)");
			break;
		}
		if (arg >= pt->nargs) {
			put(out, outlen, &n, "(missing)");
			continue;
		}
		convert(tf, out, outlen, &n, flags, width, prec, bits, *p, ev->args[arg++]);
	}
	return n;
}
