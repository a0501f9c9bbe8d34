/*
 * Time: a monotonic clock from the TSC.  The TSC's rate comes from
 * kvmclock, CPUID (leaf 0x15, or the hypervisor timing leaf 0x40000010) or,
 * failing those, a measurement against the PIT.
 */
#ifndef OSPREY_TIME_H
#define OSPREY_TIME_H

#include <osprey/kernel.h>

enum clock_source { CLOCK_SRC_NONE, CLOCK_SRC_KVMCLOCK, CLOCK_SRC_CPUID, CLOCK_SRC_PIT };

/* Opens the PIT measurement window: first thing at boot, so that it is over by first use. */
void time_early_init(void);
/* The rate from kvmclock or CPUID; else the PIT measurement ends on the clock's first use. */
void time_init(void);

/*
 * Nanoseconds since the kernel's first instruction.  With the PIT as the
 * source, the first reading after boot (of any of these) may wait for the
 * end of the 1.5 ms measurement window: do not start another measurement
 * before it.
 */
uint64_t clock_ns(void);
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t tsc_hz(void);
enum clock_source clock_source(void);
const char *clock_source_name(void);
/* Busy-waits for at least ns nanoseconds. */
void delay_ns(uint64_t ns);

/* The PIT as a reference clock (1193182 Hz), for calibration and tests. */
#define PIT_HZ 1193182u
void pit_start(void);
/* Ticks since pit_start(); valid for 54 ms at a time (the counter is 16 bits). */
uint32_t pit_elapsed(void);

/* Boot chart: named phases, each ending at the mark. */
void bootchart_mark(const char *phase);
void bootchart_print(void);
/* Emits the boot_phase records of the marks taken before tracing started. */
void bootchart_trace_replay(void);
uint64_t bootchart_total_us(void);

#endif
