/*
 * Pipes that block, and poll, ppoll, select and pselect woken by writer
 * threads: the semantics beyond the basics of tests/apps/poll.c.  Prints
 * only facts that do not change between runs or machines, so its output
 * on Osprey (musl and glibc builds) must equal the host's; CHECK failures
 * also make the exit status 1 (tests/apps/apps.h).
 *
 *   - a blocking read waits for a writer thread, returns what is there;
 *   - a blocking write waits for room: larger than the pipe, it streams;
 *   - writes of PIPE_BUF bytes from two threads never interleave;
 *   - end of file when the writer goes, EPIPE when the reader goes (with
 *     SIGPIPE ignored), the count when the reader goes mid-write;
 *   - O_NONBLOCK: EAGAIN, the capacity (65536), a small write all or nothing;
 *   - poll, ppoll, select, pselect woken by a thread, on several pipes at
 *     once, counting each ready descriptor (select: each set);
 *   - select clears the sets when the time runs out, leaves them alone on
 *     an error; the errors (EBADF, EINVAL, EFAULT) and POLLNVAL;
 *   - a handled signal ends poll, select and ppoll with EINTR (SA_RESTART
 *     or not); an ignored or a blocked one does not.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "apps.h"

/* An address no program maps (volatile: the compiler must not judge it). */
static void *volatile bad_ptr = (void *)16;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* " POLLIN POLLOUT..." or " none"; four buffers, for up to four in one printf. */
static const char *revents(short re)
{
	static char bufs[4][64];
	static int next;
	char *buf = bufs[next++ % 4];

	snprintf(buf, sizeof(bufs[0]), "%s%s%s%s%s%s", re ? "" : " none",
		 re & POLLIN ? " POLLIN" : "", re & POLLOUT ? " POLLOUT" : "",
		 re & POLLHUP ? " POLLHUP" : "", re & POLLERR ? " POLLERR" : "",
		 re & POLLNVAL ? " POLLNVAL" : "");
	return buf;
}

/* A thread that sleeps, then writes (or closes) one descriptor. */
struct later {
	int fd;
	int ms;
	const void *buf;
	size_t n;
	bool close_it;
	ssize_t ret;
	int err;
	pthread_t t;
};

static void *later_fn(void *arg)
{
	struct later *l = arg;

	usleep((useconds_t)l->ms * 1000);
	if (l->close_it) {
		l->ret = close(l->fd);
	} else {
		l->ret = write(l->fd, l->buf, l->n);
	}
	l->err = errno;
	return NULL;
}

static void later_start(struct later *l, int fd, int ms, const void *buf, size_t n)
{
	*l = (struct later){ .fd = fd, .ms = ms, .buf = buf, .n = n, .close_it = !buf };
	pthread_create(&l->t, NULL, later_fn, l);
}

static void later_join(struct later *l)
{
	pthread_join(l->t, NULL);
}

static void blocking_reads_and_writes(void)
{
	struct later l;
	char buf[64];
	int p[2];
	int64_t t0;
	ssize_t n;

	CHECK("pipe", pipe(p) == 0);
	later_start(&l, p[1], 50, "hello", 5);
	t0 = now_ms();
	n = read(p[0], buf, sizeof(buf));
	printf("blocking read: %zd bytes '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
	CHECK("read waited for the writer", now_ms() - t0 >= 40);
	later_join(&l);

	/* the write end goes while a reader waits: end of file */
	later_start(&l, p[1], 50, NULL, 0);
	n = read(p[0], buf, sizeof(buf));
	printf("read while the writer closes: %zd\n", n);
	later_join(&l);
	close(p[0]);

	/* a write larger than the pipe streams through to a reader */
	enum { BIG = 200000 };
	unsigned char *src = malloc(BIG), *dst = malloc(BIG);
	size_t got = 0;

	for (size_t i = 0; i < BIG; i++)
		src[i] = (unsigned char)(i * 31 + i / 1000);
	CHECK("pipe", pipe(p) == 0);
	later_start(&l, p[1], 20, src, BIG);
	while (got < BIG && (n = read(p[0], dst + got, 7000)) > 0)
		got += (size_t)n;
	later_join(&l);
	printf("large write: wrote %zd, read %zu, same bytes %s\n", l.ret, got,
	       memcmp(src, dst, BIG) ? "no" : "yes");
	close(p[0]);
	close(p[1]);
	free(src);
	free(dst);
}

/* Two threads write PIPE_BUF-byte blocks of their own letter. */
#define ROUNDS 64

static int atomic_fd;

static void *block_writer(void *arg)
{
	char block[PIPE_BUF];

	memset(block, (int)(intptr_t)arg, sizeof(block));
	for (int i = 0; i < ROUNDS; i++)
		if (write(atomic_fd, block, sizeof(block)) != sizeof(block))
			return (void *)1;
	return NULL;
}

static void atomic_writes(void)
{
	static char got[2 * ROUNDS * PIPE_BUF];
	pthread_t a, b;
	void *ra, *rb;
	size_t total = 0, torn = 0;
	int p[2];
	ssize_t n;

	CHECK("pipe", pipe(p) == 0);
	atomic_fd = p[1];
	pthread_create(&a, NULL, block_writer, (void *)(intptr_t)'a');
	pthread_create(&b, NULL, block_writer, (void *)(intptr_t)'b');
	while (total < sizeof(got) && (n = read(p[0], got + total, 3001)) > 0)
		total += (size_t)n;
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	for (size_t i = 0; i < total; i++)
		torn += got[i] != got[i - i % PIPE_BUF];
	printf("PIPE_BUF writes from two threads: %zu bytes, torn blocks: %zu, writers ok: %s\n",
	       total, torn, !ra && !rb ? "yes" : "no");
	close(p[0]);
	close(p[1]);
}

static void broken_pipes(void)
{
	static char big[100000];
	struct later l;
	int p[2];
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	CHECK("pipe", pipe(p) == 0);
	close(p[0]);
	EXPECT_ERRNO("write with no reader", write(p[1], "x", 1), EPIPE);
	close(p[1]);

	/* the reader goes while a large write waits: the count written */
	CHECK("pipe", pipe(p) == 0);
	later_start(&l, p[0], 50, NULL, 0);
	n = write(p[1], big, sizeof(big));
	printf("write while the reader closes: %zd (the pipe's capacity)\n", n);
	later_join(&l);
	close(p[1]);
}

/*
 * Linux counts a pipe's room in pages (a write does not share a page that
 * is partly read), Osprey in bytes; they agree whenever whole pages were
 * written and read, which is all this looks at.
 */
static void nonblocking(void)
{
	char buf[PIPE_BUF + 100] = { 0 };
	size_t cap = 0;
	int p[2];
	ssize_t n;

	CHECK("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK) == 0);
	EXPECT_ERRNO("read an empty pipe", read(p[0], buf, 10), EAGAIN);
	while ((n = write(p[1], buf, PIPE_BUF)) > 0)
		cap += (size_t)n;
	printf("capacity: %zu, then %s\n", cap, errno_name(errno));
	EXPECT_ERRNO("a 1-byte write into a full pipe", write(p[1], buf, 1), EAGAIN);
	n = read(p[0], buf, 100);
	EXPECT_ERRNO("a 101-byte write into 100 bytes of room", write(p[1], buf, 101), EAGAIN);
	n = read(p[0], buf, PIPE_BUF - 100);
	n = write(p[1], buf, sizeof(buf));
	printf("a %zu-byte write into %d bytes of room: %zd\n", sizeof(buf), PIPE_BUF, n);
	close(p[0]);
	close(p[1]);
}

static void poll_family(void)
{
	struct pollfd pf[3];
	struct later l;
	int a[2], b[2], ret;
	char c;

	CHECK("pipes", pipe(a) == 0 && pipe(b) == 0);

	/* poll on two pipes, woken by a write to the second */
	pf[0] = (struct pollfd){ .fd = a[0], .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = b[0], .events = POLLIN };
	later_start(&l, b[1], 50, "b", 1);
	ret = poll(pf, 2, 10000);
	printf("poll two pipes: %d, first%s, second%s\n", ret, revents(pf[0].revents),
	       revents(pf[1].revents));
	later_join(&l);
	read(b[0], &c, 1);

	/* ready count: one per descriptor, however many events */
	write(a[1], "a", 1);
	pf[0] = (struct pollfd){ .fd = a[0], .events = POLLIN | POLLOUT };
	pf[1] = (struct pollfd){ .fd = a[1], .events = POLLIN | POLLOUT };
	pf[2] = (struct pollfd){ .fd = -5, .events = POLLIN };
	ret = poll(pf, 3, 0);
	printf("poll both ends and fd -5: %d,%s /%s /%s\n", ret, revents(pf[0].revents),
	       revents(pf[1].revents), revents(pf[2].revents));
	read(a[0], &c, 1);

	/* ppoll with a mask, woken by a thread */
	{
		sigset_t mask;
		struct timespec ts = { 10, 0 };

		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		pf[0] = (struct pollfd){ .fd = a[0], .events = POLLIN };
		later_start(&l, a[1], 50, "p", 1);
		ret = ppoll(pf, 1, &ts, &mask);
		printf("ppoll woken: %d,%s\n", ret, revents(pf[0].revents));
		later_join(&l);
		read(a[0], &c, 1);
		sigset_t now;

		sigprocmask(SIG_BLOCK, NULL, &now);
		printf("mask after ppoll has SIGUSR1: %s\n",
		       sigismember(&now, SIGUSR1) ? "yes" : "no");
	}

	/* errors */
	{
		struct timespec bad = { 0, 1000000000 };
		struct rlimit rl, small;
		struct pollfd many[9];
		long r;

		r = syscall(SYS_ppoll, pf, 1, &bad, NULL, 8);
		EXPECT_ERRNO("ppoll tv_nsec 1e9", r, EINVAL);
		uint64_t m = 0;
		struct timespec zero = { 0, 0 };

		r = syscall(SYS_ppoll, pf, 1, &zero, &m, 4);
		EXPECT_ERRNO("ppoll sigsetsize 4", r, EINVAL);
		EXPECT_ERRNO("poll a bad pointer", poll(bad_ptr, 1, 0), EFAULT);
		getrlimit(RLIMIT_NOFILE, &rl);
		small = (struct rlimit){ 8, rl.rlim_max };
		CHECK("setrlimit NOFILE 8", setrlimit(RLIMIT_NOFILE, &small) == 0);
		for (int i = 0; i < 9; i++)
			many[i] = (struct pollfd){ .fd = -1 };
		EXPECT_ERRNO("poll 9 descriptors, limit 8", poll(many, 9, 0), EINVAL);
		ret = poll(many, 8, 0);
		printf("poll 8 descriptors, limit 8: %d\n", ret);
		CHECK("setrlimit back", setrlimit(RLIMIT_NOFILE, &rl) == 0);
	}
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static int max2(int x, int y)
{
	return x > y ? x : y;
}

static void select_family(void)
{
	struct later l;
	int a[2], b[2], ret;
	fd_set r, w, e;
	char c;

	CHECK("pipes", pipe(a) == 0 && pipe(b) == 0);
	int n = max2(max2(a[0], a[1]), max2(b[0], b[1])) + 1;

	/* woken by a thread; only the ready bit stays */
	FD_ZERO(&r);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	later_start(&l, a[1], 50, "s", 1);
	ret = select(n, &r, NULL, NULL, NULL);
	printf("select woken: %d, a %s, b %s\n", ret, FD_ISSET(a[0], &r) ? "set" : "clear",
	       FD_ISSET(b[0], &r) ? "set" : "clear");
	later_join(&l);

	/* one count per set: a[0] readable, a[1] and b[1] writable */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(a[0], &r);
	FD_SET(b[0], &r);
	FD_SET(a[1], &w);
	FD_SET(b[1], &w);
	FD_SET(a[0], &e);
	ret = select(n, &r, &w, &e, NULL);
	printf("select three sets: %d, read a %s b %s, write a %s b %s, except a %s\n", ret,
	       FD_ISSET(a[0], &r) ? "set" : "clear", FD_ISSET(b[0], &r) ? "set" : "clear",
	       FD_ISSET(a[1], &w) ? "set" : "clear", FD_ISSET(b[1], &w) ? "set" : "clear",
	       FD_ISSET(a[0], &e) ? "set" : "clear");
	read(a[0], &c, 1);

	/* the time runs out: the sets come back empty */
	{
		struct timeval tv = { 0, 30000 };
		int64_t t0 = now_ms();

		FD_ZERO(&r);
		FD_SET(a[0], &r);
		FD_SET(b[0], &r);
		ret = select(n, &r, NULL, NULL, &tv);
		printf("select timeout: %d, a %s, b %s\n", ret,
		       FD_ISSET(a[0], &r) ? "set" : "clear", FD_ISSET(b[0], &r) ? "set" : "clear");
		CHECK("select waited >= 30 ms", now_ms() - t0 >= 30);
	}

	/* a hung-up read end is readable; a write end without reader is writable (error) */
	{
		int h[2];
		struct timeval tv = { 0, 0 };

		CHECK("pipe", pipe(h) == 0);
		close(h[1]);
		FD_ZERO(&r);
		FD_SET(h[0], &r);
		ret = select(h[0] + 1, &r, NULL, NULL, &tv);
		printf("select a hung-up read end: %d, %s\n", ret,
		       FD_ISSET(h[0], &r) ? "readable" : "not readable");
		close(h[0]);
		CHECK("pipe", pipe(h) == 0);
		close(h[0]);
		FD_ZERO(&w);
		FD_SET(h[1], &w);
		tv = (struct timeval){ 0, 0 };
		ret = select(h[1] + 1, NULL, &w, NULL, &tv);
		printf("select a write end with no reader: %d, %s\n", ret,
		       FD_ISSET(h[1], &w) ? "writable" : "not writable");
		close(h[1]);
	}

	/* pselect with a mask, woken by a thread */
	{
		sigset_t mask;

		sigemptyset(&mask);
		FD_ZERO(&r);
		FD_SET(b[0], &r);
		later_start(&l, b[1], 50, "q", 1);
		ret = pselect(n, &r, NULL, NULL, NULL, &mask);
		printf("pselect woken: %d, b %s\n", ret, FD_ISSET(b[0], &r) ? "set" : "clear");
		later_join(&l);
		read(b[0], &c, 1);
	}

	/* errors: the sets are left as they were */
	{
		struct timeval tv = { 0, 0 }, badtv = { 0, -1 };
		int closed = dup(a[0]);

		close(closed);
		FD_ZERO(&r);
		FD_SET(a[0], &r);
		FD_SET(closed, &r);
		EXPECT_ERRNO("select a closed descriptor",
			     select(max2(n, closed + 1), &r, NULL, NULL, &tv), EBADF);
		printf("sets after EBADF: a %s\n", FD_ISSET(a[0], &r) ? "set" : "clear");
		EXPECT_ERRNO("select nfds -1", select(-1, NULL, NULL, NULL, &tv), EINVAL);
		EXPECT_ERRNO("select tv_usec -1", select(n, &r, NULL, NULL, &badtv), EINVAL);
		EXPECT_ERRNO("select a bad set pointer", select(n, bad_ptr, NULL, NULL, &tv),
			     EFAULT);
		struct timespec badts = { -1, 0 };

		EXPECT_ERRNO("pselect tv_sec -1", pselect(n, &r, NULL, NULL, &badts, NULL), EINVAL);
	}
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* A thread that signals another after a while. */
struct kicker {
	pthread_t target, t;
	int sig, ms;
};

static void *kicker_fn(void *arg)
{
	struct kicker *k = arg;

	usleep((useconds_t)k->ms * 1000);
	pthread_kill(k->target, k->sig);
	return NULL;
}

static void kick_later(struct kicker *k, int sig, int ms)
{
	*k = (struct kicker){ .target = pthread_self(), .sig = sig, .ms = ms };
	pthread_create(&k->t, NULL, kicker_fn, k);
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

/* A signal with a handler ends the wait (EINTR, even with SA_RESTART); an ignored one does not. */
static void interrupted_waits(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct pollfd pf;
	struct kicker k;
	struct later l;
	fd_set r;
	int p[2], ret;
	char c;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	CHECK("pipe", pipe(p) == 0);
	pf = (struct pollfd){ .fd = p[0], .events = POLLIN };

	kick_later(&k, SIGUSR1, 50);
	EXPECT_ERRNO("poll, a handled signal comes", poll(&pf, 1, -1), EINTR);
	pthread_join(k.t, NULL);
	printf("handler ran: %d\n", (int)handled);

	kick_later(&k, SIGUSR1, 50);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	EXPECT_ERRNO("select, a handled signal comes", select(p[0] + 1, &r, NULL, NULL, NULL),
		     EINTR);
	pthread_join(k.t, NULL);
	printf("handler ran: %d\n", (int)handled);

	/* ppoll's mask lets SIGUSR1 through (the thread's own does too) */
	{
		sigset_t none;

		sigemptyset(&none);
		kick_later(&k, SIGUSR1, 50);
		EXPECT_ERRNO("ppoll, a handled signal comes", ppoll(&pf, 1, NULL, &none), EINTR);
		pthread_join(k.t, NULL);
		printf("handler ran: %d\n", (int)handled);
	}

	/* SIGWINCH's default is to do nothing: the wait goes on to the write */
	kick_later(&k, SIGWINCH, 30);
	later_start(&l, p[1], 100, "w", 1);
	ret = poll(&pf, 1, 10000);
	printf("poll, an ignored signal then a write: %d,%s\n", ret, revents(pf.revents));
	pthread_join(k.t, NULL);
	later_join(&l);
	read(p[0], &c, 1);

	/* a blocked signal does not end the wait either */
	{
		sigset_t usr1, old;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &usr1, &old);
		kick_later(&k, SIGUSR1, 30);
		later_start(&l, p[1], 100, "b", 1);
		ret = poll(&pf, 1, 10000);
		printf("poll, a blocked signal then a write: %d,%s\n", ret, revents(pf.revents));
		pthread_join(k.t, NULL);
		later_join(&l);
		read(p[0], &c, 1);
		pthread_sigmask(SIG_SETMASK, &old, NULL); /* the pending one is taken here */
		printf("handler ran: %d\n", (int)handled);
	}
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	blocking_reads_and_writes();
	atomic_writes();
	broken_pipes();
	nonblocking();
	select_family();
	poll_family();
	interrupted_waits();
	printf("poll: done\n");
	return apps_status;
}
