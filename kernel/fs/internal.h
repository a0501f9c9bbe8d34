/*
 * What the file systems share with the VFS core: vnodes, mounts, open files.
 *
 * Lock legend: [m] vfs_mount_lock (the mount table), [v] the vnode's own lock,
 * [f] the file's lock, [a] atomic, [i] immutable after creation.  Order:
 * vfs_mount_lock -> name cache buckets -> rename_lock -> vnode locks (two
 * only in rename, lower address first) -> fdtable and file locks, page
 * cache sets (docs/locking.md).
 */
#ifndef OSPREY_FS_INTERNAL_H
#define OSPREY_FS_INTERNAL_H

#include <osprey/list.h>
#include <osprey/percpu.h>
#include <osprey/vfs.h>

/* No sleeping locks yet: every file-system lock is a spinlock with preemption off. */
#define vfs_spin_lock spin_lock
#define vfs_spin_unlock spin_unlock

struct vfs_mount;

#define VFS_OFF_APPEND UINT64_MAX

struct vnode_ops {
	/* name is not "." nor ".."; *out gets a reference. */
	int (*lookup)(struct vnode *dir, const char *name, size_t len, struct vnode **out);
	/* The parent directory, with a reference (dir is not its file system's root). */
	int (*parent)(struct vnode *dir, struct vnode **out);
	/* Creates a file or directory (type in mode); -EEXIST if the name exists. */
	int (*create)(struct vnode *dir, const char *name, size_t len, uint32_t mode,
		      struct vnode **out);
	int (*symlink)(struct vnode *dir, const char *name, size_t len, const char *target);
	/* Another name in dir for vp (same file system, not a directory). */
	int (*link)(struct vnode *dir, const char *name, size_t len, struct vnode *vp);
	/* Removes a name; dir: it must name an empty directory, else anything else. */
	int (*remove)(struct vnode *dir, const char *name, size_t len, bool is_dir);
	/* Both directories in the same file system; replaces a compatible target. */
	int (*rename)(struct vnode *odir, const char *oname, size_t olen, struct vnode *ndir,
		      const char *nname, size_t nlen);
	int (*readlink)(struct vnode *vp, char *buf, size_t size, size_t *len);
	int (*read)(struct vnode *vp, void *buf, size_t n, uint64_t off, size_t *done);
	/* off == VFS_OFF_APPEND: at the end, placed under the vnode's lock. */
	int (*write)(struct vnode *vp, const void *buf, size_t n, uint64_t off, size_t *done);
	int (*truncate)(struct vnode *vp, uint64_t size);
	/* The index-th entry ("." and ".." excluded); -ENOENT past the end. */
	int (*readdir)(struct vnode *dir, uint64_t index, char *name, size_t size, uint64_t *ino,
		       uint8_t *type);
	int (*fsync)(struct vnode *vp);
	/* The last reference is gone: free what the file system attached. */
	void (*release)(struct vnode *vp);
	/* Readiness, as file_ops.poll; NULL: always ready for reading and writing. */
	int (*poll)(struct vnode *vp, int events);
};

/*
 * A file, directory, link or device as the VFS sees it.  Each file system
 * decides how long one lives; the VFS only counts references.
 */
struct vnode {
	_Atomic uint32_t ref;	     /* [a] */
	struct spinlock lock;	     /* fields below the file system marks [v] */
	uint32_t mode;		     /* [v] type and permission bits */
	uint32_t nlink;		     /* [v] */
	uint64_t ino;		     /* [i] */
	uint64_t size;		     /* [v] */
	int64_t mtime_ns;	     /* [v] */
	uint64_t rdev;		     /* [i] */
	const struct vnode_ops *ops; /* [i] */
	struct vfs_mount *mount;     /* [i] the file system it belongs to */
	void *priv;		     /* [i] the file system's own */
};

struct vfs_fstype {
	const char *name;
	/* Makes the file system; *root gets a reference that the mount keeps. */
	int (*mount)(struct vfs_mount *m, const void *data, size_t len, struct vnode **root);
	void (*unmount)(struct vfs_mount *m);
	bool readonly;
	/*
	 * Names change only through the VFS's calls, so the name cache may keep
	 * them.  Not for procfs, whose names may come and go by themselves
	 * (/proc/PID).
	 */
	bool cache_names;
};

struct vfs_mount {
	struct vnode *root;	       /* [i] */
	struct vnode *mountpoint;      /* [i] holds a reference; NULL for / */
	struct vfs_mount *parent;      /* [i] */
	const struct vfs_fstype *type; /* [i] */
	char path[64];		       /* [i] for /proc/mounts */
	uint64_t dev;		       /* [i] st_dev */
	void *priv;		       /* [i] */
	uint32_t root_refs;	       /* [i] the root's references when idle */
	_Atomic uint32_t users;	       /* [a] open files and working directories in it */
	struct vfs_mount *next;	       /* [m] */
};

struct file_ops {
	int (*read)(struct file *f, void *buf, size_t n, uint64_t *off, size_t *done);
	int (*write)(struct file *f, const void *buf, size_t n, uint64_t *off, size_t *done);
	void (*release)(struct file *f);
	/*
	 * The POLL* events that hold now (vfs_poll filters them), plus
	 * VFS_POLL_UNNOTIFIED when a change can come without vfs_poll_notify().
	 * NULL: always ready for reading and writing.  Must not sleep.
	 */
	int (*poll)(struct file *f, int events);
	bool seekable;
};

struct file {
	_Atomic uint32_t ref;	     /* [a] descriptors pointing here */
	struct spinlock lock;	     /* [f] */
	int flags;		     /* [f] O_* status flags */
	uint64_t off;		     /* [f] */
	struct vnode *vp;	     /* [i] NULL for a pipe end */
	const struct file_ops *fops; /* [i] */
	void *priv;		     /* [i] */
	uint64_t ino;		     /* [i] a pipe's number, both ends' (pipe:[N], st_ino) */
};

/* vfs.c */
/* kzalloc; boot-time objects are marked long-lived for the leak report. */
void *vfs_zalloc(size_t n);
/* True while this CPU makes boot's mounts (rofs then reads the initrd in place). */
bool vfs_booting(void);
/* kfree, except for boot's objects (a static arena), which live forever. */
void vfs_free(void *p);
extern struct spinlock vfs_mount_lock;
void vfs_vnode_init(struct vnode *vp, const struct vnode_ops *ops, struct vfs_mount *m,
		    uint32_t mode, uint64_t ino);
struct vnode *vfs_vnode_alloc(const struct vnode_ops *ops, struct vfs_mount *m, uint32_t mode,
			      uint64_t ino);
void vfs_vnode_get(struct vnode *vp);
void vfs_vnode_put(struct vnode *vp);
void vfs_vnode_lock(struct vnode *vp);
void vfs_vnode_unlock(struct vnode *vp);
struct vnode *vfs_root(void);
/* The mount on top of directory vp, or NULL.  Caller holds vfs_mount_lock. */
struct vfs_mount *vfs_mount_on(struct vnode *vp);
void vfs_stat_fill(struct vnode *vp, struct vfs_stat *st);
/* An open file or a working directory starts (+1) or stops (-1) using vp's file system. */
void vfs_mount_use(struct vnode *vp, int delta);
int64_t vfs_now_ns(void);
extern const struct vfs_fstype ramfs_type, devfs_type, procfs_type, rofs_type;

/* namei.c: *out (and *parent) carry references. */
#define LOOKUP_FOLLOW 1 /* follow a final symlink */
#define LOOKUP_PARENT 2 /* stop at the parent; the last name in name/len */

struct lookup {
	struct vnode *vp; /* LOOKUP_PARENT: the parent directory */
	char name[VFS_NAME_MAX + 1];
	size_t len;
	bool slash; /* the path ended with '/' */
};

int vfs_lookup(struct vnode *start, const char *path, int flags, struct lookup *res);
/*
 * The name cache: after a change to the names of dir (create, remove,
 * rename, link, symlink) succeeds, the caller forgets each name it
 * changed.  Called with no vnode lock and no rename_lock held.
 */
void vfs_ncache_invalidate(struct vnode *dir, const char *name, size_t len);
/* Forgets everything: mount and umount, under vfs_mount_lock. */
void vfs_ncache_flush(void);

/* file.c */
int vfs_fd_install(struct fdtable *ft, struct file *f, int flags, int *fd);
int vfs_fd_get(struct fdtable *ft, int fd, struct file **out);
void vfs_file_put(struct file *f);
struct file *vfs_file_alloc(struct vnode *vp, const struct file_ops *fops, int flags);
int vfs_start_dir(struct fdtable *ft, int dirfd, const char *path, struct vnode **out);

/* pipe.c */
int vfs_pipe_create(struct file **rd, struct file **wr);

/*
 * poll.c: an event count, what pipes block on and what poll() waits with.
 * A waiter reads the count, checks its condition (under the object's own
 * lock), and calls vfs_event_wait with the count it read; whoever changes
 * the condition calls vfs_event_signal after the change.  The wait returns
 * at once if the count moved in between, so no wake-up is lost, and the
 * object's lock is never held while sleeping.
 *
 * Lock legend: lock [l] is a wait queue's inner spinlock (taken with
 * interrupts off, above rq in docs/locking.md).
 */
struct vfs_event {
	struct spinlock lock;
	_Atomic uint64_t count;	   /* [a] advanced by every signal */
	_Atomic uint32_t nwaiters; /* [a] changed under lock: the length of waiters */
	struct list waiters;	   /* [l] struct vfs_event_waiter, on their stacks */
};

void vfs_event_init(struct vfs_event *e, const char *name);
uint64_t vfs_event_count(struct vfs_event *e);
/*
 * Sleeps unless e's count differs from count; until a signal of e,
 * timeout_ns (0: none), or a thread_wake() from elsewhere.  stop (may be
 * NULL) is asked once the thread is marked asleep: true, and it does not
 * sleep.  It must not sleep nor take a lock (see vfs_poll_wait).
 */
void vfs_event_wait(struct vfs_event *e, uint64_t count, uint64_t timeout_ns,
		    bool (*stop)(void *arg), void *arg);
void vfs_event_signal(struct vfs_event *e);
/*
 * vfs_event_wait for a reader or writer that a signal may stop (struct
 * vfs_intr_ops): the thread is marked so that a signal wakes it, and it
 * does not sleep when vfs_interrupted() is true.  The caller checks its
 * condition, then vfs_interrupted(), after each return.
 */
void vfs_event_wait_intr(struct vfs_event *e, uint64_t count);
/* A signal the running thread will act on is pending: stop the wait (-ERESTARTSYS). */
bool vfs_interrupted(void);

/* devfs.c's console: the terminal side of the serial line (console.c). */
int console_read(void *buf, size_t n, size_t *done);
int console_poll(int events);

#endif
