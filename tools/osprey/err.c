/*
 * One way to report a problem found while parsing: format it into the
 * caller's buffer and return -EINVAL.  Shared by option, manifest and image
 * code (and the fuzz targets that drive them).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "osprey_err.h"

int osprey_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
