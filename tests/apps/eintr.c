/*
 * Blocking calls that a signal interrupts, as signal(7) lists them
 * ("Interruption of system calls and library functions by signal
 * handlers").  Prints only facts that do not change between runs or
 * machines, so its output on Osprey (musl and glibc builds) must equal the
 * host's; CHECK failures also make the exit status 1 (tests/apps/apps.h).
 *
 *   - a read of an empty pipe: EINTR from a SIGALRM handler without
 *     SA_RESTART; with SA_RESTART the read goes on and returns what
 *     another thread writes later;
 *   - a write to a full pipe: EINTR when nothing went in; with SA_RESTART
 *     it goes on once a reader makes room; a write that put bytes in
 *     returns their count, SA_RESTART or not;
 *   - FUTEX_WAIT without a time-out, ended by pthread_kill or tgkill:
 *     EINTR without SA_RESTART, restarted with it; with a time-out, EINTR
 *     even with SA_RESTART;
 *   - a blocked signal, an ignored one and one whose default is to do
 *     nothing (SIGCHLD) interrupt neither a pipe read nor a futex wait nor
 *     nanosleep; the blocked one is taken when unblocked.
 *
 * The signalling threads start with every signal blocked, so a signal for
 * the process (SIGALRM) can only go to the main thread.  A thread that
 * must interrupt a wait sends its signal again every 20 ms until the wait
 * is over: one that lands before the wait began only runs the handler.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "apps.h"

#define PIPE_CAPACITY 65536
/* Linux's futex operations (musl's headers have no linux/futex.h). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_WAIT_BITSET_PRIVATE 137
#define FUTEX_BITSET_MATCH_ANY (-1)

static atomic_int alrm, usr1;
static pthread_t main_thread;
static pid_t main_tid;

static void on_alrm(int sig)
{
	(void)sig;
	atomic_fetch_add(&alrm, 1);
}

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&usr1, 1);
}

static void set_action(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL)) {
		printf("FAIL: sigaction %d\n", sig);
		exit(1);
	}
}

/* SIGALRM in first_ms, then every every_ms (0: once); 0, 0: off. */
static void timer_set(int first_ms, int every_ms)
{
	struct itimerval it = { { every_ms / 1000, every_ms % 1000 * 1000 },
				{ first_ms / 1000, first_ms % 1000 * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000l };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void wait_for(atomic_int *n, int at_least)
{
	while (atomic_load(n) < at_least)
		sleep_ms(1);
}

static long futex(atomic_int *word, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/*
 * What a helper thread does (helper_fn): wait until the main thread is
 * about to block (ready); after delay_ms send it sig (0: none; with tgkill
 * when use_tgkill); wait for a handler to run (the count `seen`, when not
 * NULL); send sig again every 20 ms until the main thread is done, unless
 * once; then, after after_ms, do the action: write to write_fd, read from
 * read_fd, or wake the futex.
 */
struct helper {
	int sig;
	int delay_ms;
	bool once;
	bool use_tgkill;
	atomic_int *seen; /* the handler's count to wait for before the action */
	int after_ms;
	int write_fd;		/* >= 0: write "hello" */
	int read_fd;		/* >= 0: read 4096 bytes */
	atomic_int *wake;	/* non-NULL: set to 1 and FUTEX_WAKE */
	atomic_int ready, done; /* set by the main thread */
	bool waiting_after;	/* the main thread had not returned by the action */
	pthread_t t;
};

static void send_sig(struct helper *h)
{
	if (h->use_tgkill)
		syscall(SYS_tgkill, getpid(), main_tid, h->sig);
	else
		pthread_kill(main_thread, h->sig);
}

static void *helper_fn(void *arg)
{
	struct helper *h = arg;

	wait_for(&h->ready, 1);
	sleep_ms(h->delay_ms);
	if (h->sig)
		send_sig(h);
	if (h->seen)
		wait_for(h->seen, 1);
	while (h->sig && !h->once && !atomic_load(&h->done)) {
		sleep_ms(20);
		if (!atomic_load(&h->done))
			send_sig(h);
	}
	sleep_ms(h->after_ms);
	h->waiting_after = !atomic_load(&h->done);
	if (h->write_fd >= 0 && write(h->write_fd, "hello", 5) != 5)
		printf("FAIL: helper write\n");
	if (h->read_fd >= 0) {
		static char buf[4096];

		if (read(h->read_fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			printf("FAIL: helper read\n");
	}
	if (h->wake) {
		atomic_store(h->wake, 1);
		futex(h->wake, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
	return NULL;
}

/* Starts h with every signal blocked (a new thread inherits the mask). */
static void helper_start(struct helper *h)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&h->t, NULL, helper_fn, h)) {
		printf("FAIL: pthread_create\n");
		exit(1);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	atomic_store(&h->ready, 1);
}

static void helper_join(struct helper *h)
{
	atomic_store(&h->done, 1);
	pthread_join(h->t, NULL);
}

static struct helper helper(int sig, int delay_ms)
{
	struct helper h;

	memset(&h, 0, sizeof(h));
	h.sig = sig;
	h.delay_ms = delay_ms;
	h.write_fd = h.read_fd = -1;
	return h;
}

/*
 * SIGALRM with SA_RESTART in 50 ms, and a helper that, 50 ms after its
 * handler ran, writes to write_fd or reads from read_fd (-1: not).
 */
static void alarm_then(struct helper *h, int write_fd, int read_fd)
{
	*h = helper(0, 0);
	set_action(SIGALRM, on_alrm, SA_RESTART);
	atomic_store(&alrm, 0);
	h->seen = &alrm;
	h->after_ms = 50;
	h->write_fd = write_fd;
	h->read_fd = read_fd;
	timer_set(50, 0);
	helper_start(h);
}

static void new_pipe(int p[2])
{
	if (pipe(p)) {
		printf("FAIL: pipe\n");
		exit(1);
	}
}

/* Fills the pipe's write end until it would block; returns how much went in. */
static long fill(int fd)
{
	static char buf[4096];
	long total = 0;
	ssize_t r;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while ((r = write(fd, buf, sizeof(buf))) > 0)
		total += r;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return total;
}

static void pipe_reads(void)
{
	char buf[16];
	int p[2];
	ssize_t r;

	new_pipe(p);
	set_action(SIGALRM, on_alrm, 0);
	atomic_store(&alrm, 0);
	timer_set(50, 20);
	r = read(p[0], buf, sizeof(buf));
	timer_set(0, 0);
	EXPECT_ERRNO("read of an empty pipe, SIGALRM without SA_RESTART", r, EINTR);
	CHECK("its handler ran", atomic_load(&alrm) >= 1);

	/* SA_RESTART: the read goes on, and gets what a thread writes after the handler ran. */
	struct helper h;

	alarm_then(&h, p[1], -1);
	r = read(p[0], buf, sizeof(buf));
	helper_join(&h);
	CHECK("read with SA_RESTART went on and returned the data later written",
	      r == 5 && !memcmp(buf, "hello", 5));
	CHECK("the SIGALRM handler ran during the read", atomic_load(&alrm) == 1);
	CHECK("the data came after the handler", h.waiting_after);

	/* readv is the same call for a pipe */
	struct iovec iov = { buf, sizeof(buf) };

	set_action(SIGALRM, on_alrm, 0);
	timer_set(50, 20);
	r = readv(p[0], &iov, 1);
	timer_set(0, 0);
	EXPECT_ERRNO("readv of an empty pipe, SIGALRM without SA_RESTART", r, EINTR);
	close(p[0]);
	close(p[1]);
}

static void pipe_writes(void)
{
	static char big[PIPE_CAPACITY + 8192];
	char small[100] = { 0 };
	int p[2];
	ssize_t r;

	new_pipe(p);
	printf("the pipe holds %ld bytes\n", fill(p[1]));
	set_action(SIGALRM, on_alrm, 0);
	timer_set(50, 20);
	r = write(p[1], small, sizeof(small));
	timer_set(0, 0);
	EXPECT_ERRNO("write to a full pipe, nothing written, no SA_RESTART", r, EINTR);

	/* SA_RESTART: the write goes on once a reader makes room. */
	struct helper h;

	alarm_then(&h, -1, p[0]);
	r = write(p[1], small, sizeof(small));
	helper_join(&h);
	CHECK("write to a full pipe with SA_RESTART went on and wrote all", r == sizeof(small));
	CHECK("the SIGALRM handler ran during the write", atomic_load(&alrm) == 1);
	CHECK("the room came after the handler", h.waiting_after);
	close(p[0]);
	close(p[1]);

	/* Bytes went in before the signal: their count, SA_RESTART or not. */
	for (int restart = 0; restart < 2; restart++) {
		new_pipe(p);
		set_action(SIGALRM, on_alrm, restart ? SA_RESTART : 0);
		timer_set(50, 20);
		r = write(p[1], big, sizeof(big));
		timer_set(0, 0);
		printf("a %zu-byte write to an empty pipe, interrupted (%s): %zd\n", sizeof(big),
		       restart ? "SA_RESTART" : "no SA_RESTART", r);
		CHECK("it returned the bytes that went in", r == PIPE_CAPACITY);
		close(p[0]);
		close(p[1]);
	}
}

static void futex_waits(void)
{
	static atomic_int word;
	struct timespec ten_s = { 10, 0 };
	long r;

	/* No SA_RESTART: EINTR, from pthread_kill and from tgkill. */
	for (int tg = 0; tg < 2; tg++) {
		struct helper h = helper(SIGUSR1, 50);

		h.use_tgkill = tg;
		set_action(SIGUSR1, on_usr1, 0);
		atomic_store(&word, 0);
		helper_start(&h);
		r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL);
		helper_join(&h);
		EXPECT_ERRNO(tg ? "FUTEX_WAIT ended by tgkill, no SA_RESTART" :
				  "FUTEX_WAIT ended by pthread_kill, no SA_RESTART",
			     r, EINTR);
	}

	/* SA_RESTART: the wait goes on after the handler, until the wake. */
	struct helper h = helper(SIGUSR1, 50);

	set_action(SIGUSR1, on_usr1, SA_RESTART);
	atomic_store(&usr1, 0);
	atomic_store(&word, 0);
	h.once = true;
	h.seen = &usr1;
	h.after_ms = 100;
	h.wake = &word;
	helper_start(&h);
	r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL);
	int err = errno;

	helper_join(&h);
	CHECK("FUTEX_WAIT with SA_RESTART went on after the handler",
	      r == 0 || (r == -1 && err == EAGAIN));
	CHECK("the handler ran during the wait", atomic_load(&usr1) == 1 && h.waiting_after);

	/* A time-out: EINTR even with SA_RESTART (Linux restarts it only without a handler). */
	h = helper(SIGUSR1, 50);
	atomic_store(&word, 0);
	helper_start(&h);
	r = futex(&word, FUTEX_WAIT_PRIVATE, 0, &ten_s);
	helper_join(&h);
	EXPECT_ERRNO("FUTEX_WAIT with a time-out, SA_RESTART", r, EINTR);

	h = helper(SIGUSR1, 50);
	atomic_store(&word, 0);
	helper_start(&h);
	struct timespec at;

	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += 10;
	r = syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, &at, NULL,
		    FUTEX_BITSET_MATCH_ANY);
	helper_join(&h);
	EXPECT_ERRNO("FUTEX_WAIT_BITSET with a deadline, SA_RESTART", r, EINTR);
}

/* Signals that must not interrupt: blocked, ignored, default-ignored. */
static void not_interrupting(void)
{
	static atomic_int word;
	static const struct {
		int sig;
		const char *what;
	} sigs[] = {
		{ SIGUSR1, "a blocked SIGUSR1" },
		{ SIGUSR2, "an ignored SIGUSR2" },
		{ SIGCHLD, "SIGCHLD (default: nothing)" },
	};
	sigset_t usr1_set;
	char buf[16], what[96];
	int p[2];

	sigemptyset(&usr1_set);
	sigaddset(&usr1_set, SIGUSR1);
	set_action(SIGUSR1, on_usr1, 0);
	set_action(SIGUSR2, SIG_IGN, 0);
	set_action(SIGCHLD, SIG_DFL, 0);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct helper h = helper(sigs[i].sig, 50);
		ssize_t r;
		long fr;

		atomic_store(&usr1, 0);
		pthread_sigmask(SIG_BLOCK, &usr1_set, NULL);

		new_pipe(p);
		h.once = true;
		h.after_ms = 100;
		h.write_fd = p[1];
		helper_start(&h);
		r = read(p[0], buf, sizeof(buf));
		helper_join(&h);
		snprintf(what, sizeof(what), "a pipe read goes on through %s", sigs[i].what);
		CHECK(what, r == 5 && h.waiting_after);
		close(p[0]);
		close(p[1]);

		h = helper(sigs[i].sig, 50);
		h.once = true;
		h.after_ms = 100;
		h.wake = &word;
		atomic_store(&word, 0);
		helper_start(&h);
		fr = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL);
		int err = errno;

		helper_join(&h);
		snprintf(what, sizeof(what), "a futex wait goes on through %s", sigs[i].what);
		CHECK(what, (fr == 0 || err == EAGAIN) && h.waiting_after);

		h = helper(sigs[i].sig, 50);
		h.once = true;
		helper_start(&h);
		struct timespec ts = { 0, 300 * 1000000l };

		fr = nanosleep(&ts, NULL);
		helper_join(&h);
		snprintf(what, sizeof(what), "nanosleep goes on through %s", sigs[i].what);
		CHECK(what, fr == 0);

		CHECK("no SIGUSR1 handler ran", atomic_load(&usr1) == 0);
		pthread_sigmask(SIG_UNBLOCK, &usr1_set, NULL);
		if (sigs[i].sig == SIGUSR1)
			CHECK("the blocked SIGUSR1 was taken when unblocked",
			      atomic_load(&usr1) == 1);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	main_thread = pthread_self();
	main_tid = (pid_t)syscall(SYS_gettid);
	pipe_reads();
	pipe_writes();
	futex_waits();
	not_interrupting();
	return apps_status;
}
