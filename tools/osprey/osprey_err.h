/* Parse errors for the osprey command's parsers (tools/osprey/err.c). */
#ifndef OSPREY_TOOL_ERR_H
#define OSPREY_TOOL_ERR_H

#include <stddef.h>

/* Writes one line into err and returns -EINVAL. */
int osprey_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
