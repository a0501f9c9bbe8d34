/* See report.h. */
#include <stdio.h>
#include <string.h>

#include "report.h"

static int passed, failed;

static void indent(const char *text)
{
	for (const char *p = text, *nl; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl) {
			printf("  | %s\n", p);
			return;
		}
		printf("  | %.*s\n", (int)(nl - p), p);
	}
}

void report(const char *name, bool ok, const char *why, int status, const char *text,
	    const char *more)
{
	if (ok) {
		printf("PASS %s\n", name);
		passed++;
		return;
	}
	if (status >= 0)
		printf("FAIL %s: %s (status %d)\n", name, why, status);
	else
		printf("FAIL %s: %s\n", name, why);
	indent(text);
	indent(more);
	failed++;
}

int report_finish(void)
{
	printf("RESULT: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
