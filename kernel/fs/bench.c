/*
 * --bench=fs: open+read+close of small files and a sequential read of a
 * large one, through the VFS from the root image (bench/fs/pattern.h has
 * the loops, shared with the Linux guest's program; mk/fs.mk runs both).
 */
#include <string.h>

#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/time.h>
#include <osprey/vfs.h>

static long bench_read(int fd, void *buf, size_t n)
{
	size_t done;
	int ret = vfs_read(vfs_kernel_fdtable(), fd, buf, n, &done);

	return ret ? ret : (long)done;
}

#define FS_OPEN(p, fd) vfs_open(vfs_kernel_fdtable(), VFS_AT_FDCWD, p, O_RDONLY, 0, fd)
#define FS_READ(fd, b, n) bench_read(fd, b, n)
#define FS_CLOSE(fd) vfs_close(vfs_kernel_fdtable(), fd)
#define FS_NOW() clock_ns()
#define FS_PRINT(...) kprintf(__VA_ARGS__)
#include "../../bench/fs/pattern.h"

int vfs_bench(const char *name)
{
	char *buf;

	if (strcmp(name, "fs") != 0)
		return -ENOENT;
	buf = kmalloc(FS_CHUNK);
	if (!buf)
		return -ENOMEM;
	fs_run_all(buf);
	kfree(buf);
	return 0;
}
