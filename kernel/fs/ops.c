/*
 * Operations on names: stat, mkdir, rmdir, unlink, rename, link, symlink,
 * readlink, truncate, chmod, chdir.  Each resolves its path (the parent directory
 * and last name, for those that change a directory), checks what the VFS
 * can check (".", "..", read-only mounts, mount points), and asks the file
 * system.
 *
 * rename and rmdir take rename_lock around the file system's call: with it
 * held, the file system may lock two directories (rename: lower address
 * first; rmdir: the parent, then the child), and no other rename can move
 * one directory under another at the same time.
 *
 * Each call that changed a name then forgets it in the name cache
 * (vfs_ncache_invalidate: both names for rename), after the file system's
 * call returned and every lock was dropped: the name cache's sequence
 * numbers make that order safe (ncache.h).
 */
#include <string.h>

#include <osprey/trace.h>

#include "internal.h"

TRACEPOINT(vfs_rename, "ret=%d", int);

static struct spinlock rename_lock = SPINLOCK_INIT("rename_lock");

static int lookup_at(struct fdtable *ft, int dirfd, const char *path, int flags, struct lookup *res)
{
	struct vnode *start;
	int ret = vfs_start_dir(ft, dirfd, path, &start);

	if (ret)
		return ret;
	ret = vfs_lookup(start, path, flags, res);
	vfs_vnode_put(start);
	return ret;
}

static bool is_dots(const struct lookup *res)
{
	return res->name[0] == '.' && (res->len == 1 || (res->len == 2 && res->name[1] == '.'));
}

static int check_writable_dir(struct vnode *dir)
{
	if (dir->mount->type->readonly)
		return -EROFS;
	return 0;
}

/* For mkdir and symlink: an existing name is EEXIST, even on a read-only mount. */
static int check_new_name(struct vnode *dir, const struct lookup *res)
{
	struct vnode *vp;

	if (res->len == 0 || is_dots(res))
		return -EEXIST;
	if (dir->ops->lookup && !dir->ops->lookup(dir, res->name, res->len, &vp)) {
		vfs_vnode_put(vp);
		return -EEXIST;
	}
	return check_writable_dir(dir);
}

int vfs_stat(struct fdtable *ft, int dirfd, const char *path, bool follow, struct vfs_stat *st)
{
	struct lookup res;
	int ret = lookup_at(ft, dirfd, path, follow ? LOOKUP_FOLLOW : 0, &res);

	if (ret)
		return ret;
	vfs_stat_fill(res.vp, st);
	vfs_vnode_put(res.vp);
	return 0;
}

int vfs_mkdir(struct fdtable *ft, int dirfd, const char *path, uint32_t mode)
{
	struct lookup res;
	struct vnode *vp;
	int ret = lookup_at(ft, dirfd, path, LOOKUP_PARENT, &res);

	if (ret)
		return ret;
	if (!(ret = check_new_name(res.vp, &res)))
		ret = res.vp->ops->create ? res.vp->ops->create(res.vp, res.name, res.len,
								S_IFDIR | (mode & 07777), &vp) :
					    -EROFS;
	if (!ret) {
		vfs_vnode_put(vp);
		vfs_ncache_invalidate(res.vp, res.name, res.len);
	}
	vfs_vnode_put(res.vp);
	return ret;
}

/* A directory something is mounted on cannot be removed or renamed. */
static int check_not_mountpoint(struct vnode *dir, const struct lookup *res)
{
	struct vnode *vp;
	bool busy;

	if (dir->ops->lookup(dir, res->name, res->len, &vp))
		return 0; /* the file system reports the missing name */
	vfs_spin_lock(&vfs_mount_lock);
	busy = vfs_mount_on(vp) != NULL;
	vfs_spin_unlock(&vfs_mount_lock);
	vfs_vnode_put(vp);
	return busy ? -EBUSY : 0;
}

static int remove_name(struct fdtable *ft, int dirfd, const char *path, bool is_dir)
{
	struct lookup res;
	int ret = lookup_at(ft, dirfd, path, LOOKUP_PARENT, &res);

	if (ret)
		return ret;
	if (res.len == 0)
		ret = is_dir ? -EBUSY : -EISDIR;
	else if (is_dots(&res))
		ret = is_dir ? (res.len == 1 ? -EINVAL : -ENOTEMPTY) : -EISDIR;
	else if (!(ret = check_writable_dir(res.vp)) &&
		 !(ret = check_not_mountpoint(res.vp, &res)) && !res.vp->ops->remove)
		ret = -EROFS;
	else if (!ret) {
		/* rmdir locks the parent, then the child: serialised with rename's pairs */
		if (is_dir)
			vfs_spin_lock(&rename_lock);
		ret = res.vp->ops->remove(res.vp, res.name, res.len, is_dir);
		if (is_dir)
			vfs_spin_unlock(&rename_lock);
		if (!ret)
			vfs_ncache_invalidate(res.vp, res.name, res.len);
	}
	vfs_vnode_put(res.vp);
	return ret;
}

int vfs_rmdir(struct fdtable *ft, int dirfd, const char *path)
{
	return remove_name(ft, dirfd, path, true);
}

int vfs_unlink(struct fdtable *ft, int dirfd, const char *path)
{
	struct vfs_stat st;
	size_t len = strlen(path);
	int ret;

	/* "file/" names a directory that is not there: ENOTDIR from the lookup */
	if (len && path[len - 1] == '/' && (ret = vfs_stat(ft, dirfd, path, false, &st)) != 0)
		return ret;
	return remove_name(ft, dirfd, path, false);
}

int vfs_rename(struct fdtable *ft, int olddirfd, const char *oldpath, int newdirfd,
	       const char *newpath)
{
	struct lookup o, n;
	int ret = lookup_at(ft, olddirfd, oldpath, LOOKUP_PARENT, &o);

	if (ret)
		goto out;
	ret = lookup_at(ft, newdirfd, newpath, LOOKUP_PARENT, &n);
	if (ret)
		goto out_old;
	if (o.len == 0 || n.len == 0 || is_dots(&o) || is_dots(&n))
		ret = -EBUSY;
	else if (o.vp->mount != n.vp->mount)
		ret = -EXDEV;
	else if (!(ret = check_writable_dir(o.vp)) && !(ret = check_not_mountpoint(o.vp, &o)) &&
		 !(ret = check_not_mountpoint(n.vp, &n))) {
		if (!o.vp->ops->rename) {
			ret = -EROFS;
		} else {
			vfs_spin_lock(&rename_lock);
			ret = o.vp->ops->rename(o.vp, o.name, o.len, n.vp, n.name, n.len);
			vfs_spin_unlock(&rename_lock);
			if (!ret) {
				vfs_ncache_invalidate(o.vp, o.name, o.len);
				vfs_ncache_invalidate(n.vp, n.name, n.len);
			}
		}
	}
	vfs_vnode_put(n.vp);
out_old:
	vfs_vnode_put(o.vp);
out:
	trace_vfs_rename(ret);
	return ret;
}

int vfs_link(struct fdtable *ft, int olddirfd, const char *oldpath, int newdirfd,
	     const char *newpath)
{
	struct lookup o, n;
	int ret = lookup_at(ft, olddirfd, oldpath, 0, &o);

	if (ret)
		return ret;
	ret = lookup_at(ft, newdirfd, newpath, LOOKUP_PARENT, &n);
	if (ret)
		goto out_old;
	if (S_ISDIR(o.vp->mode))
		ret = -EPERM;
	else if (!(ret = check_new_name(n.vp, &n)) && o.vp->mount != n.vp->mount)
		ret = -EXDEV;
	else if (!ret)
		ret = n.vp->ops->link ? n.vp->ops->link(n.vp, n.name, n.len, o.vp) : -EPERM;
	if (!ret)
		vfs_ncache_invalidate(n.vp, n.name, n.len);
	vfs_vnode_put(n.vp);
out_old:
	vfs_vnode_put(o.vp);
	return ret;
}

/* Permission bits live in the vnode (every writable file system keeps its nodes'). */
static int set_mode(struct vnode *vp, uint32_t mode)
{
	if (vp->mount->type->readonly)
		return -EROFS;
	vfs_vnode_lock(vp);
	vp->mode = (vp->mode & S_IFMT) | (mode & 07777);
	vfs_vnode_unlock(vp);
	return 0;
}

int vfs_utimens(struct fdtable *ft, int dirfd, const char *path, int64_t mtime_ns, bool follow)
{
	struct lookup res;
	int ret = lookup_at(ft, dirfd, path, follow ? LOOKUP_FOLLOW : 0, &res);

	if (ret)
		return ret;
	if (res.vp->mount->type->readonly) {
		ret = -EROFS;
	} else {
		vfs_vnode_lock(res.vp);
		res.vp->mtime_ns = mtime_ns;
		vfs_vnode_unlock(res.vp);
	}
	vfs_vnode_put(res.vp);
	return ret;
}

int vfs_access(struct fdtable *ft, int dirfd, const char *path, int mode)
{
	struct lookup res;
	int ret;

	if (mode & ~(VFS_R_OK | VFS_W_OK | VFS_X_OK))
		return -EINVAL;
	ret = lookup_at(ft, dirfd, path, LOOKUP_FOLLOW, &res);
	if (ret)
		return ret;
	if ((mode & VFS_W_OK) && res.vp->mount->type->readonly && !S_ISCHR(res.vp->mode))
		ret = -EROFS;
	else if ((mode & VFS_X_OK) && !S_ISDIR(res.vp->mode) && !(res.vp->mode & 0111))
		ret = -EACCES;
	vfs_vnode_put(res.vp);
	return ret;
}

int vfs_chmod(struct fdtable *ft, int dirfd, const char *path, uint32_t mode)
{
	struct lookup res;
	int ret = lookup_at(ft, dirfd, path, LOOKUP_FOLLOW, &res);

	if (ret)
		return ret;
	ret = set_mode(res.vp, mode);
	vfs_vnode_put(res.vp);
	return ret;
}

int vfs_fchmod(struct fdtable *ft, int fd, uint32_t mode)
{
	struct file *f;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	ret = f->vp ? set_mode(f->vp, mode) : -EINVAL;
	vfs_file_put(f);
	return ret;
}

int vfs_symlink(struct fdtable *ft, const char *target, int dirfd, const char *path)
{
	struct lookup res;
	size_t tlen = strnlen(target, VFS_PATH_MAX);
	int ret;

	if (tlen == 0)
		return -ENOENT;
	if (tlen == VFS_PATH_MAX)
		return -ENAMETOOLONG;
	ret = lookup_at(ft, dirfd, path, LOOKUP_PARENT, &res);
	if (ret)
		return ret;
	if (!(ret = check_new_name(res.vp, &res)))
		ret = res.vp->ops->symlink ?
			      res.vp->ops->symlink(res.vp, res.name, res.len, target) :
			      -EROFS;
	if (!ret)
		vfs_ncache_invalidate(res.vp, res.name, res.len);
	vfs_vnode_put(res.vp);
	return ret;
}

int vfs_readlink(struct fdtable *ft, int dirfd, const char *path, char *buf, size_t size,
		 size_t *len)
{
	struct lookup res;
	int ret = lookup_at(ft, dirfd, path, 0, &res);

	if (ret)
		return ret;
	if (!S_ISLNK(res.vp->mode) || !res.vp->ops->readlink || size == 0)
		ret = -EINVAL;
	else
		ret = res.vp->ops->readlink(res.vp, buf, size, len);
	if (!ret && *len > size)
		*len = size;
	vfs_vnode_put(res.vp);
	return ret;
}

int vfs_truncate(struct fdtable *ft, int dirfd, const char *path, uint64_t size)
{
	struct lookup res;
	int ret = lookup_at(ft, dirfd, path, LOOKUP_FOLLOW, &res);

	if (ret)
		return ret;
	if (S_ISDIR(res.vp->mode))
		ret = -EISDIR;
	else if (!S_ISREG(res.vp->mode) || (int64_t)size < 0)
		ret = -EINVAL;
	else if (res.vp->mount->type->readonly || !res.vp->ops->truncate)
		ret = -EROFS;
	else
		ret = res.vp->ops->truncate(res.vp, size);
	vfs_vnode_put(res.vp);
	return ret;
}

int vfs_chdir(struct fdtable *ft, const char *path)
{
	struct lookup res;
	struct vnode *old;
	int ret = lookup_at(ft, VFS_AT_FDCWD, path, LOOKUP_FOLLOW, &res);

	if (ret)
		return ret;
	if (!S_ISDIR(res.vp->mode)) {
		vfs_vnode_put(res.vp);
		return -ENOTDIR;
	}
	vfs_mount_use(res.vp, 1);
	vfs_spin_lock(&ft->lock);
	old = ft->cwd;
	ft->cwd = res.vp;
	vfs_spin_unlock(&ft->lock);
	if (old) {
		vfs_mount_use(old, -1);
		vfs_vnode_put(old);
	}
	return 0;
}

/* The name of child (an inode number) in dir, by reading dir's entries. */
static int name_in(struct vnode *dir, uint64_t ino, char *name, size_t size)
{
	uint64_t i, e;
	uint8_t type;

	for (i = 0;; i++) {
		int ret = dir->ops->readdir(dir, i, name, size, &e, &type);

		if (ret)
			return ret;
		if (e == ino)
			return 0;
	}
}

int vfs_getcwd(struct fdtable *ft, char *buf, size_t size)
{
	struct vnode *root = vfs_root(), *vp, *up;
	char name[VFS_NAME_MAX + 1];
	size_t at = size;
	int ret = 0;

	if (!root)
		return -ENOENT;
	vfs_spin_lock(&ft->lock);
	vp = ft->cwd;
	vfs_vnode_get(vp);
	vfs_spin_unlock(&ft->lock);
	/* From the working directory up, each name found in its parent, written right to left. */
	while (vp != root) {
		up = NULL;
		vfs_spin_lock(&vfs_mount_lock);
		if (vp == vp->mount->root && vp->mount->mountpoint) {
			up = vp->mount->mountpoint;
			vfs_vnode_get(up);
		}
		vfs_spin_unlock(&vfs_mount_lock);
		if (up) { /* a mounted root: its name is its mount point's */
			vfs_vnode_put(vp);
			vp = up;
			continue;
		}
		ret = vp->ops->parent ? vp->ops->parent(vp, &up) : -ENOENT;
		if (!ret) {
			ret = name_in(up, vp->ino, name, sizeof(name));
			vfs_vnode_put(vp);
			vp = up;
		}
		if (ret)
			break;
		size_t len = strlen(name);

		if (at < len + 1) {
			ret = -ERANGE;
			break;
		}
		at -= len;
		memcpy(buf + at, name, len);
		buf[--at] = '/';
	}
	vfs_vnode_put(vp);
	vfs_vnode_put(root);
	if (ret)
		return ret;
	if (at == size) { /* the root itself */
		if (size < 2)
			return -ERANGE;
		buf[--at] = '/';
	}
	/* to the start of buf, with room for the terminating NUL */
	size_t len = size - at;

	if (len + 1 > size)
		return -ERANGE;
	memmove(buf, buf + at, len);
	buf[len] = 0;
	return 0;
}
