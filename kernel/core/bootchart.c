/*
 * The boot chart: each phase of boot is named at its end with
 * bootchart_mark(); the chart prints each phase's duration and the total
 * from the kernel's first instruction (the TSC saved by the entry code) to
 * the point where the application would start.  Marks are TSC reads, cheap
 * enough to take always; converting them waits for the calibrated clock.
 *
 * Each mark is also the tracepoint boot_phase (docs/tracing.md), so a trace
 * shows the phases on the same time line as everything else; marks taken
 * before --trace was applied are replayed into the ring with their own
 * time stamps by bootchart_trace_replay().
 */
#include <osprey/arch/cpu.h>
#include <osprey/boot.h>
#include <osprey/log.h>
#include <osprey/time.h>
#include <osprey/trace.h>

TRACEPOINT(boot_phase, "phase=%s", const char *);

#define MAX_PHASES 24

static struct {
	const char *name;
	uint64_t tsc;
} phases[MAX_PHASES];
static int nr_phases;

void bootchart_mark(const char *phase)
{
	if (!CONFIG_BOOTCHART || nr_phases == MAX_PHASES)
		return;
	phases[nr_phases].name = phase;
	phases[nr_phases].tsc = rdtsc();
	nr_phases++;
	trace_boot_phase(phase);
}

void bootchart_trace_replay(void)
{
	if (!trace_enabled(boot_phase))
		return;
	for (int i = 0; i < nr_phases; i++) {
		uint64_t arg = (uint64_t)phases[i].name;

		trace_emit_tsc(&TRACE_POINT(boot_phase), phases[i].tsc, &arg);
	}
}

uint64_t bootchart_total_us(void)
{
	if (!nr_phases)
		return 0;
	return tsc_to_ns(phases[nr_phases - 1].tsc - boot_info.tsc0) / 1000;
}

void bootchart_print(void)
{
	uint64_t prev = boot_info.tsc0;

	if (!CONFIG_BOOTCHART) {
		kprintf("bootchart: not built in (CONFIG_BOOTCHART=0)\n");
		return;
	}

	for (int i = 0; i < nr_phases; i++) {
		uint64_t ns = tsc_to_ns(phases[i].tsc - prev);

		kprintf("bootchart: %-12s %6llu.%03llu us\n", phases[i].name,
			(unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
		prev = phases[i].tsc;
	}
	kprintf("bootchart: total %llu us\n", (unsigned long long)bootchart_total_us());
}
