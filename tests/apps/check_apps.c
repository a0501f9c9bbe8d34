/*
 * make check-apps: real Linux programs in the guest, compared with the same
 * binary on the host (docs/apps.md).
 *
 * For each case of tests/apps/apps.cases (our C programs, once per C library
 * build) and tests/apps/busybox.cases (Debian's static busybox):
 *
 *   expected  the binary run on this host: argv[0] "/bin/NAME", environment
 *             HOME=/ PATH=/bin TZ=UTC and nothing else, stdin /dev/null,
 *             stdout and stderr into one pipe (as both reach the console in
 *             the guest), working folder the stage folder; a death by signal
 *             N is status 128 + N, as a shell reports it.
 *   actual    --runner guest (default): `osprey run --timeout T [OPTIONS]
 *             --env HOME=/ --env PATH=/bin --env TZ=UTC [--add ...] BINARY
 *             ARGS`, the console (osprey's stdout) and osprey's exit status.
 *             --runner host: the binary on the host again, from a fresh root
 *             folder holding only what the guest's image would (the added
 *             paths), which shows that the cases, the expected outputs and
 *             this program are right while the guest cannot run programs.
 *
 * The two outputs must be equal byte for byte, after one normalisation of
 * the guest's: "\r\n" becomes "\n" (a console that is a terminal with
 * ONLCR, Linux's default, writes CR LF for LF; today's serial driver does
 * not, and QEMU's stdio chardev passes bytes as they are).  The statuses
 * must be equal too.  A program killed by a signal (status > 128) must
 * also get Osprey's one-line report ("osprey: PROG killed by SIGSEGV ..."),
 * the console's last line, which is taken out before the comparison.  One line per case, "PASS apps.NAME" or "FAIL
 * apps.NAME: why" with both outputs indented below, then "RESULT: N passed,
 * N failed".
 *
 * With --verbose 1, each passing case's expected output follows it, indented.
 *
 * usage: check-apps [--runner guest|host] [--only GLOB] [--timeout SEC] [--verbose 0|1]
 *                   --osprey OSPREY --kernel KERNEL --bin DIR --busybox FILE
 *                   --stage DIR --work DIR --apps FILE --busybox-cases FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/report.h"

#define MAX_WORDS 64
#define MAX_ADDS 16
#define OUTPUT_MAX (4u << 20)
#define GUEST_WORK "/tmp"

static const char *const fixed_env[] = { "HOME=/", "PATH=/bin", "TZ=UTC", NULL };
static const char *const variants[] = { "musl", "glibc" };

static struct {
	bool host_runner, verbose;
	const char *only, *osprey, *kernel, *bin, *busybox, *stage, *work;
	unsigned int timeout;
} cfg = { .timeout = 60 };

struct tcase {
	char name[96];
	char program[PATH_MAX]; /* the host binary */
	char image_name[64];	/* its name in the image: /bin/NAME */
	char *args[MAX_WORDS];	/* owned */
	int nargs;
	char *adds[MAX_ADDS]; /* stage-relative paths, owned */
	int nadds;
	char *options[MAX_WORDS]; /* osprey run options, owned */
	int noptions;
};

struct outcome {
	char *out;
	size_t len;
	int status; /* exit status, 128 + signal, or -1 */
	bool timed_out;
	bool killed_report; /* the guest printed "osprey: PROG killed by SIG..." last */
	char err[4096];	    /* osprey's stderr (guest runner) */
};

static void die(const char *what)
{
	fprintf(stderr, "check-apps: %s: %s\n", what, strerror(errno));
	exit(2);
}

/*
 * The next word of *s as a shell would read it ('...', "..." with \" \\ \n
 * \t, a backslash outside quotes), into out; stops at blanks, or at '|'
 * outside quotes when bar.  Returns false at the end (or '|').
 */
static bool next_word(const char **s, char *out, size_t outlen, bool bar, char *err, size_t errlen)
{
	const char *p = *s;
	size_t n = 0;
	char q = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || (bar && *p == '|')) {
		*s = p;
		return false;
	}
	while (*p && (q || (*p != ' ' && *p != '\t' && !(bar && *p == '|')))) {
		char c = *p++;

		if (q == '\'' && c == '\'') {
			q = 0;
			continue;
		}
		if (q == '"' && c == '"') {
			q = 0;
			continue;
		}
		if (!q && (c == '\'' || c == '"')) {
			q = c;
			continue;
		}
		if (c == '\\' && q != '\'' && *p) {
			c = *p++;
			if (q == '"' && c == 'n')
				c = '\n';
			else if (q == '"' && c == 't')
				c = '\t';
		}
		if (n + 1 < outlen)
			out[n++] = c;
	}
	out[n] = 0;
	if (q)
		snprintf(err, errlen, "unterminated %c quote", q);
	*s = p;
	return true;
}

/* Splits a column's words into v (strdup'd); *s moves past the column's '|'. */
static int column(const char **s, char **v, int max, char *err, size_t errlen)
{
	static char word[8192];
	int n = 0;

	while (next_word(s, word, sizeof(word), true, err, errlen)) {
		if (err[0])
			return -1;
		if (n == max) {
			snprintf(err, errlen, "more than %d words", max);
			return -1;
		}
		v[n++] = strdup(word);
	}
	if (**s == '|')
		(*s)++;
	return n;
}

static void case_free(struct tcase *c)
{
	for (int i = 0; i < c->nargs; i++)
		free(c->args[i]);
	for (int i = 0; i < c->nadds; i++)
		free(c->adds[i]);
	for (int i = 0; i < c->noptions; i++)
		free(c->options[i]);
	memset(c, 0, sizeof(*c));
}

static void trim_newline(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

/* ---- running one binary --------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there; returns false at end of file. */
static bool drain(int fd, char **buf, size_t *len, size_t *cap)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (*len + (size_t)n > OUTPUT_MAX)
		n = (ssize_t)(OUTPUT_MAX - *len);
	if (*len + (size_t)n + 1 > *cap) {
		*cap = (*len + (size_t)n + 1) * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			die("realloc");
	}
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = 0;
	return true;
}

/*
 * Runs path with argv and envp in folder cwd, stdin /dev/null, stdout and
 * stderr into out (stderr into res->err when errfd_separate); kills the
 * process group after limit seconds.
 */
static void spawn(const char *path, char *const *argv, char *const *envp, const char *cwd,
		  unsigned int limit, bool stderr_separate, struct outcome *res)
{
	int outp[2], errp[2] = { -1, -1 }, ws = 0;
	size_t cap = 0, elen = 0, ecap = 0;
	char *ebuf = NULL;
	long long deadline = now_ms() + (long long)limit * 1000;
	bool out_open = true, err_open = stderr_separate;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->out = calloc(1, 1);
	if (pipe2(outp, O_CLOEXEC) || (stderr_separate && pipe2(errp, O_CLOEXEC)))
		die("pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGPIPE, SIG_DFL);
		if (null < 0 || dup2(null, 0) < 0 || dup2(outp[1], 1) < 0 ||
		    dup2(stderr_separate ? errp[1] : outp[1], 2) < 0 || chdir(cwd) < 0)
			_exit(126);
		execve(path, argv, envp);
		dprintf(2, "check-apps: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(outp[1]);
	if (stderr_separate)
		close(errp[1]);
	while (out_open || err_open) {
		struct pollfd pf[2] = { { .fd = out_open ? outp[0] : -1, .events = POLLIN },
					{ .fd = err_open ? errp[0] : -1, .events = POLLIN } };
		long long left = deadline - now_ms();

		if (left <= 0) {
			kill(-pid, SIGKILL);
			res->timed_out = true;
			break;
		}
		if (poll(pf, 2, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			die("poll");
		if (pf[0].revents && !drain(outp[0], &res->out, &res->len, &cap))
			out_open = false;
		if (pf[1].revents && !drain(errp[0], &ebuf, &elen, &ecap))
			err_open = false;
	}
	close(outp[0]);
	if (stderr_separate)
		close(errp[0]);
	/* The process may outlive its pipes (it closed them); it has the rest of the time. */
	while (waitpid(pid, &ws, WNOHANG) == 0) {
		if (now_ms() >= deadline) {
			kill(-pid, SIGKILL);
			res->timed_out = true;
			waitpid(pid, &ws, 0);
			break;
		}
		usleep(10000);
	}
	kill(-pid, SIGKILL); /* anything it left behind */
	res->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1;
	if (ebuf) {
		snprintf(res->err, sizeof(res->err), "%s", ebuf);
		free(ebuf);
	}
}

static char *make_temp(const char *what)
{
	char *d;

	if (asprintf(&d, "%s/%s.XXXXXX", cfg.work, what) < 0 || !mkdtemp(d))
		die("mkdtemp");
	return d;
}

static void remove_tree(const char *dir)
{
	char *argv[] = { "rm", "-rf", (char *)dir, NULL };
	struct outcome o;

	spawn("/bin/rm", argv, (char *const *)fixed_env, "/", 60, false, &o);
	free(o.out);
}

/* The case's argv with @WORK replaced, argv[0] "/bin/NAME"; strings point into c or work. */
static void build_argv(const struct tcase *c, const char *work, char **argv, char *argv0,
		       size_t len)
{
	snprintf(argv0, len, "/bin/%s", c->image_name);
	argv[0] = argv0;
	for (int i = 0; i < c->nargs; i++)
		argv[i + 1] = strcmp(c->args[i], "@WORK") ? c->args[i] : (char *)work;
	argv[c->nargs + 1] = NULL;
}

/* The expected outcome: the binary on this host, from the stage folder. */
static void run_expected(const struct tcase *c, struct outcome *res)
{
	char *argv[MAX_WORDS + 2], argv0[128];
	char *work = make_temp("work");

	build_argv(c, work, argv, argv0, sizeof(argv0));
	spawn(c->program, argv, (char *const *)fixed_env, cfg.stage, cfg.timeout, false, res);
	remove_tree(work);
	free(work);
}

/* --runner host: a root folder holding only the added paths, as the image would. */
static void run_host_standin(const struct tcase *c, struct outcome *res)
{
	char *argv[MAX_WORDS + 2], argv0[128];
	char *root = make_temp("root"), *work = make_temp("work");

	for (int i = 0; i < c->nadds; i++) {
		char link[PATH_MAX], target[PATH_MAX];
		char *slash;

		snprintf(link, sizeof(link), "%s/%s", root, c->adds[i]);
		snprintf(target, sizeof(target), "%s/%s", cfg.stage, c->adds[i]);
		for (slash = strchr(link + strlen(root) + 1, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			*slash = 0;
			mkdir(link, 0755);
			*slash = '/';
		}
		if (symlink(target, link))
			die("symlink");
	}
	build_argv(c, work, argv, argv0, sizeof(argv0));
	spawn(c->program, argv, (char *const *)fixed_env, root, cfg.timeout, false, res);
	remove_tree(work);
	remove_tree(root);
	free(work);
	free(root);
}

/* --runner guest: osprey run BINARY ARGS in a fresh image. */
static void run_guest(const struct tcase *c, struct outcome *res)
{
	char *argv[3 * MAX_WORDS + 32], timeout[32], adds[MAX_ADDS][PATH_MAX + 8];
	extern char **environ;
	int n = 0;

	snprintf(timeout, sizeof(timeout), "%u", cfg.timeout);
	argv[n++] = (char *)cfg.osprey;
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = (char *)cfg.kernel;
	argv[n++] = "--timeout";
	argv[n++] = timeout;
	for (int i = 0; i < c->noptions; i++)
		argv[n++] = c->options[i];
	for (int i = 0; fixed_env[i]; i++) {
		argv[n++] = "--env";
		argv[n++] = (char *)fixed_env[i];
	}
	for (int i = 0; i < c->nadds; i++) {
		snprintf(adds[i], sizeof(adds[i]), "%s/%s:/%s", cfg.stage, c->adds[i], c->adds[i]);
		argv[n++] = "--add";
		argv[n++] = adds[i];
	}
	argv[n++] = (char *)c->program;
	for (int i = 0; i < c->nargs; i++)
		argv[n++] = strcmp(c->args[i], "@WORK") ? c->args[i] : GUEST_WORK;
	argv[n] = NULL;
	/* osprey keeps its own time limit; this one only catches osprey itself hanging. */
	spawn(cfg.osprey, argv, environ, ".", cfg.timeout + 30, true, res);
	/* The one change the transport may make: CR LF for LF. */
	size_t w = 0;

	for (size_t r = 0; r < res->len; r++)
		if (!(res->out[r] == '\r' && r + 1 < res->len && res->out[r + 1] == '\n'))
			res->out[w++] = res->out[r];
	res->len = w;
	res->out[w] = 0;
	/*
	 * A program killed by a signal: Osprey says so on the console, as a
	 * shell would on Linux.  That last line is the kernel's, not the
	 * program's: it is taken out and its presence checked (judge()).
	 */
	char *last = w ? res->out + w - 1 : res->out;

	while (last > res->out && last[-1] != '\n')
		last--;
	if (!strncmp(last, "osprey: ", 8) && strstr(last, " killed by SIG")) {
		res->killed_report = true;
		res->len = (size_t)(last - res->out);
		*last = 0;
	}
}

/* ---- judging --------------------------------------------------------------- */

/* Shows a line with its invisible bytes escaped, at most 100 bytes of it. */
static void visible(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len && i < 100 && n + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 32 && c < 127 && c != '\\')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", c);
	}
	out[n] = 0;
}

/* The first line where a and b differ, as "line N: expected '...', got '...'". */
static void first_difference(const char *a, size_t alen, const char *b, size_t blen, char *why,
			     size_t whylen)
{
	size_t i = 0, line = 1, start = 0;
	char ea[512], eb[512];

	while (i < alen && i < blen && a[i] == b[i]) {
		if (a[i] == '\n') {
			line++;
			start = i + 1;
		}
		i++;
	}
	const char *ae = memchr(a + start, '\n', alen - start);
	const char *be = memchr(b + start, '\n', blen - start);
	size_t al = ae ? (size_t)(ae - a - (long)start) : alen - start;
	size_t bl = be ? (size_t)(be - b - (long)start) : blen - start;

	visible(a + start, al, ea, sizeof(ea));
	visible(b + start, bl, eb, sizeof(eb));
	if (start >= alen)
		snprintf(why, whylen, "line %zu: expected the end of the output, got '%s'", line,
			 eb);
	else if (start >= blen)
		snprintf(why, whylen, "line %zu: expected '%s', got the end of the output", line,
			 ea);
	else if (al == bl && !ae != !be)
		snprintf(why, whylen, "line %zu: '%s': expected %s newline at the end", line, ea,
			 ae ? "a" : "no");
	else
		snprintf(why, whylen, "line %zu: expected '%s', got '%s'", line, ea, eb);
}

/* The first lines of a text, for a failure's report. */
static char *head_lines(const char *label, const char *s, size_t len)
{
	size_t n = 0, lines = 0, cap = 8192;
	char *out = malloc(cap);

	n += (size_t)snprintf(out, cap, "%s:\n", label);
	for (size_t i = 0; i < len && lines < 40 && n + 8 < cap; i++) {
		out[n++] = s[i];
		lines += s[i] == '\n';
	}
	if (n && out[n - 1] != '\n')
		out[n++] = '\n';
	if (lines >= 40)
		n += (size_t)snprintf(out + n, cap - n, "...\n");
	out[n] = 0;
	return out;
}

static void judge(const struct tcase *c)
{
	struct outcome want, got;
	char why[1400] = "";

	run_expected(c, &want);
	if (cfg.host_runner)
		run_host_standin(c, &got);
	else
		run_guest(c, &got);
	if (want.timed_out)
		snprintf(why, sizeof(why), "the host run timed out after %u s", cfg.timeout);
	else if (got.timed_out)
		snprintf(why, sizeof(why), "timed out after %u s", cfg.timeout);
	else if (got.len != want.len || memcmp(got.out, want.out, want.len))
		first_difference(want.out, want.len, got.out, got.len, why, sizeof(why));
	else if (got.status != want.status)
		snprintf(why, sizeof(why), "exit status %d, expected %d", got.status, want.status);
	else if (!cfg.host_runner && want.status > 128 && !got.killed_report)
		snprintf(why, sizeof(why),
			 "no \"osprey: ... killed by SIG...\" report on the console");
	else if (!cfg.host_runner && want.status <= 128 && got.killed_report)
		snprintf(why, sizeof(why), "a kill report, but the program was not killed");
	if (!why[0] && got.status != want.status)
		snprintf(why, sizeof(why), "exit status %d, expected %d", got.status, want.status);
	if (why[0] && got.status != want.status && !strstr(why, "exit status")) {
		size_t l = strlen(why);

		snprintf(why + l, sizeof(why) - l, " (exit status %d, expected %d)", got.status,
			 want.status);
	}
	if (!why[0]) {
		report(c->name, true, NULL, -1, NULL, NULL);
		if (cfg.verbose) {
			char *a = head_lines("output", want.out, want.len);

			for (char *l = strtok(a, "\n"); l; l = strtok(NULL, "\n"))
				printf("  | %s\n", l);
			printf("  | exit status %d\n", want.status);
			free(a);
		}
	} else {
		char *a = head_lines("expected (host)", want.out, want.len);
		char *b =
			head_lines(cfg.host_runner ? "got (host stand-in)" : "got (guest console)",
				   got.out, got.len);
		size_t bl = strlen(b);

		if (got.err[0]) {
			b = realloc(b, bl + strlen(got.err) + 32);
			sprintf(b + bl, "osprey's stderr:\n%s", got.err);
		}
		report(c->name, false, why, -1, a, b);
		free(a);
		free(b);
	}
	free(want.out);
	free(got.out);
}

/* ---- the case files ---------------------------------------------------------- */

/*
 * One case line.  Apps: NAME | PROGRAM | ARGUMENTS | OSPREY OPTIONS;
 * busybox: NAME | ARGUMENTS | ADDED.  Runs every variant that applies.
 */
static int run_line(const char *file, int lineno, const char *line, bool busybox)
{
	char err[128] = "", *names[2] = { NULL, NULL }, *prog[2] = { NULL, NULL };
	struct tcase c;
	const char *p = line;
	int n, ran = 0;

	memset(&c, 0, sizeof(c));
	n = column(&p, names, 1, err, sizeof(err));
	if (n != 1) {
		fprintf(stderr, "%s:%d: expected a case name first%s%s\n", file, lineno,
			err[0] ? ": " : "", err);
		return -1;
	}
	if (!busybox && column(&p, prog, 1, err, sizeof(err)) != 1) {
		fprintf(stderr, "%s:%d: expected NAME | PROGRAM | ARGUMENTS | OPTIONS\n", file,
			lineno);
		free(names[0]);
		return -1;
	}
	c.nargs = column(&p, c.args, MAX_WORDS, err, sizeof(err));
	if (c.nargs >= 0 && busybox)
		c.nadds = column(&p, c.adds, MAX_ADDS, err, sizeof(err));
	else if (c.nargs >= 0)
		c.noptions = column(&p, c.options, MAX_WORDS, err, sizeof(err));
	if (c.nargs < 0 || c.nadds < 0 || c.noptions < 0 || *p) {
		fprintf(stderr, "%s:%d: %s\n", file, lineno, err[0] ? err : "too many columns");
		c.nadds = c.nadds < 0 ? 0 : c.nadds;
		c.noptions = c.noptions < 0 ? 0 : c.noptions;
		c.nargs = c.nargs < 0 ? 0 : c.nargs;
		case_free(&c);
		free(names[0]);
		free(prog[0]);
		return -1;
	}
	for (size_t v = 0; v < (busybox ? 1 : sizeof(variants) / sizeof(variants[0])); v++) {
		if (busybox) {
			snprintf(c.name, sizeof(c.name), "apps.busybox.%s", names[0]);
			snprintf(c.program, sizeof(c.program), "%s", cfg.busybox);
			snprintf(c.image_name, sizeof(c.image_name), "busybox");
		} else {
			snprintf(c.name, sizeof(c.name), "apps.%s.%s", names[0], variants[v]);
			snprintf(c.program, sizeof(c.program), "%s/%s/%s", cfg.bin, variants[v],
				 prog[0]);
			snprintf(c.image_name, sizeof(c.image_name), "%s", prog[0]);
			if (access(c.program, X_OK))
				continue; /* not built for this C library (hello-pie: glibc only) */
		}
		ran++;
		if (cfg.only && fnmatch(cfg.only, c.name, 0))
			continue;
		judge(&c);
	}
	if (!ran && !busybox) {
		char why[PATH_MAX + 64];

		snprintf(why, sizeof(why), "no build of %s in %s/{musl,glibc}", prog[0], cfg.bin);
		snprintf(c.name, sizeof(c.name), "apps.%s", names[0]);
		if (!cfg.only || !fnmatch(cfg.only, c.name, 0)) {
			report(c.name, false, why, -1, NULL, NULL);
		}
	}
	case_free(&c);
	free(names[0]);
	free(prog[0]);
	return 0;
}

static void run_file(const char *file, bool busybox)
{
	char line[8192];
	int lineno = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		die(file);
	while (fgets(line, sizeof(line), f)) {
		const char *s = line;

		lineno++;
		trim_newline(line);
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		if (run_line(file, lineno, s, busybox)) {
			report(file, false, "a bad case line (see above)", -1, NULL, NULL);
		}
	}
	fclose(f);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: check-apps [--runner guest|host] [--only GLOB] [--timeout SEC] [--verbose 0|1]\n"
		"                  --osprey OSPREY\n"
		"                  --kernel KERNEL --bin DIR --busybox FILE --stage DIR --work DIR\n"
		"                  --apps FILE --busybox-cases FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *apps = NULL, *bbcases = NULL;
	char stage[PATH_MAX], busybox[PATH_MAX], bin[PATH_MAX], work[PATH_MAX];

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		i++;
		if (!strcmp(o, "--runner") && (!strcmp(v, "guest") || !strcmp(v, "host")))
			cfg.host_runner = !strcmp(v, "host");
		else if (!strcmp(o, "--verbose"))
			cfg.verbose = !strcmp(v, "1");
		else if (!strcmp(o, "--only"))
			cfg.only = *v ? v : NULL;
		else if (!strcmp(o, "--timeout"))
			cfg.timeout = (unsigned int)atoi(v);
		else if (!strcmp(o, "--osprey"))
			cfg.osprey = v;
		else if (!strcmp(o, "--kernel"))
			cfg.kernel = v;
		else if (!strcmp(o, "--bin"))
			cfg.bin = v;
		else if (!strcmp(o, "--busybox"))
			cfg.busybox = v;
		else if (!strcmp(o, "--stage"))
			cfg.stage = v;
		else if (!strcmp(o, "--work"))
			cfg.work = v;
		else if (!strcmp(o, "--apps"))
			apps = v;
		else if (!strcmp(o, "--busybox-cases"))
			bbcases = v;
		else
			usage();
	}
	if (!cfg.osprey || !cfg.kernel || !cfg.bin || !cfg.busybox || !cfg.stage || !cfg.work ||
	    !apps || !bbcases || !cfg.timeout)
		usage();
	/* Children run elsewhere (the stage folder, a fresh root): absolute paths only. */
	mkdir(cfg.work, 0755);
	if (!realpath(cfg.stage, stage) || !realpath(cfg.busybox, busybox) ||
	    !realpath(cfg.bin, bin) || !realpath(cfg.work, work))
		die("realpath");
	cfg.stage = stage;
	cfg.busybox = busybox;
	cfg.bin = bin;
	cfg.work = work;
	signal(SIGPIPE, SIG_IGN);
	printf("-- apps: %s runner, %u s per case\n",
	       cfg.host_runner ? "host (stand-in for the guest)" : "guest", cfg.timeout);
	fflush(stdout);
	run_file(apps, false);
	run_file(bbcases, true);
	return report_finish();
}
