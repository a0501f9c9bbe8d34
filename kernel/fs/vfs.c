/*
 * The VFS core: vnodes, the mount table, and the boot-time tree.
 *
 * A vnode is counted: whoever holds a pointer holds a reference
 * (vfs_vnode_get/vfs_vnode_put), and the last put hands it back to its file system
 * (ops->release), which decides what that means: ramfs keeps a node while
 * a directory names it, rofs and devfs make vnodes on lookup.
 *
 * The mount table is a list under vfs_mount_lock.  A directory with a file
 * system on top is found in that list (vfs_mount_on); lookup crosses
 * into the mounted root there, and ".." at a mounted root crosses back to
 * the mount point (namei.c).  Mounting and unmounting take vfs_mount_lock
 * alone; lookups take it alone, briefly, and never while holding a vnode
 * lock: the order vfs_mount_lock -> vnode lock has no reverse path
 * (docs/locking.md).
 *
 * Boot's mounts: / (the initrd image if the loader passed one, as the
 * block device "initrd", else ramfs), then /dev, /proc and /tmp.  They are
 * made on the tree's first use (vfs_root(), the mount table), not during
 * boot: under TCG mounting costs ~0.6 ms of code translated for the first
 * time, which a program that never touches a file should not pay, and
 * which one that does pays at the same point of its start either way.
 * Nothing is read from the image beyond its header and the three names:
 * rofs reads lazily, and the page cache and name cache are made on first
 * use.
 *
 * Lock legend: [m] vfs_mount_lock, [b] boot_mount_lock, [a] atomic.
 *
 * Called by: the system-call layer (vfs_* in file.c and ops.c), the file
 * systems (vnode_*).
 */
#include <string.h>

#include <osprey/boot.h>
#include <osprey/format.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/time.h>
#include <osprey/trace.h>

#include "internal.h"

TRACEPOINT(vfs_mount, "fstype=%s dev=%lu", const char *, uint64_t);

struct spinlock vfs_mount_lock = SPINLOCK_INIT("mount_lock");
static struct vfs_mount *mounts;	       /* [m] in mount order */
static struct vfs_mount *root_mount;	       /* [m] */
static _Atomic uint64_t next_dev = 1;	       /* [a] */
static struct fdtable *_Atomic kernel_fdtable; /* [a] made on first use */
static _Atomic bool boot_mounted;	       /* [a] boot's mounts are made */
static struct spinlock boot_mount_lock = SPINLOCK_INIT("vfs-boot");
static _Atomic int boot_cpu = -1; /* [a] the CPU making boot's mounts, preemption off */

static const struct vfs_fstype *const fstypes[] = { &ramfs_type, &devfs_type, &procfs_type,
						    &rofs_type };

/*
 * Boot's objects (the mounts of /, /dev, /proc and /tmp, their roots and
 * directories) come from a static arena: making them takes no heap
 * allocation at all, because the heap's first use (slabs, magazines, pages)
 * costs milliseconds under TCG, and they live as long as the kernel.
 * vfs_free() passes over arena objects.  Only the CPU making the mounts
 * (boot_cpu, with preemption off) allocates from it; every other caller of
 * vfs_zalloc() meanwhile gets heap memory as usual.
 */
static _Alignas(16) uint8_t boot_arena[2048];
static size_t boot_used; /* [b] boot_mount_lock, then immutable */

bool vfs_booting(void)
{
	bool booting;

	preempt_disable();
	/* relaxed: only the CPU that stored its own id can read it back */
	booting = atomic_load_explicit(&boot_cpu, memory_order_relaxed) == (int)cpu_id();
	preempt_enable();
	return booting;
}

void *vfs_zalloc(size_t n)
{
	void *p;
	bool booting = vfs_booting();

	if (booting && boot_used + ALIGN_UP(n, 16) <= sizeof(boot_arena)) {
		p = boot_arena + boot_used;
		boot_used += ALIGN_UP(n, 16);
		return p;
	}
	p = kzalloc(n);
	/* What boot mounts lives as long as the kernel: not a leak. */
	if (p && booting)
		mm_debug_ignore(p);
	return p;
}

void vfs_free(void *p)
{
	if ((uint8_t *)p >= boot_arena && (uint8_t *)p < boot_arena + sizeof(boot_arena))
		return;
	kfree(p);
}

void vfs_vnode_init(struct vnode *vp, const struct vnode_ops *ops, struct vfs_mount *m,
		    uint32_t mode, uint64_t ino)
{
	atomic_init(&vp->ref, 1);
	spin_init(&vp->lock, "vnode");
	vp->ops = ops;
	vp->mount = m;
	vp->mode = mode;
	vp->ino = ino;
	vp->nlink = 1;
	vp->mtime_ns = vfs_now_ns();
}

struct vnode *vfs_vnode_alloc(const struct vnode_ops *ops, struct vfs_mount *m, uint32_t mode,
			      uint64_t ino)
{
	struct vnode *vp = vfs_zalloc(sizeof(*vp));

	if (vp)
		vfs_vnode_init(vp, ops, m, mode, ino);
	return vp;
}

void vfs_vnode_get(struct vnode *vp)
{
	/* relaxed: the caller already holds a reference, so nothing to order */
	atomic_fetch_add_explicit(&vp->ref, 1, memory_order_relaxed);
}

void vfs_vnode_put(struct vnode *vp)
{
	/* acq_rel: the release orders our uses before the free; the acquire in the last put pairs */
	if (atomic_fetch_sub_explicit(&vp->ref, 1, memory_order_acq_rel) == 1 && vp->ops->release)
		vp->ops->release(vp);
}

void vfs_vnode_lock(struct vnode *vp)
{
	vfs_spin_lock(&vp->lock);
}

void vfs_vnode_unlock(struct vnode *vp)
{
	vfs_spin_unlock(&vp->lock);
}

int64_t vfs_now_ns(void)
{
	return (int64_t)clock_ns();
}

static void boot_mounts(void);

/*
 * Makes boot's mounts if nobody has: called before the first look at the
 * tree or the mount table.  The first caller mounts with boot_mount_lock
 * held (so preemption off); others wait for it on the lock.
 */
static void mount_boot_tree(void)
{
	/* acquire: pairs with the release below, so the mounts are seen whole */
	if (atomic_load_explicit(&boot_mounted, memory_order_acquire))
		return;
	spin_lock(&boot_mount_lock);
	if (!atomic_load_explicit(&boot_mounted, memory_order_relaxed)) {
		atomic_store_explicit(&boot_cpu, (int)cpu_id(), memory_order_relaxed);
		boot_mounts();
		atomic_store_explicit(&boot_cpu, -1, memory_order_relaxed);
		/* release: pairs with the acquire above */
		atomic_store_explicit(&boot_mounted, true, memory_order_release);
	}
	spin_unlock(&boot_mount_lock);
}

struct vnode *vfs_root(void)
{
	struct vnode *vp;

	mount_boot_tree();
	vfs_spin_lock(&vfs_mount_lock);
	vp = root_mount ? root_mount->root : NULL;
	if (vp)
		vfs_vnode_get(vp);
	vfs_spin_unlock(&vfs_mount_lock);
	return vp;
}

void vfs_mount_use(struct vnode *vp, int delta)
{
	/* relaxed: umount reads it under no ordering but the vnode references' */
	atomic_fetch_add_explicit(&vp->mount->users, (uint32_t)delta, memory_order_relaxed);
}

void vfs_stat_fill(struct vnode *vp, struct vfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	vfs_vnode_lock(vp);
	st->dev = vp->mount ? vp->mount->dev : 0;
	st->ino = vp->ino;
	st->mode = vp->mode;
	st->nlink = vp->nlink;
	st->rdev = vp->rdev;
	st->size = (int64_t)vp->size;
	st->mtime_ns = st->atime_ns = st->ctime_ns = vp->mtime_ns;
	vfs_vnode_unlock(vp);
	st->blksize = 4096;
	st->blocks = (st->size + 511) / 512;
}

struct vfs_mount *vfs_mount_on(struct vnode *vp)
{
	ASSERT(spin_held(&vfs_mount_lock));
	for (struct vfs_mount *m = mounts; m; m = m->next)
		if (m->mountpoint && m->mountpoint->mount == vp->mount &&
		    m->mountpoint->ino == vp->ino)
			return m;
	return NULL;
}

static const struct vfs_fstype *fstype_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fstypes); i++)
		if (strcmp(fstypes[i]->name, name) == 0)
			return fstypes[i];
	return NULL;
}

/* Mounts type on directory mp (NULL: the root), taking over the caller's reference on mp. */
static int mount_on(struct vnode *mp, const char *path, const struct vfs_fstype *type,
		    const void *data, size_t len)
{
	struct vfs_mount *m, **pp;
	int ret;

	if (strlen(path) >= sizeof(m->path)) {
		ret = -ENAMETOOLONG;
		goto out_mp;
	}
	m = vfs_zalloc(sizeof(*m));
	if (!m) {
		ret = -ENOMEM;
		goto out_mp;
	}
	m->type = type;
	m->dev = atomic_fetch_add_explicit(&next_dev, 1, memory_order_relaxed);
	memcpy(m->path, path, strlen(path) + 1);
	ret = type->mount(m, data, len, &m->root);
	if (ret)
		goto out_free;
	m->root_refs = atomic_load(&m->root->ref);
	vfs_spin_lock(&vfs_mount_lock);
	if (mp ? vfs_mount_on(mp) != NULL : root_mount != NULL) {
		vfs_spin_unlock(&vfs_mount_lock);
		ret = -EBUSY;
		goto out_unmount;
	}
	m->mountpoint = mp;
	m->parent = mp ? mp->mount : NULL;
	if (!mp)
		root_mount = m;
	for (pp = &mounts; *pp; pp = &(*pp)->next)
		;
	*pp = m;
	/* a name that led to mp now leads to m's root (boot looks no name up: no cache yet) */
	if (!vfs_booting())
		vfs_ncache_flush();
	vfs_spin_unlock(&vfs_mount_lock);
	trace_vfs_mount(type->name, m->dev);
	return 0;

out_unmount:
	vfs_vnode_put(m->root);
	if (type->unmount)
		type->unmount(m);
out_free:
	vfs_free(m);
out_mp:
	if (mp)
		vfs_vnode_put(mp);
	return ret;
}

int vfs_mount(const char *path, const char *fstype, const void *data, size_t len)
{
	const struct vfs_fstype *type = fstype_find(fstype);
	struct vnode *root = vfs_root();
	struct lookup res;
	int ret;

	if (!type)
		ret = -ENODEV;
	else if (!root)
		ret = strcmp(path, "/") == 0 ? mount_on(NULL, path, type, data, len) : -ENOENT;
	else if ((ret = vfs_lookup(root, path, LOOKUP_FOLLOW, &res)) != 0)
		;
	else if (!S_ISDIR(res.vp->mode)) {
		vfs_vnode_put(res.vp);
		ret = -ENOTDIR;
	} else
		ret = mount_on(res.vp, path, type, data, len);
	if (root)
		vfs_vnode_put(root);
	return ret;
}

int vfs_umount(const char *path)
{
	struct vnode *root = vfs_root();
	struct vfs_mount *m, **pp;
	struct lookup res;
	int ret;

	if (!root)
		return -ENOENT;
	ret = vfs_lookup(root, path, LOOKUP_FOLLOW, &res);
	vfs_vnode_put(root);
	if (ret)
		return ret;
	m = res.vp->mount;
	vfs_spin_lock(&vfs_mount_lock);
	/*
	 * The name cache holds references on vnodes of m, its root among them:
	 * forget everything before counting.  A lookup that reads the cache's
	 * sequence numbers before this cannot insert afterwards, and one that
	 * starts afterwards needs vfs_mount_lock to reach m, so until the
	 * unlock below nothing new points into m.
	 */
	vfs_ncache_flush();
	/* Busy: not a mount's root, the root of all, a mount on top, or a vnode in use. */
	if (res.vp != m->root || !m->mountpoint || atomic_load(&m->users) ||
	    atomic_load(&res.vp->ref) > m->root_refs + 1) {
		vfs_spin_unlock(&vfs_mount_lock);
		vfs_vnode_put(res.vp);
		return res.vp != m->root ? -EINVAL : -EBUSY;
	}
	for (struct vfs_mount *o = mounts; o; o = o->next)
		if (o->parent == m) {
			vfs_spin_unlock(&vfs_mount_lock);
			vfs_vnode_put(res.vp);
			return -EBUSY;
		}
	for (pp = &mounts; *pp != m; pp = &(*pp)->next)
		;
	*pp = m->next;
	vfs_spin_unlock(&vfs_mount_lock);
	vfs_vnode_put(res.vp);
	vfs_vnode_put(m->root);
	if (m->type->unmount)
		m->type->unmount(m);
	vfs_vnode_put(m->mountpoint);
	vfs_free(m);
	return 0;
}

size_t vfs_mounts_format(char *buf, size_t size)
{
	size_t n = 0;

	mount_boot_tree();
	vfs_spin_lock(&vfs_mount_lock);
	for (struct vfs_mount *m = mounts; m; m = m->next) {
		char *at = n < size ? buf + n : NULL;
		const char *name = m->type->name;

		n += (size_t)format_snprintf(at, at ? size - n : 0, "%s %s %s %s 0 0\n",
					     strcmp(name, "rofs") == 0 ? "rootfs" : name, m->path,
					     name, m->type->readonly ? "ro" : "rw");
	}
	vfs_spin_unlock(&vfs_mount_lock);
	return n;
}

/* Made on first use, not at boot (boot does only what the next step needs). */
struct fdtable *vfs_kernel_fdtable(void)
{
	struct fdtable *ft = atomic_load_explicit(&kernel_fdtable, memory_order_acquire);

	if (!ft) {
		if (vfs_fdtable_create(&ft))
			panic("vfs: no memory for the kernel's descriptor table");
		mm_debug_ignore(ft); /* it lives as long as the kernel */
		/* release: pairs with the acquire above; the first caller's table wins */
		struct fdtable *expect = NULL;

		if (!atomic_compare_exchange_strong_explicit(&kernel_fdtable, &expect, ft,
							     memory_order_release,
							     memory_order_acquire)) {
			vfs_fdtable_destroy(ft);
			ft = expect;
		}
	}
	return ft;
}

/*
 * Boot's mounts: the directory is found (or made, in a writable root) with
 * the root's own operations, one name each, no path walk.
 */
static void mount_at(struct vnode *root, const char *name, const struct vfs_fstype *type)
{
	char path[8] = "/";
	struct vnode *mp;
	size_t len = strlen(name);
	int ret = root->ops->lookup(root, name, len, &mp);

	memcpy(path + 1, name, len + 1);
	if (ret == -ENOENT && root->ops->create)
		ret = root->ops->create(root, name, len, S_IFDIR | 0755, &mp);
	if (!ret && !S_ISDIR(mp->mode)) {
		vfs_vnode_put(mp);
		ret = -ENOTDIR;
	}
	if (!ret)
		ret = mount_on(mp, path, type, NULL, 0);
	if (ret)
		pr_warn("vfs: cannot mount %s on %s: error %d\n", type->name, path, ret);
}

/* Caller holds boot_mount_lock; mount_boot_tree() runs it once. */
static void boot_mounts(void)
{
	int ret = -ENOENT;

	if (boot_info.initrd_size) {
		/* rofs's default device: the initrd, read in place until boot ends */
		ret = mount_on(NULL, "/", &rofs_type, NULL, 0);
		if (ret)
			pr_warn("vfs: the initrd is not a usable image (error %d); / is ramfs\n",
				ret);
	}
	if (ret && (ret = mount_on(NULL, "/", &ramfs_type, NULL, 0)) != 0)
		panic("vfs: cannot mount the root file system: error %d", ret);
	mount_at(root_mount->root, "dev", &devfs_type);
	mount_at(root_mount->root, "proc", &procfs_type);
	mount_at(root_mount->root, "tmp", &ramfs_type);
}
