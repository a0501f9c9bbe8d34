/*
 * Pipes: a ring buffer of PIPE_SIZE bytes between a read end and a write
 * end, each a struct file without a vnode.
 *
 * There is no blocking yet (it needs the scheduler's wait queues): a read
 * of an empty pipe whose write end is open returns -EAGAIN instead of
 * waiting, and so does a write to a full pipe.  A read with no writer left
 * returns 0 (end of file); a write with no reader left returns -EPIPE.
 *
 * Lock: the pipe's own, a leaf (docs/locking.md).
 */
#include <string.h>

#include <osprey/mm.h>

#include "internal.h"

#define PIPE_SIZE 4096

struct pipe {
	struct spinlock lock;
	uint64_t head, tail; /* [l] bytes ever written and read */
	unsigned readers;    /* [l] open read ends */
	unsigned writers;    /* [l] open write ends */
	char buf[PIPE_SIZE]; /* [l] */
};

static int pipe_read(struct file *f, void *buf, size_t n, uint64_t *off, size_t *done)
{
	struct pipe *p = f->priv;
	char *out = buf;
	int ret = 0;

	(void)off;
	*done = 0;
	vfs_spin_lock(&p->lock);
	if (p->head == p->tail) {
		ret = p->writers ? -EAGAIN : 0;
		goto out_unlock;
	}
	while (*done < n && p->tail < p->head) {
		size_t at = p->tail % PIPE_SIZE;
		size_t k = MIN(n - *done, MIN((size_t)(p->head - p->tail), PIPE_SIZE - at));

		memcpy(out + *done, p->buf + at, k);
		p->tail += k;
		*done += k;
	}
out_unlock:
	vfs_spin_unlock(&p->lock);
	return ret;
}

static int pipe_write(struct file *f, const void *buf, size_t n, uint64_t *off, size_t *done)
{
	struct pipe *p = f->priv;
	const char *in = buf;
	int ret = 0;

	(void)off;
	*done = 0;
	vfs_spin_lock(&p->lock);
	if (!p->readers) {
		ret = -EPIPE;
		goto out_unlock;
	}
	while (*done < n && p->head - p->tail < PIPE_SIZE) {
		size_t at = p->head % PIPE_SIZE;
		size_t room = PIPE_SIZE - (size_t)(p->head - p->tail);
		size_t k = MIN(n - *done, MIN(room, PIPE_SIZE - at));

		memcpy(p->buf + at, in + *done, k);
		p->head += k;
		*done += k;
	}
	if (!*done && n)
		ret = -EAGAIN;
out_unlock:
	vfs_spin_unlock(&p->lock);
	return ret;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	bool last;

	vfs_spin_lock(&p->lock);
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		p->readers--;
	else
		p->writers--;
	last = !p->readers && !p->writers;
	vfs_spin_unlock(&p->lock);
	if (last)
		kfree(p);
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.release = pipe_release,
};

int vfs_pipe_create(struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	spin_init(&p->lock, "pipe");
	*rd = vfs_file_alloc(NULL, &pipe_fops, O_RDONLY);
	*wr = vfs_file_alloc(NULL, &pipe_fops, O_WRONLY);
	if (!*rd || !*wr) {
		kfree(*rd);
		kfree(*wr);
		kfree(p);
		return -ENOMEM;
	}
	(*rd)->priv = p;
	(*wr)->priv = p;
	p->readers = p->writers = 1;
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
