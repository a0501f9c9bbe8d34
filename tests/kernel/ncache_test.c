/*
 * The name cache inside the guest, through the VFS on ramfs (/tmp) and an
 * rofs image: a repeated lookup is a hit, a missing name a negative hit,
 * and every namespace operation (create, mkdir, symlink, link, unlink,
 * rmdir, rename, mount, umount) is seen by the next lookup; names too long
 * for the cache and procfs's are not cached; several threads look up while
 * names come and go, and the cache never answers with a stale name.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/format.h>
#include <osprey/lockdep.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/sched.h>
#include <osprey/test.h>
#include <osprey/vfs.h>

#include "../../kernel/fs/rofs_image.h"

#define AT VFS_AT_FDCWD

static struct fdtable *table(struct test_ctx *t)
{
	struct fdtable *ft = NULL;

	EXPECT_EQ(t, vfs_fdtable_create(&ft), 0);
	return ft;
}

static int touch(struct fdtable *ft, const char *path)
{
	int fd, ret = vfs_open(ft, AT, path, O_WRONLY | O_CREAT, 0644, &fd);

	if (!ret)
		vfs_close(ft, fd);
	return ret;
}

static uint64_t ino_of(struct fdtable *ft, const char *path)
{
	struct vfs_stat st;

	return vfs_stat(ft, AT, path, false, &st) ? 0 : st.ino;
}

static int exists(struct fdtable *ft, const char *path)
{
	struct vfs_stat st;

	return vfs_stat(ft, AT, path, false, &st);
}

TEST(ncache, repeated_lookup_is_a_hit)
{
	struct fdtable *ft = table(t);
	struct vfs_ncache_stats a, b;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc1", 0755), 0);
	EXPECT_EQ(t, touch(ft, "/tmp/nc1/f"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc1/f"), 0);
	vfs_ncache_stats(&a);
	EXPECT_GT(t, a.capacity, 0);
	kprintf("ncache: room for %lu names\n", (unsigned long)a.capacity);
	EXPECT_EQ(t, exists(ft, "/tmp/nc1/f"), 0);
	vfs_ncache_stats(&b);
	/* "tmp" (a mount point: the cache gives the mounted root), "nc1", "f" */
	EXPECT_EQ(t, b.hits, a.hits + 3);
	EXPECT_EQ(t, b.misses, a.misses);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc1/f"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc1"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(ncache, negative_entries)
{
	struct fdtable *ft = table(t);
	struct vfs_ncache_stats a, b;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc2", 0755), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc2/none"), -ENOENT);
	vfs_ncache_stats(&a);
	EXPECT_GE(t, a.negative, 1);
	EXPECT_EQ(t, exists(ft, "/tmp/nc2/none"), -ENOENT);
	EXPECT_EQ(t, exists(ft, "/tmp/nc2/none/deeper"), -ENOENT);
	vfs_ncache_stats(&b);
	EXPECT_EQ(t, b.negative_hits, a.negative_hits + 2);
	EXPECT_EQ(t, b.misses, a.misses);
	/* creating the name replaces the negative entry */
	EXPECT_EQ(t, touch(ft, "/tmp/nc2/none"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc2/none"), 0);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc2/none"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc2"), 0);
	vfs_fdtable_destroy(ft);
}

/* Each operation, with the names it touches cached (found or not) just before. */
TEST(ncache, every_namespace_operation_invalidates)
{
	struct fdtable *ft = table(t);
	char buf[64];
	size_t len;
	uint64_t ino;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc3", 0755), 0);
	/* create (open O_CREAT) after a negative lookup */
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/a"), -ENOENT);
	EXPECT_EQ(t, touch(ft, "/tmp/nc3/a"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/a"), 0);
	/* unlink: then ENOENT */
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc3/a"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/a"), -ENOENT);
	/* mkdir after a negative lookup; rmdir after a positive one */
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/d"), -ENOENT);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc3/d", 0755), 0);
	ino = ino_of(ft, "/tmp/nc3/d");
	EXPECT_NE(t, ino, 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/d/x"), -ENOENT); /* a negative entry under d */
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc3/d"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/d"), -ENOENT);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc3/d", 0755), 0);
	EXPECT_NE(t, ino_of(ft, "/tmp/nc3/d"), ino); /* a new directory, not the cached one */
	EXPECT_EQ(t, touch(ft, "/tmp/nc3/d/x"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/d/x"), 0);
	/* symlink and link after negative lookups */
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/s"), -ENOENT);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/h"), -ENOENT);
	EXPECT_EQ(t, vfs_symlink(ft, "d/x", AT, "/tmp/nc3/s"), 0);
	EXPECT_EQ(t, vfs_link(ft, AT, "/tmp/nc3/d/x", AT, "/tmp/nc3/h"), 0);
	EXPECT_EQ(t, vfs_readlink(ft, AT, "/tmp/nc3/s", buf, sizeof(buf), &len), 0);
	EXPECT_EQ(t, ino_of(ft, "/tmp/nc3/h"), ino_of(ft, "/tmp/nc3/d/x"));
	/* rename: the old name goes, the new one comes, both cached before */
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/r"), -ENOENT);
	ino = ino_of(ft, "/tmp/nc3/h");
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/nc3/h", AT, "/tmp/nc3/r"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/h"), -ENOENT);
	EXPECT_EQ(t, ino_of(ft, "/tmp/nc3/r"), ino);
	/* rename over a cached name: the name leads to the moved file */
	EXPECT_EQ(t, touch(ft, "/tmp/nc3/o"), 0);
	uint64_t other = ino_of(ft, "/tmp/nc3/o");

	EXPECT_NE(t, other, ino);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/nc3/o", AT, "/tmp/nc3/r"), 0);
	EXPECT_EQ(t, ino_of(ft, "/tmp/nc3/r"), other);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/o"), -ENOENT);
	/* a directory renamed: what is under it moves along */
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/nc3/d", AT, "/tmp/nc3/e"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/d/x"), -ENOENT);
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/e/x"), 0);
	struct vfs_stat st;

	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/nc3/s", true, &st), -ENOENT); /* dangles: d/x */
	EXPECT_EQ(t, exists(ft, "/tmp/nc3/s/."), -ENOENT);
	/* clean up */
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc3/s"), 0);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc3/r"), 0);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc3/e/x"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc3/e"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc3"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(ncache, mount_over_a_cached_path)
{
	struct fdtable *ft = table(t);
	struct vfs_ncache_stats a;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc4", 0755), 0);
	EXPECT_EQ(t, touch(ft, "/tmp/nc4/under"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc4/under"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc4/over"), -ENOENT);
	EXPECT_EQ(t, vfs_mount("/tmp/nc4", "ramfs", NULL, 0), 0);
	vfs_ncache_stats(&a);
	EXPECT_EQ(t, a.entries, 0); /* mounting forgot everything */
	EXPECT_EQ(t, exists(ft, "/tmp/nc4/under"), -ENOENT);
	EXPECT_EQ(t, touch(ft, "/tmp/nc4/over"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc4/over"), 0);
	/* umount with the mounted root cached: not busy, and the old names are back */
	EXPECT_EQ(t, exists(ft, "/tmp/nc4"), 0);
	EXPECT_EQ(t, vfs_umount("/tmp/nc4"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc4/under"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc4/over"), -ENOENT);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc4/under"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc4"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(ncache, what_is_not_cached)
{
	struct fdtable *ft = table(t);
	struct vfs_ncache_stats a, b;
	char path[128] = "/tmp/nc5/";

	/* a name longer than an entry holds: works, never cached */
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc5", 0755), 0);
	memset(path + 9, 'n', 100);
	path[109] = 0;
	EXPECT_EQ(t, touch(ft, path), 0);
	EXPECT_EQ(t, exists(ft, path), 0);
	vfs_ncache_stats(&a);
	EXPECT_EQ(t, exists(ft, path), 0);
	vfs_ncache_stats(&b);
	EXPECT_EQ(t, b.hits, a.hits + 2); /* "tmp" and "nc5" */
	EXPECT_EQ(t, b.entries, a.entries);
	EXPECT_EQ(t, vfs_unlink(ft, AT, path), 0);
	EXPECT_EQ(t, exists(ft, path), -ENOENT);
	/* procfs: only the way to it is cached */
	EXPECT_EQ(t, exists(ft, "/proc/meminfo"), 0);
	vfs_ncache_stats(&a);
	EXPECT_EQ(t, exists(ft, "/proc/meminfo"), 0);
	EXPECT_EQ(t, exists(ft, "/proc/nothing"), -ENOENT);
	vfs_ncache_stats(&b);
	EXPECT_EQ(t, b.hits, a.hits + 2);
	EXPECT_EQ(t, b.misses, a.misses);
	EXPECT_EQ(t, b.negative_hits, a.negative_hits);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc5"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(ncache, full_buckets_evict)
{
	struct fdtable *ft = table(t);
	struct vfs_ncache_stats a, b;
	char path[48];
	bool ok = true;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc6", 0755), 0);
	EXPECT_EQ(t, touch(ft, "/tmp/nc6/real"), 0);
	vfs_ncache_stats(&a);
	/* more missing names than the cache holds: entries are recycled */
	for (uint64_t i = 0; i < a.capacity + 64; i++) {
		format_snprintf(path, sizeof(path), "/tmp/nc6/m%lu", (unsigned long)i);
		ok &= exists(ft, path) == -ENOENT;
	}
	EXPECT_TRUE(t, ok);
	vfs_ncache_stats(&b);
	EXPECT_GE(t, b.evictions, a.evictions + 64);
	EXPECT_LE(t, b.entries, b.capacity);
	EXPECT_EQ(t, exists(ft, "/tmp/nc6/real"), 0);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc6/real"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc6"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(ncache, rofs_names_are_cached)
{
	static struct rofs_wnode f = {
		.name = "file", .mode = ROFS_S_IFREG | 0644, .data = "x", .size = 1
	};
	static struct rofs_wnode *dkids[] = { &f };
	static struct rofs_wnode d = {
		.name = "dir", .mode = ROFS_S_IFDIR | 0755, .kids = dkids, .nkids = 1
	};
	static struct rofs_wnode *rkids[] = { &d };
	static struct rofs_wnode root = { .mode = ROFS_S_IFDIR | 0755, .kids = rkids, .nkids = 1 };
	struct fdtable *ft = table(t);
	struct vfs_ncache_stats a, b;
	struct pagecache_stats pa, pb;
	const char *why;
	struct blkdev *dev;
	uint64_t size;
	uint8_t *img;

	EXPECT_EQ(t, rofs_image_write(&root, NULL, 0, &size, &why), 0);
	img = kmalloc(size);
	EXPECT_EQ(t, rofs_image_write(&root, img, size, &size, &why), 0);
	EXPECT_EQ(t, blk_ram_create("nc-img", img, size, true, &dev), 0);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc7", 0755), 0);
	EXPECT_EQ(t, vfs_mount("/tmp/nc7", "rofs", "nc-img", 6), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc7/dir/file"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc7/dir/none"), -ENOENT);
	vfs_ncache_stats(&a);
	pagecache_stats(&pa);
	EXPECT_EQ(t, exists(ft, "/tmp/nc7/dir/file"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc7/dir/none"), -ENOENT);
	vfs_ncache_stats(&b);
	pagecache_stats(&pb);
	EXPECT_EQ(t, b.hits, a.hits + 7); /* tmp, nc7, dir, file; tmp, nc7, dir */
	EXPECT_EQ(t, b.negative_hits, a.negative_hits + 1);
	EXPECT_EQ(t, b.misses, a.misses);
	EXPECT_EQ(t, pb.hits + pb.misses, pa.hits + pa.misses); /* the image was not read */
	/* umount forgets the image's names and lets its vnodes go */
	EXPECT_EQ(t, vfs_umount("/tmp/nc7"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc7/dir"), -ENOENT);
	EXPECT_EQ(t, blk_ram_destroy(dev), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc7"), 0);
	kfree(img);
	vfs_fdtable_destroy(ft);
}

/*
 * Lookups on several threads while one makes and removes a name: each
 * lookup answers one of the two truths, and once the maker stops, every
 * thread sees the last one (a stale entry would show here).
 */
struct race {
	struct fdtable *ft;
	_Atomic int phase; /* 0 run, 1 check, 2 stop */
	_Atomic int round;
	_Atomic int checked;
	_Atomic bool ok;
	bool want; /* [phase 1] does /tmp/nc8/t exist */
};

static void looker(void *arg)
{
	struct race *r = arg;
	int seen = 0;

	while (atomic_load(&r->phase) != 2) {
		int ret = exists(r->ft, "/tmp/nc8/t"), round = atomic_load(&r->round);

		if (ret != 0 && ret != -ENOENT)
			atomic_store(&r->ok, false);
		if (exists(r->ft, "/tmp/nc8/fixed") != 0)
			atomic_store(&r->ok, false);
		if (atomic_load(&r->phase) == 1 && round != seen) {
			/* the maker is still: the truth is fixed */
			if ((exists(r->ft, "/tmp/nc8/t") == 0) != r->want)
				atomic_store(&r->ok, false);
			seen = round;
			atomic_fetch_add(&r->checked, 1);
		}
		thread_yield();
	}
}

TEST(ncache, concurrent_lookups_see_no_stale_name)
{
	struct race r = { .phase = 0 };
	struct thread *th[3];

	atomic_store(&r.ok, true);
	r.ft = table(t);
	EXPECT_EQ(t, vfs_mkdir(r.ft, AT, "/tmp/nc8", 0755), 0);
	EXPECT_EQ(t, touch(r.ft, "/tmp/nc8/fixed"), 0);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(t, thread_create("nc-looker", looker, &r, &th[i]), 0);
	for (int round = 1; round <= 12; round++) {
		atomic_store(&r.phase, 0);
		for (int i = 0; i < 20 + round; i++) {
			if (i % 2 == 0)
				touch(r.ft, "/tmp/nc8/t");
			else
				vfs_unlink(r.ft, AT, "/tmp/nc8/t");
			thread_yield();
		}
		/* the last step was a touch when its index (19 + round) was even */
		r.want = (19 + round) % 2 == 0;
		EXPECT_EQ(t, exists(r.ft, "/tmp/nc8/t") == 0, r.want);
		atomic_store(&r.checked, 0);
		atomic_store(&r.round, round);
		atomic_store(&r.phase, 1);
		while (atomic_load(&r.checked) < 3)
			thread_yield();
	}
	atomic_store(&r.phase, 2);
	for (int i = 0; i < 3; i++)
		thread_join(th[i]);
	EXPECT_TRUE(t, atomic_load(&r.ok));
	vfs_unlink(r.ft, AT, "/tmp/nc8/t");
	EXPECT_EQ(t, vfs_unlink(r.ft, AT, "/tmp/nc8/fixed"), 0);
	EXPECT_EQ(t, vfs_rmdir(r.ft, AT, "/tmp/nc8"), 0);
	vfs_fdtable_destroy(r.ft);
}

/*
 * The caches' place in the lock order (debug builds): a name cache bucket
 * is taken under vfs_mount_lock and under nothing else of the file
 * systems, and nothing is taken while one, or a page cache set, is held.
 */
TEST(ncache, lock_order)
{
	struct fdtable *ft = table(t);
	struct lockdep_counts before, after;

	lockdep_counts(&before);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/nc9", 0755), 0);
	EXPECT_EQ(t, vfs_mount("/tmp/nc9", "ramfs", NULL, 0), 0);
	EXPECT_EQ(t, touch(ft, "/tmp/nc9/f"), 0);
	EXPECT_EQ(t, exists(ft, "/tmp/nc9/f"), 0);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/nc9/f", AT, "/tmp/nc9/g"), 0);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/nc9/g"), 0);
	EXPECT_EQ(t, vfs_umount("/tmp/nc9"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/nc9"), 0);
	EXPECT_EQ(t, exists(ft, "/proc/meminfo"), 0);
	lockdep_counts(&after);
	EXPECT_EQ(t, after.inversions, before.inversions);
	if (CONFIG_LOCKDEP) {
		EXPECT_TRUE(t, lockdep_edge_seen("mount_lock", "ncache"));
		EXPECT_EQ(t, lockdep_edges_from("ncache"), 0);
		EXPECT_EQ(t, lockdep_edges_from("pcache"), 0);
		EXPECT_FALSE(t, lockdep_edge_seen("vnode", "ncache"));
		EXPECT_FALSE(t, lockdep_edge_seen("rename_lock", "ncache"));
	}
	vfs_fdtable_destroy(ft);
}
