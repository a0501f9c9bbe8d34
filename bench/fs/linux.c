/*
 * bench/fs on the Linux guest: the same loops as Osprey's (pattern.h),
 * through open/read/close on the initramfs, as /init.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_ro(const char *path, int *fd)
{
	*fd = open(path, O_RDONLY);
	return *fd;
}

#define FS_OPEN(p, fd) open_ro(p, fd)
#define FS_READ(fd, b, n) read(fd, b, n)
#define FS_CLOSE(fd) close(fd)
#define FS_NOW() now_ns()
#define FS_PRINT(...) printf(__VA_ARGS__)
#include "pattern.h"

int main(void)
{
	static char buf[FS_CHUNK];

	fs_run_all(buf);
	fflush(stdout);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
