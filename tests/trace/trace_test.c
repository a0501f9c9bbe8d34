/*
 * Tracing end to end: boot the kernel with tracing on through
 * `osprey run --trace=GLOB`, take the trace off COM2, and check what
 * `osprey trace` makes of it.  Also the paths a user hits when something
 * is wrong: a panic (the trace must still come out), a garbage or cut-short
 * file (one error line, never a crash).
 *
 *   trace-test OSPREY KERNEL WORKDIR
 *
 * Prints PASS/FAIL per case and "RESULT: N passed, N failed".
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/report.h"

#include <uapi/osprey/trace.h>

#define OUT_MAX (1024 * 1024)

static const char *osprey, *kernel, *work;

struct out {
	int status;
	char text[OUT_MAX]; /* stdout */
	char err[OUT_MAX];  /* stderr */
};

static struct out r;

/* Reads all of fd into buf (NUL-terminated). */
static void slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t k;

	while (n + 1 < cap && (k = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = 0;
}

/* Runs osprey with the given arguments (NULL-terminated); stderr goes to a file. */
static void run(const char *first, ...)
{
	const char *argv[32];
	char errpath[4096];
	int argc = 0, fds[2], efd;
	va_list ap;

	argv[argc++] = osprey;
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	memset(&r, 0, sizeof(r));
	r.status = -1;
	snprintf(errpath, sizeof(errpath), "%s/stderr", work);
	efd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (efd < 0 || pipe(fds))
		return;
	pid_t pid = fork();

	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(efd, 2);
		close(fds[0]);
		close(fds[1]);
		execv(osprey, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	slurp(fds[0], r.text, sizeof(r.text));
	close(fds[0]);
	int st;

	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r.status = WEXITSTATUS(st);
	lseek(efd, 0, SEEK_SET);
	slurp(efd, r.err, sizeof(r.err));
	close(efd);
}

static void verdict(const char *name, bool ok, const char *why)
{
	report(name, ok, why, r.status, r.text, r.err);
}

static bool has(const char *s)
{
	return strstr(r.text, s) != NULL;
}

static int count_lines(const char *text, const char *prefix, const char *except)
{
	int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, strlen(prefix)) &&
		    (!except || strncmp(p, except, strlen(except))))
			n++;
	return n;
}

/* The count column of `osprey trace summary` for a tracepoint, or -1. */
static long summary_count(const char *name)
{
	char pat[80];
	const char *p;
	long n;

	snprintf(pat, sizeof(pat), "\n%s ", name);
	p = strstr(r.text, pat);
	if (!p || sscanf(p + strlen(pat), "%ld", &n) != 1)
		return -1;
	return n;
}

static bool one_error_line(void)
{
	size_t len = strlen(r.err);

	return r.status == 1 && !strncmp(r.err, "osprey: ", 8) && len && r.err[len - 1] == '\n' &&
	       strchr(r.err, '\n') == r.err + len - 1;
}

static void boot_and_summarize(const char *machine)
{
	char name[64], file[4096], why[160];
	int phases;
	long n;

	snprintf(file, sizeof(file), "%s/%s.bin", work, machine);
	snprintf(name, sizeof(name), "trace.collect.%s", machine);
	/* The default image prints the boot chart once. */
	run("run", "--timeout", "60", "--kernel", kernel, "--machine", machine, "--trace", "*",
	    "--trace-out", file, NULL);
	phases = count_lines(r.text, "bootchart: ", "bootchart: total");
	verdict(name, r.status == 0 && phases >= 4 && !r.err[0],
		"expected status 0, the boot chart, and nothing on stderr");

	snprintf(name, sizeof(name), "trace.summary.%s", machine);
	run("trace", "summary", file, NULL);
	n = summary_count("boot_phase");
	snprintf(why, sizeof(why),
		 "expected boot_phase %d times (one per boot chart phase), got %ld", phases, n);
	verdict(name,
		r.status == 0 && n == phases && has(" 0 dropped") &&
			summary_count("trap_entry") < 0,
		why);
}

static void list_in_order(const char *file)
{
	double prev = -1, t;
	bool ordered = true;
	int n = 0;

	run("trace", "list", file, NULL);
	for (const char *p = strchr(r.text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		if (sscanf(p + 1, "%lf", &t) != 1)
			continue;
		ordered = ordered && t >= prev;
		prev = t;
		n++;
	}
	verdict("trace.list_in_time_order",
		r.status == 0 && n >= 4 && ordered && has("boot_phase") && has("phase=entry") &&
			has("phase=clock") && has("cpu0"),
		"expected the boot phases as text, times non-decreasing");
}

static void bootchart(const char *file)
{
	run("trace", "--bootchart", file, NULL);
	verdict("trace.bootchart_timeline",
		r.status == 0 && has("boot chart: ") && has("\nentry ") && has("\nclock ") &&
			has("|#"),
		"expected the phases as a timeline");
}

static void panic_still_traces(void)
{
	char file[4096];

	snprintf(file, sizeof(file), "%s/panic.bin", work);
	run("run", "--timeout", "60", "--kernel", kernel, "--trace", "boot_phase", "--trace-out",
	    file, "-e", "--test-death=trace.breakpoint_is_traced", NULL);
	verdict("trace.panic_boot", r.status == 70 && has("breakpoint (vector 3)"),
		"expected the death test to panic with status 70");
	run("trace", "list", file, NULL);
	verdict("trace.panic_dump_has_the_trap",
		r.status == 0 && has("trap_entry") && has("vector=3 rip=0x") && has("phase=entry"),
		"expected trap_entry vector=3 in the trace written after the panic");
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
}

static void bad_files(const char *good)
{
	char path[4096];
	static char buf[OUT_MAX];
	FILE *f = fopen(good, "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/truncated.bin", work);
	write_file(path, buf, n / 2);
	run("trace", "summary", path, NULL);
	verdict("trace.truncated_file_is_one_error", one_error_line() && strstr(r.err, "truncated"),
		"expected exit 1 and one line saying the file is truncated");

	for (size_t i = 0; i < sizeof(buf) && i < 4096; i++)
		buf[i] = (char)(i * 7919 % 251);
	snprintf(path, sizeof(path), "%s/garbage.bin", work);
	write_file(path, buf, 4096);
	run("trace", "list", path, NULL);
	verdict("trace.garbage_file_is_one_error",
		one_error_line() && strstr(r.err, "not an Osprey trace"),
		"expected exit 1 and one line saying it is not a trace");

	snprintf(path, sizeof(path), "%s/missing.bin", work);
	run("trace", "--bootchart", path, NULL);
	verdict("trace.missing_file_is_one_error", one_error_line(),
		"expected exit 1 and one line");
	run("trace", "frobnicate", path, NULL);
	verdict("trace.bad_usage", r.status == 2, "expected exit 2");
}

static void add(FILE *f, const void *p, size_t n)
{
	fwrite(p, 1, n, f);
}

static void add_point(FILE *f, const char *name, const char *fmt, unsigned nargs)
{
	struct trace_file_point fp = { (uint16_t)strlen(name), (uint16_t)strlen(fmt),
				       (uint8_t)nargs, 0, 0 };

	add(f, &fp, sizeof(fp));
	add(f, name, strlen(name));
	add(f, fmt, strlen(fmt));
}

/*
 * Pairs: a made-up trace (1 GHz clock) with req_entry/req_exit on two
 * threads, nested on one of them, whose latencies are 1..100 us; and an
 * exit with no entry.  p50 and p99 are then known exactly.
 */
static void pairs(void)
{
	struct trace_file_header h = { .version = TRACE_FILE_VERSION,
				       .header_size = sizeof(h),
				       .tsc_hz = 1000000000,
				       .nr_cpus = 1,
				       .nr_points = 2,
				       .record_size = sizeof(struct trace_record) };
	struct trace_file_cpu c = { 0, 100 * 2 + 50 * 2 + 1, 0 }; /* records written below */
	uint64_t end = TRACE_FILE_END, t = 1000000;
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pairs.bin", work);
	f = fopen(path, "wb");
	if (!f)
		return;
	memcpy(h.magic, TRACE_FILE_MAGIC, 8);
	add(f, &h, sizeof(h));
	add_point(f, "req_entry", "id=%u", 1);
	add_point(f, "req_exit", "id=%u", 1);
	add(f, &c, sizeof(c));
	for (uint64_t i = 1; i <= 100; i++) {
		/* Thread 1 opens, thread 2 opens and closes inside, thread 1 closes. */
		struct trace_record in = { t, TRACE_META(0, 1), { i } };
		struct trace_record out = { t + i * 1000, TRACE_META(1, 1), { i } };

		add(f, &in, sizeof(in));
		if (i % 2) {
			struct trace_record in2 = { t + 1, TRACE_META(0, 2), { i } };
			struct trace_record out2 = { t + 1 + i * 1000, TRACE_META(1, 2), { i } };

			add(f, &in2, sizeof(in2));
			add(f, &out2, sizeof(out2));
		} else {
			struct trace_record stray = { t + 2, TRACE_META(1, 3), { 0 } };

			if (i == 2)
				add(f, &stray, sizeof(stray));
		}
		add(f, &out, sizeof(out));
		t += 200000;
	}
	add(f, &end, sizeof(end));
	fclose(f);
	run("trace", "summary", path, NULL);
	verdict("trace.summary_pairs_latency",
		r.status == 0 && has("pair req: 150 matched, 1 unmatched") &&
			has("p50 50.000 us") && has("p99 99.000 us") && has("max 100.000 us") &&
			has("us |#"),
		"expected 150 pairs with p50 50 us, p99 99 us, max 100 us and a histogram");
}

int main(int argc, char **argv)
{
	static const char *const machines[] = { "microvm", "q35", "pc" };
	char file[4096];

	if (argc != 4) {
		fprintf(stderr, "usage: trace-test OSPREY KERNEL WORKDIR\n");
		return 2;
	}
	osprey = argv[1];
	kernel = argv[2];
	work = argv[3];
	mkdir(work, 0755);

	run("run", "--timeout", "60", "--kernel", kernel, "--trace", "list", NULL);
	verdict("trace.list_option",
		r.status == 0 && has("boot_phase ") && has("phase=%s") && has("trap_entry ") &&
			has("vector=%lu"),
		"expected every tracepoint with its format and status 0");

	for (int i = 0; i < 3; i++)
		boot_and_summarize(machines[i]);
	snprintf(file, sizeof(file), "%s/microvm.bin", work);
	list_in_order(file);
	bootchart(file);
	panic_still_traces();
	bad_files(file);
	pairs();

	return report_finish();
}
