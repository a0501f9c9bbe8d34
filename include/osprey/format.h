/*
 * printf-style formatting for the kernel log and for host-tested code.
 * Supported: %d %i %u %x %X %o %c %s %p %%, the flags '-' and '0', a width,
 * a precision for %s, '*' for either, and the length modifiers hh h l ll z t.
 * Output goes to a sink one character at a time, or into a bounded buffer.
 */
#ifndef OSPREY_FORMAT_H
#define OSPREY_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void format_sink_fn(void *ctx, char c);

/* Returns the number of characters produced. */
int format_v(format_sink_fn *sink, void *ctx, const char *fmt, va_list ap);

/*
 * Like vsnprintf: always terminates when size > 0, returns the length the
 * full output would have had.
 */
int format_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int format_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
