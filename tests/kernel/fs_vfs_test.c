/*
 * The VFS inside the guest, on ramfs (/tmp): path lookup and its errors,
 * every file operation, descriptors, and the namespace operations.  Each
 * case works in its own directory under /tmp and removes it; the runner
 * checks that every heap block comes back.
 */
#include <string.h>

#include <osprey/format.h>
#include <osprey/test.h>
#include <osprey/vfs.h>

#define AT VFS_AT_FDCWD

static struct fdtable *table(struct test_ctx *t)
{
	struct fdtable *ft = NULL;

	EXPECT_EQ(t, vfs_fdtable_create(&ft), 0);
	return ft;
}

static int put_file(struct fdtable *ft, const char *path, const char *text)
{
	size_t done;
	int fd, ret = vfs_open(ft, AT, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &fd);

	if (ret)
		return ret;
	ret = vfs_write(ft, fd, text, strlen(text), &done);
	vfs_close(ft, fd);
	return ret;
}

/* Reads up to size - 1 bytes and terminates them. */
static int get_file(struct fdtable *ft, const char *path, char *buf, size_t size)
{
	size_t done = 0;
	int fd, ret = vfs_open(ft, AT, path, O_RDONLY, 0, &fd);

	if (ret)
		return ret;
	ret = vfs_read(ft, fd, buf, size - 1, &done);
	buf[done] = 0;
	vfs_close(ft, fd);
	return ret;
}

static uint64_t ino_of(struct fdtable *ft, const char *path)
{
	struct vfs_stat st;

	return vfs_stat(ft, AT, path, true, &st) ? 0 : st.ino;
}

static void format_name(char *buf, size_t size, int i)
{
	format_snprintf(buf, size, "/tmp/ls/c%d", i);
}

TEST(fs_lookup, dots_and_slashes)
{
	struct fdtable *ft = table(t);

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/lk", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/lk/b", 0700), 0);
	EXPECT_NE(t, ino_of(ft, "/tmp/lk/b"), 0);
	EXPECT_EQ(t, ino_of(ft, "//tmp///lk/./b/../b/"), ino_of(ft, "/tmp/lk/b"));
	EXPECT_EQ(t, ino_of(ft, "/.."), ino_of(ft, "/"));
	EXPECT_EQ(t, ino_of(ft, "/../../tmp/.."), ino_of(ft, "/"));
	/* ".." at a mounted root crosses back to the mount point's parent */
	EXPECT_EQ(t, ino_of(ft, "/tmp/lk/../../dev/../tmp/lk"), ino_of(ft, "/tmp/lk"));
	EXPECT_EQ(t, vfs_chdir(ft, "/tmp/lk"), 0);
	EXPECT_EQ(t, ino_of(ft, "b"), ino_of(ft, "/tmp/lk/b"));
	EXPECT_EQ(t, ino_of(ft, "./b/.."), ino_of(ft, "/tmp/lk"));
	EXPECT_EQ(t, vfs_chdir(ft, "/"), 0);
	struct vfs_stat st;

	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/lk/b", true, &st), 0);
	EXPECT_EQ(t, st.mode, S_IFDIR | 0700); /* permission bits kept */
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/lk/b"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/lk"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_lookup, errors)
{
	struct fdtable *ft = table(t);
	static char longname[300], longpath[VFS_PATH_MAX + 10];
	struct vfs_stat st;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/le", 0755), 0);
	EXPECT_EQ(t, put_file(ft, "/tmp/le/f", "x"), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/le/none", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/le/none/x", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/le/f/x", true, &st), -ENOTDIR);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/le/f/", true, &st), -ENOTDIR);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/le/f/.", true, &st), -ENOTDIR);
	memset(longname, 'n', 256);
	memcpy(longpath, "/tmp/le/", 8);
	memcpy(longpath + 8, longname, 257);
	EXPECT_EQ(t, vfs_stat(ft, AT, longpath, true, &st), -ENAMETOOLONG);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, longpath, 0755), -ENAMETOOLONG);
	for (int i = 0; i < VFS_PATH_MAX; i += 2)
		memcpy(longpath + i, "./", 2);
	longpath[VFS_PATH_MAX] = 0;
	EXPECT_EQ(t, vfs_stat(ft, AT, longpath, true, &st), -ENAMETOOLONG);
	longpath[VFS_PATH_MAX - 2] = 0; /* 4094 bytes of "./": fine */
	EXPECT_EQ(t, vfs_stat(ft, AT, longpath, true, &st), 0);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/le/f"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/le"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_lookup, symlinks)
{
	struct fdtable *ft = table(t);
	struct vfs_stat st;
	char buf[64];
	size_t len;
	int fd;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/ls", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/ls/d", 0755), 0);
	EXPECT_EQ(t, put_file(ft, "/tmp/ls/d/f", "data"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "d", AT, "/tmp/ls/rel"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "/tmp/ls/d/f", AT, "/tmp/ls/abs"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "rel/f", AT, "/tmp/ls/chain"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "loop2", AT, "/tmp/ls/loop1"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "loop1", AT, "/tmp/ls/loop2"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "missing", AT, "/tmp/ls/dangling"), 0);
	EXPECT_EQ(t, vfs_symlink(ft, "", AT, "/tmp/ls/empty"), -ENOENT);

	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/rel", true, &st), 0);
	EXPECT_TRUE(t, S_ISDIR(st.mode));
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/rel", false, &st), 0);
	EXPECT_TRUE(t, S_ISLNK(st.mode));
	EXPECT_EQ(t, st.size, 1);
	EXPECT_EQ(t, get_file(ft, "/tmp/ls/abs", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "data");
	EXPECT_EQ(t, get_file(ft, "/tmp/ls/chain", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "data");
	EXPECT_EQ(t, get_file(ft, "/tmp/ls/rel/../rel/f", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "data");
	EXPECT_EQ(t, vfs_readlink(ft, AT, "/tmp/ls/chain", buf, sizeof(buf), &len), 0);
	EXPECT_EQ(t, len, 5);
	EXPECT_EQ(t, memcmp(buf, "rel/f", 5), 0);
	EXPECT_EQ(t, vfs_readlink(ft, AT, "/tmp/ls/d", buf, sizeof(buf), &len), -EINVAL);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/loop1", true, &st), -ELOOP);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/loop1", false, &st), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/loop1/x", false, &st), -ELOOP);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/dangling", true, &st), -ENOENT);
	/* O_CREAT through a dangling link creates its target, as on Linux */
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/ls/dangling", O_WRONLY | O_CREAT, 0600, &fd), 0);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/missing", false, &st), 0);
	EXPECT_EQ(t, st.mode, S_IFREG | 0600);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/ls/missing"), 0);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/ls/loop1", O_WRONLY | O_CREAT, 0600, &fd), -ELOOP);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/abs/", true, &st), -ENOTDIR);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/ls/abs", O_RDONLY | O_NOFOLLOW, 0, &fd), -ELOOP);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/ls/abs", O_WRONLY | O_CREAT | O_EXCL, 0644, &fd),
		  -EEXIST);
	/* 40 links in a chain resolve; 41 do not */
	for (int i = 0; i < 41; i++) {
		char name[32], target[32];

		format_name(name, sizeof(name), i + 1);
		format_name(target, sizeof(target), i);
		EXPECT_EQ(t, vfs_symlink(ft, i ? target + 8 : "d", AT, name), 0);
	}
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/c40", true, &st), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/ls/c41", true, &st), -ELOOP);
	for (int i = 1; i <= 41; i++) {
		char name[32];

		format_name(name, sizeof(name), i);
		EXPECT_EQ(t, vfs_unlink(ft, AT, name), 0);
	}
	static const char *const names[] = { "/tmp/ls/d/f",	"/tmp/ls/rel",	 "/tmp/ls/abs",
					     "/tmp/ls/chain",	"/tmp/ls/loop1", "/tmp/ls/loop2",
					     "/tmp/ls/dangling" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		EXPECT_EQ(t, vfs_unlink(ft, AT, names[i]), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/ls/d"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/ls"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_file, open_flags)
{
	struct fdtable *ft = table(t);
	char buf[32];
	size_t done;
	int fd, fd2;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/of", 0755), 0);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/a", O_RDONLY, 0, &fd), -ENOENT);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/a", O_RDWR | O_CREAT | O_EXCL, 0600, &fd), 0);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/a", O_RDWR | O_CREAT | O_EXCL, 0600, &fd2), -EEXIST);
	EXPECT_EQ(t, vfs_write(ft, fd, "hello", 5, &done), 0);
	EXPECT_EQ(t, done, 5);
	EXPECT_EQ(t, vfs_close(ft, fd), 0);
	EXPECT_EQ(t, vfs_close(ft, fd), -EBADF);
	/* O_APPEND writes at the end whatever the offset */
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/a", O_WRONLY | O_APPEND, 0, &fd), 0);
	EXPECT_EQ(t, vfs_write(ft, fd, " world", 6, &done), 0);
	EXPECT_EQ(t, vfs_read(ft, fd, buf, 1, &done), -EBADF);
	vfs_close(ft, fd);
	EXPECT_EQ(t, get_file(ft, "/tmp/of/a", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "hello world");
	/* O_TRUNC empties it */
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/a", O_WRONLY | O_TRUNC, 0, &fd), 0);
	vfs_close(ft, fd);
	EXPECT_EQ(t, get_file(ft, "/tmp/of/a", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "");
	/* directories */
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of", O_WRONLY, 0, &fd), -EISDIR);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/a", O_RDONLY | O_DIRECTORY, 0, &fd), -ENOTDIR);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/", O_RDONLY | O_DIRECTORY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_read(ft, fd, buf, 1, &done), -EISDIR);
	/* relative to a directory descriptor */
	EXPECT_EQ(t, vfs_open(ft, fd, "a", O_RDONLY, 0, &fd2), 0);
	vfs_close(ft, fd2);
	EXPECT_EQ(t, vfs_open(ft, fd2, "a", O_RDONLY, 0, &fd2), -EBADF);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/new/", O_WRONLY | O_CREAT, 0644, &fd), -EISDIR);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/of/no/x", O_WRONLY | O_CREAT, 0644, &fd), -ENOENT);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/of/a"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/of"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_file, read_write_seek)
{
	struct fdtable *ft = table(t);
	char buf[64];
	size_t done;
	uint64_t pos;
	struct vfs_stat st;
	int fd;

	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/rw", O_RDWR | O_CREAT, 0644, &fd), 0);
	EXPECT_EQ(t, vfs_write(ft, fd, "0123456789", 10, &done), 0);
	EXPECT_EQ(t, vfs_lseek(ft, fd, 0, SEEK_CUR, &pos), 0);
	EXPECT_EQ(t, pos, 10);
	EXPECT_EQ(t, vfs_lseek(ft, fd, 2, SEEK_SET, &pos), 0);
	EXPECT_EQ(t, vfs_read(ft, fd, buf, 3, &done), 0);
	EXPECT_EQ(t, done, 3);
	EXPECT_EQ(t, memcmp(buf, "234", 3), 0);
	EXPECT_EQ(t, vfs_lseek(ft, fd, -1, SEEK_END, &pos), 0);
	EXPECT_EQ(t, pos, 9);
	EXPECT_EQ(t, vfs_lseek(ft, fd, -20, SEEK_CUR, &pos), -EINVAL);
	EXPECT_EQ(t, vfs_lseek(ft, fd, 0, 7, &pos), -EINVAL);
	/* pread and pwrite leave the offset alone */
	EXPECT_EQ(t, vfs_pread(ft, fd, buf, 4, 6, &done), 0);
	EXPECT_EQ(t, done, 4);
	EXPECT_EQ(t, memcmp(buf, "6789", 4), 0);
	EXPECT_EQ(t, vfs_pread(ft, fd, buf, 4, 100, &done), 0);
	EXPECT_EQ(t, done, 0);
	EXPECT_EQ(t, vfs_pwrite(ft, fd, "ab", 2, 12, &done), 0); /* a hole of zeros at 10..11 */
	EXPECT_EQ(t, vfs_lseek(ft, fd, 0, SEEK_CUR, &pos), 0);
	EXPECT_EQ(t, pos, 9);
	EXPECT_EQ(t, vfs_fstat(ft, fd, &st), 0);
	EXPECT_EQ(t, st.size, 14);
	EXPECT_TRUE(t, S_ISREG(st.mode));
	EXPECT_EQ(t, st.mode & 0777, 0644);
	EXPECT_EQ(t, vfs_pread(ft, fd, buf, 14, 0, &done), 0);
	EXPECT_EQ(t, memcmp(buf, "0123456789\0\0ab", 14), 0);
	/* vectored */
	struct vfs_iovec wv[2] = { { "xy", 2 }, { "z", 1 } };
	char r1[2], r2[8];
	struct vfs_iovec rv[2] = { { r1, 2 }, { r2, 8 } };

	EXPECT_EQ(t, vfs_lseek(ft, fd, 0, SEEK_SET, &pos), 0);
	EXPECT_EQ(t, vfs_writev(ft, fd, wv, 2, &done), 0);
	EXPECT_EQ(t, done, 3);
	EXPECT_EQ(t, vfs_lseek(ft, fd, 0, SEEK_SET, &pos), 0);
	EXPECT_EQ(t, vfs_readv(ft, fd, rv, 2, &done), 0);
	EXPECT_EQ(t, done, 10);
	EXPECT_EQ(t, memcmp(r1, "xy", 2), 0);
	EXPECT_EQ(t, memcmp(r2, "z3456789", 8), 0);
	/* truncate both ways */
	EXPECT_EQ(t, vfs_ftruncate(ft, fd, 3), 0);
	EXPECT_EQ(t, vfs_truncate(ft, AT, "/tmp/rw", 5), 0);
	EXPECT_EQ(t, vfs_pread(ft, fd, buf, 64, 0, &done), 0);
	EXPECT_EQ(t, done, 5);
	EXPECT_EQ(t, memcmp(buf, "xyz\0\0", 5), 0);
	EXPECT_EQ(t, vfs_truncate(ft, AT, "/tmp", 0), -EISDIR);
	EXPECT_EQ(t, vfs_fsync(ft, fd), 0);
	/* unlinked while open: still readable through the descriptor */
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/rw"), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/rw", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_pread(ft, fd, buf, 3, 0, &done), 0);
	EXPECT_EQ(t, done, 3);
	EXPECT_EQ(t, vfs_fstat(ft, fd, &st), 0);
	EXPECT_EQ(t, st.nlink, 0);
	vfs_close(ft, fd);
	vfs_fdtable_destroy(ft);
}

TEST(fs_file, descriptors)
{
	struct fdtable *ft = table(t), *copy;
	char buf[8];
	size_t done;
	int fd, fd2, flags;

	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/dd", O_RDWR | O_CREAT | O_CLOEXEC, 0644, &fd), 0);
	EXPECT_EQ(t, fd, 0); /* the lowest free descriptor */
	EXPECT_EQ(t, vfs_get_fd_flags(ft, fd, &flags), 0);
	EXPECT_EQ(t, flags, VFS_FD_CLOEXEC);
	EXPECT_EQ(t, vfs_dup(ft, fd, &fd2), 0);
	EXPECT_EQ(t, fd2, 1);
	EXPECT_EQ(t, vfs_get_fd_flags(ft, fd2, &flags), 0);
	EXPECT_EQ(t, flags, 0); /* dup clears close-on-exec */
	/* the offset is shared */
	EXPECT_EQ(t, vfs_write(ft, fd, "abc", 3, &done), 0);
	EXPECT_EQ(t, vfs_write(ft, fd2, "d", 1, &done), 0);
	EXPECT_EQ(t, vfs_pread(ft, fd, buf, 8, 0, &done), 0);
	EXPECT_EQ(t, done, 4);
	EXPECT_EQ(t, vfs_dup2(ft, fd, 7), 0);
	EXPECT_EQ(t, vfs_dup2(ft, 7, 7), 0);
	EXPECT_EQ(t, vfs_dup2(ft, 6, 6), -EBADF);
	EXPECT_EQ(t, vfs_dup3(ft, 7, 7, 0), -EINVAL);
	EXPECT_EQ(t, vfs_dup3(ft, fd, 9, O_CLOEXEC), 0);
	EXPECT_EQ(t, vfs_get_fd_flags(ft, 9, &flags), 0);
	EXPECT_EQ(t, flags, VFS_FD_CLOEXEC);
	EXPECT_EQ(t, vfs_dup3(ft, fd, 9, 0x1), -EINVAL);
	EXPECT_EQ(t, vfs_dup2(ft, fd2, 9), 0); /* replaces 9, closing what it held */
	EXPECT_EQ(t, vfs_dup2(ft, fd, VFS_FD_MAX), -EBADF);
	EXPECT_EQ(t, vfs_set_fd_flags(ft, 7, VFS_FD_CLOEXEC), 0);
	EXPECT_EQ(t, vfs_fdtable_clone(ft, &copy), 0);
	vfs_fdtable_exec(copy); /* closes 0 and 7 */
	EXPECT_EQ(t, vfs_get_fd_flags(copy, 0, &flags), -EBADF);
	EXPECT_EQ(t, vfs_get_fd_flags(copy, 7, &flags), -EBADF);
	EXPECT_EQ(t, vfs_get_fd_flags(copy, 1, &flags), 0);
	EXPECT_EQ(t, vfs_get_fd_flags(ft, 7, &flags), 0);
	vfs_fdtable_destroy(copy);
	EXPECT_EQ(t, vfs_read(ft, 55, buf, 1, &done), -EBADF);
	EXPECT_EQ(t, vfs_read(ft, -1, buf, 1, &done), -EBADF);
	/* the table fills up */
	int n = 0, last = 0;

	while (vfs_dup(ft, fd, &last) == 0)
		n++;
	EXPECT_EQ(t, vfs_dup(ft, fd, &last), -EMFILE);
	EXPECT_EQ(t, n, VFS_FD_MAX - 4);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/dd"), 0);
	vfs_fdtable_destroy(ft); /* closes them all */
}

TEST(fs_file, getdents)
{
	struct fdtable *ft = table(t);
	static char buf[512];
	bool seen[4] = { false };
	size_t done, at;
	int fd, records = 0;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/gd", 0755), 0);
	EXPECT_EQ(t, put_file(ft, "/tmp/gd/file", ""), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/gd/sub", 0755), 0);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/gd", O_RDONLY | O_DIRECTORY, 0, &fd), 0);
	/* a buffer too small for one record */
	EXPECT_EQ(t, vfs_getdents(ft, fd, buf, 8, &done), -EINVAL);
	for (;;) {
		EXPECT_EQ(t, vfs_getdents(ft, fd, buf, 40, &done), 0); /* one record a call */
		if (!done)
			break;
		for (at = 0; at < done; records++) {
			struct vfs_dirent *d = (struct vfs_dirent *)(buf + at);

			EXPECT_EQ(t, d->reclen % 8, 0);
			if (!strcmp(d->name, "."))
				seen[0] = true;
			if (!strcmp(d->name, ".."))
				seen[1] = true;
			if (!strcmp(d->name, "file"))
				seen[2] = d->type == DT_REG;
			if (!strcmp(d->name, "sub"))
				seen[3] = d->type == DT_DIR;
			at += d->reclen;
		}
	}
	EXPECT_EQ(t, records, 4);
	EXPECT_TRUE(t, seen[0] && seen[1] && seen[2] && seen[3]);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_getdents(ft, fd, buf, sizeof(buf), &done), -EBADF);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/gd/file", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_getdents(ft, fd, buf, sizeof(buf), &done), -ENOTDIR);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/gd/file"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/gd/sub"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/gd"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_names, mkdir_rmdir_unlink)
{
	struct fdtable *ft = table(t);
	struct vfs_stat st;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/mk", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/mk", 0755), -EEXIST);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/mk/.", 0755), -EEXIST);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/", 0755), -EEXIST);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/mk/x/y", 0755), -ENOENT);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/mk/d/", 0755), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/mk", true, &st), 0);
	EXPECT_EQ(t, st.nlink, 3);
	EXPECT_EQ(t, put_file(ft, "/tmp/mk/d/f", "1"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/mk/d"), -ENOTEMPTY);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/mk/d/f"), -ENOTDIR);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/mk/d"), -EISDIR);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/mk/d/f/"), -ENOTDIR);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/mk/d/."), -EINVAL);
	int busy = vfs_rmdir(ft, AT, "/tmp"); /* a mount point (in a read-only root: EROFS) */

	EXPECT_TRUE(t, busy == -EBUSY || busy == -EROFS);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/"), -EBUSY);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/mk/d/none"), -ENOENT);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/mk/d/f"), 0);
	/* the working directory removed under us: ".." is gone, "." stays */
	EXPECT_EQ(t, vfs_chdir(ft, "/tmp/mk/d"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/mk/d"), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "..", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_stat(ft, AT, ".", true, &st), 0);
	EXPECT_EQ(t, vfs_open(ft, AT, "new", O_CREAT | O_WRONLY, 0644, &(int){ 0 }), -ENOENT);
	EXPECT_EQ(t, vfs_chdir(ft, "/tmp/mk/f"), -ENOENT);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/mk"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_names, rename)
{
	struct fdtable *ft = table(t);
	struct vfs_stat st;
	char buf[16];

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/rn", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/rn/a", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/rn/a/sub", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/rn/b", 0755), 0);
	EXPECT_EQ(t, put_file(ft, "/tmp/rn/f1", "one"), 0);
	EXPECT_EQ(t, put_file(ft, "/tmp/rn/f2", "two"), 0);
	EXPECT_EQ(t, put_file(ft, "/tmp/rn/b/x", "x"), 0);
	/* a file over a file */
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/f1", AT, "/tmp/rn/f2"), 0);
	EXPECT_EQ(t, get_file(ft, "/tmp/rn/f2", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "one");
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/rn/f1", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/f1", AT, "/tmp/rn/f3"), -ENOENT);
	/* into another directory, then back */
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/f2", AT, "/tmp/rn/a/f"), 0);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/a/f", AT, "/tmp/rn/f"), 0);
	/* directories: into itself, over a file, over a non-empty directory */
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/a", AT, "/tmp/rn/a/sub/a"), -EINVAL);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/a", AT, "/tmp/rn/f"), -ENOTDIR);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/f", AT, "/tmp/rn/a"), -EISDIR);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/a", AT, "/tmp/rn/b"), -ENOTEMPTY);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/f", AT, "/dev/f"), -EXDEV);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/a/.", AT, "/tmp/rn/c"), -EBUSY);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/rn/b/x"), 0);
	/* a directory over an empty one; ".." follows it */
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/a/sub", AT, "/tmp/rn/b"), 0);
	EXPECT_EQ(t, ino_of(ft, "/tmp/rn/b/.."), ino_of(ft, "/tmp/rn"));
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/rn/a", true, &st), 0);
	EXPECT_EQ(t, st.nlink, 2);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/rn/f", AT, "/tmp/rn/f"), 0);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/rn/f"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/rn/a"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/rn/b"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/rn"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_names, link_and_chmod)
{
	struct fdtable *ft = table(t);
	struct vfs_stat st;
	char buf[16];
	int fd;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/hl", 0755), 0);
	EXPECT_EQ(t, put_file(ft, "/tmp/hl/a", "shared"), 0);
	EXPECT_EQ(t, vfs_link(ft, AT, "/tmp/hl/a", AT, "/tmp/hl/b"), 0);
	EXPECT_EQ(t, vfs_link(ft, AT, "/tmp/hl/a", AT, "/tmp/hl/b"), -EEXIST);
	EXPECT_EQ(t, vfs_link(ft, AT, "/tmp/hl", AT, "/tmp/hl/d"), -EPERM);
	EXPECT_EQ(t, vfs_link(ft, AT, "/tmp/hl/none", AT, "/tmp/hl/c"), -ENOENT);
	EXPECT_EQ(t, vfs_link(ft, AT, "/tmp/hl/a", AT, "/dev/a"), -EXDEV);
	EXPECT_EQ(t, vfs_link(ft, AT, "/tmp/hl/a", AT, "/proc/a"), -EROFS);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/hl/b", true, &st), 0);
	EXPECT_EQ(t, st.nlink, 2);
	EXPECT_EQ(t, st.ino, ino_of(ft, "/tmp/hl/a"));
	/* one file, two names: a write through one shows through the other */
	EXPECT_EQ(t, put_file(ft, "/tmp/hl/b", "changed"), 0);
	EXPECT_EQ(t, get_file(ft, "/tmp/hl/a", buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "changed");
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/hl/a", AT, "/tmp/hl/b"), 0); /* same file: nothing */
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/hl/a"), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/hl/b", true, &st), 0);
	EXPECT_EQ(t, st.nlink, 1);
	/* chmod keeps the type; fchmod too; a read-only file system refuses */
	EXPECT_EQ(t, vfs_chmod(ft, AT, "/tmp/hl/b", 0600), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/hl/b", true, &st), 0);
	EXPECT_EQ(t, st.mode, S_IFREG | 0600);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/hl/b", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_fchmod(ft, fd, 04755), 0);
	EXPECT_EQ(t, vfs_fstat(ft, fd, &st), 0);
	EXPECT_EQ(t, st.mode, S_IFREG | 04755);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_chmod(ft, AT, "/tmp/hl", 0700), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/hl", true, &st), 0);
	EXPECT_EQ(t, st.mode, S_IFDIR | 0700);
	EXPECT_EQ(t, vfs_chmod(ft, AT, "/proc/uptime", 0600), -EROFS);
	/* access for the one user, and the modification time */
	EXPECT_EQ(t, vfs_access(ft, AT, "/tmp/hl/b", VFS_R_OK | VFS_W_OK | VFS_X_OK), 0);
	EXPECT_EQ(t, vfs_chmod(ft, AT, "/tmp/hl/b", 0644), 0);
	EXPECT_EQ(t, vfs_access(ft, AT, "/tmp/hl/b", VFS_X_OK), -EACCES);
	EXPECT_EQ(t, vfs_access(ft, AT, "/tmp/hl", VFS_X_OK), 0);
	EXPECT_EQ(t, vfs_access(ft, AT, "/proc/uptime", VFS_W_OK), -EROFS);
	EXPECT_EQ(t, vfs_access(ft, AT, "/dev/null", VFS_R_OK | VFS_W_OK), 0);
	EXPECT_EQ(t, vfs_access(ft, AT, "/tmp/hl/none", VFS_F_OK), -ENOENT);
	EXPECT_EQ(t, vfs_access(ft, AT, "/tmp/hl/b", 8), -EINVAL);
	EXPECT_EQ(t, vfs_utimens(ft, AT, "/tmp/hl/b", 1234567890123456789ll, true), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/hl/b", true, &st), 0);
	EXPECT_EQ(t, st.mtime_ns, 1234567890123456789ll);
	EXPECT_EQ(t, vfs_utimens(ft, AT, "/proc/uptime", 0, true), -EROFS);
	EXPECT_EQ(t, vfs_chmod(ft, AT, "/tmp/hl/none", 0600), -ENOENT);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/hl/b"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/hl"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_names, getcwd_and_fcntl)
{
	struct fdtable *ft = table(t);
	char buf[64];
	int fd, fd2, flags;

	EXPECT_EQ(t, vfs_getcwd(ft, buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/");
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/cw", 0755), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/cw/deep", 0755), 0);
	EXPECT_EQ(t, vfs_chdir(ft, "/tmp/cw/deep"), 0);
	EXPECT_EQ(t, vfs_getcwd(ft, buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/tmp/cw/deep");
	EXPECT_EQ(t, vfs_getcwd(ft, buf, 13), 0); /* exactly enough */
	EXPECT_EQ(t, vfs_getcwd(ft, buf, 12), -ERANGE);
	EXPECT_EQ(t, vfs_chdir(ft, "/dev"), 0); /* a mounted root */
	EXPECT_EQ(t, vfs_getcwd(ft, buf, sizeof(buf)), 0);
	EXPECT_STREQ(t, buf, "/dev");
	EXPECT_EQ(t, vfs_chdir(ft, "/tmp/cw/deep"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/cw/deep"), 0);
	EXPECT_EQ(t, vfs_getcwd(ft, buf, sizeof(buf)), -ENOENT);
	EXPECT_EQ(t, vfs_chdir(ft, "/"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/cw"), 0);

	/* F_DUPFD, F_GETFL, F_SETFL */
	EXPECT_EQ(t, vfs_open(ft, AT, "/dev/null", O_RDWR, 0, &fd), 0);
	EXPECT_EQ(t, vfs_dup_min(ft, fd, 10, O_CLOEXEC, &fd2), 0);
	EXPECT_EQ(t, fd2, 10);
	EXPECT_EQ(t, vfs_get_fd_flags(ft, fd2, &flags), 0);
	EXPECT_EQ(t, flags, VFS_FD_CLOEXEC);
	EXPECT_EQ(t, vfs_dup_min(ft, fd, VFS_FD_MAX, 0, &fd2), -EINVAL);
	EXPECT_EQ(t, vfs_set_status_flags(ft, fd, O_APPEND | O_NONBLOCK | O_WRONLY), 0);
	EXPECT_EQ(t, vfs_get_status_flags(ft, 10, &flags), 0); /* shared by the duplicate */
	EXPECT_EQ(t, flags, O_RDWR | O_APPEND | O_NONBLOCK);
	EXPECT_EQ(t, vfs_get_status_flags(ft, 99, &flags), -EBADF);
	vfs_fdtable_destroy(ft);
}
