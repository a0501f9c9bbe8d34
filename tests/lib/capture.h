/*
 * Runs a host command and captures what it prints (stdout and stderr
 * together) and its exit status: what the host-side check programs do with
 * `osprey run` (tests/system, tests/linux).
 */
#ifndef OSPREY_TESTS_CAPTURE_H
#define OSPREY_TESTS_CAPTURE_H

#include <stddef.h>

#define CAPTURE_MAX (256 * 1024)

struct capture {
	int status; /* exit status, 128 + signal if killed, or -1 */
	size_t len;
	char out[CAPTURE_MAX]; /* NUL-terminated; cut at CAPTURE_MAX - 1 */
};

/*
 * Runs argv[0] (a path) with argv, NULL-terminated.  on_line, if given, is
 * called for each complete line as it arrives (not NUL-terminated), with
 * the host's CLOCK_MONOTONIC in ns.
 */
void capture_run(const char *const argv[], struct capture *c,
		 void (*on_line)(const char *line, size_t n, double t_ns));

#endif
