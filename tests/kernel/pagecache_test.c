/*
 * The page cache inside the guest, over a synthetic device whose blocks
 * are a pattern of (device seed, byte offset) and which counts the reads
 * that reach it: hits and misses, bounds, CLOCK eviction in a full set,
 * shrinking under memory pressure (then everything still reads back
 * right), dropping a device's pages, a device that fails, and several
 * threads reading the same pages at once.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/sched.h>
#include <osprey/test.h>
#include <osprey/vfs.h>

struct pattern_dev {
	struct blkdev dev;
	uint8_t seed;
	bool fail;
	_Atomic uint64_t reads;
};

static uint8_t pattern(uint8_t seed, uint64_t off)
{
	return (uint8_t)(seed + off * 31 + (off >> 12) * 7);
}

static void pattern_submit(struct blkdev *dev, struct blk_request *r)
{
	struct pattern_dev *p = dev->priv;
	uint8_t *b = r->buf;
	uint64_t off = r->lba * dev->block_size;

	atomic_fetch_add_explicit(&p->reads, 1, memory_order_relaxed);
	for (size_t i = 0; i < (size_t)r->count * dev->block_size; i++)
		b[i] = pattern(p->seed, off + i);
	r->status = p->fail ? -EIO : 0;
	r->done(r);
}

static const struct blk_ops pattern_ops = { .submit = pattern_submit };

static struct pattern_dev *pattern_new(struct test_ctx *t, const char *name, uint32_t bs,
				       uint64_t size, uint8_t seed)
{
	struct pattern_dev *p = kzalloc(sizeof(*p));

	memcpy(p->dev.name, name, strlen(name) + 1);
	p->dev.block_size = bs;
	p->dev.nblocks = (size + bs - 1) / bs;
	p->dev.size = size;
	p->dev.readonly = true;
	p->dev.ops = &pattern_ops;
	p->dev.priv = p;
	p->seed = seed;
	EXPECT_EQ(t, blk_register(&p->dev), 0);
	return p;
}

static void pattern_free(struct test_ctx *t, struct pattern_dev *p)
{
	EXPECT_EQ(t, pagecache_drop(&p->dev), 0);
	EXPECT_EQ(t, blk_unregister(&p->dev), 0);
	kfree(p);
}

static uint64_t reads(struct pattern_dev *p)
{
	return atomic_load_explicit(&p->reads, memory_order_relaxed);
}

/* Does page index hold the pattern (zeros past the device's blocks)? */
static bool page_ok(struct pattern_dev *p, uint64_t index, const uint8_t *data)
{
	uint64_t end = p->dev.nblocks * p->dev.block_size;

	for (uint64_t i = 0; i < 4096; i++) {
		uint64_t off = index * 4096 + i;

		if (data[i] != (off < end ? pattern(p->seed, off) : 0))
			return false;
	}
	return true;
}

static bool get_ok(struct pattern_dev *p, uint64_t index)
{
	struct pagecache_page pg;
	bool ok;

	if (pagecache_get(&p->dev, index, &pg))
		return false;
	ok = page_ok(p, index, pg.data);
	pagecache_put(&pg);
	return ok;
}

TEST(pagecache, second_read_is_a_hit)
{
	struct pattern_dev *p = pattern_new(t, "pc-hit", 512, 1 << 20, 1);
	struct pagecache_stats a, b;
	struct pagecache_page pg, pg2;

	EXPECT_TRUE(t, get_ok(p, 5));
	EXPECT_EQ(t, reads(p), 1); /* one request for the page's 8 blocks */
	pagecache_stats(&a);
	EXPECT_GT(t, a.capacity, 0);
	EXPECT_GE(t, a.pages, 1);
	kprintf("pagecache: room for %lu pages in a table of %lu KiB\n", (unsigned long)a.capacity,
		(unsigned long)(a.table_bytes / 1024));
	EXPECT_EQ(t, pagecache_get(&p->dev, 5, &pg), 0);
	EXPECT_EQ(t, pagecache_get(&p->dev, 5, &pg2), 0);
	EXPECT_TRUE(t, pg.data == pg2.data); /* one shared page */
	EXPECT_TRUE(t, page_ok(p, 5, pg.data));
	pagecache_put(&pg2);
	pagecache_put(&pg);
	pagecache_stats(&b);
	EXPECT_EQ(t, reads(p), 1);
	EXPECT_EQ(t, b.hits, a.hits + 2);
	EXPECT_EQ(t, b.misses, a.misses);
	/* byte reads across pages, through the cache */
	uint8_t buf[100];

	EXPECT_EQ(t, pagecache_read(&p->dev, 5 * 4096 - 50, buf, sizeof(buf)), 0);
	EXPECT_EQ(t, buf[0], pattern(1, 5 * 4096 - 50));
	EXPECT_EQ(t, buf[99], pattern(1, 5 * 4096 + 49));
	EXPECT_EQ(t, reads(p), 2); /* page 4 was new, page 5 was not */
	pattern_free(t, p);
}

TEST(pagecache, reads_stay_inside_the_device)
{
	/* 10000 bytes in 1024-byte blocks: 10 blocks, pages 0..2, the last partly zeros */
	struct pattern_dev *p = pattern_new(t, "pc-bounds", 1024, 10000, 2);
	struct pagecache_page pg;
	uint8_t buf[64];

	EXPECT_EQ(t, p->dev.nblocks, 10);
	EXPECT_TRUE(t, get_ok(p, 2)); /* blocks 8 and 9, then zeros */
	EXPECT_EQ(t, pagecache_get(&p->dev, 3, &pg), -EIO);
	EXPECT_EQ(t, pagecache_get(&p->dev, UINT64_MAX, &pg), -EIO);
	EXPECT_EQ(t, pagecache_read(&p->dev, 10000 - 64, buf, 64), 0);
	EXPECT_EQ(t, buf[63], pattern(2, 9999));
	EXPECT_EQ(t, pagecache_read(&p->dev, 10000 - 63, buf, 64), -EIO);
	EXPECT_EQ(t, pagecache_read(&p->dev, UINT64_MAX - 10, buf, 64), -EIO);
	EXPECT_EQ(t, pagecache_read(&p->dev, 10000, buf, 0), 0);
	pattern_free(t, p);
	/* 4096-byte blocks: a page is one block */
	p = pattern_new(t, "pc-4k", 4096, 3 * 4096, 3);
	EXPECT_TRUE(t, get_ok(p, 2));
	EXPECT_EQ(t, pagecache_get(&p->dev, 3, &pg), -EIO);
	pattern_free(t, p);
}

/* Page indices from `from` on that fall in the same set as page `like`. */
static unsigned colliding(struct pattern_dev *p, uint64_t like, uint64_t *out, unsigned n)
{
	uint32_t set = pagecache_set_of(&p->dev, like);
	unsigned k = 0;

	out[k++] = like;
	for (uint64_t i = like + 1; k < n && i < like + 1000000; i++)
		if (pagecache_set_of(&p->dev, i) == set)
			out[k++] = i;
	return k;
}

TEST(pagecache, clock_evicts_within_a_full_set)
{
	struct pattern_dev *p = pattern_new(t, "pc-evict", 512, 1ull << 40, 4);
	struct pagecache_page held[8], extra;
	struct pagecache_stats a, b;
	uint64_t idx[12];

	EXPECT_TRUE(t, get_ok(p, 0)); /* sets up the table, so sets can be computed */
	EXPECT_EQ(t, colliding(p, 0, idx, 12), 12);
	for (int i = 1; i < 8; i++)
		EXPECT_TRUE(t, get_ok(p, idx[i]));
	EXPECT_EQ(t, reads(p), 8);	   /* the set is full */
	EXPECT_TRUE(t, get_ok(p, idx[0])); /* a hit: idx[0] gets a second chance */
	EXPECT_EQ(t, reads(p), 8);
	pagecache_stats(&a);
	EXPECT_TRUE(t, get_ok(p, idx[8])); /* evicts one page read once */
	pagecache_stats(&b);
	EXPECT_EQ(t, b.evictions, a.evictions + 1);
	uint64_t r = reads(p);

	EXPECT_TRUE(t, get_ok(p, idx[0])); /* still there */
	EXPECT_EQ(t, reads(p), r);
	/* every way held: the next colliding page is served, uncached */
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(t, pagecache_get(&p->dev, idx[i + 1], &held[i]), 0);
	EXPECT_EQ(t, pagecache_get(&p->dev, idx[10], &extra), 0);
	EXPECT_TRUE(t, extra.slot == NULL);
	EXPECT_TRUE(t, page_ok(p, idx[10], extra.data));
	pagecache_put(&extra);
	pagecache_stats(&a);
	EXPECT_GE(t, a.uncached, 1);
	/* held pages are never dropped */
	EXPECT_EQ(t, pagecache_drop(&p->dev), -EBUSY);
	for (int i = 0; i < 8; i++) {
		EXPECT_TRUE(t, page_ok(p, idx[i + 1], held[i].data));
		pagecache_put(&held[i]);
	}
	pattern_free(t, p);
}

TEST(pagecache, drop_and_failing_device)
{
	struct pattern_dev *p = pattern_new(t, "pc-drop", 512, 1 << 20, 5);
	struct pagecache_stats a, b;
	struct pagecache_page pg;

	for (int i = 0; i < 16; i++)
		EXPECT_TRUE(t, get_ok(p, (uint64_t)i));
	EXPECT_EQ(t, reads(p), 16);
	EXPECT_EQ(t, pagecache_drop(&p->dev), 0);
	EXPECT_TRUE(t, get_ok(p, 3)); /* read again */
	EXPECT_EQ(t, reads(p), 17);
	/* a device error is an error, counted, and nothing is cached */
	p->fail = true;
	pagecache_stats(&a);
	EXPECT_EQ(t, pagecache_get(&p->dev, 40, &pg), -EIO);
	EXPECT_EQ(t, pagecache_get(&p->dev, 40, &pg), -EIO);
	pagecache_stats(&b);
	EXPECT_EQ(t, b.read_errors, a.read_errors + 2);
	EXPECT_EQ(t, b.pages, a.pages);
	p->fail = false;
	EXPECT_TRUE(t, get_ok(p, 40));
	pattern_free(t, p);
}

TEST(pagecache, shrinks_under_pressure_and_reads_back)
{
	struct pattern_dev *p = pattern_new(t, "pc-shrink", 512, 1ull << 30, 6);
	struct pagecache_stats a, b;
	struct mm_stats ms;
	uint64_t n, held = 0;
	void *list = NULL;
	bool ok = true;

	/* fill: a quarter of free memory, at most the cache's capacity */
	EXPECT_TRUE(t, get_ok(p, 0));
	pagecache_stats(&a);
	mm_stats_get(&ms);
	n = MIN(a.capacity / 2, (ms.free_pages + ms.deferred_pages) / 4);
	for (uint64_t i = 0; i < n; i++)
		ok &= get_ok(p, i);
	EXPECT_TRUE(t, ok);
	pagecache_stats(&a);
	EXPECT_GE(t, a.pages, n / 2); /* collisions may have evicted a few */
	/* take every free page: the shrinker must give the cache's back first */
	for (;;) {
		void **pg = page_alloc(0, 0);

		if (!pg)
			break;
		*pg = list;
		list = pg;
		held++;
	}
	pagecache_stats(&b);
	EXPECT_GT(t, b.shrunk, a.shrunk);
	EXPECT_LT(t, b.pages, a.pages);
	EXPECT_GT(t, held, n / 2);
	while (list) {
		void **pg = list;

		list = *pg;
		page_free(pg, 0);
	}
	/* everything still reads back right, from the cache or the device */
	for (uint64_t i = 0; i < n; i++)
		ok &= get_ok(p, i);
	EXPECT_TRUE(t, ok);
	pattern_free(t, p);
}

struct reader_arg {
	struct pattern_dev *p;
	unsigned seed;
	bool ok;
};

static void reader(void *arg)
{
	struct reader_arg *a = arg;
	unsigned x = a->seed;

	a->ok = true;
	for (int i = 0; i < 400; i++) {
		x = x * 1103515245u + 12345u;
		a->ok &= get_ok(a->p, (x >> 16) % 48);
		if (i % 50 == 0)
			thread_yield();
	}
}

TEST(pagecache, concurrent_readers)
{
	struct pattern_dev *p = pattern_new(t, "pc-conc", 512, 1 << 20, 7);
	struct reader_arg args[4];
	struct thread *th[4];

	for (int i = 0; i < 4; i++) {
		args[i] = (struct reader_arg){ p, (unsigned)i * 7919u + 1, false };
		EXPECT_EQ(t, thread_create("pc-reader", reader, &args[i], &th[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		thread_join(th[i]);
		EXPECT_TRUE(t, args[i].ok);
	}
	/* 48 pages: racing misses may read a page twice, never much more */
	EXPECT_GE(t, reads(p), 40);
	EXPECT_LE(t, reads(p), 48 * 4);
	pattern_free(t, p); /* every reference was given back: nothing busy */
}

TEST(pagecache, meminfo_shows_cached)
{
	struct pattern_dev *p = pattern_new(t, "pc-meminfo", 512, 1 << 20, 8);
	struct fdtable *ft = NULL;
	char *buf = kmalloc(4096), *at;
	size_t done = 0;
	int fd;

	for (int i = 0; i < 64; i++)
		EXPECT_TRUE(t, get_ok(p, (uint64_t)i));
	EXPECT_GE(t, pagecache_pages(), 32);
	EXPECT_EQ(t, vfs_fdtable_create(&ft), 0);
	EXPECT_EQ(t, vfs_open(ft, VFS_AT_FDCWD, "/proc/meminfo", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_read(ft, fd, buf, 4095, &done), 0);
	buf[done] = 0;
	at = strstr(buf, "\nCached:");
	EXPECT_TRUE(t, at != NULL);
	if (at) {
		uint64_t kb = 0;

		for (at += 8; *at == ' '; at++)
			;
		while (*at >= '0' && *at <= '9')
			kb = kb * 10 + (uint64_t)(*at++ - '0');
		EXPECT_GE(t, kb, 32 * 4);
	}
	vfs_close(ft, fd);
	vfs_fdtable_destroy(ft);
	kfree(buf);
	pattern_free(t, p);
}
