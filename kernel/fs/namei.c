/*
 * Path lookup: the portable walker (walk.c) bound to vnodes, mounts and the
 * name cache.
 *
 * Crossing mounts: after a name is found, a directory with a file system
 * on top is replaced by that file system's root; ".." at a mounted root
 * first goes down to the mount point.  Both read the mount table (a mount
 * point is matched by file system and inode number, since rofs makes a new
 * vnode on each lookup) under vfs_mount_lock, taken alone (no vnode lock is
 * held here while it is), so lookups cannot deadlock against mount and
 * umount.
 *
 * The name cache (ncache.c has the table and its rules): each component
 * other than "." and ".." is first looked up in the cache, by (directory's
 * dev, directory's ino, name); a hit returns the vnode the file system and
 * the mount table gave last time (a mounted root, when something is
 * mounted there) without asking either, or ENOENT for a negative entry.
 * A miss asks the file system and caches the answer, found or ENOENT.  Only
 * file systems whose names change through the VFS alone are cached
 * (vfs_fstype.cache_names: not procfs).  Every change of a name is followed
 * by vfs_ncache_invalidate (ops.c, file.c); mount and umount flush the
 * whole cache under vfs_mount_lock, since a mount changes what a name
 * leads to without changing any directory.
 *
 * The table is made on first use (boot never looks a path up), sized to
 * RAM (1/1024 of it, rounded down to a power of two of pages), never
 * freed.  It keeps a reference on each cached vnode; it has no shrinker
 * (evicting drops a vnode, which may free heap objects: not allowed inside
 * an allocation), but its size is fixed, and mm_drop_caches() empties it.
 *
 * Locks: a bucket's lock ("ncache") is taken alone, or under
 * vfs_mount_lock by mount and umount; nothing is taken while it is held
 * but a vnode's reference count (an atomic).  The vnodes an eviction or
 * flush lets go are put after the bucket is unlocked.
 */
#include <string.h>

#include <osprey/mm.h>
#include <osprey/trace.h>

#include "internal.h"
#include "ncache.h"
#include "walk.h"

TRACEPOINT(vfs_lookup, "flags=%d ret=%d", int, int);

#define NC_MAX_ORDER 7 /* 512 KiB of table: 7376 names */

struct nc_state {
	struct ncache nc;
	unsigned order;				 /* [i] of the allocation */
	_Atomic uint64_t invalidations, flushes; /* [a] */
	struct nc_bucket b[];
};

static struct nc_state *_Atomic nc_table; /* [a] made on first use */

static void node_get(void *node)
{
	vfs_vnode_get(node);
}

static void node_put(void *node)
{
	vfs_vnode_put(node);
}

static const struct nc_ops vnode_nc_ops = { .get = node_get, .put = node_put };

static void nc_drop(void);
static struct shrinker nc_shrinker = { "ncache", NULL, nc_drop, NULL };

static unsigned nc_order(void)
{
	uint64_t bytes = bootmem_ram_total() >> 10;
	unsigned order = 0;

	while (order < NC_MAX_ORDER && ((uint64_t)PAGE_SIZE << (order + 1)) <= bytes)
		order++;
	return order;
}

/* The table, made when make is set and there is none yet; NULL without memory. */
static struct nc_state *nc_get(bool make)
{
	/* acquire: pairs with the release that publishes the table */
	struct nc_state *st = atomic_load_explicit(&nc_table, memory_order_acquire), *expect = NULL;
	unsigned order;

	if (likely(st) || !make)
		return st;
	for (order = nc_order();; order--) {
		st = page_alloc(order, MM_ZERO);
		if (st || order == 0)
			break;
	}
	if (!st)
		return NULL;
	st->order = order;
	ncache_init(&st->nc, st->b,
		    (uint32_t)((((uint64_t)PAGE_SIZE << order) - sizeof(*st)) /
			       sizeof(struct nc_bucket)),
		    &vnode_nc_ops, "ncache");
	/* release: the buckets are initialised before anyone sees the table */
	if (!atomic_compare_exchange_strong_explicit(&nc_table, &expect, st, memory_order_release,
						     memory_order_acquire)) {
		page_free(st, order);
		return expect;
	}
	mm_register_shrinker(&nc_shrinker);
	return st;
}

static bool cacheable(struct vnode *dir, size_t len)
{
	return dir->mount->type->cache_names && len <= NC_NAME_MAX;
}

static void nc_insert(struct nc_state *st, struct vnode *dir, const char *name, size_t len,
		      struct vnode *vp, uint32_t seq)
{
	preempt_disable();
	ncache_insert(&st->nc, dir->mount->dev, dir->ino, name, len, vp, seq);
	preempt_enable();
}

void vfs_ncache_invalidate(struct vnode *dir, const char *name, size_t len)
{
	struct nc_state *st = nc_get(false);

	if (!st || !cacheable(dir, len))
		return;
	preempt_disable();
	ncache_invalidate(&st->nc, dir->mount->dev, dir->ino, name, len);
	preempt_enable();
	/* relaxed: a statistic */
	atomic_fetch_add_explicit(&st->invalidations, 1, memory_order_relaxed);
}

static void flush(struct nc_state *st)
{
	preempt_disable();
	ncache_flush(&st->nc);
	preempt_enable();
	atomic_fetch_add_explicit(&st->flushes, 1, memory_order_relaxed);
}

void vfs_ncache_flush(void)
{
	struct nc_state *st = nc_get(false);

	ASSERT(spin_held(&vfs_mount_lock));
	if (st)
		flush(st);
}

/* mm_drop_caches(): no lock held. */
static void nc_drop(void)
{
	struct nc_state *st = nc_get(false);

	if (st)
		flush(st);
}

void vfs_ncache_stats(struct vfs_ncache_stats *out)
{
	struct nc_state *st = nc_get(false);
	struct ncache_counts c;

	memset(out, 0, sizeof(*out));
	if (!st)
		return;
	preempt_disable();
	ncache_counts(&st->nc, &c);
	preempt_enable();
	out->capacity = (uint64_t)st->nc.nbuckets * NC_WAYS;
	out->entries = c.entries;
	out->negative = c.negative;
	out->hits = c.hits;
	out->negative_hits = c.negative_hits;
	out->misses = c.misses;
	out->evictions = c.evictions;
	out->invalidations = atomic_load_explicit(&st->invalidations, memory_order_relaxed);
	out->flushes = atomic_load_explicit(&st->flushes, memory_order_relaxed);
}

static int ops_lookup(void *ctx, void *dirp, const char *name, size_t len, void **out)
{
	struct vnode *dir = dirp, *vp;
	struct nc_state *st = NULL;
	uint32_t seq = 0;
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
		if (cacheable(dir, len) && (st = nc_get(true)) != NULL) {
			void *node;
			bool known;

			preempt_disable();
			known = ncache_lookup(&st->nc, dir->mount->dev, dir->ino, name, len, &node,
					      &seq);
			preempt_enable();
			if (known) {
				if (!node)
					return -ENOENT;
				*out = node;
				return 0;
			}
		}
		ret = dir->ops->lookup(dir, name, len, &vp);
		if (ret) {
			if (ret == -ENOENT && st)
				nc_insert(st, dir, name, len, NULL, seq);
			return ret;
		}
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
	if (st)
		nc_insert(st, dir, name, len, vp, seq);
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
