/*
 * Paths rebuilt from files (kernel/fs/ops.c: vfs_fd_path, vfs_realpath) and
 * /proc/PID with a stand-in process registered through procfs_set_self
 * (the Linux layer's real one is tested from a program's side by
 * tests/linux/procself.c).
 */
#include <string.h>

#include <osprey/format.h>
#include <osprey/mm.h>
#include <osprey/procfs.h>
#include <osprey/test.h>
#include <osprey/vfs.h>

#define AT VFS_AT_FDCWD

static struct fdtable *table(struct test_ctx *t)
{
	struct fdtable *ft = NULL;

	EXPECT_EQ(t, vfs_fdtable_create(&ft), 0);
	return ft;
}

static int fd_path(struct fdtable *ft, int fd, char *buf, size_t size)
{
	memset(buf, 0, size);
	return vfs_fd_path(ft, fd, buf, size);
}

TEST(fs_path, fd_path)
{
	struct fdtable *ft = table(t);
	struct vfs_stat st;
	char buf[64];
	int fd, dfd, con, fds[2];

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/fp", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/fp/sub", 0755), 0);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/fp/sub/a", O_CREAT | O_RDWR, 0644, &fd), 0);
	EXPECT_EQ(t, fd_path(ft, fd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/fp/sub/a");
	EXPECT_EQ(t, fd_path(ft, fd, buf, 14), 0); /* exactly enough */
	EXPECT_EQ(t, fd_path(ft, fd, buf, 13), -ERANGE);
	/* the name now, not the one it was opened by */
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/fp/sub/a", AT, "/tmp/fp/b"), 0);
	EXPECT_EQ(t, fd_path(ft, fd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/fp/b");
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/fp/b"), 0);
	EXPECT_EQ(t, fd_path(ft, fd, buf, sizeof(buf)), -ENOENT);
	vfs_close(ft, fd);
	EXPECT_EQ(t, fd_path(ft, fd, buf, sizeof(buf)), -EBADF);

	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/fp/sub/../sub", O_RDONLY, 0, &dfd), 0);
	EXPECT_EQ(t, fd_path(ft, dfd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/fp/sub");
	EXPECT_EQ(t, vfs_open(ft, dfd, "../../../dev/./console", O_WRONLY, 0, &con), 0);
	EXPECT_EQ(t, fd_path(ft, con, buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/dev/console");
	vfs_close(ft, con);
	vfs_close(ft, dfd);
	EXPECT_EQ(t, vfs_open(ft, AT, "/", O_RDONLY, 0, &dfd), 0);
	EXPECT_EQ(t, fd_path(ft, dfd, buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/");
	vfs_close(ft, dfd);

	/* both ends of a pipe carry its number, which fstat reports too */
	EXPECT_EQ(t, vfs_pipe(ft, 0, fds), 0);
	EXPECT_EQ(t, fd_path(ft, fds[0], buf, sizeof(buf)), 0);
	EXPECT_EQ(t, vfs_fstat(ft, fds[1], &st), 0);
	EXPECT_NE(t, st.ino, 0);
	char want[32];

	format_snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.ino);
	EXPECT_STREQ(t, buf, want);
	EXPECT_EQ(t, fd_path(ft, fds[1], buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, want);
	vfs_close(ft, fds[0]);
	vfs_close(ft, fds[1]);

	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/fp/sub"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/fp"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_path, realpath)
{
	struct fdtable *ft = table(t);
	char buf[64];
	int fd;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/rp", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/rp/d", 0755), 0);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/rp/d/f", O_CREAT | O_WRONLY, 0644, &fd), 0);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_symlink(ft, "d/f", AT, "/tmp/rp/rel"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "/tmp/rp/d", AT, "/tmp/rp/abs"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "rel", AT, "/tmp/rp/chain"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "loop", AT, "/tmp/rp/loop"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "nowhere", AT, "/tmp/rp/dangling"), 0);

	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/d/f", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/rp/d/f");
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/rel", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/rp/d/f");
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/chain", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/rp/d/f");
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/abs/../abs/f", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/rp/d/f");
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/abs", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/rp/d");
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/abs/.", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/rp/d");
	EXPECT_EQ(t, vfs_realpath(ft, AT, "//tmp/../", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/");
	EXPECT_EQ(t, vfs_chdir(ft, "/tmp/rp/abs"), 0);
	EXPECT_EQ(t, vfs_realpath(ft, AT, "f", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/rp/d/f");
	EXPECT_EQ(t, vfs_chdir(ft, "/"), 0);
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/loop", buf, sizeof(buf)), -ELOOP);
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/dangling", buf, sizeof(buf)), -ENOENT);
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/d/f/", buf, sizeof(buf)), -ENOTDIR);
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/d/none", buf, sizeof(buf)), -ENOENT);
	EXPECT_EQ(t, vfs_realpath(ft, AT, "/tmp/rp/rel", buf, 10), -ERANGE);

	const char *names[] = { "rel", "abs", "chain", "loop", "dangling", "d/f" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		format_snprintf(buf, sizeof(buf), "/tmp/rp/%s", names[i]);
		EXPECT_EQ(t, vfs_unlink(ft, AT, buf), 0);
	}
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/rp/d"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/rp"), 0);
	vfs_fdtable_destroy(ft);
}

/* A stand-in process: pid 7 with threads 7 and 9, and one of the test's descriptor tables. */
static struct fdtable *fake_ft;

static int fake_pid(void)
{
	return 7;
}

static struct fdtable *fake_fdtable(void)
{
	return fake_ft;
}

static int fake_thread(int index)
{
	return index == 0 ? 7 : index == 1 ? 9 : 0;
}

static long fake_greet(int id, char *buf, size_t size)
{
	return format_snprintf(buf, size, "hello from %d\n", id);
}

/* Longer than procfs's first buffer: it must ask again with a larger one. */
static long fake_big(int id, char *buf, size_t size)
{
	size_t len = 10000;

	(void)id;
	for (size_t i = 0; i < MIN(len, size); i++)
		buf[i] = (char)('a' + i % 26);
	return (long)len;
}

static long fake_target(int id, char *buf, size_t size)
{
	(void)id;
	return format_snprintf(buf, size, "/dev/null");
}

static const struct procfs_file fake_files[] = {
	{ "big", false, fake_big },
	{ "greet", false, fake_greet },
	{ "target", true, fake_target },
};

static const struct procfs_self_ops fake_ops = {
	.pid = fake_pid,
	.fdtable = fake_fdtable,
	.thread = fake_thread,
	.files = fake_files,
	.nfiles = ARRAY_SIZE(fake_files),
};

static int read_all(struct fdtable *ft, const char *path, char *buf, size_t size, size_t *len)
{
	int fd, ret = vfs_open(ft, AT, path, O_RDONLY, 0, &fd);
	size_t done;

	*len = 0;
	if (ret)
		return ret;
	do {
		ret = vfs_read(ft, fd, buf + *len, MIN(size - 1 - *len, 1000), &done);
		*len += done;
	} while (!ret && done && *len < size - 1);
	buf[*len] = 0;
	vfs_close(ft, fd);
	return ret;
}

/* The names a directory lists, space-separated, "." and ".." left out. */
static int list(struct fdtable *ft, const char *path, char *out, size_t size)
{
	char *buf;
	size_t done, used = 0;
	int fd, ret = vfs_open(ft, AT, path, O_RDONLY | O_DIRECTORY, 0, &fd);

	out[0] = 0;
	if (ret)
		return ret;
	buf = kmalloc(4096);
	if (!buf)
		ret = -ENOMEM;
	while (!ret && !(ret = vfs_getdents(ft, fd, buf, 4096, &done)) && done) {
		for (size_t off = 0; off < done;) {
			struct vfs_dirent *d = (struct vfs_dirent *)(buf + off);

			if (d->name[0] != '.')
				used += (size_t)format_snprintf(out + used, size - used, "%s%s",
								used ? " " : "", d->name);
			off += d->reclen;
		}
	}
	vfs_close(ft, fd);
	kfree(buf);
	return ret;
}

TEST(fs_path, procfs_self)
{
	struct fdtable *ft = table(t);
	char *buf = kmalloc(16384);
	struct vfs_stat st;
	size_t len;
	int fd;

	EXPECT_TRUE(t, buf != NULL);
	/* nothing registered: /proc holds its static files only */
	EXPECT_EQ(t, vfs_stat(ft, AT, "/proc/self", false, &st), -ENOENT);
	EXPECT_EQ(t, list(ft, "/proc", buf, 4096), 0);
	EXPECT_STREQ(t, buf, "cpuinfo meminfo mounts stat uptime");

	fake_ft = table(t);
	procfs_set_self(&fake_ops);
	EXPECT_EQ(t, vfs_readlink(ft, AT, "/proc/self", buf, 4096, &len), 0);
	EXPECT_EQ(t, len, 1);
	EXPECT_EQ(t, buf[0], '7');
	EXPECT_EQ(t, list(ft, "/proc", buf, 4096), 0);
	EXPECT_STREQ(t, buf, "cpuinfo meminfo mounts stat uptime self 7");
	EXPECT_EQ(t, list(ft, "/proc/self", buf, 4096), 0);
	EXPECT_STREQ(t, buf, "big greet target fd task");
	EXPECT_EQ(t, read_all(ft, "/proc/self/greet", buf, 4096, &len), 0);
	EXPECT_STREQ(t, buf, "hello from 7\n");
	EXPECT_EQ(t, read_all(ft, "/proc/7/big", buf, 16384, &len), 0);
	EXPECT_EQ(t, len, 10000);
	EXPECT_EQ(t, buf[9999], (char)('a' + 9999 % 26));
	EXPECT_EQ(t, vfs_readlink(ft, AT, "/proc/7/target", buf, 4096, &len), 0);
	EXPECT_EQ(t, len, 9);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/proc/self/target", true, &st), 0);
	EXPECT_EQ(t, st.mode & S_IFMT, S_IFCHR);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/proc/8", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/proc/07", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_open(ft, AT, "/proc/self/greet", O_WRONLY, 0, &fd), -EROFS);

	/* task/: each thread, with the same files for it */
	EXPECT_EQ(t, list(ft, "/proc/self/task", buf, 4096), 0);
	EXPECT_STREQ(t, buf, "7 9");
	EXPECT_EQ(t, read_all(ft, "/proc/self/task/9/greet", buf, 4096, &len), 0);
	EXPECT_STREQ(t, buf, "hello from 9\n");
	EXPECT_EQ(t, vfs_stat(ft, AT, "/proc/self/task/8", true, &st), -ENOENT);

	/* fd/: the stand-in's open descriptors, each a link to its path */
	EXPECT_EQ(t, list(ft, "/proc/self/fd", buf, 4096), 0);
	EXPECT_STREQ(t, buf, "");
	EXPECT_EQ(t, vfs_open(fake_ft, AT, "/dev/zero", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_dup_min(fake_ft, fd, 5, 0, &fd), 0);
	EXPECT_EQ(t, list(ft, "/proc/self/fd", buf, 4096), 0);
	EXPECT_STREQ(t, buf, "0 5");
	EXPECT_EQ(t, vfs_readlink(ft, AT, "/proc/7/fd/5", buf, 4096, &len), 0);
	buf[len] = 0;
	EXPECT_STREQ(t, buf, "/dev/zero");
	EXPECT_EQ(t, vfs_stat(ft, AT, "/proc/7/fd/1", false, &st), -ENOENT);

	/* the tree has names: getcwd inside it, and a descriptor open on one of its files */
	EXPECT_EQ(t, vfs_chdir(ft, "/proc/self/task/9"), 0);
	EXPECT_EQ(t, vfs_getcwd(ft, buf, 4096), 0);
	EXPECT_STREQ(t, buf, "/proc/7/task/9");
	EXPECT_EQ(t, vfs_chdir(ft, "/"), 0);
	EXPECT_EQ(t, vfs_open(ft, AT, "/proc/self/greet", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_fd_path(ft, fd, buf, 4096), 0);
	EXPECT_STREQ(t, buf, "/proc/7/greet");
	vfs_close(ft, fd);

	procfs_set_self(NULL);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/proc/self", false, &st), -ENOENT);
	vfs_fdtable_destroy(fake_ft);
	vfs_fdtable_destroy(ft);
	kfree(buf);
}
