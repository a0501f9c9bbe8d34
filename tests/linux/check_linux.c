/*
 * check-linux: static Linux programs run on Osprey (`osprey run PROGRAM`),
 * each case checking the exit status and what the console shows.
 *
 *   check-linux OSPREY KERNEL BINDIR
 *
 * BINDIR holds the test programs built by mk/linux.mk: abi-* and
 * procself-* (tests/linux/abi.c and procself.c, which check themselves and
 * print ALL PASSED),
 * hello-musl, hello-glibc, hello-pie, hello-dynamic, segv-musl and
 * segv-glibc.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../lib/capture.h"
#include "../lib/report.h"

static const char *osprey, *kernel, *bindir;
static struct capture c;

/* osprey run --kernel K [OPTS...] -- then the program and its arguments; NULL ends each list. */
static void run(const char *const *opts, const char *prog, const char *const *args)
{
	const char *argv[40];
	static char path[4096];
	int n = 0;

	argv[n++] = osprey;
	argv[n++] = "run";
	argv[n++] = "--timeout";
	argv[n++] = "120";
	argv[n++] = "--kernel";
	argv[n++] = kernel;
	for (; opts && *opts && n < 30; opts++)
		argv[n++] = *opts;
	if (prog) {
		snprintf(path, sizeof(path), "%s/%s", bindir, prog);
		argv[n++] = path;
	}
	for (; args && *args && n < 39; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	capture_run(argv, &c, NULL);
}

static bool has(const char *s)
{
	return strstr(c.out, s) != NULL;
}

static void expect(const char *name, int status, const char *text)
{
	char why[256];
	bool ok = c.status == status && (!text || has(text));

	snprintf(why, sizeof(why), "expected status %d%s%s%s", status, text ? " and \"" : "",
		 text ? text : "", text ? "\"" : "");
	report(name, ok, why, c.status, c.out, NULL);
}

/* A self-checking program (tests/linux/TEST.c): exit 0 and ALL PASSED. */
static void selfcheck(const char *test, const char *libc, const char *cpus)
{
	const char *opts[] = { "-c", cpus, "--env", "HOME=/home/osprey", NULL };
	const char *args[] = { "one", "two words", NULL };
	char prog[32], name[64];

	snprintf(prog, sizeof(prog), "%s-%s", test, libc);
	snprintf(name, sizeof(name), "linux.%s_%s_%scpu", test, libc, cpus);
	run(opts, prog, args);
	expect(name, 0, "ALL PASSED");
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: check-linux OSPREY KERNEL BINDIR\n");
		return 2;
	}
	osprey = argv[1];
	kernel = argv[2];
	bindir = argv[3];

	selfcheck("abi", "musl", "1");
	selfcheck("abi", "glibc", "1");
	selfcheck("abi", "musl", "2");
	selfcheck("abi", "glibc", "4");
	selfcheck("procself", "musl", "1");
	selfcheck("procself", "glibc", "2");

	const char *two[] = { "a", "b c", NULL };

	run(NULL, "hello-musl", two);
	expect("linux.static_musl_exit_status", 3, "hello from /bin/hello-musl with 2 arguments\n");
	run(NULL, "hello-glibc", NULL);
	expect("linux.static_glibc", 0, "hello from /bin/hello-glibc with 0 arguments\n");
	run(NULL, "hello-pie", two);
	expect("linux.static_pie", 3, "hello from /bin/hello-pie with 2 arguments\n");
	report("linux.quiet_console", c.status == 3 && !strncmp(c.out, "hello from", 10),
	       "the console shows only what the program prints", c.status, c.out, NULL);

	run(NULL, "hello-dynamic", NULL);
	expect("linux.dynamic_refused", 126, "dynamically linked program (PT_INTERP)");

	const char *missing[] = { "-e", "/bin/no-such-program", NULL };

	run(missing, NULL, NULL);
	expect("linux.missing_program", 127, "cannot run /bin/no-such-program: no such file");

	run(NULL, "segv-musl", NULL);
	expect("linux.segv_musl_status_139", 139,
	       "killed by SIGSEGV (segmentation fault) at address 0x10, instruction at 0x");
	run(NULL, "segv-glibc", NULL);
	expect("linux.segv_glibc_status_139", 139, "before the fault\n");

	const char *strace[] = { "-e", "--strace", NULL };

	run(strace, "hello-musl", NULL);
	expect("linux.strace_writev", 0,
	       "writev(1, [{iov_base=\"hello from /bin/hello-musl with \"..., iov_len=33}, "
	       "{iov_base=\" arguments\\n\", iov_len=11}], 2) = 44\n");
	expect("linux.strace_exit_group", 0, "exit_group(0) = ?\n");

	const char *verbose[] = { "-e", "--verbose", NULL };

	run(verbose, "hello-glibc", two);
	expect("linux.enosys_counted", 3, "system calls answered ENOSYS)");
	return report_finish();
}
