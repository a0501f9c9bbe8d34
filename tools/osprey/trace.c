/*
 * `osprey trace`: reading what `osprey run --trace=GLOB` collected.
 *
 *   osprey trace list FILE         every record as text, in time order across CPUs
 *   osprey trace summary FILE      count and rate per tracepoint; latency of pairs
 *   osprey trace --bootchart FILE  the boot phases as a timeline
 *
 * Pairs: a tracepoint NAME_entry with NAME_exit, or NAME_begin with
 * NAME_end.  An exit closes the latest open entry of the same CPU and
 * thread; what is left open or closes nothing is counted as unmatched.
 *
 * The parsing is tracefile.c's; this file only prints.  A bad file is one
 * line on stderr, "osprey: FILE: at byte N: why", and exit status 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osprey.h"
#include "tracefile.h"

#define BAR_WIDTH 50
#define HIST_BAR 40

static void print_us(FILE *f, uint64_t ns, int width)
{
	fprintf(f, "%*" PRIu64 ".%03" PRIu64, width - 4, ns / 1000, ns % 1000);
}

static int trace_list(const struct tracefile *tf)
{
	char args[1024];

	printf("# %zu records from %u CPU%s, %" PRIu64 " dropped; times in us since boot%s\n",
	       tf->nr_events, tf->nr_cpus, tf->nr_cpus == 1 ? "" : "s", tf->dropped,
	       tf->tsc_hz ? "" : " (clock not calibrated: TSC ticks)");
	for (size_t i = 0; i < tf->nr_events; i++) {
		const struct tf_event *ev = &tf->events[i];

		tracefile_format(tf, ev, args, sizeof(args));
		print_us(stdout, tracefile_ns(tf, ev->tsc), 14);
		printf("  cpu%-3u tid%-4" PRIu64 " %-24s %s\n", ev->cpu, ev->tid,
		       tf->points[ev->id].name, args);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The partner of an entry-like name (foo_entry -> foo_exit), or -1. */
static int pair_of(const struct tracefile *tf, const char *name, char *base, size_t baselen)
{
	static const char *const suffix[][2] = { { "_entry", "_exit" }, { "_begin", "_end" } };
	size_t len = strlen(name);

	for (size_t k = 0; k < 2; k++) {
		size_t sl = strlen(suffix[k][0]);
		char other[TRACE_NAME_MAX + 8];

		if (len <= sl || strcmp(name + len - sl, suffix[k][0]) != 0)
			continue;
		snprintf(base, baselen, "%.*s", (int)(len - sl), name);
		snprintf(other, sizeof(other), "%s%s", base, suffix[k][1]);
		return tracefile_point(tf, other);
	}
	return -1;
}

struct open_entry {
	uint32_t cpu;
	uint64_t tid, tsc;
};

static void print_histogram(const uint64_t *lat, size_t n)
{
	uint64_t counts[64] = { 0 }, most = 0;
	int top = 0;

	for (size_t i = 0; i < n; i++) {
		int b = 0;

		/* Bucket b holds [2^(b-1), 2^b) microseconds; bucket 0 is under 1 us. */
		for (uint64_t us = lat[i] / 1000; us; us >>= 1)
			b++;
		counts[b]++;
		if (b > top)
			top = b;
	}
	for (int b = 0; b <= top; b++)
		if (counts[b] > most)
			most = counts[b];
	for (int b = 0; b <= top; b++) {
		int w = most ? (int)((counts[b] * HIST_BAR + most - 1) / most) : 0;

		printf("    < %8" PRIu64 " us |%-*.*s| %" PRIu64 "\n", (uint64_t)1 << b, HIST_BAR,
		       w, "########################################", counts[b]);
	}
}

static int summarize_pair(const struct tracefile *tf, int entry, int exit_id, const char *base)
{
	struct open_entry *open = malloc((tf->nr_events + 1) * sizeof(*open));
	uint64_t *lat = malloc((tf->nr_events + 1) * sizeof(*lat));
	size_t nopen = 0, nlat = 0, unmatched = 0;

	if (!open || !lat) {
		free(open);
		free(lat);
		fprintf(stderr, "osprey: out of memory\n");
		return -ENOMEM;
	}
	for (size_t i = 0; i < tf->nr_events; i++) {
		const struct tf_event *ev = &tf->events[i];

		if ((int)ev->id == entry) {
			open[nopen++] = (struct open_entry){ ev->cpu, ev->tid, ev->tsc };
		} else if ((int)ev->id == exit_id) {
			size_t k = nopen;

			while (k > 0 && (open[k - 1].cpu != ev->cpu || open[k - 1].tid != ev->tid))
				k--;
			if (!k) {
				unmatched++;
				continue;
			}
			lat[nlat++] = tracefile_ns(tf, ev->tsc) - tracefile_ns(tf, open[k - 1].tsc);
			memmove(&open[k - 1], &open[k], (nopen - k) * sizeof(*open));
			nopen--;
		}
	}
	unmatched += nopen;
	printf("pair %s: %zu matched, %zu unmatched", base, nlat, unmatched);
	if (nlat) {
		qsort(lat, nlat, sizeof(*lat), cmp_u64);
		printf(", latency p50 ");
		print_us(stdout, lat[(nlat - 1) * 50 / 100], 4);
		printf(" us, p99 ");
		print_us(stdout, lat[(nlat - 1) * 99 / 100], 4);
		printf(" us, max ");
		print_us(stdout, lat[nlat - 1], 4);
		printf(" us\n");
		print_histogram(lat, nlat);
	} else {
		printf("\n");
	}
	free(open);
	free(lat);
	return 0;
}

static int trace_summary(const struct tracefile *tf)
{
	uint64_t *count = calloc(tf->nr_points + 1, sizeof(*count));
	uint64_t last_ns = tf->nr_events ? tracefile_ns(tf, tf->events[tf->nr_events - 1].tsc) : 0;
	int pairs = 0;

	if (!count) {
		fprintf(stderr, "osprey: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < tf->nr_events; i++)
		count[tf->events[i].id]++;
	printf("trace: %zu records from %u CPU%s over ", tf->nr_events, tf->nr_cpus,
	       tf->nr_cpus == 1 ? "" : "s");
	print_us(stdout, last_ns, 4);
	printf(" us since boot, %" PRIu64 " dropped\n", tf->dropped);
	for (uint32_t c = 0; c < tf->nr_cpus; c++)
		if (tf->cpus[c].dropped)
			printf("cpu %u: %" PRIu64 " records dropped (ring overflow)\n",
			       tf->cpus[c].cpu, tf->cpus[c].dropped);
	printf("%-24s %10s %12s\n", "tracepoint", "count", "rate/s");
	for (uint32_t i = 0; i < tf->nr_points; i++) {
		if (!count[i])
			continue;
		printf("%-24s %10" PRIu64, tf->points[i].name, count[i]);
		if (last_ns && tf->tsc_hz)
			printf(" %12.1f\n", (double)count[i] * 1e9 / (double)last_ns);
		else
			printf(" %12s\n", "-");
	}
	for (uint32_t i = 0; i < tf->nr_points; i++) {
		char base[TRACE_NAME_MAX + 1];
		int other = pair_of(tf, tf->points[i].name, base, sizeof(base));

		if (other < 0 || (!count[i] && !count[other]))
			continue;
		if (!pairs++)
			printf("pairs (NAME_entry/NAME_exit, NAME_begin/NAME_end):\n");
		if (summarize_pair(tf, (int)i, other, base)) {
			free(count);
			return 1;
		}
	}
	free(count);
	return 0;
}

static int trace_bootchart(const struct tracefile *tf, const char *path)
{
	int id = tracefile_point(tf, "boot_phase");
	uint64_t prev = 0, total = 0;
	size_t n = 0;

	for (size_t i = 0; id >= 0 && i < tf->nr_events; i++) {
		if ((int)tf->events[i].id == id) {
			n++;
			total = tracefile_ns(tf, tf->events[i].tsc);
		}
	}
	if (!n) {
		fprintf(stderr,
			"osprey: %s: no boot_phase records (run with --trace=boot_phase, in a kernel built with CONFIG_BOOTCHART=1)\n",
			path);
		return 1;
	}
	printf("boot chart: %zu phases, ", n);
	print_us(stdout, total, 4);
	printf(" us from the kernel's first instruction%s\n",
	       tf->tsc_hz ? "" : " (clock not calibrated: TSC ticks)");
	printf("%-16s %12s %12s %12s\n", "phase", "start us", "end us", "duration us");
	for (size_t i = 0; i < tf->nr_events; i++) {
		const struct tf_event *ev = &tf->events[i];
		const char *name;
		uint64_t end;
		int from, to;

		if ((int)ev->id != id)
			continue;
		name = tracefile_string(tf, ev->args[0]);
		end = tracefile_ns(tf, ev->tsc);
		from = total ? (int)(prev * BAR_WIDTH / total) : 0;
		to = total ? (int)(end * BAR_WIDTH / total) : 0;
		if (to <= from)
			to = from + 1;
		if (to > BAR_WIDTH)
			to = BAR_WIDTH;
		printf("%-16s", name ? name : "?");
		print_us(stdout, prev, 13);
		print_us(stdout, end, 13);
		print_us(stdout, end - prev, 13);
		printf("  |%*s%.*s%*s|\n", from, "", to - from,
		       "##################################################", BAR_WIDTH - to, "");
		prev = end;
	}
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	struct tracefile tf;
	const char *what, *path;
	char err[512];
	int ret;

	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		fputs(osprey_trace_help, stdout);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr,
			"osprey: trace: expected 'list FILE', 'summary FILE' or '--bootchart FILE' (see osprey trace --help)\n");
		return OSPREY_EXIT_USAGE;
	}
	what = argv[0];
	path = argv[1];
	if (strcmp(what, "list") != 0 && strcmp(what, "summary") != 0 &&
	    strcmp(what, "--bootchart") != 0 && strcmp(what, "bootchart") != 0) {
		fprintf(stderr,
			"osprey: trace: unknown subcommand '%s' (see osprey trace --help)\n", what);
		return OSPREY_EXIT_USAGE;
	}
	if (tracefile_load(path, &tf, err, sizeof(err))) {
		fprintf(stderr, "osprey: %s: %s\n", path, err);
		return 1;
	}
	if (strcmp(what, "list") == 0)
		ret = trace_list(&tf);
	else if (strcmp(what, "summary") == 0)
		ret = trace_summary(&tf);
	else
		ret = trace_bootchart(&tf, path);
	tracefile_free(&tf);
	return ret;
}
