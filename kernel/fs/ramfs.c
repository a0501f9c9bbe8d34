/*
 * ramfs: a writable file system in kernel memory, for / when there is no
 * image, and for /tmp.
 *
 * A node is its vnode plus what the file system keeps: a directory's
 * entries (a list, newest first), a file's bytes (one block, grown by
 * doubling), a link's target.  A directory entry holds a reference on the
 * node it names; open files and lookups hold theirs; the node is freed when
 * the last goes.  A directory's parent pointer holds no reference: rmdir
 * clears it (so ".." of a removed directory is ENOENT) and rename moves it.
 *
 * Locks: each node's vnode lock guards its entries, bytes or target.  Only
 * rename and rmdir hold two, under the VFS's rename_lock.  Parent pointers
 * change under parent_lock as well (a leaf, taken inside vnode locks), so
 * ".." can read one and take a reference without holding the parent's lock:
 * a directory cannot be freed while a child names it as parent (it would
 * have to be empty first, and emptying it clears or moves the pointer).
 */
#include <string.h>

#include <osprey/mm.h>

#include "internal.h"

#define RAMFS_FILE_MAX (1ull << 30)

struct ramfs_dirent {
	struct ramfs_dirent *next;
	struct ramfs_node *node; /* holds a reference */
	size_t len;
	char name[];
};

struct ramfs_node {
	struct vnode v;
	struct ramfs_node *parent;    /* [p] directories only; no reference */
	struct ramfs_dirent *entries; /* [v] directories */
	char *data;		      /* [v] files: capacity cap; links: the target */
	size_t cap;		      /* [v] */
};

static const struct vnode_ops ramfs_ops;
static struct spinlock parent_lock = SPINLOCK_INIT("ramfs-parent");

static void set_parent(struct ramfs_node *n, struct ramfs_node *parent)
{
	vfs_spin_lock(&parent_lock);
	n->parent = parent;
	vfs_spin_unlock(&parent_lock);
}
static _Atomic uint64_t ramfs_next_ino = 2;

static struct ramfs_node *RN(struct vnode *vp)
{
	return container_of(vp, struct ramfs_node, v);
}

static struct ramfs_node *node_new(struct vfs_mount *m, uint32_t mode)
{
	struct ramfs_node *n = vfs_zalloc(sizeof(*n));

	if (!n)
		return NULL;
	vfs_vnode_init(&n->v, &ramfs_ops, m, mode,
		       atomic_fetch_add_explicit(&ramfs_next_ino, 1, memory_order_relaxed));
	n->v.priv = n;
	if (S_ISDIR(mode))
		n->v.nlink = 2;
	return n;
}

static void ramfs_release(struct vnode *vp)
{
	struct ramfs_node *n = RN(vp);

	while (n->entries) {
		struct ramfs_dirent *d = n->entries;

		n->entries = d->next;
		if (S_ISDIR(d->node->v.mode))
			set_parent(d->node, NULL);
		vfs_vnode_put(&d->node->v);
		vfs_free(d);
	}
	vfs_free(n->data);
	vfs_free(n);
}

/* Caller holds dir's lock. */
static struct ramfs_dirent **find(struct ramfs_node *dir, const char *name, size_t len)
{
	struct ramfs_dirent **pp;

	for (pp = &dir->entries; *pp; pp = &(*pp)->next)
		if ((*pp)->len == len && memcmp((*pp)->name, name, len) == 0)
			return pp;
	return NULL;
}

static int ramfs_lookup(struct vnode *dirv, const char *name, size_t len, struct vnode **out)
{
	struct ramfs_node *dir = RN(dirv);
	struct ramfs_dirent **pp;
	int ret = -ENOENT;

	vfs_vnode_lock(dirv);
	pp = find(dir, name, len);
	if (pp) {
		*out = &(*pp)->node->v;
		vfs_vnode_get(*out);
		ret = 0;
	}
	vfs_vnode_unlock(dirv);
	return ret;
}

static int ramfs_parent(struct vnode *dirv, struct vnode **out)
{
	struct ramfs_node *dir = RN(dirv);
	int ret = -ENOENT;

	vfs_spin_lock(&parent_lock);
	if (dir->parent) {
		*out = &dir->parent->v;
		vfs_vnode_get(*out);
		ret = 0;
	}
	vfs_spin_unlock(&parent_lock);
	return ret;
}

/* Links n into dir under name; the entry takes the caller's reference on n. */
static int link_new(struct ramfs_node *dir, const char *name, size_t len, struct ramfs_node *n)
{
	struct ramfs_dirent *d = vfs_zalloc(sizeof(*d) + len + 1);

	if (!d)
		return -ENOMEM;
	d->len = len;
	memcpy(d->name, name, len);
	d->name[len] = 0;
	d->node = n;
	vfs_vnode_lock(&dir->v);
	if (find(dir, name, len)) {
		vfs_vnode_unlock(&dir->v);
		vfs_free(d);
		return -EEXIST;
	}
	if (!dir->parent && dir != RN(dir->v.mount->root)) {
		vfs_vnode_unlock(&dir->v);
		vfs_free(d);
		return -ENOENT; /* the directory was removed */
	}
	d->next = dir->entries;
	dir->entries = d;
	if (S_ISDIR(n->v.mode)) {
		set_parent(n, dir);
		dir->v.nlink++;
	}
	dir->v.mtime_ns = vfs_now_ns();
	vfs_vnode_unlock(&dir->v);
	return 0;
}

static int ramfs_create(struct vnode *dirv, const char *name, size_t len, uint32_t mode,
			struct vnode **out)
{
	struct ramfs_node *n = node_new(dirv->mount, mode);
	int ret;

	if (!n)
		return -ENOMEM;
	ret = link_new(RN(dirv), name, len, n);
	if (ret) {
		vfs_vnode_put(&n->v);
		return ret;
	}
	vfs_vnode_get(&n->v);
	*out = &n->v;
	return 0;
}

static int ramfs_symlink(struct vnode *dirv, const char *name, size_t len, const char *target)
{
	struct ramfs_node *n = node_new(dirv->mount, S_IFLNK | 0777);
	size_t tlen = strlen(target);
	int ret;

	if (!n)
		return -ENOMEM;
	n->data = kmalloc(tlen + 1);
	if (!n->data) {
		vfs_vnode_put(&n->v);
		return -ENOMEM;
	}
	memcpy(n->data, target, tlen + 1);
	n->v.size = tlen;
	ret = link_new(RN(dirv), name, len, n);
	if (ret)
		vfs_vnode_put(&n->v);
	return ret;
}

static int ramfs_link(struct vnode *dirv, const char *name, size_t len, struct vnode *vp)
{
	int ret;

	vfs_vnode_lock(vp);
	if (!vp->nlink) {
		vfs_vnode_unlock(vp);
		return -ENOENT; /* unlinked already: no new name for it */
	}
	vp->nlink++;
	vfs_vnode_unlock(vp);
	vfs_vnode_get(vp); /* the new entry's reference */
	ret = link_new(RN(dirv), name, len, RN(vp));
	if (ret) {
		vfs_vnode_lock(vp);
		vp->nlink--;
		vfs_vnode_unlock(vp);
		vfs_vnode_put(vp);
	}
	return ret;
}

static int ramfs_remove(struct vnode *dirv, const char *name, size_t len, bool is_dir)
{
	struct ramfs_node *dir = RN(dirv), *n;
	struct ramfs_dirent **pp, *d;
	int ret = 0;

	vfs_vnode_lock(dirv);
	pp = find(dir, name, len);
	if (!pp) {
		ret = -ENOENT;
		goto out_unlock;
	}
	d = *pp;
	n = d->node;
	if (is_dir && !S_ISDIR(n->v.mode)) {
		ret = -ENOTDIR;
		goto out_unlock;
	}
	if (!is_dir && S_ISDIR(n->v.mode)) {
		ret = -EISDIR;
		goto out_unlock;
	}
	if (is_dir) {
		/* n's lock nests inside dir's: a child after its parent, as rename does */
		vfs_vnode_lock(&n->v);
		if (n->entries)
			ret = -ENOTEMPTY;
		else
			set_parent(n, NULL);
		vfs_vnode_unlock(&n->v);
		if (ret)
			goto out_unlock;
		dir->v.nlink--;
	}
	*pp = d->next;
	dir->v.mtime_ns = vfs_now_ns();
	vfs_vnode_unlock(dirv);
	vfs_vnode_lock(&n->v);
	n->v.nlink = is_dir ? 0 : n->v.nlink - 1;
	vfs_vnode_unlock(&n->v);
	vfs_vnode_put(&n->v);
	vfs_free(d);
	return 0;

out_unlock:
	vfs_vnode_unlock(dirv);
	return ret;
}

/* Is a an ancestor of (or) b?  Caller holds rename_lock, so no parent moves. */
static bool is_ancestor(struct ramfs_node *a, struct ramfs_node *b)
{
	for (; b; b = b->parent)
		if (a == b)
			return true;
	return false;
}

static int ramfs_rename(struct vnode *odirv, const char *oname, size_t olen, struct vnode *ndirv,
			const char *nname, size_t nlen)
{
	struct ramfs_node *odir = RN(odirv), *ndir = RN(ndirv), *n, *victim = NULL;
	struct ramfs_dirent **op, **np, *d, *vd = NULL, *nd;
	int ret = 0;

	nd = kmalloc(sizeof(*nd) + nlen + 1);
	if (!nd)
		return -ENOMEM;
	if (odir == ndir) {
		vfs_vnode_lock(odirv);
	} else if (odir < ndir) {
		vfs_vnode_lock(odirv);
		vfs_vnode_lock(ndirv);
	} else {
		vfs_vnode_lock(ndirv);
		vfs_vnode_lock(odirv);
	}
	op = find(odir, oname, olen);
	if (!op) {
		ret = -ENOENT;
		goto out_unlock;
	}
	d = *op;
	n = d->node;
	if (S_ISDIR(n->v.mode) && is_ancestor(n, ndir)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (!ndir->parent && ndir != RN(ndirv->mount->root)) {
		ret = -ENOENT;
		goto out_unlock;
	}
	np = find(ndir, nname, nlen);
	if (np) {
		vd = *np;
		victim = vd->node;
		if (victim == n)
			goto out_unlock; /* two names of one node: nothing to do */
		if (S_ISDIR(n->v.mode) && !S_ISDIR(victim->v.mode)) {
			ret = -ENOTDIR;
			goto out_unlock;
		}
		if (!S_ISDIR(n->v.mode) && S_ISDIR(victim->v.mode)) {
			ret = -EISDIR;
			goto out_unlock;
		}
		if (S_ISDIR(victim->v.mode) && victim->entries) {
			ret = -ENOTEMPTY;
			goto out_unlock;
		}
		*np = vd->next;
		if (S_ISDIR(victim->v.mode)) {
			set_parent(victim, NULL);
			ndir->v.nlink--;
		}
		/* find() again: removing the victim may have moved the old entry's link */
		op = find(odir, oname, olen);
	}
	*op = d->next;
	vfs_free(d);
	nd->len = nlen;
	memcpy(nd->name, nname, nlen);
	nd->name[nlen] = 0;
	nd->node = n;
	nd->next = ndir->entries;
	ndir->entries = nd;
	nd = NULL;
	if (S_ISDIR(n->v.mode) && odir != ndir) {
		set_parent(n, ndir);
		odir->v.nlink--;
		ndir->v.nlink++;
	}
	odir->v.mtime_ns = ndir->v.mtime_ns = vfs_now_ns();

out_unlock:
	if (odir != ndir)
		vfs_vnode_unlock(ndirv);
	vfs_vnode_unlock(odirv);
	vfs_free(nd);
	if (vd) {
		if (!ret && victim != n) {
			vfs_vnode_put(&victim->v);
			vfs_free(vd);
		}
	}
	return ret;
}

static int ramfs_readlink(struct vnode *vp, char *buf, size_t size, size_t *len)
{
	struct ramfs_node *n = RN(vp);

	vfs_vnode_lock(vp);
	*len = vp->size;
	memcpy(buf, n->data, MIN(size, vp->size));
	vfs_vnode_unlock(vp);
	return 0;
}

static int ramfs_read(struct vnode *vp, void *buf, size_t len, uint64_t off, size_t *done)
{
	struct ramfs_node *n = RN(vp);

	vfs_vnode_lock(vp);
	*done = off < vp->size ? MIN(len, vp->size - off) : 0;
	if (*done)
		memcpy(buf, n->data + off, *done);
	vfs_vnode_unlock(vp);
	return 0;
}

/* Caller holds vp's lock.  Makes room for size bytes, zero-filled past the old size. */
static int reserve(struct ramfs_node *n, uint64_t size)
{
	if (size > RAMFS_FILE_MAX)
		return -EFBIG;
	if (size > n->cap) {
		size_t cap = MAX((size_t)size, n->cap * 2);
		char *p;

		cap = MAX(cap, (size_t)64);
		p = krealloc(n->data, cap);
		if (!p)
			return -ENOSPC;
		n->data = p;
		n->cap = cap;
	}
	if (size > n->v.size)
		memset(n->data + n->v.size, 0, size - n->v.size);
	return 0;
}

static int ramfs_write(struct vnode *vp, const void *buf, size_t len, uint64_t off, size_t *done)
{
	struct ramfs_node *n = RN(vp);
	uint64_t end;
	int ret;

	vfs_vnode_lock(vp);
	if (off == VFS_OFF_APPEND)
		off = vp->size;
	if (__builtin_add_overflow(off, len, &end)) {
		ret = -EFBIG;
		goto out_unlock;
	}
	ret = reserve(n, end);
	if (ret)
		goto out_unlock;
	memcpy(n->data + off, buf, len);
	if (end > vp->size)
		vp->size = end;
	vp->mtime_ns = vfs_now_ns();
	*done = len;
out_unlock:
	vfs_vnode_unlock(vp);
	return ret;
}

static int ramfs_truncate(struct vnode *vp, uint64_t size)
{
	struct ramfs_node *n = RN(vp);
	int ret;

	vfs_vnode_lock(vp);
	ret = reserve(n, size);
	if (!ret) {
		vp->size = size;
		vp->mtime_ns = vfs_now_ns();
	}
	vfs_vnode_unlock(vp);
	return ret;
}

static int ramfs_readdir(struct vnode *dirv, uint64_t index, char *name, size_t size, uint64_t *ino,
			 uint8_t *type)
{
	struct ramfs_node *dir = RN(dirv);
	struct ramfs_dirent *d;
	int ret = -ENOENT;

	vfs_vnode_lock(dirv);
	for (d = dir->entries; d && index; d = d->next)
		index--;
	if (d && d->len < size) {
		uint32_t fmt = d->node->v.mode & S_IFMT;

		memcpy(name, d->name, d->len + 1);
		*ino = d->node->v.ino;
		*type = fmt == S_IFDIR ? DT_DIR : fmt == S_IFLNK ? DT_LNK : DT_REG;
		ret = 0;
	}
	vfs_vnode_unlock(dirv);
	return ret;
}

static int ramfs_fsync(struct vnode *vp)
{
	(void)vp;
	return 0;
}

static const struct vnode_ops ramfs_ops = {
	.lookup = ramfs_lookup,
	.parent = ramfs_parent,
	.create = ramfs_create,
	.symlink = ramfs_symlink,
	.link = ramfs_link,
	.remove = ramfs_remove,
	.rename = ramfs_rename,
	.readlink = ramfs_readlink,
	.read = ramfs_read,
	.write = ramfs_write,
	.truncate = ramfs_truncate,
	.readdir = ramfs_readdir,
	.fsync = ramfs_fsync,
	.release = ramfs_release,
};

static int ramfs_mount(struct vfs_mount *m, const void *data, size_t len, struct vnode **root)
{
	struct ramfs_node *n = node_new(m, S_IFDIR | 0755);

	(void)data;
	(void)len;
	if (!n)
		return -ENOMEM;
	*root = &n->v;
	return 0;
}

const struct vfs_fstype ramfs_type = {
	.name = "ramfs",
	.mount = ramfs_mount,
	.cache_names = true,
};
