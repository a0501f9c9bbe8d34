/*
 * File system calls: thin translations from Linux's calls to the VFS
 * (include/osprey/vfs.h), which already speaks Linux's flags and errno.
 *
 * Data moves between the application and the VFS through a bounce buffer
 * and the checked copy, so that a bad pointer from the program is EFAULT
 * and never a fault inside a file system.  Regular files are read and
 * written in whole; devices and pipes get one VFS call per system call
 * (a short count, as on Linux).
 */
#include <string.h>

#include <osprey/mm.h>

#include "internal.h"

#define CHUNK (64 * 1024)
#define IOV_MAX 1024

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_DUPFD_CLOEXEC 1030

#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGPGRP 0x540f
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541b
#define FIONBIO 0x5421
#define FIOCLEX 0x5451
#define FIONCLEX 0x5450

#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS 0x200
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EMPTY_PATH 0x1000
#define RENAME_NOREPLACE 1

struct linux_stat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	int64_t unused[3];
};

static_assert(sizeof(struct linux_stat) == 144, "struct stat layout");

static struct fdtable *files(void)
{
	return proc_current()->files;
}

/* A path from the application, in a kernel buffer the caller frees. */
static int get_path(long upath, char **out)
{
	char *buf = kmalloc(VFS_PATH_MAX);
	int err;

	if (!buf)
		return -ENOMEM;
	err = strncpy_from_user(buf, (uintptr_t)upath, VFS_PATH_MAX);
	if (err) {
		kfree(buf);
		return err;
	}
	*out = buf;
	return 0;
}

/* Two paths (rename, link, symlink); both freed by the caller on success. */
static int get_paths(long ua, long ub, char **a, char **b)
{
	int err = get_path(ua, a);

	if (err)
		return err;
	err = get_path(ub, b);
	if (err)
		kfree(*a);
	return err;
}

static bool is_regular(int fd)
{
	struct vfs_stat st;

	return !vfs_fstat(files(), fd, &st) && S_ISREG(st.mode);
}

/* pos < 0: the file position (read/write); else pread/pwrite at pos. */
/* Small transfers bounce through the stack: no allocation on the common path. */
#define SMALL 256

static char *bounce(char *small, size_t chunk)
{
	return chunk <= SMALL ? small : kmalloc(chunk);
}

static void bounce_free(char *small, char *buf)
{
	if (buf != small)
		kfree(buf);
}

/* One chunk through the VFS; pos < 0: the file position. */
static int vfs_io(int fd, bool write, char *buf, size_t n, int64_t pos, size_t *done)
{
	if (write)
		return pos < 0 ? vfs_write(files(), fd, buf, n, done) :
				 vfs_pwrite(files(), fd, buf, n, (uint64_t)pos, done);
	return pos < 0 ? vfs_read(files(), fd, buf, n, done) :
			 vfs_pread(files(), fd, buf, n, (uint64_t)pos, done);
}

/*
 * read, write, pread, pwrite (pos < 0: the file position), in chunks of
 * the bounce buffer.  Writes go on until all is written; reads go on only
 * for a regular file (a pipe or the console answers what it has).
 */
static long do_io(int fd, bool write, uintptr_t ubuf, size_t n, int64_t pos)
{
	size_t total = 0, chunk = MIN(n, (size_t)CHUNK), done;
	char small[SMALL];
	bool more;
	char *buf;
	int err = 0;

	if (!user_range_ok(ubuf, n))
		return -EFAULT;
	buf = bounce(small, chunk);
	if (!buf)
		return -ENOMEM;
	more = write || (n > chunk && is_regular(fd));
	do {
		size_t want = MIN(chunk, n - total);

		if (write && copy_from_user(buf, ubuf + total, want)) {
			err = -EFAULT;
			break;
		}
		err = vfs_io(fd, write, buf, want, pos < 0 ? -1 : pos + (int64_t)total, &done);
		if (err)
			break;
		if (!write && copy_to_user(ubuf + total, buf, done)) {
			err = -EFAULT;
			break;
		}
		total += done;
		if (done < want)
			break;
	} while (more && total < n);
	bounce_free(small, buf);
	return total ? (long)total : err;
}

static long do_read(int fd, uintptr_t ubuf, size_t n, int64_t pos)
{
	return do_io(fd, false, ubuf, n, pos);
}

static long do_write(int fd, uintptr_t ubuf, size_t n, int64_t pos)
{
	return do_io(fd, true, ubuf, n, pos);
}

long sys_read(long fd, long buf, long n)
{
	return do_read((int)fd, (uintptr_t)buf, (size_t)n, -1);
}

long sys_write(long fd, long buf, long n)
{
	return do_write((int)fd, (uintptr_t)buf, (size_t)n, -1);
}

long sys_pread64(long fd, long buf, long n, long pos)
{
	return pos < 0 ? -EINVAL : do_read((int)fd, (uintptr_t)buf, (size_t)n, pos);
}

long sys_pwrite64(long fd, long buf, long n, long pos)
{
	return pos < 0 ? -EINVAL : do_write((int)fd, (uintptr_t)buf, (size_t)n, pos);
}

/* After a part of a vector moved: can the next part move without waiting? */
static bool more_ready(int fd, bool write)
{
	int revents = 0;

	if (is_regular(fd))
		return true;
	vfs_poll(files(), fd, write ? POLLOUT : POLLIN, &revents);
	return revents & (write ? POLLOUT : POLLIN | POLLHUP);
}

static long do_iov(long fd, long uiov, long cnt, int64_t pos, bool write)
{
	struct vfs_iovec iov[16];
	long total = 0;

	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	for (long i = 0; i < cnt; i += 16) {
		long n = MIN(cnt - i, 16l);

		if (copy_from_user(iov, (uintptr_t)uiov + (size_t)i * sizeof(iov[0]),
				   (size_t)n * sizeof(iov[0])))
			return total ? total : -EFAULT;
		for (long j = 0; j < n; j++) {
			int64_t at = pos < 0 ? -1 : pos + total;
			long r;

			if (!iov[j].len)
				continue;
			/* A pipe or the console: go on only while more is there, as Linux does. */
			if (total && !more_ready((int)fd, write))
				return total;
			r = write ? do_write((int)fd, (uintptr_t)iov[j].base, iov[j].len, at) :
				    do_read((int)fd, (uintptr_t)iov[j].base, iov[j].len, at);
			if (r < 0)
				return total ? total : r;
			total += r;
			if ((size_t)r < iov[j].len)
				return total;
		}
	}
	return total;
}

long sys_readv(long fd, long iov, long cnt)
{
	return do_iov(fd, iov, cnt, -1, false);
}

long sys_writev(long fd, long iov, long cnt)
{
	return do_iov(fd, iov, cnt, -1, true);
}

long sys_preadv(long fd, long iov, long cnt, long pos)
{
	return pos < 0 ? -EINVAL : do_iov(fd, iov, cnt, pos, false);
}

long sys_pwritev(long fd, long iov, long cnt, long pos)
{
	return pos < 0 ? -EINVAL : do_iov(fd, iov, cnt, pos, true);
}

long sys_openat(long dirfd, long upath, long flags, long mode)
{
	char *path;
	int fd, err = get_path(upath, &path);

	if (err)
		return err;
	err = vfs_open(files(), (int)dirfd, path, (int)flags, (uint32_t)mode & 07777, &fd);
	kfree(path);
	return err ? err : fd;
}

long sys_open(long upath, long flags, long mode)
{
	return sys_openat(VFS_AT_FDCWD, upath, flags, mode);
}

long sys_creat(long upath, long mode)
{
	return sys_openat(VFS_AT_FDCWD, upath, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long sys_close(long fd)
{
	return vfs_close(files(), (int)fd);
}

long sys_lseek(long fd, long off, long whence)
{
	uint64_t pos;
	int err = vfs_lseek(files(), (int)fd, off, (int)whence, &pos);

	return err ? err : (long)pos;
}

static int put_stat(long ubuf, const struct vfs_stat *st)
{
	struct linux_stat s;

	memset(&s, 0, sizeof(s));
	s.dev = st->dev;
	s.ino = st->ino;
	s.nlink = st->nlink;
	s.mode = st->mode;
	s.uid = st->uid;
	s.gid = st->gid;
	s.rdev = st->rdev;
	s.size = st->size;
	s.blksize = st->blksize;
	s.blocks = st->blocks;
	s.atime = st->atime_ns / 1000000000;
	s.atime_ns = st->atime_ns % 1000000000;
	s.mtime = st->mtime_ns / 1000000000;
	s.mtime_ns = st->mtime_ns % 1000000000;
	s.ctime = st->ctime_ns / 1000000000;
	s.ctime_ns = st->ctime_ns % 1000000000;
	return copy_to_user((uintptr_t)ubuf, &s, sizeof(s));
}

long sys_fstat(long fd, long ubuf)
{
	struct vfs_stat st;
	int err = vfs_fstat(files(), (int)fd, &st);

	return err ? err : put_stat(ubuf, &st);
}

/* stat at (dirfd, path) with AT_* flags; AT_EMPTY_PATH with "" is fstat. */
static int stat_at(long dirfd, long upath, long flags, struct vfs_stat *st)
{
	char *path;
	int err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */ |
		      0x6000 /* AT_STATX_SYNC_TYPE */))
		return -EINVAL;
	err = get_path(upath, &path);
	if (err)
		return err;
	if (!path[0] && (flags & AT_EMPTY_PATH))
		err = vfs_fstat(files(), (int)dirfd, st);
	else
		err = vfs_stat(files(), (int)dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), st);
	kfree(path);
	return err;
}

long sys_newfstatat(long dirfd, long upath, long ubuf, long flags)
{
	struct vfs_stat st;
	int err = stat_at(dirfd, upath, flags, &st);

	return err ? err : put_stat(ubuf, &st);
}

long sys_stat(long upath, long ubuf)
{
	return sys_newfstatat(VFS_AT_FDCWD, upath, ubuf, 0);
}

long sys_lstat(long upath, long ubuf)
{
	return sys_newfstatat(VFS_AT_FDCWD, upath, ubuf, AT_SYMLINK_NOFOLLOW);
}

long sys_statx(long dirfd, long upath, long flags, long mask, long ubuf)
{
	struct vfs_stat st;
	struct {
		uint32_t mask, blksize;
		uint64_t attributes;
		uint32_t nlink, uid, gid;
		uint16_t mode, pad;
		uint64_t ino, size, blocks, attributes_mask;
		struct {
			int64_t sec;
			uint32_t nsec;
			int32_t pad;
		} atime, btime, ctime, mtime;
		uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
		uint64_t spare[14];
	} x;
	int err;

	static_assert(sizeof(x) == 256, "struct statx layout");
	(void)mask;
	err = stat_at(dirfd, upath, flags, &st);
	if (err)
		return err;
	memset(&x, 0, sizeof(x));
	x.mask = 0x7ff; /* STATX_BASIC_STATS */
	x.blksize = (uint32_t)st.blksize;
	x.nlink = st.nlink;
	x.uid = st.uid;
	x.gid = st.gid;
	x.mode = (uint16_t)st.mode;
	x.ino = st.ino;
	x.size = (uint64_t)st.size;
	x.blocks = (uint64_t)st.blocks;
	x.atime.sec = st.atime_ns / 1000000000;
	x.atime.nsec = (uint32_t)(st.atime_ns % 1000000000);
	x.mtime.sec = st.mtime_ns / 1000000000;
	x.mtime.nsec = (uint32_t)(st.mtime_ns % 1000000000);
	x.ctime.sec = st.ctime_ns / 1000000000;
	x.ctime.nsec = (uint32_t)(st.ctime_ns % 1000000000);
	x.rdev_major = (uint32_t)(st.rdev >> 8);
	x.rdev_minor = (uint32_t)(st.rdev & 0xff);
	x.dev_major = (uint32_t)(st.dev >> 8);
	x.dev_minor = (uint32_t)(st.dev & 0xff);
	return copy_to_user((uintptr_t)ubuf, &x, sizeof(x));
}

long sys_getdents64(long fd, long ubuf, long size)
{
	size_t n = MIN((size_t)size, (size_t)CHUNK), done;
	char *buf;
	int err;

	if (size < 0)
		return -EINVAL;
	buf = kmalloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	err = vfs_getdents(files(), (int)fd, buf, n, &done);
	if (!err && copy_to_user((uintptr_t)ubuf, buf, done))
		err = -EFAULT;
	kfree(buf);
	return err ? err : (long)done;
}

long sys_dup(long fd)
{
	int nfd, err = vfs_dup(files(), (int)fd, &nfd);

	return err ? err : nfd;
}

long sys_dup2(long fd, long nfd)
{
	int err = vfs_dup2(files(), (int)fd, (int)nfd);

	return err ? err : nfd;
}

long sys_dup3(long fd, long nfd, long flags)
{
	int err = vfs_dup3(files(), (int)fd, (int)nfd, (int)flags);

	return err ? err : nfd;
}

long sys_fcntl(long fd, long cmd, long arg)
{
	int v, err;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		err = vfs_dup_min(files(), (int)fd, (int)arg,
				  cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0, &v);
		return err ? err : v;
	case F_GETFD:
		err = vfs_get_fd_flags(files(), (int)fd, &v);
		return err ? err : v;
	case F_SETFD:
		return vfs_set_fd_flags(files(), (int)fd, (int)arg & VFS_FD_CLOEXEC);
	case F_GETFL:
		err = vfs_get_status_flags(files(), (int)fd, &v);
		return err ? err : v;
	case F_SETFL:
		return vfs_set_status_flags(files(), (int)fd, (int)arg);
	case F_GETLK: {
		/* One process: no lock can conflict.  l_type = F_UNLCK. */
		int16_t unlck = 2;

		err = vfs_get_fd_flags(files(), (int)fd, &v);
		return err ? err : copy_to_user((uintptr_t)arg, &unlck, sizeof(unlck));
	}
	case F_SETLK:
	case F_SETLKW:
		return vfs_get_fd_flags(files(), (int)fd, &v);
	default:
		return -EINVAL;
	}
}

static bool is_console(int fd)
{
	struct vfs_stat st;

	return !vfs_fstat(files(), fd, &st) && S_ISCHR(st.mode) && (st.rdev >> 8) == 5;
}

long sys_ioctl(long fd, long cmd, long arg)
{
	int v, err = vfs_get_fd_flags(files(), (int)fd, &v);

	if (err)
		return err;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		return vfs_set_fd_flags(files(), (int)fd, cmd == FIOCLEX ? VFS_FD_CLOEXEC : 0);
	case FIONBIO: {
		int on, fl;

		if (copy_from_user(&on, (uintptr_t)arg, sizeof(on)))
			return -EFAULT;
		err = vfs_get_status_flags(files(), (int)fd, &fl);
		if (!err)
			err = vfs_set_status_flags(files(), (int)fd,
						   on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
		return err;
	}
	}
	if (!is_console((int)fd))
		return -ENOTTY;
	switch (cmd) {
	case TCGETS: {
		/* A serial line in cooked mode: what a program expects of a terminal. */
		struct {
			uint32_t iflag, oflag, cflag, lflag;
			uint8_t line, cc[19];
		} t = { 0x500, 0x5,
			0xbf,  0x8a3b,
			0,     { 3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0 } };

		static_assert(sizeof(t) == 36, "struct termios layout");
		return copy_to_user((uintptr_t)arg, &t, sizeof(t));
	}
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return 0; /* accepted: the serial console has one mode */
	case TIOCGWINSZ: {
		uint16_t ws[4] = { 24, 80, 0, 0 };

		return copy_to_user((uintptr_t)arg, ws, sizeof(ws));
	}
	case TIOCSWINSZ:
		return 0;
	case TIOCGPGRP: {
		int32_t pgrp = proc_current()->pid;

		return copy_to_user((uintptr_t)arg, &pgrp, sizeof(pgrp));
	}
	case TIOCSPGRP:
		return 0;
	default:
		return -ENOTTY;
	}
}

long sys_access(long upath, long mode)
{
	return sys_faccessat(VFS_AT_FDCWD, upath, mode);
}

long sys_faccessat(long dirfd, long upath, long mode)
{
	char *path;
	int err;

	if (mode & ~7)
		return -EINVAL;
	err = get_path(upath, &path);
	if (err)
		return err;
	err = vfs_access(files(), (int)dirfd, path, (int)mode);
	kfree(path);
	return err;
}

long sys_faccessat2(long dirfd, long upath, long mode, long flags)
{
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return sys_faccessat(dirfd, upath, mode);
}

long sys_getcwd(long ubuf, long size)
{
	char *buf = kmalloc(VFS_PATH_MAX);
	int err;

	if (!buf)
		return -ENOMEM;
	err = vfs_getcwd(files(), buf, MIN((size_t)size, (size_t)VFS_PATH_MAX));
	if (!err)
		err = copy_to_user((uintptr_t)ubuf, buf, strlen(buf) + 1);
	long len = err ? err : (long)strlen(buf) + 1;

	kfree(buf);
	return len;
}

long sys_chdir(long upath)
{
	char *path;
	int err = get_path(upath, &path);

	if (err)
		return err;
	err = vfs_chdir(files(), path);
	kfree(path);
	return err;
}

/* mkdirat and fchmodat: one path and a mode. */
static long path_mode_op(long dirfd, long upath, long mode,
			 int (*op)(struct fdtable *, int, const char *, uint32_t))
{
	char *path;
	int err = get_path(upath, &path);

	if (err)
		return err;
	err = op(files(), (int)dirfd, path, (uint32_t)mode & 07777);
	kfree(path);
	return err;
}

long sys_mkdirat(long dirfd, long upath, long mode)
{
	return path_mode_op(dirfd, upath, mode, vfs_mkdir);
}

long sys_mkdir(long upath, long mode)
{
	return sys_mkdirat(VFS_AT_FDCWD, upath, mode);
}

long sys_unlinkat(long dirfd, long upath, long flags)
{
	char *path;
	int err;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	err = get_path(upath, &path);
	if (err)
		return err;
	err = flags & AT_REMOVEDIR ? vfs_rmdir(files(), (int)dirfd, path) :
				     vfs_unlink(files(), (int)dirfd, path);
	kfree(path);
	return err;
}

long sys_unlink(long upath)
{
	return sys_unlinkat(VFS_AT_FDCWD, upath, 0);
}

long sys_rmdir(long upath)
{
	return sys_unlinkat(VFS_AT_FDCWD, upath, AT_REMOVEDIR);
}

long sys_renameat2(long olddir, long uold, long newdir, long unew, long flags)
{
	char *from, *to;
	struct vfs_stat st;
	int err;

	if (flags & ~RENAME_NOREPLACE)
		return -EINVAL;
	err = get_paths(uold, unew, &from, &to);
	if (err)
		return err;
	if ((flags & RENAME_NOREPLACE) && !vfs_stat(files(), (int)newdir, to, false, &st))
		err = -EEXIST;
	else
		err = vfs_rename(files(), (int)olddir, from, (int)newdir, to);
	kfree(to);
	kfree(from);
	return err;
}

long sys_renameat(long olddir, long uold, long newdir, long unew)
{
	return sys_renameat2(olddir, uold, newdir, unew, 0);
}

long sys_rename(long uold, long unew)
{
	return sys_renameat2(VFS_AT_FDCWD, uold, VFS_AT_FDCWD, unew, 0);
}

long sys_symlinkat(long utarget, long dirfd, long upath)
{
	char *target, *path;
	int err = get_paths(utarget, upath, &target, &path);

	if (err)
		return err;
	err = vfs_symlink(files(), target, (int)dirfd, path);
	kfree(path);
	kfree(target);
	return err;
}

long sys_symlink(long utarget, long upath)
{
	return sys_symlinkat(utarget, VFS_AT_FDCWD, upath);
}

long sys_linkat(long olddir, long uold, long newdir, long unew, long flags)
{
	char *from, *to;
	int err;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = get_paths(uold, unew, &from, &to);
	if (err)
		return err;
	err = vfs_link(files(), (int)olddir, from, (int)newdir, to);
	kfree(to);
	kfree(from);
	return err;
}

long sys_link(long uold, long unew)
{
	return sys_linkat(VFS_AT_FDCWD, uold, VFS_AT_FDCWD, unew, 0);
}

long sys_readlinkat(long dirfd, long upath, long ubuf, long size)
{
	char *path, *buf;
	size_t len;
	int err;

	if (size <= 0)
		return -EINVAL;
	err = get_path(upath, &path);
	if (err)
		return err;
	buf = kmalloc(VFS_PATH_MAX);
	if (!buf) {
		kfree(path);
		return -ENOMEM;
	}
	err = vfs_readlink(files(), (int)dirfd, path, buf, VFS_PATH_MAX, &len);
	if (!err) {
		len = MIN(len, (size_t)size);
		err = copy_to_user((uintptr_t)ubuf, buf, len);
	}
	kfree(buf);
	kfree(path);
	return err ? err : (long)len;
}

long sys_readlink(long upath, long ubuf, long size)
{
	return sys_readlinkat(VFS_AT_FDCWD, upath, ubuf, size);
}

long sys_truncate(long upath, long size)
{
	char *path;
	int err;

	if (size < 0)
		return -EINVAL;
	err = get_path(upath, &path);
	if (err)
		return err;
	err = vfs_truncate(files(), VFS_AT_FDCWD, path, (uint64_t)size);
	kfree(path);
	return err;
}

long sys_ftruncate(long fd, long size)
{
	return size < 0 ? -EINVAL : vfs_ftruncate(files(), (int)fd, (uint64_t)size);
}

long sys_fsync(long fd)
{
	return vfs_fsync(files(), (int)fd);
}

long sys_fdatasync(long fd)
{
	return vfs_fsync(files(), (int)fd);
}

long sys_fchmodat(long dirfd, long upath, long mode)
{
	return path_mode_op(dirfd, upath, mode, vfs_chmod);
}

long sys_chmod(long upath, long mode)
{
	return sys_fchmodat(VFS_AT_FDCWD, upath, mode);
}

long sys_fchmod(long fd, long mode)
{
	return vfs_fchmod(files(), (int)fd, (uint32_t)mode & 07777);
}

long sys_pipe2(long ufds, long flags)
{
	int fds[2], err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	err = vfs_pipe(files(), (int)flags, fds);
	if (err)
		return err;
	if (copy_to_user((uintptr_t)ufds, fds, sizeof(fds))) {
		vfs_close(files(), fds[0]);
		vfs_close(files(), fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(long ufds)
{
	return sys_pipe2(ufds, 0);
}
