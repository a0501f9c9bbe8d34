/*
 * bench/alloc on the Linux guest: the same patterns as --bench=alloc in
 * Osprey (bench/alloc/pattern.h), against the C library's malloc, built
 * static and run as /init; it powers the guest off when done.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define PATTERN_PREFIX libc_
#define PATTERN_ALLOC(n) malloc(n)
#define PATTERN_FREE(p) free(p)
#define PATTERN_NOW() now_ns()
#define PATTERN_PRINT(...) printf(__VA_ARGS__)
#include "pattern.h"

int main(void)
{
	libc_run_all(100000, 4096);
	fflush(stdout);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
