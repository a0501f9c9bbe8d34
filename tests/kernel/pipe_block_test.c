/*
 * Blocking pipes, readiness (vfs_poll), the poll wait, and the console's
 * input (through the UART's loopback mode: a test cannot type).
 *
 * A case that needs a thread to be asleep in a pipe waits until the
 * scheduler says it is blocked and its call has not returned, then acts.
 * Every thread is joined and every descriptor closed before the case ends.
 */
#include <string.h>

#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/sched.h>
#include <osprey/test.h>
#include <osprey/time.h>
#include <osprey/vfs.h>

#define PIPE_CAP 65536

struct pipe_op {
	struct fdtable *ft;
	int fd;
	char *buf;
	size_t n;
	_Atomic int finished;
	int ret;
	size_t done;
};

static void do_read(void *arg)
{
	struct pipe_op *op = arg;

	op->ret = vfs_read(op->ft, op->fd, op->buf, op->n, &op->done);
	atomic_store_explicit(&op->finished, 1, memory_order_release);
}

static void do_write(void *arg)
{
	struct pipe_op *op = arg;

	op->ret = vfs_write(op->ft, op->fd, op->buf, op->n, &op->done);
	atomic_store_explicit(&op->finished, 1, memory_order_release);
}

/* Whether th went to sleep (within a second) with its call still running. */
static bool asleep_in_call(struct thread *th, struct pipe_op *op)
{
	for (int i = 0; i < 1000; i++) {
		if (atomic_load_explicit(&op->finished, memory_order_acquire))
			return false;
		if (atomic_load_explicit(&th->state, memory_order_acquire) == T_BLOCKED)
			return !atomic_load_explicit(&op->finished, memory_order_acquire);
		thread_sleep_ns(1000000);
	}
	return false;
}

static struct fdtable *table(struct test_ctx *t)
{
	struct fdtable *ft = NULL;

	EXPECT_EQ(t, vfs_fdtable_create(&ft), 0);
	return ft;
}

/* Fills an empty pipe (from the heap: a 4 MiB guest runs these tests too). */
static void fill(struct test_ctx *t, struct fdtable *ft, int fd)
{
	char *chunk = kzalloc(PIPE_CAP);
	size_t done = 0;

	EXPECT_TRUE(t, chunk != NULL);
	if (chunk)
		EXPECT_EQ(t, vfs_write(ft, fd, chunk, PIPE_CAP, &done), 0);
	EXPECT_EQ(t, done, PIPE_CAP);
	kfree(chunk);
}

TEST(pipe_block, reader_waits_for_writer)
{
	struct fdtable *ft = table(t);
	char buf[16] = { 0 };
	struct pipe_op op = { .ft = ft, .buf = buf, .n = sizeof(buf) };
	struct thread *th;
	size_t done;
	int fds[2];

	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	op.fd = fds[0];
	EXPECT_EQ(t, thread_create("pipe-reader", do_read, &op, &th), 0);
	EXPECT_TRUE(t, asleep_in_call(th, &op));
	EXPECT_EQ(t, vfs_write(ft, fds[1], "hello", 5, &done), 0);
	thread_join(th);
	EXPECT_EQ(t, op.ret, 0);
	EXPECT_EQ(t, op.done, 5); /* what is there, not the whole buffer */
	EXPECT_EQ(t, memcmp(buf, "hello", 5), 0);
	vfs_fdtable_destroy(ft);
}

TEST(pipe_block, writer_waits_for_room)
{
	struct fdtable *ft = table(t);
	char small[100], out[200];
	struct pipe_op op = { .ft = ft, .buf = small, .n = sizeof(small) };
	struct thread *th;
	size_t done;
	int fds[2];

	memset(small, 'w', sizeof(small));
	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	fill(t, ft, fds[1]);
	op.fd = fds[1];
	EXPECT_EQ(t, thread_create("pipe-writer", do_write, &op, &th), 0);
	EXPECT_TRUE(t, asleep_in_call(th, &op));
	/* 50 bytes of room is not enough for an atomic 100-byte write */
	EXPECT_EQ(t, vfs_read(ft, fds[0], out, 50, &done), 0);
	EXPECT_EQ(t, done, 50);
	EXPECT_TRUE(t, asleep_in_call(th, &op));
	EXPECT_EQ(t, vfs_read(ft, fds[0], out, 150, &done), 0);
	EXPECT_EQ(t, done, 150);
	thread_join(th);
	EXPECT_EQ(t, op.ret, 0);
	EXPECT_EQ(t, op.done, 100);
	vfs_fdtable_destroy(ft);
}

static char pattern(size_t i)
{
	return (char)(i * 7 + i / 251);
}

/* A write larger than the ring goes in piece by piece while a reader drains it. */
TEST(pipe_block, large_write_streams_in_order)
{
	enum { N = 2 * PIPE_CAP + 1234 };
	struct fdtable *ft = table(t);
	char *src = kmalloc(N), dst[1000];
	struct pipe_op op = { .ft = ft, .buf = src, .n = N };
	struct thread *th;
	size_t got = 0, done;
	int fds[2], ret = 0;
	bool same = true;

	EXPECT_TRUE(t, src != NULL);
	if (!src)
		goto out_free;
	for (size_t i = 0; i < N; i++)
		src[i] = pattern(i);
	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	op.fd = fds[1];
	EXPECT_EQ(t, thread_create("pipe-writer", do_write, &op, &th), 0);
	while (got < N && !ret) {
		ret = vfs_read(ft, fds[0], dst, MIN((size_t)N - got, sizeof(dst) - 3), &done);
		for (size_t i = 0; i < done; i++)
			same &= dst[i] == pattern(got + i);
		got += done;
	}
	thread_join(th);
	EXPECT_EQ(t, ret, 0);
	EXPECT_EQ(t, got, N);
	EXPECT_EQ(t, op.ret, 0);
	EXPECT_EQ(t, op.done, N);
	EXPECT_TRUE(t, same);
out_free:
	kfree(src);
	vfs_fdtable_destroy(ft);
}

TEST(pipe_block, last_writer_gone_is_end_of_file)
{
	struct fdtable *ft = table(t);
	char buf[8];
	struct pipe_op op = { .ft = ft, .buf = buf, .n = sizeof(buf) };
	struct thread *th;
	int fds[2];

	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	op.fd = fds[0];
	EXPECT_EQ(t, thread_create("pipe-reader", do_read, &op, &th), 0);
	EXPECT_TRUE(t, asleep_in_call(th, &op));
	EXPECT_EQ(t, vfs_close(ft, fds[1]), 0);
	thread_join(th);
	EXPECT_EQ(t, op.ret, 0);
	EXPECT_EQ(t, op.done, 0);
	vfs_fdtable_destroy(ft);
}

TEST(pipe_block, last_reader_gone_is_epipe)
{
	struct fdtable *ft = table(t);
	char *big = kzalloc(PIPE_CAP + 10000);
	char small[10];
	struct pipe_op op = { .ft = ft, .buf = small, .n = sizeof(small) };
	struct pipe_op op2 = { .ft = ft, .buf = big, .n = PIPE_CAP + 10000 };
	struct thread *th;
	int fds[2];

	/* nothing written yet: -EPIPE */
	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	fill(t, ft, fds[1]);
	op.fd = fds[1];
	EXPECT_EQ(t, thread_create("pipe-writer", do_write, &op, &th), 0);
	EXPECT_TRUE(t, asleep_in_call(th, &op));
	EXPECT_EQ(t, vfs_close(ft, fds[0]), 0);
	thread_join(th);
	EXPECT_EQ(t, op.ret, -EPIPE);
	EXPECT_EQ(t, op.done, 0);
	EXPECT_EQ(t, vfs_close(ft, fds[1]), 0);

	/* part written: the count */
	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	op2.fd = fds[1];
	EXPECT_EQ(t, thread_create("pipe-writer", do_write, &op2, &th), 0);
	EXPECT_TRUE(t, asleep_in_call(th, &op2));
	EXPECT_EQ(t, vfs_close(ft, fds[0]), 0);
	thread_join(th);
	EXPECT_EQ(t, op2.ret, 0);
	EXPECT_EQ(t, op2.done, PIPE_CAP);
	kfree(big);
	vfs_fdtable_destroy(ft);
}

TEST(pipe_block, nonblocking_is_eagain)
{
	struct fdtable *ft = table(t);
	char *big = kzalloc(PIPE_BUF + 100);
	char buf[8];
	size_t done;
	int fds[2], fl;

	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	EXPECT_EQ(t, vfs_get_status_flags(ft, fds[0], &fl), 0);
	EXPECT_EQ(t, vfs_set_status_flags(ft, fds[0], fl | O_NONBLOCK), 0);
	EXPECT_EQ(t, vfs_set_status_flags(ft, fds[1], fl | O_NONBLOCK), 0);
	EXPECT_EQ(t, vfs_read(ft, fds[0], buf, sizeof(buf), &done), -EAGAIN);
	EXPECT_EQ(t, done, 0);
	fill(t, ft, fds[1]);
	EXPECT_EQ(t, vfs_write(ft, fds[1], "x", 1, &done), -EAGAIN);
	/* 100 bytes of room: a small write that does not fit whole waits (EAGAIN)... */
	EXPECT_EQ(t, vfs_read(ft, fds[0], big, 100, &done), 0);
	EXPECT_EQ(t, vfs_write(ft, fds[1], big, 101, &done), -EAGAIN);
	/* ...a large one takes what fits */
	EXPECT_EQ(t, vfs_write(ft, fds[1], big, PIPE_BUF + 100, &done), 0);
	EXPECT_EQ(t, done, 100);
	/* zero bytes never wait */
	EXPECT_EQ(t, vfs_write(ft, fds[1], big, 0, &done), 0);
	EXPECT_EQ(t, vfs_close(ft, fds[1]), 0);
	EXPECT_EQ(t, vfs_read(ft, fds[0], buf, 0, &done), 0);
	EXPECT_EQ(t, done, 0);
	kfree(big);
	vfs_fdtable_destroy(ft);
}

/* Writes of PIPE_BUF bytes from two threads never interleave. */
struct atomic_writer {
	struct fdtable *ft;
	int fd;
	char id;
	int ret;
};

#define ATOMIC_ROUNDS 40

static void write_blocks(void *arg)
{
	struct atomic_writer *w = arg;
	char *b = kmalloc(PIPE_BUF);
	size_t done;

	w->ret = b ? 0 : -ENOMEM;
	if (b)
		memset(b, w->id, PIPE_BUF);
	for (int i = 0; i < ATOMIC_ROUNDS && !w->ret; i++) {
		w->ret = vfs_write(w->ft, w->fd, b, PIPE_BUF, &done);
		if (!w->ret && done != PIPE_BUF)
			w->ret = -EIO;
	}
	kfree(b);
}

TEST(pipe_block, small_writes_are_atomic)
{
	struct fdtable *ft = table(t);
	struct atomic_writer w[2] = { { .ft = ft, .id = 'a' }, { .ft = ft, .id = 'b' } };
	struct thread *th[2];
	char got[3001], block = 0;
	size_t total = 0, done;
	int fds[2], ret = 0;
	bool whole = true;

	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	w[0].fd = w[1].fd = fds[1];
	EXPECT_EQ(t, thread_create("atomic-a", write_blocks, &w[0], &th[0]), 0);
	EXPECT_EQ(t, thread_create("atomic-b", write_blocks, &w[1], &th[1]), 0);
	/* odd read sizes, so block boundaries fall inside reads; each block is one letter */
	while (total < 2 * ATOMIC_ROUNDS * PIPE_BUF && !ret) {
		ret = vfs_read(ft, fds[0], got,
			       MIN(2 * ATOMIC_ROUNDS * PIPE_BUF - total, sizeof(got)), &done);
		for (size_t i = 0; i < done; i++, total++) {
			if (total % PIPE_BUF == 0)
				block = got[i];
			whole &= got[i] == block;
		}
	}
	thread_join(th[0]);
	thread_join(th[1]);
	EXPECT_EQ(t, ret, 0);
	EXPECT_EQ(t, w[0].ret, 0);
	EXPECT_EQ(t, w[1].ret, 0);
	EXPECT_EQ(t, total, 2 * ATOMIC_ROUNDS * PIPE_BUF);
	EXPECT_TRUE(t, whole);
	vfs_fdtable_destroy(ft);
}

TEST(poll, pipe_readiness)
{
	struct fdtable *ft = table(t);
	int fds[2], rev, fd;
	char buf[8];
	size_t done;

	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	EXPECT_EQ(t, vfs_poll(ft, fds[0], POLLIN | POLLOUT, &rev), 0);
	EXPECT_EQ(t, rev, 0);
	EXPECT_EQ(t, vfs_poll(ft, fds[1], POLLIN | POLLOUT, &rev), 0);
	EXPECT_EQ(t, rev, POLLOUT);
	EXPECT_EQ(t, vfs_poll(ft, fds[1], POLLWRNORM, &rev), 0);
	EXPECT_EQ(t, rev, POLLWRNORM);
	EXPECT_EQ(t, vfs_write(ft, fds[1], "ab", 2, &done), 0);
	EXPECT_EQ(t, vfs_poll(ft, fds[0], POLLIN | POLLRDNORM, &rev), 0);
	EXPECT_EQ(t, rev, POLLIN | POLLRDNORM);
	EXPECT_EQ(t, vfs_poll(ft, fds[0], 0, &rev), 0); /* only what was asked */
	EXPECT_EQ(t, rev, 0);
	/* a full ring is not writable */
	EXPECT_EQ(t, vfs_read(ft, fds[0], buf, sizeof(buf), &done), 0);
	EXPECT_EQ(t, done, 2);
	fill(t, ft, fds[1]);
	EXPECT_EQ(t, vfs_poll(ft, fds[1], POLLOUT, &rev), 0);
	EXPECT_EQ(t, rev, 0);
	/* the write end gone: data, then hang-up (always reported) */
	EXPECT_EQ(t, vfs_close(ft, fds[1]), 0);
	EXPECT_EQ(t, vfs_poll(ft, fds[0], 0, &rev), 0);
	EXPECT_EQ(t, rev, POLLHUP);
	EXPECT_EQ(t, vfs_poll(ft, fds[0], POLLIN, &rev), 0);
	EXPECT_EQ(t, rev, POLLIN | POLLHUP);
	EXPECT_EQ(t, vfs_close(ft, fds[0]), 0);
	/* the read end gone: an error on the write end, still writable when empty */
	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	EXPECT_EQ(t, vfs_close(ft, fds[0]), 0);
	EXPECT_EQ(t, vfs_poll(ft, fds[1], POLLOUT, &rev), 0);
	EXPECT_EQ(t, rev, POLLOUT | POLLERR);
	EXPECT_EQ(t, vfs_close(ft, fds[1]), 0);
	EXPECT_EQ(t, vfs_poll(ft, fds[1], POLLIN, &rev), -EBADF);
	EXPECT_EQ(t, vfs_poll(ft, -1, POLLIN, &rev), -EBADF);
	/* devices other than the console: always ready */
	EXPECT_EQ(t, vfs_open(ft, VFS_AT_FDCWD, "/dev/null", O_RDWR, 0, &fd), 0);
	EXPECT_EQ(t, vfs_poll(ft, fd, POLLIN | POLLOUT | POLLPRI, &rev), 0);
	EXPECT_EQ(t, rev, POLLIN | POLLOUT);
	EXPECT_EQ(t, vfs_read(ft, fd, buf, sizeof(buf), &done), 0);
	EXPECT_EQ(t, done, 0);
	vfs_fdtable_destroy(ft);
}

struct poller {
	struct fdtable *ft;
	int fd;
	_Atomic int finished;
	int rev;
	uint64_t waits;
};

/* poll(2)'s loop, in the kernel: until fd is readable. */
static void poll_until_readable(void *arg)
{
	struct poller *p = arg;

	for (;;) {
		uint64_t gen = vfs_poll_generation();

		if (vfs_poll(p->ft, p->fd, POLLIN, &p->rev) || p->rev)
			break;
		vfs_poll_wait(gen, 0, NULL, NULL);
		p->waits++;
	}
	atomic_store_explicit(&p->finished, 1, memory_order_release);
}

TEST(poll, wait_wakes_on_pipe_change)
{
	struct fdtable *ft = table(t);
	struct poller p = { .ft = ft };
	struct thread *th;
	size_t done;
	int fds[2];
	bool slept = false;

	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	p.fd = fds[0];
	EXPECT_EQ(t, thread_create("poller", poll_until_readable, &p, &th), 0);
	for (int i = 0; i < 1000 && !slept; i++) {
		slept = atomic_load_explicit(&th->state, memory_order_acquire) == T_BLOCKED;
		if (!slept)
			thread_sleep_ns(1000000);
	}
	EXPECT_TRUE(t, slept);
	EXPECT_FALSE(t, atomic_load_explicit(&p.finished, memory_order_acquire));
	EXPECT_EQ(t, vfs_write(ft, fds[1], "!", 1, &done), 0);
	thread_join(th);
	EXPECT_EQ(t, p.rev, POLLIN);
	EXPECT_LE(t, p.waits, 2);
	vfs_fdtable_destroy(ft);
}

TEST(poll, wait_returns_on_a_stale_generation_and_times_out)
{
	uint64_t gen = vfs_poll_generation(), t0;

	vfs_poll_notify();
	t0 = clock_ns();
	vfs_poll_wait(gen, 0, NULL, NULL); /* moved already: no sleep at all */
	EXPECT_LT(t, clock_ns() - t0, 1000000000ull);
	gen = vfs_poll_generation();
	t0 = clock_ns();
	vfs_poll_wait(gen, 20000000, NULL, NULL);
	EXPECT_GE(t, clock_ns() - t0, 20000000ull);
}

/*
 * The console's input, fed through the UART's loopback: what the kernel
 * writes comes back as received bytes (QEMU's 16550 does this).  Nothing
 * else may print meanwhile, so each case keeps loopback on only briefly
 * and drains what is left before turning it off.
 */
static void console_feed(const char *s, size_t n)
{
	serial_write(s, n);
}

static void console_drain(void)
{
	char junk[16];

	while (serial_read(junk, sizeof(junk)))
		;
}

TEST(console, reads_what_arrives)
{
	struct fdtable *ft = table(t);
	char buf[16];
	size_t done;
	int fd, rev, rd, fl;

	EXPECT_EQ(t, vfs_open(ft, VFS_AT_FDCWD, "/dev/console", O_RDWR, 0, &fd), 0);
	EXPECT_EQ(t, vfs_open(ft, VFS_AT_FDCWD, "/dev/console", O_RDONLY | O_NONBLOCK, 0, &rd), 0);
	serial_set_loopback(true);
	console_drain();
	int r0 = vfs_poll(ft, fd, POLLIN | POLLOUT, &rev);
	int nb = vfs_read(ft, rd, buf, sizeof(buf), &done);

	console_feed("ab\rc", 4);
	int r1 = vfs_read(ft, fd, buf, sizeof(buf), &done);
	size_t n1 = done;
	char got1[4];

	memcpy(got1, buf, 4);
	console_feed("xy\004z", 4);
	int rev2, r2 = vfs_poll(ft, fd, POLLIN, &rev2);
	int r3 = vfs_read(ft, fd, buf, sizeof(buf), &done);
	size_t n3 = done;
	int r4 = vfs_read(ft, fd, buf + 8, sizeof(buf) - 8, &done);
	size_t n4 = done;
	int r5 = vfs_read(ft, fd, buf + 8, sizeof(buf) - 8, &done);
	size_t n5 = done;
	char z = buf[8];

	console_feed("\004", 1);
	int r6 = vfs_read(ft, fd, buf, sizeof(buf), &done);
	size_t n6 = done;

	console_drain();
	serial_set_loopback(false);
	EXPECT_EQ(t, vfs_get_status_flags(ft, rd, &fl), 0);
	EXPECT_TRUE(t, fl & O_NONBLOCK);

	EXPECT_EQ(t, r0, 0);
	EXPECT_EQ(t, rev, POLLOUT | VFS_POLL_UNNOTIFIED); /* nothing yet, and no interrupt */
	EXPECT_EQ(t, nb, -EAGAIN);
	EXPECT_EQ(t, r1, 0);
	EXPECT_EQ(t, n1, 4);
	EXPECT_EQ(t, memcmp(got1, "ab\nc", 4), 0); /* CR becomes NL */
	EXPECT_EQ(t, r2, 0);
	EXPECT_EQ(t, rev2, POLLIN);
	EXPECT_EQ(t, r3, 0);
	EXPECT_EQ(t, n3, 2); /* Ctrl-D ends the read... */
	EXPECT_EQ(t, memcmp(buf, "xy", 2), 0);
	EXPECT_EQ(t, r4, 0);
	EXPECT_EQ(t, n4, 0); /* ...and the next is end of file */
	EXPECT_EQ(t, r5, 0);
	EXPECT_EQ(t, n5, 1);
	EXPECT_EQ(t, z, 'z');
	EXPECT_EQ(t, r6, 0);
	EXPECT_EQ(t, n6, 0); /* Ctrl-D first: end of file at once */
	vfs_fdtable_destroy(ft);
}

TEST(console, reader_sleeps_until_input)
{
	struct fdtable *ft = table(t);
	char buf[8] = { 0 };
	struct pipe_op op = { .ft = ft, .buf = buf, .n = sizeof(buf) };
	struct thread *th;
	bool asleep;

	EXPECT_EQ(t, vfs_open(ft, VFS_AT_FDCWD, "/dev/console", O_RDONLY, 0, &op.fd), 0);
	serial_set_loopback(true);
	console_drain();
	EXPECT_EQ(t, thread_create("console-reader", do_read, &op, &th), 0);
	asleep = asleep_in_call(th, &op);
	thread_sleep_ns(5000000); /* a few of its ticks go by */
	asleep &= !atomic_load_explicit(&op.finished, memory_order_acquire);
	console_feed("q", 1);
	thread_join(th);
	console_drain();
	serial_set_loopback(false);
	EXPECT_TRUE(t, asleep);
	EXPECT_EQ(t, op.ret, 0);
	EXPECT_EQ(t, op.done, 1);
	EXPECT_EQ(t, buf[0], 'q');
	vfs_fdtable_destroy(ft);
}
