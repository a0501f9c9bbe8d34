/*
 * PASS/FAIL reporting for the host-side check programs (tests/system,
 * tests/trace, tests/fs): one line per case, the output of a failed case
 * indented (so a RESULT line in it is not counted by make check), and the
 * closing "RESULT: N passed, N failed".
 */
#ifndef OSPREY_TESTS_REPORT_H
#define OSPREY_TESTS_REPORT_H

#include <stdbool.h>

/* Reports one case; on failure shows why, the status (if >= 0) and the two texts, indented (either may be NULL). */
void report(const char *name, bool ok, const char *why, int status, const char *text,
	    const char *more);
/* Prints the RESULT line; returns the exit status (1 if anything failed). */
int report_finish(void);

#endif
