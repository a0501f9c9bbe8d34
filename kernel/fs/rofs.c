/*
 * rofs in the kernel: the read-only image (include/uapi/osprey/rofs.h)
 * mounted from memory (the initrd the boot loader placed, or a test's
 * buffer).  The image stays where it is: nothing is copied or scanned at
 * mount beyond the header (kernel/fs/rofs_image.c checks each later access).
 *
 * Vnodes are made on lookup and freed on their last put; the root's lives
 * as long as the mount.  A lookup that lands on the root inode returns the
 * mount's root vnode, so ".." at the top compares equal to it.
 *
 * Not yet: reads through a block layer and a page cache (virtio-blk).
 */
#include <string.h>

#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/trace.h>

#include "internal.h"
#include "rofs_image.h"

TRACEPOINT(rofs_mount_refused, "size=%lu reason=%s", uint64_t, const char *);

struct rofs_mnt {
	struct rofs_image img;
	struct vnode *root;
};

struct rofs_vnode {
	struct vnode v;
	struct rofs_inode ri; /* [i] */
};

static const struct vnode_ops rofs_ops;

static struct rofs_vnode *RV(struct vnode *vp)
{
	return container_of(vp, struct rofs_vnode, v);
}

static struct rofs_mnt *MNT(struct vnode *vp)
{
	return vp->mount->priv;
}

static int vnode_of(struct vfs_mount *m, uint32_t ino, struct vnode **out)
{
	struct rofs_mnt *rm = m->priv;
	struct rofs_vnode *rv;
	struct rofs_inode ri;
	int ret;

	if (ino == 0 && rm->root) {
		vfs_vnode_get(rm->root);
		*out = rm->root;
		return 0;
	}
	ret = rofs_image_inode(&rm->img, ino, &ri);
	if (ret)
		return ret;
	rv = vfs_zalloc(sizeof(*rv));
	if (!rv)
		return -ENOMEM;
	vfs_vnode_init(&rv->v, &rofs_ops, m, ri.mode, (uint64_t)ino + 1);
	rv->ri = ri;
	rv->v.size = (ri.mode & ROFS_S_IFMT) == ROFS_S_IFDIR ? 4096 : ri.size;
	rv->v.mtime_ns = (int64_t)ri.mtime * 1000000000;
	rv->v.nlink = (ri.mode & ROFS_S_IFMT) == ROFS_S_IFDIR ? 2 : 1;
	*out = &rv->v;
	return 0;
}

static void rofs_release(struct vnode *vp)
{
	vfs_free(RV(vp));
}

static int rofs_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	uint32_t ino;
	int ret = rofs_image_lookup(&MNT(dir)->img, &RV(dir)->ri, name, len, &ino);

	return ret ? ret : vnode_of(dir->mount, ino, out);
}

static int rofs_parent(struct vnode *dir, struct vnode **out)
{
	return vnode_of(dir->mount, RV(dir)->ri.parent, out);
}

static int rofs_readlink(struct vnode *vp, char *buf, size_t size, size_t *len)
{
	size_t done;
	int ret = rofs_image_read(&MNT(vp)->img, &RV(vp)->ri, 0, buf, size, &done);

	*len = RV(vp)->ri.size;
	return ret;
}

static int rofs_read(struct vnode *vp, void *buf, size_t n, uint64_t off, size_t *done)
{
	return rofs_image_read(&MNT(vp)->img, &RV(vp)->ri, off, buf, n, done);
}

static int rofs_readdir(struct vnode *dir, uint64_t index, char *name, size_t size, uint64_t *ino,
			uint8_t *type)
{
	struct rofs_mnt *rm = MNT(dir);
	struct rofs_inode ri;
	const char *n;
	uint32_t len, i;
	int ret = rofs_image_dirent(&rm->img, &RV(dir)->ri, index, &i, &n, &len);

	if (ret)
		return ret;
	if (len >= size)
		return -ENAMETOOLONG;
	ret = rofs_image_inode(&rm->img, i, &ri);
	if (ret)
		return ret;
	memcpy(name, n, len);
	name[len] = 0;
	*ino = (uint64_t)i + 1;
	switch (ri.mode & ROFS_S_IFMT) {
	case ROFS_S_IFDIR:
		*type = DT_DIR;
		break;
	case ROFS_S_IFLNK:
		*type = DT_LNK;
		break;
	default:
		*type = DT_REG;
	}
	return 0;
}

static const struct vnode_ops rofs_ops = {
	.lookup = rofs_lookup,
	.parent = rofs_parent,
	.readlink = rofs_readlink,
	.read = rofs_read,
	.readdir = rofs_readdir,
	.release = rofs_release,
};

static int rofs_mount(struct vfs_mount *m, const void *data, size_t len, struct vnode **root)
{
	struct rofs_mnt *rm = vfs_zalloc(sizeof(*rm));
	const char *why = NULL;
	int ret;

	if (!rm)
		return -ENOMEM;
	ret = rofs_image_open(&rm->img, data, len, &why);
	if (ret) {
		trace_rofs_mount_refused(len, why);
		pr_warn("rofs: image refused: %s\n", why);
		vfs_free(rm);
		return ret;
	}
	m->priv = rm;
	ret = vnode_of(m, 0, &rm->root);
	if (ret) {
		vfs_free(rm);
		return ret;
	}
	vfs_vnode_get(rm->root);
	*root = rm->root;
	return 0;
}

static void rofs_unmount(struct vfs_mount *m)
{
	struct rofs_mnt *rm = m->priv;

	vfs_vnode_put(rm->root);
	vfs_free(rm);
}

const struct vfs_fstype rofs_type = {
	.name = "rofs",
	.mount = rofs_mount,
	.unmount = rofs_unmount,
	.readonly = true,
};
