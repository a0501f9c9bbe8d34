/* See capture.h. */
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void capture_run(const char *const argv[], struct capture *c,
		 void (*on_line)(const char *line, size_t n, double t_ns))
{
	size_t line_start = 0;
	int fds[2], st;
	pid_t pid;

	c->status = -1;
	c->len = 0;
	c->out[0] = 0;
	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (c->len < CAPTURE_MAX - 1) {
		ssize_t n = read(fds[0], c->out + c->len, CAPTURE_MAX - 1 - c->len);

		if (n <= 0)
			break;
		double t = now_ns();

		c->len += (size_t)n;
		for (size_t i = c->len - (size_t)n; i < c->len; i++) {
			if (c->out[i] == '\n') {
				if (on_line)
					on_line(c->out + line_start, i - line_start, t);
				line_start = i + 1;
			}
		}
	}
	c->out[c->len] = 0;
	close(fds[0]);
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
