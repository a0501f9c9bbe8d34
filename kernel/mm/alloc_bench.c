/*
 * --bench=alloc: kmalloc+kfree pairs per size and a mixed pattern, measured
 * in the guest with the kernel clock.  The patterns are bench/alloc/pattern.h,
 * the same code the Linux guest's static program and the host runs use.
 */
#include <string.h>

#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/time.h>

#define PATTERN_PREFIX kernel_
#define PATTERN_ALLOC(n) kmalloc(n)
#define PATTERN_FREE(p) kfree(p)
#define PATTERN_NOW() clock_ns()
#define PATTERN_PRINT(...) kprintf(__VA_ARGS__)
#include "../../bench/alloc/pattern.h"

int mm_bench(const char *name)
{
	if (strcmp(name, "alloc") != 0)
		return -ENOENT;
	kernel_run_all(100000, 4096);
	return 0;
}
