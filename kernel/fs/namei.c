/*
 * Path lookup: the portable walker (walk.c) bound to vnodes and mounts.
 *
 * Crossing mounts: after a name is found, a directory with a file system
 * on top is replaced by that file system's root; ".." at a mounted root
 * first goes down to the mount point.  Both read the mount table (a mount
 * point is matched by file system and inode number, since rofs makes a new
 * vnode on each lookup) under vfs_mount_lock, taken alone (no vnode lock is held here while it
 * is), so lookups cannot deadlock against mount and umount.
 *
 * There is no name cache yet: each component asks the file system (ramfs
 * and devfs search a short list, rofs a sorted table).  The lock order
 * keeps its place above vnode locks (docs/locking.md).
 */
#include <string.h>

#include <osprey/mm.h>
#include <osprey/trace.h>

#include "internal.h"
#include "walk.h"

TRACEPOINT(vfs_lookup, "flags=%d ret=%d", int, int);

static int ops_lookup(void *ctx, void *dirp, const char *name, size_t len, void **out)
{
	struct vnode *dir = dirp, *vp;
	int ret;

	(void)ctx;
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		vfs_vnode_get(dir);
		/* Down from mounted roots to their mount points, then up one. */
		for (;;) {
			struct vnode *mp = NULL;

			vfs_spin_lock(&vfs_mount_lock);
			if (dir == dir->mount->root && dir->mount->mountpoint) {
				mp = dir->mount->mountpoint;
				vfs_vnode_get(mp);
			}
			vfs_spin_unlock(&vfs_mount_lock);
			if (!mp)
				break;
			vfs_vnode_put(dir);
			dir = mp;
		}
		if (dir == dir->mount->root) {
			*out = dir; /* the root of everything */
			return 0;
		}
		ret = dir->ops->parent(dir, &vp);
		vfs_vnode_put(dir);
		if (ret)
			return ret;
	} else {
		if (!dir->ops->lookup)
			return -ENOTDIR;
		ret = dir->ops->lookup(dir, name, len, &vp);
		if (ret)
			return ret;
	}
	for (;;) {
		struct vnode *top = NULL;

		vfs_spin_lock(&vfs_mount_lock);
		struct vfs_mount *on = S_ISDIR(vp->mode) ? vfs_mount_on(vp) : NULL;

		if (on) {
			top = on->root;
			vfs_vnode_get(top);
		}
		vfs_spin_unlock(&vfs_mount_lock);
		if (!top)
			break;
		vfs_vnode_put(vp);
		vp = top;
	}
	*out = vp;
	return 0;
}

static enum walk_kind ops_kind(void *ctx, void *node)
{
	struct vnode *vp = node;

	(void)ctx;
	if (S_ISDIR(vp->mode))
		return WALK_DIR;
	return S_ISLNK(vp->mode) ? WALK_LNK : WALK_OTHER;
}

static int ops_readlink(void *ctx, void *node, char *buf, size_t size, size_t *len)
{
	struct vnode *vp = node;

	(void)ctx;
	return vp->ops->readlink ? vp->ops->readlink(vp, buf, size, len) : -EINVAL;
}

static void ops_get(void *ctx, void *node)
{
	(void)ctx;
	vfs_vnode_get(node);
}

static void ops_put(void *ctx, void *node)
{
	(void)ctx;
	vfs_vnode_put(node);
}

static const struct walk_ops vnode_walk_ops = {
	.lookup = ops_lookup,
	.kind = ops_kind,
	.readlink = ops_readlink,
	.get = ops_get,
	.put = ops_put,
};

int vfs_lookup(struct vnode *start, const char *path, int flags, struct lookup *res)
{
	struct vnode *root = vfs_root();
	struct walk_result *w;
	char *buf;
	int ret = -ENOMEM;

	if (!root)
		return -ENOENT;
	buf = kmalloc(WALK_PATH_MAX);
	w = kmalloc(sizeof(*w));
	if (!buf || !w)
		goto out_free;
	ret = vfs_walk_path(&vnode_walk_ops, NULL, root, start, path,
			    ((flags & LOOKUP_FOLLOW) ? WALK_FOLLOW : 0) |
				    ((flags & LOOKUP_PARENT) ? WALK_PARENT : 0),
			    buf, w);
	if (!ret) {
		res->vp = w->node;
		memcpy(res->name, w->name, w->len + 1);
		res->len = w->len;
		res->slash = w->slash;
	}
out_free:
	kfree(w);
	kfree(buf);
	vfs_vnode_put(root);
	trace_vfs_lookup(flags, ret);
	return ret;
}
