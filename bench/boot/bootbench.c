/*
 * bootbench: run commands (each one boot of a virtual machine) several
 * times, interleaved, and compare their wall times in one table.
 *
 *   bootbench [-t TAG] [-w WARMUP] [-T TIMEOUT_S] SUBJECT...
 *   SUBJECT:  -s NAME [-n RUNS] [-x STATUS] [-g TEXT] [-r RETRIES]
 *             [-u FIGURE=PREFIX] [-W] -- ARGV... ';'
 *
 *   -s NAME     the subject's name in the table; the first subject is "ours",
 *               the others are baselines
 *   -n RUNS     measured runs (default 20)
 *   -x STATUS   the exit status that means success (default 0)
 *   -g TEXT     success also needs TEXT in the command's output
 *   -r RETRIES  failed runs (bad status, missing text, timeout) that may be
 *               run again before the subject counts as failed (default 0)
 *   -u FIGURE=PREFIX
 *               read a figure from the output: the last line holding PREFIX
 *               followed by an integer and " us"; reported as TAG.FIGURE
 *   -W          leave this subject out of the wall-time comparison
 *
 * Each run: fork, exec ARGV with stdin from /dev/null and stdout and stderr
 * into a temporary file, wait for the child; the wall time is taken with
 * CLOCK_MONOTONIC just before fork and just after the child is reaped.  The
 * child leads its own process group, and the group is killed when the run
 * ends or passes the timeout (default 60 s), so no stray QEMU survives.
 * Before the measured runs, each subject runs WARMUP times (default 1) to
 * fill the page cache.  Runs are interleaved (round i runs every subject that
 * still has runs), so a slow phase of the host hits all subjects alike.
 *
 * Output: one line of detail per subject, then one line per figure for
 * people, then one "BENCH TAG.FIGURE name=value..." line per figure for
 * scripts.  Exit status 1 when a subject failed, 64 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct subject {
	const char *name;
	char **argv;
	int runs, expect, retries, nowall;
	const char *grep;
	const char *fig_name, *fig_prefix;
	double *wall; /* ms, one per successful measured run */
	double *fig;  /* figure per successful measured run */
	int done, nfig, failures;
	char last_error[256];
};

static const char *prog = "bootbench";
static double timeout_s = 60;

static void usage(const char *why)
{
	fprintf(stderr,
		"%s: %s\n"
		"usage: %s [-t TAG] [-w WARMUP] [-T TIMEOUT_S] SUBJECT...\n"
		"  SUBJECT: -s NAME [-n RUNS] [-x STATUS] [-g TEXT] [-r RETRIES]\n"
		"           [-u FIGURE=PREFIX] [-W] -- ARGV... ';'\n",
		prog, why, prog);
	exit(64);
}

static int parse_int(const char *s, int lo, int hi, const char *what)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		char msg[128];
		snprintf(msg, sizeof msg, "bad %s '%s'", what, s);
		usage(msg);
	}
	return (int)v;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Read the whole temporary file; NUL-terminated; NULL on failure. */
static char *slurp(int fd, size_t *len)
{
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	char *buf = malloc((size_t)size + 1);
	if (!buf)
		return NULL;
	size_t n = 0;
	while (n < (size_t)size) {
		ssize_t r = read(fd, buf + n, (size_t)size - n);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	/* Output with NUL bytes: make it searchable as text. */
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	*len = n;
	return buf;
}

/* The integer after the last "PREFIX" that is followed by digits and " us". */
static int find_figure(const char *out, const char *prefix, double *value)
{
	int found = 0;
	size_t plen = strlen(prefix);
	for (const char *p = out; (p = strstr(p, prefix)) != NULL; p++) {
		const char *q = p + plen;
		char *end;
		if (*q < '0' || *q > '9')
			continue;
		double v = strtod(q, &end);
		if (strncmp(end, " us", 3) == 0) {
			*value = v;
			found = 1;
		}
	}
	return found;
}

static void show_tail(const char *name, const char *out, size_t len)
{
	const char *p = out + len;
	int lines = 0;
	while (p > out && lines <= 15)
		if (*--p == '\n')
			lines++;
	if (p > out)
		p++;
	fprintf(stderr, "%s: --- last output of %s ---\n%s%s%s: ---\n", prog, name, p,
		len && out[len - 1] != '\n' ? "\n" : "", prog);
}

/*
 * One run of a subject.  Returns 1 on success with *ms and maybe *fig set,
 * 0 on a failed run (reason in s->last_error), -1 when the run could not be
 * started at all.
 */
static int run_once(struct subject *s, double *ms, double *fig, int *has_fig)
{
	char path[] = "/tmp/bootbench.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "%s: mkstemp: %s\n", prog, strerror(errno));
		return -1;
	}
	unlink(path);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0) {
		fprintf(stderr, "%s: /dev/null: %s\n", prog, strerror(errno));
		close(fd);
		return -1;
	}
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);

	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		close(fd);
		close(devnull);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		dup2(devnull, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		close(devnull);
		execvp(s->argv[0], s->argv);
		dprintf(2, "%s: cannot run %s: %s\n", prog, s->argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(devnull);

	int st = 0, timed_out = 0;
	double deadline = t0 + timeout_s * 1e3;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "%s: waitpid: %s\n", prog, strerror(errno));
			close(fd);
			return -1;
		}
		double left = deadline - now_ms();
		if (left <= 0) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		struct timespec ts = { (time_t)(left / 1e3),
				       (long)((left - (time_t)(left / 1e3) * 1e3) * 1e6) };
		sigtimedwait(&chld, NULL, &ts);
	}
	double t1 = now_ms();
	/* Anything the command left behind in its group goes too. */
	kill(-pid, SIGKILL);

	size_t len = 0;
	char *out = slurp(fd, &len);
	close(fd);
	if (!out) {
		fprintf(stderr, "%s: cannot read the output of %s\n", prog, s->name);
		return -1;
	}

	int ok = 1;
	if (timed_out) {
		snprintf(s->last_error, sizeof s->last_error, "no exit within %.0f s", timeout_s);
		ok = 0;
	} else if (WIFSIGNALED(st)) {
		snprintf(s->last_error, sizeof s->last_error, "killed by signal %d", WTERMSIG(st));
		ok = 0;
	} else if (WEXITSTATUS(st) != s->expect) {
		snprintf(s->last_error, sizeof s->last_error, "exit status %d, expected %d",
			 WEXITSTATUS(st), s->expect);
		ok = 0;
	} else if (s->grep && !strstr(out, s->grep)) {
		snprintf(s->last_error, sizeof s->last_error, "output lacks \"%s\"", s->grep);
		ok = 0;
	}
	*has_fig = 0;
	if (ok && s->fig_prefix) {
		*has_fig = find_figure(out, s->fig_prefix, fig);
		if (!*has_fig) {
			snprintf(s->last_error, sizeof s->last_error, "output lacks \"%sN us\"",
				 s->fig_prefix);
			ok = 0;
		}
	}
	if (!ok) {
		fprintf(stderr, "%s: %s: run failed: %s\n", prog, s->name, s->last_error);
		show_tail(s->name, out, len);
	}
	free(out);
	*ms = t1 - t0;
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void fmt(char *buf, size_t n, double v)
{
	if (v >= 1000 || v <= -1000)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.1f", v);
}

static int ok_subject(const struct subject *s)
{
	return s->done > 0 && s->failures <= s->retries;
}

/* One comparison line and one BENCH line for a figure. */
static void report(const char *tag, const char *figure, const char *unit, const char *label,
		   struct subject *subs, int nsub, int use_fig)
{
	int idx[64], n = 0;
	for (int i = 0; i < nsub && n < 64; i++)
		if (use_fig ? (subs[i].fig_name && strcmp(subs[i].fig_name, figure) == 0) :
			      !subs[i].nowall)
			idx[n++] = i;
	if (n == 0)
		return;
	double med[64];
	int minruns = 1 << 30, maxruns = 0;
	for (int k = 0; k < n; k++) {
		struct subject *s = &subs[idx[k]];
		int cnt = use_fig ? s->nfig : s->done;
		double *tmp = malloc(sizeof(double) * (size_t)(cnt ? cnt : 1));
		if (!tmp)
			exit(1);
		memcpy(tmp, use_fig ? s->fig : s->wall, sizeof(double) * (size_t)cnt);
		med[k] = ok_subject(s) && cnt ? median(tmp, cnt) : -1;
		free(tmp);
		if (cnt < minruns)
			minruns = cnt;
		if (cnt > maxruns)
			maxruns = cnt;
	}
	char line[4096], b1[32], b2[32], b3[32];
	int off = snprintf(line, sizeof line, "%s %s (median", tag, label);
	if (minruns == maxruns)
		off += snprintf(line + off, sizeof line - (size_t)off, " of %d):", maxruns);
	else
		off += snprintf(line + off, sizeof line - (size_t)off, "):");
	for (int k = 0; k < n && off < (int)sizeof line - 200; k++) {
		struct subject *s = &subs[idx[k]];
		int cnt = use_fig ? s->nfig : s->done;
		off += snprintf(line + off, sizeof line - (size_t)off, "%s %s", k ? " |" : "",
				s->name);
		if (med[k] < 0) {
			off += snprintf(line + off, sizeof line - (size_t)off, " n/a (%s)",
					s->last_error[0] ? s->last_error : "no run");
			continue;
		}
		fmt(b1, sizeof b1, med[k]);
		off += snprintf(line + off, sizeof line - (size_t)off, " %s %s", b1, unit);
		int paren = 0;
		if (minruns != maxruns) {
			off += snprintf(line + off, sizeof line - (size_t)off, " (n=%d", cnt);
			paren = 1;
		}
		if (k > 0 && med[0] >= 0 && med[k] > 0) {
			double d = med[0] - med[k];
			fmt(b2, sizeof b2, d);
			snprintf(b3, sizeof b3, med[0] / med[k] >= 0.1 ? "%.2f" : "%.3f",
				 med[0] / med[k]);
			off += snprintf(line + off, sizeof line - (size_t)off, "%s%s%s %s, x%s",
					paren ? ", " : " (", d >= 0 ? "+" : "", b2, unit, b3);
			paren = 1;
		}
		if (paren)
			off += snprintf(line + off, sizeof line - (size_t)off, ")");
	}
	printf("%s\n", line);
	printf("BENCH %s.%s", tag, figure);
	for (int k = 0; k < n; k++) {
		if (med[k] < 0)
			printf(" %s=NA", subs[idx[k]].name);
		else
			printf(" %s=%.1f", subs[idx[k]].name, med[k]);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *tag = "boot";
	int warmup = 1;
	struct subject subs[64];
	int nsub = 0;
	memset(subs, 0, sizeof subs);

	int i = 1;
	/* Global options come first. */
	while (i < argc && argv[i][0] == '-' && strchr("twT", argv[i][1]) && argv[i][1] &&
	       !argv[i][2]) {
		if (i + 1 >= argc)
			usage("option needs a value");
		char o = argv[i][1];
		const char *v = argv[i + 1];
		i += 2;
		if (o == 't')
			tag = v;
		else if (o == 'w')
			warmup = parse_int(v, 0, 100, "warm-up count");
		else
			timeout_s = parse_int(v, 1, 3600, "timeout");
	}
	while (i < argc) {
		if (nsub == 64)
			usage("too many subjects");
		struct subject *s = &subs[nsub++];
		s->runs = 20;
		while (i < argc && strcmp(argv[i], "--") != 0) {
			const char *o = argv[i];
			if (strcmp(o, "-W") == 0) {
				s->nowall = 1;
				i++;
				continue;
			}
			if (o[0] != '-' || !o[1] || o[2] || i + 1 >= argc)
				usage("expected a subject option or '--'");
			const char *v = argv[i + 1];
			i += 2;
			switch (o[1]) {
			case 's':
				s->name = v;
				break;
			case 'n':
				s->runs = parse_int(v, 1, 100000, "run count");
				break;
			case 'x':
				s->expect = parse_int(v, 0, 255, "exit status");
				break;
			case 'g':
				s->grep = v;
				break;
			case 'r':
				s->retries = parse_int(v, 0, 1000, "retry count");
				break;
			case 'u': {
				const char *eq = strchr(v, '=');
				if (!eq || eq == v || !eq[1])
					usage("-u wants FIGURE=PREFIX");
				s->fig_name = strndup(v, (size_t)(eq - v));
				s->fig_prefix = eq + 1;
				break;
			}
			default:
				usage("unknown subject option");
			}
		}
		if (!s->name)
			usage("a subject needs -s NAME");
		if (i >= argc)
			usage("a subject needs '-- ARGV... ;'");
		i++; /* "--" */
		int start = i;
		while (i < argc && strcmp(argv[i], ";") != 0)
			i++;
		if (i == start)
			usage("empty command");
		s->argv = calloc((size_t)(i - start + 1), sizeof *s->argv);
		s->wall = calloc((size_t)s->runs, sizeof *s->wall);
		s->fig = calloc((size_t)s->runs, sizeof *s->fig);
		if (!s->argv || !s->wall || !s->fig)
			return 1;
		memcpy(s->argv, argv + start, sizeof *s->argv * (size_t)(i - start));
		if (i < argc)
			i++; /* ";" */
	}
	if (nsub == 0)
		usage("no subject");

	/* SIGCHLD stays blocked so sigtimedwait can wait for it. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (int k = 0; k < nsub; k++) {
		struct subject *s = &subs[k];
		for (int w = 0; w < warmup; w++) {
			double ms, fig;
			int has;
			if (run_once(s, &ms, &fig, &has) < 0)
				return 1;
		}
	}

	double start = now_ms();
	for (int round = 0;; round++) {
		int any = 0;
		for (int k = 0; k < nsub; k++) {
			struct subject *s = &subs[k];
			if (round >= s->runs || s->failures > s->retries)
				continue;
			any = 1;
			for (;;) {
				double ms, fig;
				int has;
				int r = run_once(s, &ms, &fig, &has);
				if (r < 0)
					return 1;
				if (r > 0) {
					s->wall[s->done++] = ms;
					if (has)
						s->fig[s->nfig++] = fig;
					break;
				}
				if (++s->failures > s->retries)
					break;
			}
		}
		if (!any)
			break;
	}

	int failed = 0;
	for (int k = 0; k < nsub; k++) {
		struct subject *s = &subs[k];
		char b1[32], b2[32], b3[32];
		if (!ok_subject(s)) {
			failed = 1;
			printf("%-10s FAILED after %d good runs: %s\n", s->name, s->done,
			       s->last_error);
			continue;
		}
		double *tmp = malloc(sizeof(double) * (size_t)s->done);
		if (!tmp)
			return 1;
		memcpy(tmp, s->wall, sizeof(double) * (size_t)s->done);
		double med = median(tmp, s->done);
		fmt(b1, sizeof b1, med);
		fmt(b2, sizeof b2, tmp[0]);
		fmt(b3, sizeof b3, tmp[s->done - 1]);
		free(tmp);
		char label[96];
		snprintf(label, sizeof label, "%s%s%s%s", s->name, s->fig_name ? " [" : "",
			 s->fig_name ? s->fig_name : "", s->fig_name ? "]" : "");
		printf("%-10s %3d runs  wall median %s ms  min %s  max %s", label, s->done, b1, b2,
		       b3);
		if (s->failures)
			printf("  (%d failed run%s retried)", s->failures,
			       s->failures > 1 ? "s" : "");
		printf("\n");
	}
	report(tag, "wall_ms", "ms", "wall", subs, nsub, 0);
	/* Each extra figure once, in order of first use. */
	for (int k = 0; k < nsub; k++) {
		if (!subs[k].fig_name)
			continue;
		int seen = 0;
		for (int j = 0; j < k; j++)
			if (subs[j].fig_name && strcmp(subs[j].fig_name, subs[k].fig_name) == 0)
				seen = 1;
		if (!seen)
			report(tag, subs[k].fig_name, "us", subs[k].fig_name, subs, nsub, 1);
	}
	printf("%s: %.1f s\n", prog, (now_ms() - start) / 1e3);
	return failed;
}
