/*
 * `osprey run` with a stdin that is not a terminal: osprey relays it to the
 * guest's console itself.
 *
 * QEMU's stdio chardev would read that stdin directly, but it passes no end
 * of file to the guest (a program reading fd 0 would wait for ever), and
 * what it delivers before the kernel has set the UART up is lost (turning
 * the UART's FIFO on empties it).  So QEMU keeps `-serial stdio` and writes
 * the console straight to osprey's stdout, as always (nothing is copied,
 * nothing can be reordered), but its stdin is a pipe whose other end the
 * relay holds.  The relay
 *
 *   1. waits for the line "osprey:ready" on the debug console, which the
 *      kernel writes as it begins to start the program, long after it set
 *      the UART up (linux_start(), kernel/linux/process.c).
 *      The debug console is a file; inotify says when it grew, so the wait
 *      is part of boot_guest()'s poll() loop.  Without inotify, it does not
 *      wait (best effort: the kernel still keeps what came before the FIFO).
 *   2. copies stdin into the pipe byte for byte, reading only as much as the
 *      pipe takes.  QEMU reads the pipe only while the guest's UART has room,
 *      so the guest's reads pace the whole chain and nothing is dropped.
 *   3. at stdin's end of file, keeps the pipe filled with Ctrl-D (0x04).  The
 *      console makes a Ctrl-D at the start of a read end of file, one byte
 *      per read, so every read after the input's end returns 0, as it does
 *      from an ended pipe or file on Linux (a shell that runs `cat` and then
 *      reads on sees the end twice).  The pipe holds 64 KiB, and poll() says
 *      it is writable again only when a 4 KiB page of it is free: a guest
 *      that reads after the end costs the relay one wake-up per 4096 reads.
 *
 * The console turns CR into NL, and a Ctrl-D inside the input ends the file
 * there: the transport is a terminal's, not a binary channel.
 *
 * The caller (run.c) polls the fds relay_pollfds() fills in, hands the
 * results to relay_events(), and calls relay_close() when QEMU has exited.
 * One thread; nothing is shared.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "osprey.h"

#define CTRL_D 0x04

static const char ready_line[] = "osprey:ready";

/* Whether buf holds the complete line "osprey:ready" (LF or CR LF ended). */
bool debugcon_ready(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	size_t rlen = sizeof(ready_line) - 1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol;

		if (!nl)
			break;
		eol = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if ((size_t)(eol - p) == rlen && memcmp(p, ready_line, rlen) == 0)
			return true;
		p = nl + 1;
	}
	return false;
}

static void stop_watching(struct relay *r)
{
	if (r->watch >= 0)
		close(r->watch);
	r->watch = -1;
}

/* Read what the debug console gained since dc_off, complete lines only. */
static void check_ready(struct relay *r)
{
	char buf[512];

	while (!r->ready) {
		ssize_t n = pread(r->dc, buf, sizeof(buf), r->dc_off);
		const char *nl;

		if (n <= 0)
			return;
		nl = memrchr(buf, '\n', (size_t)n);
		if (!nl) {
			/* A line this long is not the mark: skip what is there of it. */
			if ((size_t)n == sizeof(buf))
				r->dc_off += n;
			return;
		}
		r->ready = debugcon_ready(buf, (size_t)(nl + 1 - buf));
		r->dc_off += nl + 1 - buf;
	}
	stop_watching(r);
}

int relay_open(struct relay *r, int in, int dc, const char *dcpath, int *qemu_in)
{
	int p[2];

	memset(r, 0, sizeof(*r));
	r->in = in;
	r->dc = dc;
	r->watch = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	r->out = p[1];
	*qemu_in = p[0];
	r->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->watch >= 0 && inotify_add_watch(r->watch, dcpath, IN_MODIFY) < 0)
		stop_watching(r);
	if (r->watch < 0)
		r->ready = true;
	return 0;
}

void relay_close(struct relay *r)
{
	stop_watching(r);
	if (r->out >= 0)
		close(r->out);
	r->out = -1;
	r->in = -1;
}

void relay_pollfds(const struct relay *r, struct pollfd *pf)
{
	bool pending = r->pos < r->len;

	pf[0] = (struct pollfd){ .fd = r->watch, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = r->ready && !pending && r->out >= 0 ? r->in : -1,
				 .events = POLLIN };
	pf[2] = (struct pollfd){ .fd = r->ready && (pending || r->in < 0) ? r->out : -1,
				 .events = POLLOUT };
}

/* Write what waits, then Ctrl-Ds once stdin has ended, as far as the pipe takes them. */
static void feed(struct relay *r)
{
	char eof[4096];

	while (r->out >= 0 && r->pos < r->len) {
		ssize_t n = write(r->out, r->buf + r->pos, r->len - r->pos);

		if (n > 0) {
			r->pos += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		relay_close(r); /* QEMU is gone (EPIPE) */
		return;
	}
	if (r->out < 0 || r->in >= 0)
		return;
	memset(eof, CTRL_D, sizeof(eof));
	for (;;) {
		ssize_t n = write(r->out, eof, sizeof(eof));

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && errno != EAGAIN)
			relay_close(r);
		return;
	}
}

void relay_events(struct relay *r, const struct pollfd *pf)
{
	if (pf[0].fd >= 0 && pf[0].revents) {
		char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

		while (read(r->watch, ev, sizeof(ev)) > 0)
			;
		check_ready(r);
		if (r->ready)
			feed(r); /* stdin may have ended already: the first read gets EOF */
	}
	if (pf[1].fd >= 0 && pf[1].revents) {
		ssize_t n = read(r->in, r->buf, sizeof(r->buf));

		if (n > 0) {
			r->pos = 0;
			r->len = (size_t)n;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			r->in = -1; /* end of file, or a stdin that cannot be read */
		}
		feed(r);
	}
	if (pf[2].fd >= 0 && pf[2].revents)
		feed(r);
}
