/*
 * Sets of CPUs, one bit per CPU id (0 .. CONFIG_MAX_CPUS - 1): where a
 * thread may run (thread_set_affinity_mask()).  The same bit order as a
 * Linux cpu_set_t, so a program's mask copies in as bytes.
 */
#ifndef OSPREY_CPUMASK_H
#define OSPREY_CPUMASK_H

#include <osprey/kernel.h>

#define CPUMASK_WORDS ((CONFIG_MAX_CPUS + 63) / 64)

struct cpumask {
	uint64_t w[CPUMASK_WORDS];
};

static inline void cpumask_zero(struct cpumask *m)
{
	for (unsigned i = 0; i < CPUMASK_WORDS; i++)
		m->w[i] = 0;
}

/* Every CPU, including those not (yet) online. */
static inline void cpumask_fill(struct cpumask *m)
{
	for (unsigned i = 0; i < CPUMASK_WORDS; i++)
		m->w[i] = ~0ull;
}

static inline void cpumask_set(struct cpumask *m, unsigned cpu)
{
	m->w[cpu / 64] |= 1ull << (cpu % 64);
}

static inline bool cpumask_test(const struct cpumask *m, unsigned cpu)
{
	return cpu < CONFIG_MAX_CPUS && (m->w[cpu / 64] >> (cpu % 64)) & 1;
}

/* Does m hold every one of the first n CPUs? */
static inline bool cpumask_has_first(const struct cpumask *m, unsigned n)
{
	for (unsigned cpu = 0; cpu < n; cpu++)
		if (!cpumask_test(m, cpu))
			return false;
	return true;
}

#endif
