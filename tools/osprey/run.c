/*
 * One guest boot, and the `run` command built on it.
 *
 * boot_guest() runs QEMU as a child and waits for it in one poll() loop over
 * a signalfd (SIGCHLD, and the SIGINT/SIGTERM/SIGHUP we forward to QEMU) and,
 * when the console is captured, the pipe that QEMU's stdout and stderr write
 * into.  The same loop enforces the timeout: SIGTERM first, so that QEMU can
 * put the terminal back the way it found it, then SIGKILL two seconds later.
 *
 * When our standard output is a regular file, QEMU's standard output is a
 * pipe that this loop copies into it every BATCH_MS and at the end, without
 * polling it: QEMU's serial port writes every byte with a system call of
 * its own, ~1.2 us into a file but less than half that into a pipe nobody
 * is waiting on, which is ~0.4 ms of the default image's boot.  A terminal
 * or a pipe gets QEMU's output directly, at once: someone may be watching
 * it as it comes (tests/system times the guest's clock by it).
 *
 * QEMU's stdin is osprey's when that is a terminal (QEMU makes it raw; the
 * user types Ctrl-D for end of file and Ctrl-C stops both), /dev/null when
 * the console is captured, and otherwise a pipe that the relay (relay.c)
 * feeds from osprey's stdin in the same loop, ending it with Ctrl-Ds.
 *
 * The guest's status comes back as docs/host-guest.md says: the last
 * "osprey:exit=N" line on the debug console (a private mkstemp file, removed
 * afterwards), else QEMU's exit code from isa-debug-exit, (v << 1) | 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "osprey.h"

#define CONSOLE_MAX (16u << 20) /* captured console kept per boot */
#define DEBUGCON_TAIL 65536	/* the status line is near the end */
#define KILL_GRACE_MS 2000
#define BATCH_MS 10	     /* console copied out at least this often */
#define BATCH_PIPE (1 << 20) /* so that QEMU rarely waits for a copy */

enum console_mode {
	CONSOLE_DIRECT,	 /* QEMU writes to our standard output */
	CONSOLE_CAPTURE, /* into res->console (stdin /dev/null, stderr too) */
	CONSOLE_BATCH,	 /* through a pipe we copy to our standard output */
};

static const char exit_prefix[] = "osprey:exit=";

/* The last line "osprey:exit=N" (N in 0..255) in buf; -ENOENT if none. */
int debugcon_status(const char *buf, size_t len, int *status)
{
	const char *p = buf, *end = buf + len;
	int found = -ENOENT;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t plen = sizeof(exit_prefix) - 1;

		if (eol > p && eol[-1] == '\r')
			eol--;
		if ((size_t)(eol - p) > plen && memcmp(p, exit_prefix, plen) == 0 &&
		    eol - p - plen <= 3) {
			const char *d = p + plen;
			int v = 0;

			while (d < eol && *d >= '0' && *d <= '9')
				v = v * 10 + (*d++ - '0');
			if (d == eol && v <= 255) {
				*status = v;
				found = 0;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return found;
}

/*
 * Map one boot to the guest's status.  QEMU's own errors (it cannot load the
 * kernel, say) exit 1, which is also what isa-debug-exit makes of status 0;
 * since the kernel always writes its debugcon line before it exits, an exit
 * code of 1 without that line is taken as QEMU's failure, not success.
 */
int guest_status(const char *dc, size_t dclen, int wstatus, char *why, size_t whylen)
{
	int st;

	why[0] = '\0';
	if (debugcon_status(dc, dclen, &st) == 0)
		return st;
	if (WIFEXITED(wstatus)) {
		int code = WEXITSTATUS(wstatus);

		if ((code & 1) && code != 1)
			return code >> 1;
		if (code == 1)
			snprintf(why, whylen,
				 "QEMU failed (exit status 1) before the guest reported a status");
		else
			snprintf(why, whylen,
				 "the guest stopped without reporting a status (QEMU exit status %d; a triple fault?)",
				 code);
	} else if (WIFSIGNALED(wstatus)) {
		snprintf(why, whylen, "QEMU was killed by signal %d (%s)", WTERMSIG(wstatus),
			 strsignal(WTERMSIG(wstatus)));
	} else {
		snprintf(why, whylen, "QEMU ended in an unknown way (wait status %#x)", wstatus);
	}
	return OSPREY_EXIT_NOSTATUS;
}

static bool stdout_is_file(void)
{
	struct stat st;

	return fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void console_append(struct boot_result *res, const char *buf, size_t n)
{
	char *nb;

	if (res->console_len + n > CONSOLE_MAX)
		return;
	nb = realloc(res->console, res->console_len + n + 1);
	if (!nb)
		return;
	res->console = nb;
	memcpy(res->console + res->console_len, buf, n);
	res->console_len += n;
	res->console[res->console_len] = '\0';
}

/* Writes all of buf to our standard output; gives up on an error (a closed pipe). */
static void copy_out(const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/*
 * Read what the pipe has, into res->console or (batch) out to our standard
 * output; returns false once it reached end of file.
 */
static bool drain(int fd, enum console_mode mode, struct boot_result *res)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0) {
			if (mode == CONSOLE_BATCH)
				copy_out(buf, (size_t)n);
			else
				console_append(res, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

/*
 * In the child, between vfork and exec: only async-signal-safe calls, and
 * no writes to memory but its own locals and errno (the parent's memory is
 * shared until the exec).  vfork rather than fork: QEMU starts without
 * this process's page tables being copied first, ~0.1 ms on every boot.
 * infd (or -1) becomes its stdin; in capture mode outfd becomes its stdout
 * and stderr, with stdin /dev/null; in batch mode its stdout.
 */
static __attribute__((noreturn)) void exec_child(char *const *argv, const sigset_t *mask, int infd,
						 enum console_mode mode, int outfd, int errfd)
{
	int e;

	sigprocmask(SIG_SETMASK, mask, NULL);
	signal(SIGPIPE, SIG_DFL); /* the relay ignores it; exec would keep that */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (infd >= 0) {
		/* dup2 of an fd onto itself would keep its close-on-exec */
		if ((infd == 0 ? fcntl(0, F_SETFD, 0) : dup2(infd, 0)) < 0)
			goto out_report;
	}
	if (mode == CONSOLE_CAPTURE) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
			goto out_report;
	} else if (mode == CONSOLE_BATCH) {
		if (dup2(outfd, 1) < 0)
			goto out_report;
	}
	execv(argv[0], argv);
out_report:
	e = errno;
	while (write(errfd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/*
 * Wait for the child, forwarding signals, reading the console pipe (outfd,
 * or -1), feeding its stdin (relay, or NULL) and enforcing the timeout.
 * Fills *wstatus.
 */
static void wait_child(pid_t pid, int sfd, enum console_mode mode, int outfd, struct relay *relay,
		       unsigned int timeout, struct boot_result *res, int *wstatus)
{
	int64_t deadline = timeout ? now_ms() + (int64_t)timeout * 1000 : 0, kill_at = 0;
	bool exited = false, batch = mode == CONSOLE_BATCH;

	while (!exited || outfd >= 0) {
		/* poll() skips an entry whose fd is -1 */
		/* A batch pipe is not polled: a waiting reader would make each write wake it. */
		struct pollfd pf[2 + RELAY_NFDS] = { { .fd = sfd, .events = POLLIN },
						     { .fd = batch ? -1 : outfd,
						       .events = POLLIN } };
		int64_t wake = kill_at ? kill_at : (res->timed_out ? 0 : deadline);
		int ms = -1;

		if (exited) {
			/* QEMU is gone: take what is left in the pipe, and no more. */
			drain(outfd, mode, res);
			close(outfd);
			outfd = -1;
			break;
		}
		if (wake) {
			int64_t left = wake - now_ms();

			ms = left < 0 ? 0 : (int)left;
		}
		if (relay)
			relay_pollfds(relay, pf + 2);
		else
			for (int i = 2; i < 2 + RELAY_NFDS; i++)
				pf[i].fd = -1;
		if (batch && (ms < 0 || ms > BATCH_MS))
			ms = BATCH_MS;
		if (poll(pf, 2 + RELAY_NFDS, ms) < 0 && errno == EINTR)
			continue;
		if (batch && outfd >= 0 && !drain(outfd, mode, res)) {
			close(outfd);
			outfd = -1;
		}
		if (wake && now_ms() >= wake) {
			if (kill_at) {
				kill(pid, SIGKILL);
				kill_at = 0;
			} else {
				res->timed_out = true;
				kill(pid, SIGTERM);
				kill_at = now_ms() + KILL_GRACE_MS;
			}
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo != SIGCHLD) {
					res->signal = (int)si.ssi_signo;
					kill(pid, (int)si.ssi_signo);
				}
			}
			if (waitpid(pid, wstatus, WNOHANG) == pid)
				exited = true;
		}
		if (outfd >= 0 && !batch && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (!drain(outfd, mode, res)) {
				close(outfd);
				outfd = -1;
			}
		}
		if (relay && !exited)
			relay_events(relay, pf + 2);
	}
	if (!exited)
		waitpid(pid, wstatus, 0);
}

/*
 * vfork, and exec_child() in the child, which never returns (exec or
 * _exit).  A function of its own, so that nothing of spawn() lives across
 * the vfork.  The child's pid, or -1 with errno.
 */
static pid_t start_child(char *const *argv, const sigset_t *mask, int infd, enum console_mode mode,
			 int outfd, int errfd)
{
	pid_t pid = vfork();

	if (pid == 0)
		exec_child(argv, mask, infd, mode, outfd, errfd);
	return pid;
}

/*
 * Start argv (argv[0] a path) with vfork and exec, wait for it.  qemu_in, when not -1,
 * becomes QEMU's stdin; spawn closes it.  Returns 0 with *wstatus filled,
 * or a negative errno if QEMU could not be started (why says so).
 */
static int spawn(char *const *argv, unsigned int timeout, enum console_mode mode,
		 struct relay *relay, int qemu_in, struct boot_result *res, int *wstatus)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, oldpipe;
	sigset_t set, old;
	int sfd, errp[2], outp[2] = { -1, -1 }, child_errno = 0, ret;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0) {
		ret = -errno;
		goto out_close_in;
	}
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		ret = -errno;
		goto out_unblock;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out_close_sfd;
	}
	if (mode != CONSOLE_DIRECT && pipe2(outp, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out_close_errp;
	}
	if (mode == CONSOLE_BATCH)
		fcntl(outp[0], F_SETPIPE_SZ, BATCH_PIPE); /* best effort */
	/*
	 * A write into the pipe of a QEMU that just exited, or to a reader of
	 * our output that went away, is EPIPE, not death.
	 */
	sigaction(SIGPIPE, &ign, &oldpipe);
	pid = start_child(argv, &old, qemu_in, mode, outp[1], errp[1]);
	if (pid < 0) {
		ret = -errno;
		goto out_close_outp;
	}

	if (qemu_in >= 0)
		close(qemu_in); /* QEMU's now: its exit makes our writes EPIPE */
	qemu_in = -1;
	close(errp[1]);
	errp[1] = -1;
	if (outp[1] >= 0) {
		close(outp[1]);
		outp[1] = -1;
		fcntl(outp[0], F_SETFL, O_NONBLOCK);
	}
	/* Closed by exec (success), or the child's errno. */
	while ((ret = (int)read(errp[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	if (ret == sizeof(child_errno)) {
		waitpid(pid, wstatus, 0);
		snprintf(res->why, sizeof(res->why), "cannot run %s: %s", argv[0],
			 strerror(child_errno));
		ret = -child_errno;
		goto out_close_outp;
	}
	wait_child(pid, sfd, mode, outp[0], relay, timeout, res, wstatus);
	outp[0] = -1; /* wait_child closed it */
	ret = 0;
out_close_outp:
	sigaction(SIGPIPE, &oldpipe, NULL);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
out_close_errp:
	close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
out_close_sfd:
	close(sfd);
out_unblock:
	sigprocmask(SIG_SETMASK, &old, NULL);
out_close_in:
	if (qemu_in >= 0)
		close(qemu_in);
	return ret;
}

static size_t read_tail(int fd, char *buf, size_t cap)
{
	struct stat st;
	off_t off = 0;
	size_t got = 0;

	if (fstat(fd, &st) == 0 && st.st_size > (off_t)cap)
		off = st.st_size - (off_t)cap;
	while (got < cap) {
		ssize_t n = pread(fd, buf + got, cap - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

void boot_result_free(struct boot_result *res)
{
	free(res->console);
	res->console = NULL;
	res->console_len = 0;
}

/*
 * Boot once.  The console goes to osprey's stdout, or into res->console when
 * `capture` (stdin is then /dev/null).  Without capture, a stdin that is not
 * a terminal is relayed (relay.c).  Returns 0 with res->status set, or a
 * negative errno when the boot could not be attempted (res->why says why).
 */
int boot_guest(const struct qemu_spec *spec_in, unsigned int timeout, bool capture, bool verbose,
	       struct boot_result *res)
{
	struct qemu_spec spec = *spec_in;
	struct strvec argv = { 0 };
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX], *dc;
	struct termios tio;
	struct relay relay;
	/* Asked before any fd is made: a closed fd 0 would be reused. */
	bool stdin_open = fcntl(0, F_GETFD) >= 0;
	bool tty = !capture && isatty(0) && tcgetattr(0, &tio) == 0;
	/*
	 * Only a program can read the console; without one, QEMU's stdin stays
	 * osprey's (a pipe that never ends makes QEMU's boot up to tens of ms
	 * slower now and then, which bench-boot saw).
	 */
	bool relayed = !capture && !tty && cmdline_runs_program(spec_in->cmdline);
	enum console_mode mode = capture	  ? CONSOLE_CAPTURE :
				 stdout_is_file() ? CONSOLE_BATCH :
						    CONSOLE_DIRECT;
	int fd, ret, wstatus = 0, qemu_in = -1;
	size_t dclen;

	memset(res, 0, sizeof(*res));
	snprintf(path, sizeof(path), "%s/osprey-ctl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(res->why, sizeof(res->why), "cannot create a debug-console file in %s: %s",
			 tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return ret;
	}
	spec.debugcon = path;
	ret = qemu_argv(&spec, &argv);
	if (ret) {
		snprintf(res->why, sizeof(res->why), "out of memory");
		goto out_remove_file;
	}
	if (verbose) {
		fputs("osprey: ", stderr);
		print_argv(stderr, argv.v);
	}
	if (relayed) {
		ret = relay_open(&relay, stdin_open ? 0 : -1, fd, path, &qemu_in);
		if (ret) {
			snprintf(res->why, sizeof(res->why),
				 "cannot make a pipe for the guest's input: %s", strerror(-ret));
			goto out_free_argv;
		}
		if (verbose)
			fputs("osprey: stdin is not a terminal: the program gets it when it starts, then end of file\n",
			      stderr);
	}
	fflush(NULL);
	ret = spawn(argv.v, timeout, mode, relayed ? &relay : NULL, qemu_in, res, &wstatus);
	if (relayed)
		relay_close(&relay);
	if (ret)
		goto out_free_argv;
	/* QEMU leaves the terminal raw if it had no chance to clean up. */
	if (tty && (res->timed_out || WIFSIGNALED(wstatus)) && tcgetpgrp(0) == getpgrp())
		tcsetattr(0, TCSANOW, &tio);

	dc = malloc(DEBUGCON_TAIL);
	if (!dc) {
		ret = -ENOMEM;
		snprintf(res->why, sizeof(res->why), "out of memory");
		goto out_free_argv;
	}
	dclen = read_tail(fd, dc, DEBUGCON_TAIL);
	if (res->signal) {
		res->status = 128 + res->signal;
		snprintf(res->why, sizeof(res->why), "interrupted by signal %d (%s)", res->signal,
			 strsignal(res->signal));
	} else if (res->timed_out) {
		res->status = OSPREY_EXIT_TIMEOUT;
		snprintf(res->why, sizeof(res->why), "guest timed out after %u s", timeout);
	} else {
		res->status = guest_status(dc, dclen, wstatus, res->why, sizeof(res->why));
	}
	free(dc);
out_free_argv:
	strvec_free(&argv);
out_remove_file:
	close(fd);
	unlink(path);
	return ret;
}

static int check_file(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "osprey: %s %s: %s\n", what, path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "osprey: %s %s: not a regular file\n", what, path);
		return -EINVAL;
	}
	if (access(path, R_OK) < 0) {
		fprintf(stderr, "osprey: %s %s: %s\n", what, path, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * Check what a boot needs (kernel, initrd, accelerator, QEMU) and fill *spec
 * from *o.  Prints the one error line itself and returns the command's exit
 * status (2 or 125), or 0.  Without need_qemu (a dry run) a missing QEMU is
 * shown by its bare name.
 */
int host_prepare(const struct osprey_opts *o, struct qemu_spec *spec, char *qemu_path,
		 size_t qemu_len, bool need_qemu)
{
	struct kvm_probe probe;
	char err[256];

	if (check_file("kernel", o->kernel))
		return OSPREY_EXIT_USAGE;
	if (o->initrd && check_file("initrd", o->initrd))
		return OSPREY_EXIT_USAGE;
	for (unsigned int i = 0; i < o->ndisks; i++)
		if (check_file("disk", o->disks[i].file))
			return OSPREY_EXIT_USAGE;
	memset(spec, 0, sizeof(*spec));
	kvm_probe("", &probe);
	if (accel_resolve(o->accel, &probe, &spec->accel, err, sizeof(err))) {
		fprintf(stderr, "osprey: %s\n", err);
		return OSPREY_EXIT_USAGE;
	}
	if (qemu_find(getenv("PATH"), qemu_path, qemu_len)) {
		if (need_qemu) {
			fprintf(stderr, "osprey: %s not found in PATH (run scripts/deps.sh)\n",
				OSPREY_QEMU);
			return OSPREY_EXIT_NOSTATUS;
		}
		snprintf(qemu_path, qemu_len, "%s", OSPREY_QEMU);
	}
	spec->qemu = qemu_path;
	spec->mem = o->mem;
	spec->cpus = o->cpus;
	spec->machine = o->machine;
	spec->bios = machine_bios(o->machine);
	spec->kernel = o->kernel;
	spec->initrd = o->initrd;
	spec->disks = o->disks;
	spec->ndisks = o->ndisks;
	spec->cmdline = o->cmdline;
	spec->debug = o->debug;
	return 0;
}

static int run_dry(const struct qemu_spec *spec_in)
{
	struct qemu_spec spec = *spec_in;
	struct strvec argv;
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];

	/* The file is made when the boot happens; show its mkstemp template. */
	snprintf(path, sizeof(path), "%s/osprey-ctl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	spec.debugcon = path;
	if (qemu_argv(&spec, &argv)) {
		fprintf(stderr, "osprey: out of memory\n");
		return OSPREY_EXIT_NOSTATUS;
	}
	print_argv(stdout, argv.v);
	strvec_free(&argv);
	return fflush(stdout) == 0 ? 0 : OSPREY_EXIT_NOSTATUS;
}

/*
 * --trace=GLOB: the kernel option goes first on the command line (kernel
 * options precede the application), and COM2 goes to the trace file.
 * Returns the combined command line to free, or NULL (out of memory).
 */
static char *trace_prepare(const struct osprey_opts *o, struct qemu_spec *spec)
{
	char *line;

	if (asprintf(&line, "--trace=%s%s%s", o->trace, o->cmdline && *o->cmdline ? " " : "",
		     o->cmdline ? o->cmdline : "") < 0)
		return NULL;
	spec->cmdline = line;
	if (strcmp(o->trace, "list") != 0)
		spec->trace_file = o->trace_out ? o->trace_out : OSPREY_DEFAULT_TRACE;
	return line;
}

/* A trace that should be there and is empty gets one line saying why it may be. */
static void trace_check_output(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && st.st_size > 0)
		return;
	fprintf(stderr,
		"osprey: no trace was written to %s (the kernel has tracing compiled out, no tracepoint matched, or the guest did not reach power-off)\n",
		path);
}

/*
 * The program form's checks and image (run_prog.c).  Returns 0 with
 * image_path filled, or the exit status after printing the one error line.
 */
static int prog_prepare(struct osprey_opts *o, char *image_path, size_t len)
{
	struct stat st;
	char err[2048];
	int status;

	if (o->initrd) {
		fprintf(stderr, "osprey: a program to run and --initrd both give the root image\n");
		return OSPREY_EXIT_USAGE;
	}
	if (stat(o->prog, &st) < 0 && !strchr(o->prog, '/')) {
		fprintf(stderr,
			"osprey: run: unexpected argument '%s': no such file here (a program to run is a host path, e.g. ./%s)\n",
			o->prog, o->prog);
		return OSPREY_EXIT_USAGE;
	}
	if (check_file("program", o->prog))
		return OSPREY_EXIT_USAGE;
	prog_warn(o->prog, stderr);
	if (run_image(o, "modules", OSPREY_RUN_CACHE, image_path, len, &status, err, sizeof(err))) {
		fprintf(stderr, "osprey: %s\n", err);
		return status;
	}
	o->initrd = image_path;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct osprey_opts o;
	struct qemu_spec spec;
	struct boot_result res;
	char err[2048], qemu[PATH_MAX], image_path[PATH_MAX], *trace_line = NULL;
	char *line = NULL;
	int ret;

	opts_defaults(CMD_RUN, &o);
	if (opts_parse(CMD_RUN, argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "osprey: %s\n", err);
		return OSPREY_EXIT_USAGE;
	}
	if (o.help) {
		fputs(osprey_run_help, stdout);
		return 0;
	}
	if (o.image && o.initrd) {
		fprintf(stderr, "osprey: --image and --initrd both name the root image\n");
		return OSPREY_EXIT_USAGE;
	}
	if (o.prog) {
		ret = prog_prepare(&o, image_path, sizeof(image_path));
		if (ret)
			return ret;
	} else if (o.image) {
		if (image_prepare(o.image, image_path, sizeof(image_path)))
			return 1;
		o.initrd = image_path;
	}
	if (o.prog || o.nenvs) {
		ret = run_cmdline(&o, o.cmdline, &line, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "osprey: %s\n", ret == -ENOMEM ? "out of memory" : err);
			return ret == -ENOMEM ? OSPREY_EXIT_NOSTATUS : OSPREY_EXIT_USAGE;
		}
		o.cmdline = line;
	}
	ret = host_prepare(&o, &spec, qemu, sizeof(qemu), !o.dry_run);
	if (ret) {
		free(line);
		return ret;
	}
	if (o.trace) {
		trace_line = trace_prepare(&o, &spec);
		if (!trace_line) {
			fprintf(stderr, "osprey: out of memory\n");
			free(line);
			return OSPREY_EXIT_NOSTATUS;
		}
	}
	if (o.dry_run) {
		ret = run_dry(&spec);
		free(trace_line);
		free(line);
		return ret;
	}
	if (o.debug) {
		fprintf(stderr,
			"osprey: the guest waits for a debugger on localhost:%d; attach with:\n",
			OSPREY_GDB_PORT);
		fprintf(stderr, "  gdb -ex 'target remote localhost:%d' ", OSPREY_GDB_PORT);
		shell_quote(stderr, o.kernel);
		fputc('\n', stderr);
	}
	ret = boot_guest(&spec, o.timeout, false, o.verbose, &res);
	free(trace_line);
	free(line);
	if (ret) {
		fprintf(stderr, "osprey: %s\n", res.why);
		return OSPREY_EXIT_NOSTATUS;
	}
	if (res.why[0])
		fprintf(stderr, "osprey: %s\n", res.why);
	if (spec.trace_file)
		trace_check_output(spec.trace_file);
	boot_result_free(&res);
	return res.status;
}
