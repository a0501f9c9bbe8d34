/*
 * Open files: open, read, write and their positioned and vectored forms,
 * lseek, fstat, ftruncate, fsync, getdents (the descriptor table itself is
 * fdtable.c).
 *
 * A struct file is shared by every descriptor that dup() made from one
 * open(); it carries the offset and the status flags.
 *
 * Locks: the table's lock and a file's lock are leaves (docs/locking.md):
 * held only to read or change the table or the offset, never across a file
 * system call.  Consequence, until sleeping locks exist: two threads
 * reading one shared file at once may read the same bytes (O_APPEND writes
 * are atomic: the file system places them at the end under its lock).
 */
#include <string.h>

#include <osprey/mm.h>
#include <osprey/trace.h>

#include "internal.h"

TRACEPOINT(vfs_open, "flags=%#x fd=%d ret=%d", int, int, int);

static int vnode_file_read(struct file *f, void *buf, size_t n, uint64_t *off, size_t *done)
{
	struct vnode *vp = f->vp;

	if (S_ISDIR(vp->mode))
		return -EISDIR;
	if (!vp->ops->read)
		return -EINVAL;
	*done = 0;
	/* A device that can make a reader wait (the console) says first whether it would. */
	if (vp->ops->poll && (f->flags & O_NONBLOCK) && !(vp->ops->poll(vp, POLLIN) & POLLIN))
		return -EAGAIN;
	int ret = vp->ops->read(vp, buf, n, *off, done);

	*off += *done;
	return ret;
}

static int vnode_file_write(struct file *f, const void *buf, size_t n, uint64_t *off, size_t *done)
{
	struct vnode *vp = f->vp;
	uint64_t at = *off;

	if (!vp->ops->write)
		return -EINVAL;
	if (f->flags & O_APPEND)
		at = VFS_OFF_APPEND;
	*done = 0;
	int ret = vp->ops->write(vp, buf, n, at, done);

	if (at == VFS_OFF_APPEND) {
		vfs_vnode_lock(vp);
		*off = vp->size;
		vfs_vnode_unlock(vp);
	} else {
		*off += *done;
	}
	return ret;
}

static int vnode_file_poll(struct file *f, int events)
{
	struct vnode *vp = f->vp;

	if (vp->ops->poll)
		return vp->ops->poll(vp, events);
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static const struct file_ops vnode_fops = {
	.read = vnode_file_read,
	.write = vnode_file_write,
	.poll = vnode_file_poll,
	.seekable = true,
};

struct file *vfs_file_alloc(struct vnode *vp, const struct file_ops *fops, int flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	atomic_init(&f->ref, 1);
	spin_init(&f->lock, "file");
	f->flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC);
	f->vp = vp;
	f->fops = fops;
	if (vp)
		vfs_mount_use(vp, 1);
	return f;
}

void vfs_file_put(struct file *f)
{
	/* acq_rel: pairs with itself, so the last put sees every use before it */
	if (atomic_fetch_sub_explicit(&f->ref, 1, memory_order_acq_rel) != 1)
		return;
	if (f->fops->release)
		f->fops->release(f);
	if (f->vp) {
		vfs_mount_use(f->vp, -1);
		vfs_vnode_put(f->vp);
	}
	vfs_free(f);
}

int vfs_start_dir(struct fdtable *ft, int dirfd, const char *path, struct vnode **out)
{
	struct file *f;
	int ret;

	if (path[0] == '/' || dirfd == VFS_AT_FDCWD) {
		vfs_spin_lock(&ft->lock);
		*out = ft->cwd;
		vfs_vnode_get(*out);
		vfs_spin_unlock(&ft->lock);
		return 0;
	}
	ret = vfs_fd_get(ft, dirfd, &f);
	if (ret)
		return ret;
	if (!f->vp || !S_ISDIR(f->vp->mode)) {
		vfs_file_put(f);
		return -ENOTDIR;
	}
	*out = f->vp;
	vfs_vnode_get(*out);
	vfs_file_put(f);
	return 0;
}

static int open_vnode(struct vnode *start, const char *path, int flags, uint32_t mode,
		      unsigned links, struct vnode **out);

/*
 * O_CREAT met a dangling link: create its target, as Linux does.  Caller
 * holds a reference on dir; the link is name in dir.
 */
static int create_through_link(struct vnode *dir, struct vnode *link, int flags, uint32_t mode,
			       unsigned links, struct vnode **out)
{
	char *target;
	size_t len;
	int ret;

	if (links >= VFS_SYMLOOP_MAX)
		return -ELOOP;
	target = kmalloc(VFS_PATH_MAX);
	if (!target)
		return -ENOMEM;
	ret = link->ops->readlink(link, target, VFS_PATH_MAX, &len);
	if (!ret && len >= VFS_PATH_MAX)
		ret = -ENAMETOOLONG;
	if (!ret) {
		target[len] = 0;
		ret = open_vnode(dir, target, flags, mode, links + 1, out);
	}
	vfs_free(target);
	return ret;
}

/* Finds or creates what open() names; *out gets a reference. */
static int open_vnode(struct vnode *start, const char *path, int flags, uint32_t mode,
		      unsigned links, struct vnode **out)
{
	struct vnode *link;
	bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	int lflags = (flags & O_NOFOLLOW) || excl ? 0 : LOOKUP_FOLLOW;
	struct lookup res;
	int ret;

	ret = vfs_lookup(start, path, lflags, &res);
	if (ret == 0) {
		if (excl) {
			vfs_vnode_put(res.vp);
			return -EEXIST;
		}
		*out = res.vp;
		return 0;
	}
	if (ret != -ENOENT || !(flags & O_CREAT))
		return ret;
	ret = vfs_lookup(start, path, LOOKUP_PARENT, &res);
	if (ret)
		return ret;
	if (res.slash || res.len == 0 ||
	    (res.name[0] == '.' && res.len <= 2 && (res.len == 1 || res.name[1] == '.')))
		ret = -EISDIR;
	else if (!(flags & O_NOFOLLOW) && res.vp->ops->lookup &&
		 !res.vp->ops->lookup(res.vp, res.name, res.len, &link)) {
		/* the name exists, so the full lookup's ENOENT came from a dangling link */
		ret = S_ISLNK(link->mode) && link->ops->readlink ?
			      create_through_link(res.vp, link, flags, mode, links, out) :
			      -ENOENT;
		vfs_vnode_put(link);
	} else if (res.vp->mount->type->readonly)
		ret = -EROFS;
	else if (!res.vp->ops->create)
		ret = -EACCES;
	else if (!(ret = res.vp->ops->create(res.vp, res.name, res.len, S_IFREG | (mode & 07777),
					     out)))
		vfs_ncache_invalidate(res.vp, res.name, res.len);
	vfs_vnode_put(res.vp);
	return ret;
}

int vfs_open(struct fdtable *ft, int dirfd, const char *path, int flags, uint32_t mode, int *fd)
{
	int acc = flags & O_ACCMODE;
	struct vnode *start, *vp;
	struct file *f;
	int ret;

	ret = vfs_start_dir(ft, dirfd, path, &start);
	if (ret)
		goto out;
	ret = open_vnode(start, path, flags, mode, 0, &vp);
	vfs_vnode_put(start);
	if (ret)
		goto out;
	if (S_ISLNK(vp->mode))
		ret = -ELOOP; /* O_NOFOLLOW met a link */
	else if ((flags & O_DIRECTORY) && !S_ISDIR(vp->mode))
		ret = -ENOTDIR;
	else if (S_ISDIR(vp->mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
		ret = -EISDIR;
	else if (acc == O_ACCMODE)
		ret = -EINVAL;
	else if ((acc != O_RDONLY || (flags & O_TRUNC)) && vp->mount->type->readonly &&
		 S_ISREG(vp->mode))
		ret = -EROFS;
	else if ((flags & O_TRUNC) && S_ISREG(vp->mode) && vp->ops->truncate)
		ret = vp->ops->truncate(vp, 0);
	if (ret)
		goto out_put;
	f = vfs_file_alloc(vp, &vnode_fops, flags);
	if (!f) {
		ret = -ENOMEM;
		goto out_put;
	}
	ret = vfs_fd_install(ft, f, flags, fd);
	if (ret)
		vfs_file_put(f); /* drops vp too */
	goto out;

out_put:
	vfs_vnode_put(vp);
out:
	trace_vfs_open(flags, ret ? -1 : *fd, ret);
	return ret;
}

/* One read or write at *pos (NULL: at the file's offset). */
static int file_rw(struct fdtable *ft, int fd, bool write, void *buf, size_t n, const uint64_t *pos,
		   size_t *done)
{
	struct file *f;
	uint64_t off;
	int acc, ret = vfs_fd_get(ft, fd, &f);

	*done = 0;
	if (ret)
		return ret;
	acc = f->flags & O_ACCMODE;
	if (write ? acc == O_RDONLY : acc == O_WRONLY) {
		ret = -EBADF;
		goto out_put;
	}
	if (pos && !f->fops->seekable) {
		ret = -ESPIPE;
		goto out_put;
	}
	if (pos) {
		off = *pos;
	} else {
		vfs_spin_lock(&f->lock);
		off = f->off;
		vfs_spin_unlock(&f->lock);
	}
	if (write)
		ret = f->fops->write(f, buf, n, &off, done);
	else
		ret = f->fops->read(f, buf, n, &off, done);
	if (!pos) {
		vfs_spin_lock(&f->lock);
		f->off = off;
		vfs_spin_unlock(&f->lock);
	}
out_put:
	vfs_file_put(f);
	return ret;
}

int vfs_read(struct fdtable *ft, int fd, void *buf, size_t n, size_t *done)
{
	return file_rw(ft, fd, false, buf, n, NULL, done);
}

int vfs_write(struct fdtable *ft, int fd, const void *buf, size_t n, size_t *done)
{
	return file_rw(ft, fd, true, (void *)buf, n, NULL, done);
}

int vfs_pread(struct fdtable *ft, int fd, void *buf, size_t n, uint64_t off, size_t *done)
{
	if ((int64_t)off < 0)
		return -EINVAL;
	return file_rw(ft, fd, false, buf, n, &off, done);
}

int vfs_pwrite(struct fdtable *ft, int fd, const void *buf, size_t n, uint64_t off, size_t *done)
{
	if ((int64_t)off < 0)
		return -EINVAL;
	return file_rw(ft, fd, true, (void *)buf, n, &off, done);
}

/* Stops at the first short transfer; an error after some bytes is reported as the count. */
static int file_rwv(struct fdtable *ft, int fd, bool write, const struct vfs_iovec *iov, int iovcnt,
		    size_t *done)
{
	*done = 0;
	if (iovcnt < 0 || iovcnt > 1024)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		size_t n;
		int ret = file_rw(ft, fd, write, iov[i].base, iov[i].len, NULL, &n);

		if (ret)
			return *done ? 0 : ret;
		*done += n;
		if (n < iov[i].len)
			break;
	}
	return 0;
}

int vfs_readv(struct fdtable *ft, int fd, const struct vfs_iovec *iov, int iovcnt, size_t *done)
{
	return file_rwv(ft, fd, false, iov, iovcnt, done);
}

int vfs_writev(struct fdtable *ft, int fd, const struct vfs_iovec *iov, int iovcnt, size_t *done)
{
	return file_rwv(ft, fd, true, iov, iovcnt, done);
}

int vfs_lseek(struct fdtable *ft, int fd, int64_t off, int whence, uint64_t *pos)
{
	struct file *f;
	int64_t base, size;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	if (!f->fops->seekable) {
		vfs_file_put(f);
		return -ESPIPE;
	}
	/* the size first: a file's lock is a leaf, never held while taking the vnode's */
	vfs_vnode_lock(f->vp);
	size = (int64_t)f->vp->size;
	vfs_vnode_unlock(f->vp);
	vfs_spin_lock(&f->lock);
	if (whence == SEEK_SET) {
		base = 0;
	} else if (whence == SEEK_CUR) {
		base = (int64_t)f->off;
	} else if (whence == SEEK_END) {
		base = size;
	} else {
		ret = -EINVAL;
	}
	if (!ret && (__builtin_add_overflow(base, off, &base) || base < 0))
		ret = -EINVAL;
	if (!ret) {
		f->off = (uint64_t)base;
		*pos = f->off;
	}
	vfs_spin_unlock(&f->lock);
	vfs_file_put(f);
	return ret;
}

int vfs_fstat(struct fdtable *ft, int fd, struct vfs_stat *st)
{
	struct file *f;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	if (f->vp) {
		vfs_stat_fill(f->vp, st);
	} else {
		memset(st, 0, sizeof(*st));
		st->mode = S_IFIFO | 0600;
		st->ino = f->ino;
		st->nlink = 1;
		st->blksize = 4096;
	}
	vfs_file_put(f);
	return 0;
}

int vfs_ftruncate(struct fdtable *ft, int fd, uint64_t size)
{
	struct file *f;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	if (!f->vp || !S_ISREG(f->vp->mode) || (f->flags & O_ACCMODE) == O_RDONLY)
		ret = -EINVAL;
	else if ((int64_t)size < 0)
		ret = -EINVAL;
	else
		ret = f->vp->ops->truncate ? f->vp->ops->truncate(f->vp, size) : -EROFS;
	vfs_file_put(f);
	return ret;
}

int vfs_fsync(struct fdtable *ft, int fd)
{
	struct file *f;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	if (!f->vp)
		ret = -EINVAL;
	else if (f->vp->ops->fsync)
		ret = f->vp->ops->fsync(f->vp);
	vfs_file_put(f);
	return ret;
}

static bool dirent_put(char *buf, size_t size, size_t *used, uint64_t ino, int64_t next,
		       uint8_t type, const char *name)
{
	size_t len = strlen(name);
	size_t reclen = ALIGN_UP(offsetof(struct vfs_dirent, name) + len + 1, 8);
	struct vfs_dirent *d = (struct vfs_dirent *)(buf + *used);

	if (*used + reclen > size)
		return false;
	d->ino = ino;
	d->off = next;
	d->reclen = (uint16_t)reclen;
	d->type = type;
	memcpy(d->name, name, len + 1);
	*used += reclen;
	return true;
}

int vfs_getdents(struct fdtable *ft, int fd, void *buf, size_t size, size_t *done)
{
	char name[VFS_NAME_MAX + 1];
	struct file *f;
	struct vnode *dir;
	uint64_t pos, ino;
	uint8_t type;
	size_t used = 0;
	int ret = vfs_fd_get(ft, fd, &f);

	*done = 0;
	if (ret)
		return ret;
	dir = f->vp;
	if (!dir || !S_ISDIR(dir->mode) || !dir->ops->readdir) {
		vfs_file_put(f);
		return -ENOTDIR;
	}
	vfs_spin_lock(&f->lock);
	pos = f->off;
	vfs_spin_unlock(&f->lock);
	for (;; pos++) {
		if (pos < 2) {
			memcpy(name, "..", 3);
			name[pos + 1] = 0;
			ino = dir->ino;
			type = DT_DIR;
		} else {
			ret = dir->ops->readdir(dir, pos - 2, name, sizeof(name), &ino, &type);
			if (ret == -ENOENT) {
				ret = 0;
				break;
			}
			if (ret)
				break;
		}
		if (!dirent_put(buf, size, &used, ino, (int64_t)pos + 1, type, name)) {
			if (!used)
				ret = -EINVAL; /* the buffer cannot hold one record */
			break;
		}
	}
	vfs_spin_lock(&f->lock);
	f->off = pos;
	vfs_spin_unlock(&f->lock);
	vfs_file_put(f);
	*done = used;
	return used ? 0 : ret;
}
