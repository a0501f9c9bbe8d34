/*
 * System tests: boot the kernel through `osprey run` and judge it from the
 * outside, by its console output and exit status, as a user would.
 *
 *   system-test OSPREY KERNEL [SHIM]
 *
 * With SHIM (tests/linux64), the kernel is also booted through its Linux
 * 64-bit entry: the shim is the PVH image and loads the kernel from -initrd.
 *
 * Prints PASS/FAIL per case and "RESULT: N passed, N failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/capture.h"
#include "../lib/report.h"

#define MAX_LINES 64

struct result {
	struct capture c; /* status, out, len */
	/* Host CLOCK_MONOTONIC (ns) at which each "clock-mark" line arrived. */
	int nmarks;
	double mark_host_ns[MAX_LINES];
	double mark_guest_ns[MAX_LINES];
};

static const char *osprey, *kernel, *initrd;
static struct result r;

static void note_marks(const char *line_start, size_t n, double t)
{
	int idx;
	unsigned long long g;
	char line[128];

	if (n >= sizeof(line))
		return;
	memcpy(line, line_start, n);
	line[n] = 0;
	if (sscanf(line, "clock-mark %d %llu", &idx, &g) == 2 && r.nmarks < MAX_LINES) {
		r.mark_host_ns[r.nmarks] = t;
		r.mark_guest_ns[r.nmarks] = (double)g;
		r.nmarks++;
	}
}

/* Runs osprey with the given arguments (NULL-terminated), capturing stdout+stderr. */
static void run(const char *first, ...)
{
	const char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = osprey;
	argv[argc++] = "run";
	argv[argc++] = "--timeout";
	argv[argc++] = "60";
	argv[argc++] = "--kernel";
	argv[argc++] = kernel;
	if (initrd) {
		argv[argc++] = "--initrd";
		argv[argc++] = initrd;
	}
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	r.nmarks = 0;
	capture_run(argv, &r.c, note_marks);
}

static void verdict(const char *name, bool ok, const char *why)
{
	report(name, ok, why, r.c.status, r.c.out, NULL);
}

static bool has(const char *s)
{
	return strstr(r.c.out, s) != NULL;
}

static void default_image(const char *machine)
{
	char name[64];

	snprintf(name, sizeof(name), "boot.default_image.%s", machine);
	run("--machine", machine, NULL);
	verdict(name,
		r.c.status == 0 && has("Osprey unikernel (PVH boot)") && has("memory map:") &&
			has(" ram\n") && has("cpu: ") && has("clock: tsc ") &&
			has("bootchart: total "),
		"expected banner, memory map, CPU features, boot chart and status 0");
}

static void power_path(const char *machine, const char *how)
{
	char name[64], arg[32];

	snprintf(name, sizeof(name), "power.%s.%s", how, machine);
	snprintf(arg, sizeof(arg), "--poweroff=%s", how);
	run("--machine", machine, "-e", arg, NULL);
	verdict(name, r.c.status == 0 && !has("did not stop the machine"),
		"the power-off path did not stop the machine by itself");
}

/*
 * The console is the program's terminal: what arrives on the serial line
 * reaches its descriptor 0.  tests/linux/stdin_echo.c, built here with the
 * host's static C compiler, prompts, reads stdin to end of file twice and
 * echoes it.  Its input is osprey run's stdin, a pipe written once the
 * prompt shows, as a user types; osprey relays it to the serial line and
 * ends it with Ctrl-D (tools/osprey/relay.c), so Ctrl-Ds typed into the
 * input end it early, as on a terminal.
 */
static int console_input_fd = -1;

/*
 * Run argv with stdin a pipe that holds `input` before osprey starts and
 * then ends (at most a pipe's 64 KiB), or /dev/null when input is NULL.
 */
static void run_with_input(const char *const *argv, const char *input, size_t len)
{
	int fds[2], saved, in;

	r.c.status = -1;
	snprintf(r.c.out, sizeof(r.c.out), "system-test: cannot make the input");
	if (input) {
		if (pipe2(fds, O_CLOEXEC))
			return;
		if (write(fds[1], input, len) != (ssize_t)len) {
			close(fds[0]);
			close(fds[1]);
			return;
		}
		close(fds[1]);
		in = fds[0];
	} else {
		in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in < 0)
			return;
	}
	saved = dup(0);
	dup2(in, 0); /* without O_CLOEXEC: the child gets it */
	close(in);
	capture_run(argv, &r.c, NULL);
	dup2(saved, 0);
	close(saved);
}

static void type_on_prompt(const char *line, size_t n, double t_ns)
{
	static const char input[] = "hello\rworld\n\004again\004";
	static const char prompt[] = "stdin_echo: type now";

	(void)t_ns;
	if (console_input_fd < 0 || n < sizeof(prompt) - 1 ||
	    memcmp(line, prompt, sizeof(prompt) - 1))
		return;
	if (write(console_input_fd, input, sizeof(input) - 1) != sizeof(input) - 1)
		perror("system-test: write to the console");
	close(console_input_fd);
	console_input_fd = -1;
}

static void console_input(void)
{
	static const char *const ccs[] = { "musl-gcc", "gcc" };
	char dir[] = "/tmp/osprey-systest.XXXXXX", prog[64], cmd[256];
	const char *argv[] = { osprey, "run", "--timeout", "60", "--kernel", kernel, prog, NULL };
	int fds[2], saved = -1;
	bool built = false;

	if (!mkdtemp(dir)) {
		report("console.stdin_reaches_the_program", false, "mkdtemp failed", -1, NULL,
		       NULL);
		return;
	}
	snprintf(prog, sizeof(prog), "%s/stdin_echo", dir);
	for (size_t i = 0; i < sizeof(ccs) / sizeof(ccs[0]) && !built; i++) {
		snprintf(cmd, sizeof(cmd),
			 "%s -static -O2 -o %s tests/linux/stdin_echo.c 2>/dev/null", ccs[i], prog);
		built = system(cmd) == 0;
	}
	if (!built) {
		report("console.stdin_reaches_the_program", false,
		       "could not build tests/linux/stdin_echo.c (musl-gcc or gcc -static)", -1,
		       NULL, NULL);
		goto out_rmdir;
	}
	/* osprey, then QEMU, inherit fd 0: a pipe the prompt's callback writes */
	if (pipe2(fds, O_CLOEXEC)) {
		report("console.stdin_reaches_the_program", false, "pipe failed", -1, NULL, NULL);
		goto out_unlink;
	}
	saved = dup(0);
	dup2(fds[0], 0); /* without O_CLOEXEC: the child gets it */
	close(fds[0]);
	console_input_fd = fds[1];
	capture_run(argv, &r.c, type_on_prompt);
	if (console_input_fd >= 0)
		close(console_input_fd); /* no prompt came */
	console_input_fd = -1;
	dup2(saved, 0);
	close(saved);
	verdict("console.stdin_reaches_the_program",
		r.c.status == 0 && has("poll stdin: 1 POLLIN\n") &&
			has("echo: hello\necho: world\nend of file after 12 bytes\n") &&
			has("echo: again\nend of file after 5 bytes\n"),
		"expected the input echoed (CR read as NL), two ends of file and status 0");
	/* An input that is not a terminal ends where it ends, for every read after. */
	run_with_input(argv, NULL, 0);
	verdict("console.dev_null_is_end_of_file",
		r.c.status == 0 &&
			has("poll stdin: 1 POLLIN\nend of file after 0 bytes\nend of file after 0 bytes\n"),
		"expected with stdin /dev/null: poll ready at once, two reads of end of file, status 0");
out_unlink:
	unlink(prog);
out_rmdir:
	rmdir(dir);
}

/*
 * `printf 'hello\nworld\n' | osprey run busybox cat`: the input, already
 * there when the guest boots, comes out whole (its first byte too: the
 * UART's set-up empties its FIFO, and osprey waits for the kernel's
 * osprey:ready), and its end ends cat, status 0.  Then 4 KB, far more than
 * the UART holds, byte for byte.  busybox is Debian's static one
 * (scripts/deps.sh).
 */
static void piped_input(void)
{
	static const char busybox[] = "build/busybox/bin/busybox";
	const char *argv[] = { osprey, "run",	"--timeout", "60", "--kernel",
			       kernel, busybox, "cat",	     NULL };
	static char big[4000];
	size_t n = 0;

	if (access(busybox, X_OK)) {
		printf("SKIP console.piped_input_*: no %s (scripts/deps.sh)\n", busybox);
		return;
	}
	run_with_input(argv, "hello\nworld\n", 12);
	verdict("console.piped_input_reaches_cat",
		r.c.status == 0 && strcmp(r.c.out, "hello\nworld\n") == 0,
		"expected exactly 'hello\\nworld\\n' and status 0");
	for (int i = 0; n + 32 < sizeof(big); i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "line %05d of the input\n", i);
	run_with_input(argv, big, n);
	verdict("console.piped_input_not_truncated",
		r.c.status == 0 && r.c.len == n && memcmp(r.c.out, big, n) == 0,
		"expected the 4 KB input back byte for byte and status 0");
}

static void clock_rate(void)
{
	run("-e", "--test=clock.host_marks", NULL);
	if (r.c.status != 0 || r.nmarks < 9) {
		verdict("clock.rate_matches_host", false, "no clock marks");
		return;
	}
	double host = r.mark_host_ns[r.nmarks - 1] - r.mark_host_ns[1];
	double guest = r.mark_guest_ns[r.nmarks - 1] - r.mark_guest_ns[1];
	double ratio = guest / host;
	char why[128];

	snprintf(why, sizeof(why), "guest %.1f ms vs host %.1f ms (ratio %.4f)", guest / 1e6,
		 host / 1e6, ratio);
	printf("  clock: %s\n", why);
	verdict("clock.rate_matches_host", ratio > 0.99 && ratio < 1.01, why);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: system-test OSPREY KERNEL\n");
		return 2;
	}
	osprey = argv[1];
	kernel = argv[2];
	signal(SIGPIPE, SIG_IGN);

	default_image("microvm");
	default_image("q35");
	default_image("pc");

	run("-e", "--bogus /app", NULL);
	verdict("cmdline.unknown_option_stops_boot",
		r.c.status == 64 && has("bad kernel command line: unknown option --bogus"),
		"expected status 64 naming --bogus");
	run("-e", "--loglevel=99", NULL);
	verdict("cmdline.bad_value_stops_boot",
		r.c.status == 64 && has("bad value for --loglevel: '99' (expected 0..7)"),
		"expected status 64 naming --loglevel");
	run("-e", "--bootchart", NULL);
	verdict("cmdline.bootchart_lists_phases",
		r.c.status == 0 && has("bootchart: entry") && has("bootchart: mmu") &&
			has("bootchart: clock"),
		"expected the boot phases");

	run("-e", "--test-death=fault.page_fault", NULL);
	verdict("panic.status_reaches_host",
		r.c.status == 70 && has("panic: page fault at test_fault_page_fault+"),
		"expected status 70 and the panic");
	run("-e", "/bin/prog arg", NULL);
	verdict("app.not_yet_supported_is_clear", r.c.status == 127 && has("cannot run /bin/prog"),
		"expected status 127 and a message");

	static const char *const machines[] = { "microvm", "q35", "pc" };

	for (int i = 0; i < 3; i++) {
		power_path(machines[i], "acpi");
		power_path(machines[i], "reset");
	}
	clock_rate();
	console_input();
	piped_input();

	if (argc > 3) {
		initrd = kernel;
		kernel = argv[3];
		run(NULL);
		verdict("linux64.default_image",
			r.c.status == 0 && has("Osprey unikernel (Linux 64-bit boot)") &&
				has(" ram\n") && has("bootchart: total "),
			"expected the banner of a Linux 64-bit boot and status 0");
		run("-e", "--test=*", NULL);
		verdict("linux64.kernel_tests_pass",
			r.c.status == 0 && has("PASS boot.memory_map_holds_the_kernel") &&
				has("RESULT: ") && has(" passed, 0 failed"),
			"expected every in-kernel test to pass after a Linux 64-bit boot");
		run("-e", "--test-death=fault.page_fault", NULL);
		verdict("linux64.panic_backtrace",
			r.c.status == 70 && has("test_fault_page_fault+") && has("test_run_death+"),
			"expected status 70 and a backtrace");
	}

	return report_finish();
}
