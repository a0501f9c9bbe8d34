/*
 * --bench=trace: what a tracepoint costs, measured in the guest.
 *
 * The same counting loop runs three ways: bare (the baseline), with a
 * disabled tracepoint in its body, and with that tracepoint enabled
 * (recording into a private ring, so that a boot trace is not disturbed).
 * Each figure is the best of several runs, in nanoseconds per iteration,
 * printed beside the baseline from the same boot:
 *
 *   BENCH trace.disabled_ns loop=1.02 with_tp=1.05 ratio=1.03
 *   BENCH trace.enabled_ns loop=1.02 with_tp=24.80 ratio=24.31
 *
 * Under TCG the numbers are TCG's, not the hardware's; the ratio is the
 * figure that carries over.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/log.h>
#include <osprey/time.h>
#include <osprey/trace.h>

TRACEPOINT(bench_tick, "i=%lu", uint64_t);

#define LOOP_ITERS 2000000ull
#define EMIT_ITERS 200000ull
#define RUNS 5
#define BENCH_RING 256

static struct trace_record bench_records[BENCH_RING];

/* The empty asm keeps the loop a loop: the compiler cannot fold the sum. */
static __attribute__((noinline)) uint64_t loop_bare(uint64_t n)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++) {
		acc += i;
		__asm__ volatile("" : "+r"(acc));
	}
	return acc;
}

static __attribute__((noinline)) uint64_t loop_traced(uint64_t n)
{
	uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++) {
		acc += i;
		__asm__ volatile("" : "+r"(acc));
		trace_bench_tick(i);
	}
	return acc;
}

/* Best of RUNS, in picoseconds per iteration. */
static uint64_t measure(uint64_t (*loop)(uint64_t), uint64_t n)
{
	uint64_t best = ~0ull;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0 = rdtsc();

		loop(n);
		uint64_t ps = tsc_to_ns(rdtsc() - t0) * 1000 / n;

		if (ps < best)
			best = ps;
	}
	return best;
}

static void report(const char *what, uint64_t base_ps, uint64_t with_ps)
{
	uint64_t ratio = base_ps ? (with_ps * 100 + base_ps / 2) / base_ps : 0;

	kprintf("BENCH %s loop=%llu.%02llu with_tp=%llu.%02llu ratio=%llu.%02llu\n", what,
		(unsigned long long)(base_ps / 1000), (unsigned long long)(base_ps % 1000 / 10),
		(unsigned long long)(with_ps / 1000), (unsigned long long)(with_ps % 1000 / 10),
		(unsigned long long)(ratio / 100), (unsigned long long)(ratio % 100));
}

int trace_bench(const char *name)
{
	struct trace_ring ring, *old;
	uint64_t base, with;

	if (strcmp(name, "trace") != 0)
		return -ENOENT;
	/* Warm up: translate (under TCG) and cache both loops once. */
	loop_bare(1000);
	loop_traced(1000);

	base = measure(loop_bare, LOOP_ITERS);
	with = measure(loop_traced, LOOP_ITERS);
	report("trace.disabled_ns", base, with);

	if (!CONFIG_TRACE_BUF_KB) {
		kprintf("BENCH trace.enabled_ns skipped: tracing is compiled out\n");
		return 0;
	}
	trace_ring_setup(&ring, bench_records, BENCH_RING);
	old = trace_ring_swap(&ring);
	trace_enable("bench_tick", true);
	loop_traced(1000);
	base = measure(loop_bare, EMIT_ITERS);
	with = measure(loop_traced, EMIT_ITERS);
	trace_enable("bench_tick", false);
	trace_ring_swap(old);
	report("trace.enabled_ns", base, with);
	return 0;
}
