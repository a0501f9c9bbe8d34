/*
 * /proc/PID for the application (docs/files.md): procfs (kernel/fs/procfs.c)
 * draws the tree, the layer that owns processes fills it in.
 *
 * The layering rule (a file system does not know what a process is) makes
 * this a registration: the Linux ABI hands procfs a table of callbacks when
 * its process starts (kernel/linux/procself.c).  procfs then shows
 *
 *	/proc/self		a link to PID
 *	/proc/PID/		the files below, fd/ and task/
 *	/proc/PID/fd/N		a link to each open descriptor's path (vfs_fd_path)
 *	/proc/PID/task/TID/	the files below again, for one thread
 *
 * Until something registers (kernel tests), /proc holds only its static
 * files.  There is one process: fork will turn pid() into a list.
 */
#ifndef OSPREY_PROCFS_H
#define OSPREY_PROCFS_H

#include <osprey/kernel.h>

struct fdtable;

/*
 * One file of /proc/PID/ (and /proc/PID/task/TID/).  show() writes the
 * contents for process or thread `id` into buf, snprintf-style: at most
 * size bytes, and returns the length the whole text needs (procfs calls it
 * again with a larger buffer when that is more than size), or a negative
 * errno.  A link's text is its target.  It may sleep, and runs in the
 * reader's thread.
 */
struct procfs_file {
	const char *name;
	bool link; /* a symbolic link: show() gives the target */
	long (*show)(int id, char *buf, size_t size);
};

struct procfs_self_ops {
	/* The process's id; 0 when there is none (no /proc/self then). */
	int (*pid)(void);
	/* Its descriptor table, which /proc/PID/fd lists; NULL: none yet. */
	struct fdtable *(*fdtable)(void);
	/* The index-th of its threads' ids (/proc/PID/task), 0 past the last. */
	int (*thread)(int index);
	const struct procfs_file *files; /* listed in this order */
	size_t nfiles;
};

/*
 * A text being written into buf, snprintf-style: what does not fit is
 * counted in len but not stored (show() returns len).
 */
struct procfs_out {
	char *buf;
	size_t size, len;
};

void procfs_outf(struct procfs_out *o, const char *fmt, ...) __printf(2, 3);
void procfs_out_bytes(struct procfs_out *o, const void *src, size_t n);

/* Called before the process runs; ops must stay valid.  NULL takes it away (tests). */
void procfs_set_self(const struct procfs_self_ops *ops);

#endif
