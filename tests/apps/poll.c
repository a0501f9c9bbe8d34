/*
 * Waiting on descriptors: poll, ppoll, select and pselect on pipes.  An
 * empty pipe is not readable (timeout 0 and a real timeout that expires
 * with 0 after at least its time), a pipe with data is, the write end is
 * writable, a pipe whose writer closed shows POLLHUP, a bad descriptor
 * POLLNVAL, and a poll that sleeps is woken by a writer thread.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "apps.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void events(const char *what, int ret, short re)
{
	printf("%s: returns %d, revents%s%s%s%s%s\n", what, ret, re & POLLIN ? " POLLIN" : "",
	       re & POLLOUT ? " POLLOUT" : "", re & POLLHUP ? " POLLHUP" : "",
	       re & POLLERR ? " POLLERR" : "", re & POLLNVAL ? " POLLNVAL" : "");
}

static int late[2];

static void *late_writer(void *arg)
{
	(void)arg;
	usleep(50000);
	write(late[1], "!", 1);
	return NULL;
}

int main(void)
{
	struct pollfd pf[2];
	int p[2], ret;
	int64_t t0;
	char c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK("pipe", pipe(p) == 0);

	/* poll */
	pf[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	ret = poll(pf, 1, 0);
	events("poll empty pipe, timeout 0", ret, pf[0].revents);
	t0 = now_ms();
	ret = poll(pf, 1, 50);
	events("poll empty pipe, timeout 50 ms", ret, pf[0].revents);
	CHECK("poll waited >= 50 ms", now_ms() - t0 >= 50);
	write(p[1], "x", 1);
	ret = poll(pf, 1, 1000);
	events("poll after a write", ret, pf[0].revents);
	pf[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	pf[0].revents = 0;
	ret = poll(pf, 2, 0);
	printf("poll both ends: returns %d, read end%s, write end%s\n", ret,
	       pf[0].revents & POLLIN ? " POLLIN" : "", pf[1].revents & POLLOUT ? " POLLOUT" : "");
	read(p[0], &c, 1);
	pf[0].revents = 0;
	CHECK("drained: not readable", poll(pf, 1, 0) == 0);

	{
		struct pollfd bad = { .fd = 1000, .events = POLLIN };
		struct pollfd neg = { .fd = -1, .events = POLLIN, .revents = 123 };

		ret = poll(&bad, 1, 0);
		events("poll a closed descriptor", ret, bad.revents);
		ret = poll(&neg, 1, 0);
		printf("poll fd -1: returns %d, revents %d\n", ret, neg.revents);
	}

	/* ppoll with a timeout and a signal mask */
	{
		struct timespec ts = { 0, 30 * 1000000 };
		sigset_t mask;

		sigemptyset(&mask);
		t0 = now_ms();
		ret = ppoll(pf, 1, &ts, &mask);
		events("ppoll empty pipe, 30 ms", ret, pf[0].revents);
		CHECK("ppoll waited >= 30 ms", now_ms() - t0 >= 30);
		write(p[1], "y", 1);
		ret = ppoll(pf, 1, NULL, NULL);
		events("ppoll after a write, no timeout", ret, pf[0].revents);
		read(p[0], &c, 1);
	}

	/* select */
	{
		fd_set r, w;
		struct timeval tv = { 0, 40000 };

		FD_ZERO(&r);
		FD_SET(p[0], &r);
		t0 = now_ms();
		ret = select(p[0] + 1, &r, NULL, NULL, &tv);
		printf("select empty pipe, 40 ms: returns %d, readable %s\n", ret,
		       FD_ISSET(p[0], &r) ? "yes" : "no");
		CHECK("select waited >= 40 ms", now_ms() - t0 >= 40);
		write(p[1], "z", 1);
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		FD_ZERO(&w);
		FD_SET(p[1], &w);
		tv = (struct timeval){ 1, 0 };
		ret = select((p[0] > p[1] ? p[0] : p[1]) + 1, &r, &w, NULL, &tv);
		printf("select after a write: returns %d, readable %s, writable %s\n", ret,
		       FD_ISSET(p[0], &r) ? "yes" : "no", FD_ISSET(p[1], &w) ? "yes" : "no");
		read(p[0], &c, 1);
		tv = (struct timeval){ 0, 0 };
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		ret = select(p[0] + 1, &r, NULL, NULL, &tv);
		printf("select drained, timeout 0: returns %d\n", ret);
		/* Closed, and inside the descriptor table (Linux ignores bits past its end). */
		int closed = dup(p[0]);

		close(closed);
		FD_ZERO(&r);
		FD_SET(closed, &r);
		tv = (struct timeval){ 0, 0 };
		EXPECT_ERRNO("select a closed descriptor", select(closed + 1, &r, NULL, NULL, &tv),
			     EBADF);
	}

	/* pselect */
	{
		fd_set r;
		struct timespec ts = { 0, 30 * 1000000 };
		sigset_t mask;

		sigemptyset(&mask);
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		t0 = now_ms();
		ret = pselect(p[0] + 1, &r, NULL, NULL, &ts, &mask);
		printf("pselect empty pipe, 30 ms: returns %d\n", ret);
		CHECK("pselect waited >= 30 ms", now_ms() - t0 >= 30);
		write(p[1], "w", 1);
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		ret = pselect(p[0] + 1, &r, NULL, NULL, NULL, &mask);
		printf("pselect after a write: returns %d, readable %s\n", ret,
		       FD_ISSET(p[0], &r) ? "yes" : "no");
		read(p[0], &c, 1);
	}

	/* The writer goes: POLLHUP (and end of file). */
	close(p[1]);
	pf[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	ret = poll(pf, 1, 1000);
	events("poll after the writer closed", ret, pf[0].revents);
	close(p[0]);

	/* A poll that sleeps until another thread writes. */
	{
		pthread_t t;

		CHECK("pipe", pipe(late) == 0);
		pf[0] = (struct pollfd){ .fd = late[0], .events = POLLIN };
		t0 = now_ms();
		pthread_create(&t, NULL, late_writer, NULL);
		ret = poll(pf, 1, 10000);
		events("poll woken by a writer thread", ret, pf[0].revents);
		CHECK("woken after the write, well before the timeout",
		      now_ms() - t0 >= 50 && now_ms() - t0 < 9000);
		pthread_join(t, NULL);
	}
	printf("poll: done\n");
	return apps_status;
}
