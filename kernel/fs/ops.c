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
 * Paths from files (getcwd, realpath, /proc/PID/fd): nothing remembers the
 * path a file was opened by; it is rebuilt from the vnode when asked, as
 * Linux rebuilds it from the dentry.  A directory's by walking up (each
 * name found in its parent's entries); a file has no parent pointer, so
 * its file system is searched for a directory that names it.  Only
 * /proc asks that, so open() pays nothing, and the answer follows renames.
 *
 * Each call that changed a name then forgets it in the name cache
 * (vfs_ncache_invalidate: both names for rename), after the file system's
 * call returned and every lock was dropped: the name cache's sequence
 * numbers make that order safe (ncache.h).
 */
#include <string.h>

#include <osprey/format.h>
#include <osprey/mm.h>
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

/*
 * The absolute path of directory vp (the caller keeps its reference): from
 * vp up to the root, each name found in its parent's entries, mount points
 * crossed.  ERANGE if size is too small, ENOENT once vp was removed.
 */
static int dir_path(struct vnode *vp, char *buf, size_t size)
{
	struct vnode *root = vfs_root(), *up;
	char name[VFS_NAME_MAX + 1];
	size_t at = size;
	int ret = 0;

	if (!root)
		return -ENOENT;
	vfs_vnode_get(vp);
	/* Each name found in its parent, written right to left. */
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

int vfs_getcwd(struct fdtable *ft, char *buf, size_t size)
{
	struct vnode *vp;
	int ret;

	vfs_spin_lock(&ft->lock);
	vp = ft->cwd;
	vfs_vnode_get(vp);
	vfs_spin_unlock(&ft->lock);
	ret = dir_path(vp, buf, size);
	vfs_vnode_put(vp);
	return ret;
}

/* Appends "/name" to the directory path in buf (nothing between when it is "/"). */
static int append_name(char *buf, size_t size, const char *name)
{
	size_t len = strlen(buf), nlen = strlen(name);

	if (len == 1)
		len = 0;
	if (len + 1 + nlen + 1 > size)
		return -ERANGE;
	buf[len] = '/';
	memcpy(buf + len + 1, name, nlen + 1);
	return 0;
}

/*
 * Searching a file system for a file reads at most FIND_BUDGET entries
 * and goes FIND_DEPTH directories deep: an image is untrusted, and a
 * corrupt one can make a directory its own descendant.
 */
#define FIND_BUDGET (1u << 20)
#define FIND_DEPTH 256

/*
 * A directory that names vp (not a directory), with a reference, and the
 * name: depth first from the root of vp's file system, matching inode
 * numbers (unique within a file system).  -ENOENT when no directory names
 * it any more (unlinked while open).
 */
static int find_name(struct vnode *vp, struct vnode **dir, char *name, size_t size)
{
	struct frame {
		struct vnode *dir;
		uint64_t index;
	} *st = kmalloc(FIND_DEPTH * sizeof(*st));
	uint32_t budget = FIND_BUDGET;
	int depth = 1, ret = -ENOENT;

	if (!st)
		return -ENOMEM;
	st[0].dir = vp->mount->root; /* [i]: the open file keeps its mount */
	st[0].index = 0;
	vfs_vnode_get(st[0].dir);
	while (depth > 0 && budget--) {
		struct frame *f = &st[depth - 1];
		struct vnode *child;
		uint64_t ino;
		uint8_t type;

		if (!f->dir->ops->readdir ||
		    f->dir->ops->readdir(f->dir, f->index++, name, size, &ino, &type)) {
			vfs_vnode_put(f->dir); /* done with this directory */
			depth--;
			continue;
		}
		if (ino == vp->ino && type != DT_DIR) {
			*dir = f->dir; /* its reference goes to the caller */
			depth--;
			ret = 0;
			break;
		}
		if ((type != DT_DIR && type != DT_UNKNOWN) || depth == FIND_DEPTH ||
		    f->dir->ops->lookup(f->dir, name, strlen(name), &child))
			continue;
		if (!S_ISDIR(child->mode)) {
			vfs_vnode_put(child);
			continue;
		}
		st[depth].dir = child;
		st[depth].index = 0;
		depth++;
	}
	while (depth > 0)
		vfs_vnode_put(st[--depth].dir);
	kfree(st);
	return ret;
}

int vfs_fd_path(struct fdtable *ft, int fd, char *buf, size_t size)
{
	char name[VFS_NAME_MAX + 1];
	struct vnode *dir;
	struct file *f;
	int ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	if (!f->vp) {
		unsigned long ino = (unsigned long)f->ino;

		ret = (size_t)format_snprintf(buf, size, "pipe:[%lu]", ino) < size ? 0 : -ERANGE;
	} else if (S_ISDIR(f->vp->mode)) {
		ret = dir_path(f->vp, buf, size);
	} else {
		ret = find_name(f->vp, &dir, name, sizeof(name));
		if (!ret) {
			ret = dir_path(dir, buf, size);
			vfs_vnode_put(dir);
		}
		if (!ret)
			ret = append_name(buf, size, name);
	}
	vfs_file_put(f);
	return ret;
}

/* Link vp's target into buf (VFS_PATH_MAX bytes), terminated. */
static int read_target(struct vnode *vp, char *buf)
{
	size_t len;
	int ret = vp->ops->readlink ? vp->ops->readlink(vp, buf, VFS_PATH_MAX - 1, &len) : -EINVAL;

	if (ret)
		return ret;
	if (len >= VFS_PATH_MAX - 1)
		return -ENAMETOOLONG;
	if (len == 0)
		return -ENOENT;
	buf[len] = 0;
	return 0;
}

int vfs_realpath(struct fdtable *ft, int dirfd, const char *path, char *buf, size_t size)
{
	struct vnode *start, *child;
	struct lookup res;
	char *target = NULL;
	unsigned links = 0;
	int ret = vfs_start_dir(ft, dirfd, path, &start);

	if (ret)
		return ret;
	/* The parent and the last name; a last name that is a link starts over from its target. */
	for (;;) {
		ret = vfs_lookup(start, path, LOOKUP_PARENT, &res);
		if (ret)
			break;
		if (res.len == 0 || is_dots(&res)) { /* "/", "a/.", "a/..": a directory */
			vfs_vnode_put(res.vp);
			ret = vfs_lookup(start, path, LOOKUP_FOLLOW, &res);
			if (!ret) {
				ret = dir_path(res.vp, buf, size);
				vfs_vnode_put(res.vp);
			}
			break;
		}
		ret = res.vp->ops->lookup(res.vp, res.name, res.len, &child);
		if (!ret && S_ISLNK(child->mode)) {
			if (++links > VFS_SYMLOOP_MAX)
				ret = -ELOOP;
			else if (!target && !(target = kmalloc(VFS_PATH_MAX)))
				ret = -ENOMEM;
			else
				ret = read_target(child, target);
			vfs_vnode_put(child);
			if (ret) {
				vfs_vnode_put(res.vp);
				break;
			}
			/* a relative target resolves from the link's directory */
			vfs_vnode_put(start);
			start = res.vp;
			path = target;
			continue;
		}
		if (!ret) {
			if (res.slash && !S_ISDIR(child->mode))
				ret = -ENOTDIR;
			vfs_vnode_put(child);
		}
		if (!ret)
			ret = dir_path(res.vp, buf, size);
		if (!ret)
			ret = append_name(buf, size, res.name);
		vfs_vnode_put(res.vp);
		break;
	}
	vfs_vnode_put(start);
	kfree(target);
	return ret;
}
