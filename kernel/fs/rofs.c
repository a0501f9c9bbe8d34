/*
 * rofs in the kernel: the read-only image (include/uapi/osprey/rofs.h)
 * mounted from a block device: any device a caller registered (vfs_mount's
 * data is its name), or by default (no data) the initrd the boot loader
 * placed, the device "initrd".
 *
 * Every read goes through the page cache (kernel/mm/pagecache.c): inodes,
 * directory entries, names, file bytes and link targets are copied out of
 * cached device pages, so a second read of anything is a cache hit, and
 * the image's reader (kernel/fs/rofs_image.c) checks each range against
 * the image before it asks, as the page cache checks it against the device.
 * Except at boot: mounting the initrd as / and the lookups of "dev",
 * "proc" and "tmp" read the initrd in place, where the boot loader put it,
 * and the device "initrd" is registered and opened by the first read after
 * boot.  Boot thus runs none of the block layer's or the page cache's code
 * (under TCG, each new code page boot touches costs tens of microseconds:
 * registering and reading through the driver at boot cost 0.37 ms).  A
 * device mounted while booting that is not the initrd is read uncached.
 *
 * Vnodes are made on lookup and freed on their last put (the name cache
 * keeps the ones it names alive and shares them); the root's lives as long
 * as the mount.  A lookup that lands on the root inode returns the mount's
 * root vnode, so ".." at the top compares equal to it.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/boot.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/trace.h>

#include "internal.h"
#include "rofs_image.h"

TRACEPOINT(rofs_mount_refused, "size=%lu reason=%s", uint64_t, const char *);

struct rofs_mnt {
	struct rofs_image img;
	/*
	 * [a] The device, opened by the mount; for the initrd mounted at boot,
	 * by the first read after boot (NULL until then).
	 */
	struct blkdev *_Atomic dev;
	/* [i] The initrd mounted at boot: the image in place, read only while booting. */
	struct rofs_image boot_img;
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

/* The image to read: in place while booting, through the device (and the page cache) after. */
static const struct rofs_image *IMG(struct rofs_mnt *rm)
{
	return vfs_booting() && rm->boot_img.base ? &rm->boot_img : &rm->img;
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
	ret = rofs_image_inode(IMG(rm), ino, &ri);
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
	int ret = rofs_image_lookup(IMG(MNT(dir)), &RV(dir)->ri, name, len, &ino);

	return ret ? ret : vnode_of(dir->mount, ino, out);
}

static int rofs_parent(struct vnode *dir, struct vnode **out)
{
	return vnode_of(dir->mount, RV(dir)->ri.parent, out);
}

static int rofs_readlink(struct vnode *vp, char *buf, size_t size, size_t *len)
{
	size_t done;
	int ret = rofs_image_read(IMG(MNT(vp)), &RV(vp)->ri, 0, buf, size, &done);

	*len = RV(vp)->ri.size;
	return ret;
}

static int rofs_read(struct vnode *vp, void *buf, size_t n, uint64_t off, size_t *done)
{
	return rofs_image_read(IMG(MNT(vp)), &RV(vp)->ri, off, buf, n, done);
}

static int rofs_readdir(struct vnode *dir, uint64_t index, char *name, size_t size, uint64_t *ino,
			uint8_t *type)
{
	struct rofs_mnt *rm = MNT(dir);
	struct rofs_inode ri;
	char n[ROFS_NAME_MAX + 1];
	uint32_t len, i;
	int ret = rofs_image_dirent(IMG(rm), &RV(dir)->ri, index, &i, n, &len);

	if (ret)
		return ret;
	if (len >= size)
		return -ENAMETOOLONG;
	ret = rofs_image_inode(IMG(rm), i, &ri);
	if (ret)
		return ret;
	memcpy(name, n, len + 1);
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

/* Opens a device by name; the initrd registers itself on its first open. */
static int open_dev(const char *name, struct blkdev **out)
{
	struct blkdev *d;

	if (strcmp(name, "initrd") == 0 && blk_ram_initrd(&d))
		return -ENODEV;
	return blk_open(name, out);
}

/* The device; for the initrd mounted at boot, opened now if this is the first read since. */
static int mnt_dev(struct rofs_mnt *rm, struct blkdev **out)
{
	/* acquire: pairs with the release below, the device's fields are set */
	struct blkdev *d = atomic_load_explicit(&rm->dev, memory_order_acquire), *expect = NULL;
	int ret;

	if (likely(d)) {
		*out = d;
		return 0;
	}
	ret = open_dev("initrd", &d);
	if (ret)
		return ret;
	if (!atomic_compare_exchange_strong_explicit(&rm->dev, &expect, d, memory_order_release,
						     memory_order_acquire)) {
		blk_close(d); /* another reader opened it first */
		d = expect;
	}
	*out = d;
	return 0;
}

/*
 * The image's bytes (rofs_image.c checked the range against the image,
 * which lies inside the device): through the page cache, or uncached for
 * a device mounted while booting (the initrd is read in place then: IMG).
 */
static int read_image(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct rofs_mnt *rm = ctx;
	struct blkdev *dev;
	int ret = mnt_dev(rm, &dev);

	if (ret)
		return ret;
	if (vfs_booting())
		return blk_read_bytes(dev, off, buf, len);
	return pagecache_read(dev, off, buf, len);
}

/*
 * data: the name of the device holding the image; none (NULL, 0): the
 * initrd.  The initrd mounted while booting is read in place (boot_img)
 * and its device opened by the first read after boot (mnt_dev).
 */
static int rofs_mount(struct vfs_mount *m, const void *data, size_t len, struct vnode **root)
{
	char name[BLK_NAME_MAX];
	const char *devname = "initrd";
	struct blkdev *dev = NULL;
	struct rofs_mnt *rm;
	const char *why = NULL;
	uint64_t size;
	int ret;

	if (data || len) {
		if (!data || len == 0 || len >= sizeof(name) || strnlen(data, len) != len)
			return -EINVAL;
		memcpy(name, data, len);
		name[len] = 0;
		devname = name;
	}
	rm = vfs_zalloc(sizeof(*rm));
	if (!rm)
		return -ENOMEM;
	if (!data && vfs_booting()) {
		ret = -ENODEV;
		if (!boot_info.initrd_size)
			goto out_free;
		size = boot_info.initrd_size;
		ret = rofs_image_open(&rm->boot_img, phys_to_virt(boot_info.initrd_base), size,
				      &why);
		/* the same image, read through the device once boot is over */
		rm->img = rm->boot_img;
		rm->img.base = NULL;
		rm->img.read = read_image;
		rm->img.ctx = rm;
	} else {
		ret = open_dev(devname, &dev);
		if (ret)
			goto out_free;
		atomic_store_explicit(&rm->dev, dev, memory_order_relaxed);
		size = dev->size;
		ret = rofs_image_open_read(&rm->img, read_image, rm, size, &why);
	}
	if (ret) {
		trace_rofs_mount_refused(size, why);
		pr_warn("rofs: image refused: %s\n", why);
		goto out_close;
	}
	m->priv = rm;
	ret = vnode_of(m, 0, &rm->root);
	if (ret)
		goto out_close;
	vfs_vnode_get(rm->root);
	*root = rm->root;
	return 0;

out_close:
	if (dev)
		blk_close(dev);
out_free:
	vfs_free(rm);
	return ret;
}

static void rofs_unmount(struct vfs_mount *m)
{
	struct rofs_mnt *rm = m->priv;

	struct blkdev *dev = atomic_load_explicit(&rm->dev, memory_order_acquire);

	vfs_vnode_put(rm->root);
	if (dev) {
		/* the device may go once closed: its pages must not outlive the mount */
		pagecache_drop(dev);
		blk_close(dev);
	}
	vfs_free(rm);
}

const struct vfs_fstype rofs_type = {
	.name = "rofs",
	.mount = rofs_mount,
	.unmount = rofs_unmount,
	.readonly = true,
	.cache_names = true,
};
