/*
 * Descriptor tables (struct fdtable): a process's open files by number,
 * each with its close-on-exec flag, and its working directory.  open()
 * installs at the lowest free number (vfs_fd_install); dup, dup2, dup3 and
 * F_DUPFD share the struct file (offset and status flags) under a new
 * number; fork copies the table (vfs_fdtable_clone), execve closes the
 * close-on-exec ones (vfs_fdtable_exec).
 *
 * Lock: the table's own, a leaf (docs/locking.md): held to read or change
 * the slots and the working directory, never across a file-system call.
 * vfs_fd_get() hands out a reference, so a file stays alive while a call
 * uses it even if another thread closes the descriptor.
 */
#include <osprey/mm.h>
#include <osprey/trace.h>

#include "internal.h"

TRACEPOINT(vfs_close, "fd=%d", int);
int vfs_fdtable_create(struct fdtable **out)
{
	struct fdtable *ft = vfs_zalloc(sizeof(*ft));

	if (!ft)
		return -ENOMEM;
	spin_init(&ft->lock, "fdtable");
	ft->cwd = vfs_root();
	if (ft->cwd)
		vfs_mount_use(ft->cwd, 1);
	*out = ft;
	return 0;
}

int vfs_fdtable_clone(struct fdtable *src, struct fdtable **out)
{
	struct fdtable *ft = kzalloc(sizeof(*ft));

	if (!ft)
		return -ENOMEM;
	spin_init(&ft->lock, "fdtable");
	vfs_spin_lock(&src->lock);
	for (int i = 0; i < VFS_FD_MAX; i++) {
		ft->fd[i] = src->fd[i];
		ft->fd_flags[i] = src->fd_flags[i];
		if (ft->fd[i])
			atomic_fetch_add_explicit(&ft->fd[i]->ref, 1, memory_order_relaxed);
	}
	ft->cwd = src->cwd;
	if (ft->cwd) {
		vfs_vnode_get(ft->cwd);
		vfs_mount_use(ft->cwd, 1);
	}
	vfs_spin_unlock(&src->lock);
	*out = ft;
	return 0;
}

void vfs_fdtable_destroy(struct fdtable *ft)
{
	for (int i = 0; i < VFS_FD_MAX; i++)
		if (ft->fd[i])
			vfs_file_put(ft->fd[i]);
	if (ft->cwd) {
		vfs_mount_use(ft->cwd, -1);
		vfs_vnode_put(ft->cwd);
	}
	vfs_free(ft);
}

void vfs_fdtable_exec(struct fdtable *ft)
{
	for (int i = 0; i < VFS_FD_MAX; i++)
		if (ft->fd_flags[i] & VFS_FD_CLOEXEC)
			vfs_close(ft, i);
}

/* The lowest free descriptor from min. */
static int install_from(struct fdtable *ft, struct file *f, int min, int flags, int *fd)
{
	vfs_spin_lock(&ft->lock);
	for (int i = min; i < VFS_FD_MAX; i++) {
		if (!ft->fd[i]) {
			ft->fd[i] = f;
			ft->fd_flags[i] = (flags & O_CLOEXEC) ? VFS_FD_CLOEXEC : 0;
			vfs_spin_unlock(&ft->lock);
			*fd = i;
			return 0;
		}
	}
	vfs_spin_unlock(&ft->lock);
	return -EMFILE;
}

int vfs_fd_install(struct fdtable *ft, struct file *f, int flags, int *fd)
{
	return install_from(ft, f, 0, flags, fd);
}

int vfs_dup_min(struct fdtable *ft, int fd, int min, int flags, int *newfd)
{
	struct file *f;
	int ret;

	if (min < 0 || min >= VFS_FD_MAX)
		return -EINVAL;
	ret = vfs_fd_get(ft, fd, &f);
	if (ret)
		return ret;
	ret = install_from(ft, f, min, flags, newfd);
	if (ret)
		vfs_file_put(f);
	return ret;
}

int vfs_get_status_flags(struct fdtable *ft, int fd, int *flags)
{
	struct file *f;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	vfs_spin_lock(&f->lock);
	*flags = f->flags;
	vfs_spin_unlock(&f->lock);
	vfs_file_put(f);
	return 0;
}

int vfs_set_status_flags(struct fdtable *ft, int fd, int flags)
{
	const int changeable = O_APPEND | O_NONBLOCK;
	struct file *f;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	vfs_spin_lock(&f->lock);
	f->flags = (f->flags & ~changeable) | (flags & changeable);
	vfs_spin_unlock(&f->lock);
	vfs_file_put(f);
	return 0;
}

int vfs_fd_get(struct fdtable *ft, int fd, struct file **out)
{
	struct file *f = NULL;

	if (fd < 0 || fd >= VFS_FD_MAX)
		return -EBADF;
	vfs_spin_lock(&ft->lock);
	f = ft->fd[fd];
	if (f)
		atomic_fetch_add_explicit(&f->ref, 1, memory_order_relaxed);
	vfs_spin_unlock(&ft->lock);
	if (!f)
		return -EBADF;
	*out = f;
	return 0;
}

int vfs_close(struct fdtable *ft, int fd)
{
	struct file *f;

	if (fd < 0 || fd >= VFS_FD_MAX)
		return -EBADF;
	vfs_spin_lock(&ft->lock);
	f = ft->fd[fd];
	ft->fd[fd] = NULL;
	ft->fd_flags[fd] = 0;
	vfs_spin_unlock(&ft->lock);
	if (!f)
		return -EBADF;
	trace_vfs_close(fd);
	vfs_file_put(f);
	return 0;
}

int vfs_dup(struct fdtable *ft, int fd, int *newfd)
{
	struct file *f;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	ret = vfs_fd_install(ft, f, 0, newfd);
	if (ret)
		vfs_file_put(f);
	return ret;
}

int vfs_dup3(struct fdtable *ft, int fd, int newfd, int flags)
{
	struct file *f, *old;
	int ret;

	if (fd == newfd || (flags & ~O_CLOEXEC))
		return -EINVAL;
	if (newfd < 0 || newfd >= VFS_FD_MAX)
		return -EBADF;
	ret = vfs_fd_get(ft, fd, &f);
	if (ret)
		return ret;
	vfs_spin_lock(&ft->lock);
	old = ft->fd[newfd];
	ft->fd[newfd] = f;
	ft->fd_flags[newfd] = (flags & O_CLOEXEC) ? VFS_FD_CLOEXEC : 0;
	vfs_spin_unlock(&ft->lock);
	if (old)
		vfs_file_put(old);
	return 0;
}

int vfs_dup2(struct fdtable *ft, int fd, int newfd)
{
	struct file *f;
	int ret;

	if (fd != newfd)
		return vfs_dup3(ft, fd, newfd, 0);
	ret = vfs_fd_get(ft, fd, &f); /* dup2(fd, fd): fd must be open */
	if (!ret)
		vfs_file_put(f);
	return ret;
}

int vfs_get_fd_flags(struct fdtable *ft, int fd, int *flags)
{
	int ret = -EBADF;

	if (fd < 0 || fd >= VFS_FD_MAX)
		return -EBADF;
	vfs_spin_lock(&ft->lock);
	if (ft->fd[fd]) {
		*flags = ft->fd_flags[fd];
		ret = 0;
	}
	vfs_spin_unlock(&ft->lock);
	return ret;
}

int vfs_set_fd_flags(struct fdtable *ft, int fd, int flags)
{
	int ret = -EBADF;

	if (fd < 0 || fd >= VFS_FD_MAX)
		return -EBADF;
	vfs_spin_lock(&ft->lock);
	if (ft->fd[fd]) {
		ft->fd_flags[fd] = flags & VFS_FD_CLOEXEC;
		ret = 0;
	}
	vfs_spin_unlock(&ft->lock);
	return ret;
}
