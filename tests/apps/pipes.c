/*
 * Pipes: pipe2 with O_CLOEXEC, write then read, partial reads, end of file
 * once the write end is closed, EPIPE once the read end is, O_NONBLOCK with
 * EAGAIN on both ends (and the capacity it shows), and a writer thread and
 * a reader thread moving 1 MiB through a pipe in odd-sized pieces.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "apps.h"

#define TOTAL (1 << 20)

static int fds[2];

static uint8_t byte_at(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 9));
}

static void *writer(void *arg)
{
	size_t done = 0, step = 1;

	(void)arg;
	while (done < TOTAL) {
		uint8_t buf[8192];
		size_t n = step % sizeof(buf) + 1;

		if (n > TOTAL - done)
			n = TOTAL - done;
		for (size_t i = 0; i < n; i++)
			buf[i] = byte_at(done + i);
		ssize_t w = write(fds[1], buf, n);

		if (w <= 0)
			break;
		done += (size_t)w;
		step = step * 31 + 7;
	}
	close(fds[1]);
	return (void *)done;
}

int main(void)
{
	char buf[128];
	int p[2], flags;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	CHECK("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC) == 0);
	CHECK("both ends FD_CLOEXEC",
	      fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC);
	CHECK("read end O_RDONLY, write end O_WRONLY",
	      (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY &&
		      (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
	n = write(p[1], "hello", 5);
	printf("write: %zd\n", n);
	n = read(p[0], buf, sizeof(buf));
	printf("read: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);

	/* Partial reads take what is asked, in order. */
	n = write(p[1], "0123456789", 10);
	printf("partial reads:");
	for (int i = 0; i < 3; i++) {
		n = read(p[0], buf, 4);
		printf(" %zd[%.*s]", n, (int)(n > 0 ? n : 0), buf);
	}
	printf("\n");
	EXPECT_ERRNO("write to the read end", write(p[0], "x", 1), EBADF);
	EXPECT_ERRNO("read from the write end", read(p[1], buf, 1), EBADF);
	EXPECT_ERRNO("lseek on a pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);

	/* End of file after the last writer goes; data before it still comes. */
	write(p[1], "tail", 4);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf));
	printf("read before EOF: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
	printf("read at EOF: %zd\n", read(p[0], buf, sizeof(buf)));
	close(p[0]);

	/* EPIPE after the last reader goes (SIGPIPE is ignored). */
	CHECK("pipe", pipe(p) == 0);
	close(p[0]);
	EXPECT_ERRNO("write without a reader", write(p[1], "x", 1), EPIPE);
	close(p[1]);

	/* O_NONBLOCK */
	CHECK("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK) == 0);
	flags = fcntl(p[0], F_GETFL);
	CHECK("O_NONBLOCK set", flags >= 0 && (flags & O_NONBLOCK));
	EXPECT_ERRNO("read an empty pipe", read(p[0], buf, 1), EAGAIN);
	{
		static char chunk[4096];
		long total = 0;

		for (;;) {
			n = write(p[1], chunk, sizeof(chunk));
			if (n <= 0)
				break;
			total += n;
			if (total > (64l << 20))
				break;
		}
		EXPECT_ERRNO("write to a full pipe", n, EAGAIN);
		CHECK("capacity at least 4 KiB", total >= 4096);
		CHECK("capacity at most 16 MiB", total <= (16l << 20));
		n = read(p[0], chunk, sizeof(chunk));
		CHECK("a read makes room", n == (ssize_t)sizeof(chunk) && write(p[1], "x", 1) == 1);
	}
	close(p[0]);
	close(p[1]);

	/* A writer thread and a reader (this thread), 1 MiB in odd sizes. */
	CHECK("pipe for threads", pipe(fds) == 0);
	{
		pthread_t t;
		size_t got = 0, step = 3;
		bool same = true;
		void *wrote = NULL;

		pthread_create(&t, NULL, writer, NULL);
		for (;;) {
			uint8_t rb[5000];
			size_t want = step % sizeof(rb) + 1;

			n = read(fds[0], rb, want);
			if (n <= 0)
				break;
			for (ssize_t i = 0; i < n; i++)
				same = same && rb[i] == byte_at(got + (size_t)i);
			got += (size_t)n;
			step = step * 17 + 5;
		}
		pthread_join(t, &wrote);
		printf("thread pipe: wrote %zu, read %zu, read returned %zd at the end\n",
		       (size_t)wrote, got, n);
		CHECK("bytes arrived in order", same && got == TOTAL);
		close(fds[0]);
	}
	printf("pipes: done\n");
	return apps_status;
}
