/*
 * The kernel log.  Output is formatted into a small buffer that is handed
 * to the UART a line (or 128 bytes) at a time.
 *
 * Locking: none yet; the console gets its lock when a second CPU can log.
 */
#include <osprey/format.h>
#include <osprey/log.h>

int log_level = LOG_DEFAULT_LEVEL;

struct linebuf {
	char buf[128];
	size_t n;
};

static void flush(struct linebuf *lb)
{
	serial_write(lb->buf, lb->n);
	lb->n = 0;
}

static void sink(void *ctx, char c)
{
	struct linebuf *lb = ctx;

	lb->buf[lb->n++] = c;
	if (c == '\n' || lb->n == sizeof(lb->buf))
		flush(lb);
}

void kvprintf(const char *fmt, va_list ap)
{
	struct linebuf lb;

	lb.n = 0;
	format_v(sink, &lb, fmt, ap);
	flush(&lb);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void klog(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void warn_once_report(const char *file, int line, const char *cond)
{
	klog(LOG_WARNING, "warning: %s at %s:%d\n", cond, file, line);
}

/* The test framework's output channel. */
void test_vprint(const char *fmt, va_list ap)
{
	kvprintf(fmt, ap);
}

void test_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}
