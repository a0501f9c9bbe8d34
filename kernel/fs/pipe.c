/*
 * Pipes: a ring buffer of PIPE_SIZE bytes (64 KiB, Linux's default)
 * between a read end and a write end, each a struct file without a vnode.
 *
 * Semantics are Linux's.  A read returns what is there, up to the size
 * asked; on an empty pipe it waits for a writer, or returns 0 (end of file)
 * once no write end is left.  A write waits until all of it is in, unless
 * no read end is left: -EPIPE (the Linux layer raises SIGPIPE), or the
 * count written before the last reader went.  A write of up to PIPE_BUF
 * bytes is atomic: it waits until it fits whole, so it is never interleaved
 * with another writer's.  With O_NONBLOCK nothing waits: -EAGAIN instead
 * (a small write that does not fit whole, or a large one when nothing
 * fits, or a read of an empty pipe whose write end is open).  A signal
 * the program will act on ends a wait (vfs_event_wait_intr): a read that
 * has nothing yet returns -ERESTARTSYS, a write the count it put in, or
 * -ERESTARTSYS when it put in nothing (an atomic write puts in all or
 * nothing); the Linux layer makes that EINTR or restarts the call, as
 * Linux's pipe_read and pipe_write do.
 *
 * Waiting (poll.c): readers and writers sleep on the pipe's event count,
 * which every change signals (bytes in, bytes out, an end closed); each
 * also advances the global poll generation for poll() and select().  The
 * pattern: read the count, look at the ring under the lock, drop the lock,
 * wait with the count read.  A sleeper holds no lock.
 *
 * Lifetime: each end holds a reference (refs); the last of the two frees
 * the pipe, after its own signal, so a signal never touches freed memory.
 *
 * Lock: the pipe's own, a leaf (docs/locking.md).  The event's lock is never
 * taken under it.
 */
#include <string.h>

#include <osprey/mm.h>

#include "internal.h"

#define PIPE_SIZE 65536

static_assert(PIPE_SIZE >= PIPE_BUF, "a pipe holds at least PIPE_BUF bytes");

static _Atomic uint64_t next_ino = 1; /* [a] pipe:[N] in /proc/PID/fd */

struct pipe {
	struct spinlock lock;
	uint64_t head, tail;	/* [l] bytes ever written and read */
	unsigned readers;	/* [l] open read ends */
	unsigned writers;	/* [l] open write ends */
	_Atomic unsigned refs;	/* [a] ends not yet released */
	struct vfs_event event; /* a reader or writer waits here for a change */
	char *buf;		/* [l] PIPE_SIZE bytes, apart: 64 KiB is one order-4 block */
};

static bool nonblocking(struct file *f)
{
	bool nb;

	vfs_spin_lock(&f->lock);
	nb = f->flags & O_NONBLOCK;
	vfs_spin_unlock(&f->lock);
	return nb;
}

/* Something a reader, writer or poller may wait for has changed. */
static void pipe_changed(struct pipe *p)
{
	vfs_event_signal(&p->event);
	vfs_poll_notify();
}

/* Caller holds p->lock. */
static size_t ring_take(struct pipe *p, char *out, size_t n)
{
	size_t done = 0;

	while (done < n && p->tail < p->head) {
		size_t at = p->tail % PIPE_SIZE;
		size_t k = MIN(n - done, MIN((size_t)(p->head - p->tail), PIPE_SIZE - at));

		memcpy(out + done, p->buf + at, k);
		p->tail += k;
		done += k;
	}
	return done;
}

/* Caller holds p->lock. */
static size_t ring_put(struct pipe *p, const char *in, size_t n)
{
	size_t done = 0;

	while (done < n && p->head - p->tail < PIPE_SIZE) {
		size_t at = p->head % PIPE_SIZE;
		size_t room = PIPE_SIZE - (size_t)(p->head - p->tail);
		size_t k = MIN(n - done, MIN(room, PIPE_SIZE - at));

		memcpy(p->buf + at, in + done, k);
		p->head += k;
		done += k;
	}
	return done;
}

static int pipe_read(struct file *f, void *buf, size_t n, uint64_t *off, size_t *done)
{
	struct pipe *p = f->priv;
	bool nb = nonblocking(f);

	(void)off;
	*done = 0;
	if (!n)
		return 0;
	for (;;) {
		uint64_t seen = vfs_event_count(&p->event);
		bool eof;

		vfs_spin_lock(&p->lock);
		*done = ring_take(p, buf, n);
		eof = !p->writers;
		vfs_spin_unlock(&p->lock);
		if (*done) {
			pipe_changed(p); /* room for a writer */
			return 0;
		}
		if (eof)
			return 0;
		if (nb)
			return -EAGAIN;
		if (vfs_interrupted())
			return -ERESTARTSYS;
		vfs_event_wait_intr(&p->event, seen);
	}
}

static int pipe_write(struct file *f, const void *buf, size_t n, uint64_t *off, size_t *done)
{
	struct pipe *p = f->priv;
	bool nb = nonblocking(f);
	const char *in = buf;

	(void)off;
	*done = 0;
	if (!n)
		return 0;
	for (;;) {
		uint64_t seen = vfs_event_count(&p->event);
		size_t k = 0, room;

		vfs_spin_lock(&p->lock);
		if (!p->readers) {
			vfs_spin_unlock(&p->lock);
			return *done ? 0 : -EPIPE;
		}
		room = PIPE_SIZE - (size_t)(p->head - p->tail);
		/* up to PIPE_BUF bytes go in whole or not at all */
		if (n > PIPE_BUF || room >= n)
			k = ring_put(p, in + *done, n - *done);
		vfs_spin_unlock(&p->lock);
		*done += k;
		if (k)
			pipe_changed(p); /* bytes for a reader */
		if (*done == n)
			return 0;
		if (nb)
			return *done ? 0 : -EAGAIN;
		if (vfs_interrupted())
			return *done ? 0 : -ERESTARTSYS;
		vfs_event_wait_intr(&p->event, seen);
	}
}

/*
 * Linux's answer: readable with bytes in the ring, hung up with no writer
 * left; writable with room for an atomic write, an error with no reader.
 */
static int pipe_poll(struct file *f, int events)
{
	struct pipe *p = f->priv;
	int mask = 0;

	(void)events;
	vfs_spin_lock(&p->lock);
	if ((f->flags & O_ACCMODE) == O_RDONLY) {
		if (p->head != p->tail)
			mask |= POLLIN | POLLRDNORM;
		if (!p->writers)
			mask |= POLLHUP;
	} else {
		if (PIPE_SIZE - (p->head - p->tail) >= PIPE_BUF)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	vfs_spin_unlock(&p->lock);
	return mask;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;

	vfs_spin_lock(&p->lock);
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		p->readers--;
	else
		p->writers--;
	vfs_spin_unlock(&p->lock);
	pipe_changed(p); /* end of file for readers, EPIPE for writers */
	/* acq_rel: pairs with itself, so the last end sees the other's signal done */
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
		kfree(p->buf);
		kfree(p);
	}
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.release = pipe_release,
	.poll = pipe_poll,
};

int vfs_pipe_create(struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->buf = kmalloc(PIPE_SIZE); /* the ring needs no zeroing */
	if (!p->buf) {
		kfree(p);
		return -ENOMEM;
	}
	spin_init(&p->lock, "pipe");
	vfs_event_init(&p->event, "pipe-event");
	*rd = vfs_file_alloc(NULL, &pipe_fops, O_RDONLY);
	*wr = vfs_file_alloc(NULL, &pipe_fops, O_WRONLY);
	if (!*rd || !*wr) {
		kfree(*rd);
		kfree(*wr);
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	(*rd)->priv = p;
	(*wr)->priv = p;
	(*rd)->ino = (*wr)->ino = atomic_fetch_add_explicit(&next_ino, 1, memory_order_relaxed);
	p->readers = p->writers = 1;
	atomic_init(&p->refs, 2);
	return 0;
}

int vfs_pipe(struct fdtable *ft, int flags, int fds[2])
{
	struct file *rd, *wr;
	int ret;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	ret = vfs_pipe_create(&rd, &wr);
	if (ret)
		return ret;
	rd->flags |= flags & O_NONBLOCK;
	wr->flags |= flags & O_NONBLOCK;
	ret = vfs_fd_install(ft, rd, flags, &fds[0]);
	if (ret)
		goto out_put;
	ret = vfs_fd_install(ft, wr, flags, &fds[1]);
	if (ret) {
		vfs_close(ft, fds[0]);
		vfs_file_put(wr);
		return ret;
	}
	return 0;

out_put:
	vfs_file_put(rd);
	vfs_file_put(wr);
	return ret;
}
