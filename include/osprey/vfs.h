/*
 * Files (docs/files.md): the virtual file system's public interface.
 *
 * Everything a system call needs: a per-process file-descriptor table
 * (struct fdtable, which also holds the working directory) and the file
 * operations on it.  Every function returns 0 or a negative errno and hands
 * its results back through out-parameters (decision 10).  Paths are
 * resolved relative to a directory descriptor (VFS_AT_FDCWD: the table's
 * working directory), as the *at() system calls do.
 *
 * The file systems: ramfs (writable; / when there is no image, and /tmp),
 * devfs (/dev), procfs (/proc) and rofs (the read-only image, / when the
 * boot loader passes one as the initrd).
 */
#ifndef OSPREY_VFS_H
#define OSPREY_VFS_H

#include <osprey/kernel.h>
#include <osprey/spinlock.h>

/* Linux's values: the Linux ABI passes them through unchanged. */
#define ESRCH 3
#define EBADF 9
#define EAGAIN 11
#define EXDEV 18
#define ENOTDIR 20
#define EISDIR 21
#define ENFILE 23
#define EMFILE 24
#define EFBIG 27
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define ENOTEMPTY 39
#define ELOOP 40
#define ENOTSUP 95

#define O_ACCMODE 00000003
#define O_RDONLY 00000000
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_NOCTTY 00000400
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW 00400000
#define O_CLOEXEC 02000000

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)

/* d_type values, as Linux's. */
#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define VFS_AT_FDCWD (-100)
#define VFS_AT_REMOVEDIR 0x200
#define VFS_FD_CLOEXEC 1 /* the descriptor flag F_GETFD/F_SETFD see */

#define VFS_NAME_MAX 255
#define VFS_PATH_MAX 4096
#define VFS_SYMLOOP_MAX 40
#define VFS_FD_MAX 256

struct vfs_stat {
	uint64_t dev;
	uint64_t ino;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t rdev;
	int64_t size;
	int64_t blksize;
	int64_t blocks; /* 512-byte units */
	int64_t atime_ns, mtime_ns, ctime_ns;
};

/*
 * The kernel's directory record, filled by vfs_getdents(): records follow
 * each other, each reclen bytes (8-byte aligned), name NUL-terminated.  The
 * layout is linux_dirent64's, so the Linux ABI copies it out as it is.
 */
struct vfs_dirent {
	uint64_t ino;
	int64_t off; /* the position after this record */
	uint16_t reclen;
	uint8_t type; /* DT_* */
	char name[];
};

struct vfs_iovec {
	void *base;
	size_t len;
};

struct vnode;
struct file;

/*
 * A process's descriptor table and working directory.
 * Lock legend: [l] lock, a leaf below vnode locks (docs/locking.md).
 */
struct fdtable {
	struct spinlock lock;
	struct file *fd[VFS_FD_MAX];  /* [l] */
	uint8_t fd_flags[VFS_FD_MAX]; /* [l] VFS_FD_CLOEXEC */
	struct vnode *cwd;	      /* [l] holds a reference */
};

/* The table every kernel-side caller uses until processes exist. */
struct fdtable *vfs_kernel_fdtable(void);

int vfs_fdtable_create(struct fdtable **out);
/* A copy sharing open files (fork); close-on-exec flags kept. */
int vfs_fdtable_clone(struct fdtable *src, struct fdtable **out);
/* Closes every descriptor and frees the table. */
void vfs_fdtable_destroy(struct fdtable *ft);
/* Closes the close-on-exec descriptors (execve). */
void vfs_fdtable_exec(struct fdtable *ft);

int vfs_open(struct fdtable *ft, int dirfd, const char *path, int flags, uint32_t mode, int *fd);
int vfs_close(struct fdtable *ft, int fd);
int vfs_dup(struct fdtable *ft, int fd, int *newfd);
int vfs_dup2(struct fdtable *ft, int fd, int newfd);
int vfs_dup3(struct fdtable *ft, int fd, int newfd, int flags);
int vfs_get_fd_flags(struct fdtable *ft, int fd, int *flags);
int vfs_set_fd_flags(struct fdtable *ft, int fd, int flags);
/* fcntl(F_DUPFD[_CLOEXEC]): the lowest free descriptor >= min. */
int vfs_dup_min(struct fdtable *ft, int fd, int min, int flags, int *newfd);
/* fcntl(F_GETFL/F_SETFL): status flags; only O_APPEND and O_NONBLOCK change. */
int vfs_get_status_flags(struct fdtable *ft, int fd, int *flags);
int vfs_set_status_flags(struct fdtable *ft, int fd, int flags);

int vfs_read(struct fdtable *ft, int fd, void *buf, size_t n, size_t *done);
int vfs_write(struct fdtable *ft, int fd, const void *buf, size_t n, size_t *done);
int vfs_pread(struct fdtable *ft, int fd, void *buf, size_t n, uint64_t off, size_t *done);
int vfs_pwrite(struct fdtable *ft, int fd, const void *buf, size_t n, uint64_t off, size_t *done);
int vfs_readv(struct fdtable *ft, int fd, const struct vfs_iovec *iov, int iovcnt, size_t *done);
int vfs_writev(struct fdtable *ft, int fd, const struct vfs_iovec *iov, int iovcnt, size_t *done);
int vfs_lseek(struct fdtable *ft, int fd, int64_t off, int whence, uint64_t *pos);
int vfs_fstat(struct fdtable *ft, int fd, struct vfs_stat *st);
int vfs_ftruncate(struct fdtable *ft, int fd, uint64_t size);
int vfs_fsync(struct fdtable *ft, int fd);
/* Fills buf with struct vfs_dirent records; *done 0 at the end. */
int vfs_getdents(struct fdtable *ft, int fd, void *buf, size_t size, size_t *done);

/* follow: follow a final symlink (stat), or not (lstat). */
int vfs_stat(struct fdtable *ft, int dirfd, const char *path, bool follow, struct vfs_stat *st);
int vfs_mkdir(struct fdtable *ft, int dirfd, const char *path, uint32_t mode);
int vfs_rmdir(struct fdtable *ft, int dirfd, const char *path);
int vfs_unlink(struct fdtable *ft, int dirfd, const char *path);
int vfs_rename(struct fdtable *ft, int olddirfd, const char *oldpath, int newdirfd,
	       const char *newpath);
int vfs_symlink(struct fdtable *ft, const char *target, int dirfd, const char *path);
int vfs_readlink(struct fdtable *ft, int dirfd, const char *path, char *buf, size_t size,
		 size_t *len);
int vfs_truncate(struct fdtable *ft, int dirfd, const char *path, uint64_t size);
/* A second name for a file (not a directory: EPERM), in the same file system (EXDEV). */
int vfs_link(struct fdtable *ft, int olddirfd, const char *oldpath, int newdirfd,
	     const char *newpath);
/* The permission bits (07777); the type stays. */
int vfs_chmod(struct fdtable *ft, int dirfd, const char *path, uint32_t mode);
int vfs_fchmod(struct fdtable *ft, int fd, uint32_t mode);
/* Sets the modification time (ns since the epoch; times are one field for now). */
int vfs_utimens(struct fdtable *ft, int dirfd, const char *path, int64_t mtime_ns, bool follow);
/*
 * faccessat for the one user (root): existence; VFS_W_OK is EROFS on a
 * read-only mount; VFS_X_OK needs an x bit on anything but a directory.
 */
#define VFS_F_OK 0
#define VFS_X_OK 1
#define VFS_W_OK 2
#define VFS_R_OK 4
int vfs_access(struct fdtable *ft, int dirfd, const char *path, int mode);
int vfs_chdir(struct fdtable *ft, const char *path);
/* The working directory's absolute path; ERANGE if size is too small, ENOENT if removed. */
int vfs_getcwd(struct fdtable *ft, char *buf, size_t size);
/*
 * The absolute path of the file open as fd, as Linux's /proc/PID/fd links
 * show it ("pipe:[N]" for a pipe), rebuilt from the file: ERANGE if size is
 * too small, ENOENT once no directory names the file.  A regular file's is
 * found by searching its file system (for /proc: not a fast path).
 */
int vfs_fd_path(struct fdtable *ft, int fd, char *buf, size_t size);
/* realpath(3): the absolute path of what path names, every link followed. */
int vfs_realpath(struct fdtable *ft, int dirfd, const char *path, char *buf, size_t size);
/* Both ends of a pipe; flags: O_CLOEXEC, O_NONBLOCK. */
int vfs_pipe(struct fdtable *ft, int flags, int fds[2]);

/* poll(2) events, Linux's values. */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
/* A write of up to PIPE_BUF bytes to a pipe is atomic. */
#define PIPE_BUF 4096

/*
 * Not an event: vfs_poll() adds it when the file's readiness can change
 * without a vfs_poll_notify() (the console, which has no receive
 * interrupt).  A poller that sees it asks again within VFS_POLL_TICK_NS.
 */
#define VFS_POLL_UNNOTIFIED 0x40000000
#define VFS_POLL_TICK_NS 1000000ull

/*
 * Readiness (docs/files.md): *revents gets the events among `events` that
 * fd is ready for, plus POLLERR and POLLHUP whenever they hold.  -EBADF for
 * a descriptor that is not open.  Regular files and most devices are
 * always ready for reading and writing.
 */
int vfs_poll(struct fdtable *ft, int fd, int events, int *revents);

/*
 * Waiting for readiness: every change that can make a file ready advances
 * one generation number and wakes whoever waits for it.  A poller reads the
 * generation before asking its files and sleeps only if it has not moved
 * since, so no change is missed:
 *
 *	for (;;) {
 *		uint64_t gen = vfs_poll_generation();
 *		ask each file with vfs_poll(); stop when one is ready;
 *		vfs_poll_wait(gen, timeout_ns);
 *	}
 *
 * vfs_poll_wait returns when the generation moved, after timeout_ns
 * (0: no limit), on a thread_wake() of the thread from elsewhere (a
 * signal), or spuriously; it may sleep.  `stop` (NULL: none) is asked
 * once the thread is marked asleep: if it says true, the thread does not
 * sleep, so a waker that makes it true and then calls thread_wake() is
 * never missed.  It runs with the thread marked BLOCKED: it must not sleep,
 * take a lock or enable preemption (atomic loads only).  vfs_poll_notify is
 * for the objects: call it after the change is made (and visible to vfs_poll).
 */
uint64_t vfs_poll_generation(void);
void vfs_poll_wait(uint64_t gen, uint64_t timeout_ns, bool (*stop)(void *arg), void *arg);
void vfs_poll_notify(void);

/*
 * Waits a signal may end: a blocking read or write of a pipe or of the
 * console.  The Linux layer sets these once, before the program starts
 * (kernel/linux/signal.c); without them nothing is interrupted.
 *
 * begin() is called before a sleep: it marks the running thread so that a
 * signal sent to it wakes it, and says whether the thread can be
 * interrupted at all (false for a kernel thread: then no end()).
 * pending() says whether a signal is pending that the thread will act on
 * (not blocked, not ignored): a wait that finds it true stops with
 * -ERESTARTSYS, or with the count moved so far.  It is also the stop test
 * of vfs_event_wait, so it takes no lock and does not sleep.  end() takes
 * the mark off.  A wake-up is never lost: begin() publishes the mark before
 * the wait marks itself asleep and asks pending().
 */
struct vfs_intr_ops {
	bool (*begin)(void);
	bool (*pending)(void *arg);
	void (*end)(void);
};

void vfs_set_intr_ops(const struct vfs_intr_ops *ops);

/* Random bytes: RDRAND when the CPU has it, else a seeded generator (/dev/urandom's source). */
void devfs_random_fill(uint8_t *buf, size_t n);

/* --bench=fs (kernel/fs/bench.c); -ENOENT for another name. */
int vfs_bench(const char *name);

/*
 * Mounts a file system of type fstype ("ramfs", "devfs", "procfs", "rofs")
 * on a directory.  rofs's data is the name of the block device holding the
 * image (len bytes; include/osprey/block.h), or none (NULL, 0) for the
 * initrd.
 */
int vfs_mount(const char *path, const char *fstype, const void *data, size_t len);
int vfs_umount(const char *path);
/* One line per mount, as /proc/mounts; returns the length it needs (snprintf-style). */
size_t vfs_mounts_format(char *buf, size_t size);

/* The name cache (kernel/fs/namei.c): what path lookup found, and what it saved. */
struct vfs_ncache_stats {
	uint64_t capacity;	/* entries the table can hold; 0 until first use */
	uint64_t entries;	/* cached now */
	uint64_t negative;	/* of which "no such name" */
	uint64_t hits;		/* lookups answered with a node */
	uint64_t negative_hits; /* lookups answered ENOENT */
	uint64_t misses;	/* lookups that asked the file system */
	uint64_t evictions;	/* entries pushed out for room */
	uint64_t invalidations; /* names forgotten after a change */
	uint64_t flushes;	/* whole-cache flushes (mount, umount, dropping caches) */
};

void vfs_ncache_stats(struct vfs_ncache_stats *st);

#endif
