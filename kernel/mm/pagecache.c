/*
 * The page cache: pages of block devices, kept by (device id, page index),
 * so that a file system reading through it reads each page from the device
 * once.  rofs reads every inode, entry, name and byte of its image here.
 *
 * The table (pcache.c) is set-associative with one lock per set: a hit
 * takes that set's lock once, for a few loads and an increment, and no
 * global lock or shared counter (decisions 3 and 4).  A miss reads the page
 * with no lock held, then inserts it; two threads missing the same page
 * both read it and the second insert shares the first's copy (with an
 * asynchronous device later, a "being read" state that waiters sleep on
 * avoids the double read; today's devices complete at once).
 *
 * Memory: the table is set up on first use, not at boot, from whole pages
 * sized to RAM (1/512 of it, rounded down to a power of two of pages: room
 * for a seventh to a quarter of RAM in pages), and never freed.  Cached pages come from the page allocator and go back
 * under pressure: the shrinker evicts unreferenced pages, oldest first,
 * trying set locks without waiting; its drop hook (mm_drop_caches) empties
 * the cache.  Neither ever frees a heap object, so both are safe inside an
 * allocation that holds a heap lock.
 *
 * Every access is bounds-checked: a page past the device's end is -EIO,
 * a byte range past its size too, whatever a file system asks.
 *
 * Lock order: a set's lock ("pcache") is a leaf: nothing is taken while it
 * is held, no allocation, no device call (docs/locking.md).
 *
 * Called by: rofs (kernel/fs/rofs.c), procfs (Cached: in /proc/meminfo),
 * the tests.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/trace.h>

#include "pcache.h"

TRACEPOINT(pagecache_miss, "dev=%u index=%lu", uint32_t, uint64_t);
TRACEPOINT(pagecache_shrink, "asked=%lu evicted=%lu", uint64_t, uint64_t);

#define TABLE_MAX_ORDER 8 /* 1 MiB of table: 4368 sets, 136 MiB of pages */
#define SHRINK_MIN 32	  /* pages a shrinker run tries to free at least */

struct pc_state {
	struct pcache c;
	unsigned order;	       /* [i] of the allocation holding this and the sets */
	_Atomic int64_t pages; /* [a] cached now */
	_Atomic uint64_t shrunk, uncached, read_errors; /* [a] */
	struct pc_set sets[];
};

static struct pc_state *_Atomic state; /* [a] made on first use */

static uint64_t shrink(void);
static void drop_all(void);
static struct shrinker pc_shrinker = { "pagecache", shrink, drop_all, NULL };

static void count(_Atomic uint64_t *c, uint64_t n)
{
	/* relaxed: statistics, ordering nothing */
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void pages_add(struct pc_state *st, int64_t n)
{
	/* relaxed: a gauge for statistics and the shrinker's target */
	atomic_fetch_add_explicit(&st->pages, n, memory_order_relaxed);
}

static unsigned table_order(void)
{
	uint64_t bytes = bootmem_ram_total() >> 9;
	unsigned order = 0;

	while (order < TABLE_MAX_ORDER && ((uint64_t)PAGE_SIZE << (order + 1)) <= bytes)
		order++;
	return order;
}

static struct pc_state *state_get(void)
{
	/* acquire: pairs with the release that publishes the table below */
	struct pc_state *st = atomic_load_explicit(&state, memory_order_acquire), *expect = NULL;
	unsigned order;

	if (likely(st))
		return st;
	for (order = table_order();; order--) {
		st = page_alloc(order, MM_ZERO);
		if (st || order == 0)
			break;
	}
	if (!st)
		return NULL;
	st->order = order;
	pcache_init(&st->c, st->sets,
		    (uint32_t)((((uint64_t)PAGE_SIZE << order) - sizeof(*st)) /
			       sizeof(struct pc_set)),
		    "pcache");
	/* release: the sets are initialised before anyone sees the table */
	if (!atomic_compare_exchange_strong_explicit(&state, &expect, st, memory_order_release,
						     memory_order_acquire)) {
		page_free(st, order);
		return expect;
	}
	mm_register_shrinker(&pc_shrinker);
	return st;
}

static uint64_t dev_pages(const struct blkdev *dev)
{
	/* blk_register checked that nblocks * block_size does not overflow */
	return (dev->nblocks * dev->block_size + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Reads page index of dev into page: the blocks that exist, zeros after them. */
static int read_page(struct blkdev *dev, uint64_t index, uint8_t *page)
{
	uint32_t per = PAGE_SIZE / dev->block_size;
	uint64_t first = index * per;
	uint32_t n = (uint32_t)MIN((uint64_t)per, dev->nblocks - first);
	int ret = blk_read(dev, first, n, page);

	if (!ret)
		memset(page + (size_t)n * dev->block_size, 0,
		       PAGE_SIZE - (size_t)n * dev->block_size);
	return ret;
}

/* After a miss: reads the page, with no lock held, and caches it. */
static int pagecache_get_miss(struct pc_state *st, struct blkdev *dev, uint64_t index,
			      struct pagecache_page *pg)
{
	struct pc_slot *sl;
	void *data, *mine, *victim;
	int ret;

	trace_pagecache_miss(dev->id, index);
	mine = page_alloc(0, 0);
	if (!mine)
		return -ENOMEM;
	ret = read_page(dev, index, mine);
	if (ret) {
		page_free(mine, 0);
		count(&st->read_errors, 1);
		return ret;
	}
	data = mine;
	preempt_disable();
	sl = pcache_insert(&st->c, dev->id, index, &data, &victim);
	preempt_enable();
	if (victim) {
		page_free(victim, 0);
		pages_add(st, -1);
	}
	if (!sl) {
		/* every slot of the set is held: serve this read from a private page */
		count(&st->uncached, 1);
		pg->data = mine;
		pg->slot = NULL;
		return 0;
	}
	if (data != mine)
		page_free(mine, 0);
	else
		pages_add(st, 1);
	pg->data = data;
	pg->slot = sl;
	return 0;
}

int pagecache_get(struct blkdev *dev, uint64_t index, struct pagecache_page *pg)
{
	struct pc_state *st;
	struct pc_slot *sl;
	void *data;

	if (index >= dev_pages(dev))
		return -EIO;
	st = state_get();
	if (!st)
		return -ENOMEM;
	preempt_disable();
	sl = pcache_lookup(&st->c, dev->id, index, &data);
	preempt_enable();
	if (!sl)
		return pagecache_get_miss(st, dev, index, pg);
	pg->data = data;
	pg->slot = sl;
	return 0;
}

void pagecache_put(struct pagecache_page *pg)
{
	if (pg->slot)
		pcache_put(pg->slot);
	else
		page_free((void *)pg->data, 0);
	pg->data = NULL;
	pg->slot = NULL;
}

int pagecache_read(struct blkdev *dev, uint64_t off, void *buf, size_t len)
{
	struct pc_state *st;
	uint8_t *out = buf;
	uint64_t end;

	if (__builtin_add_overflow(off, (uint64_t)len, &end) || end > dev->size)
		return -EIO;
	st = state_get();
	if (!st)
		return -ENOMEM;
	while (len) {
		size_t in = (size_t)(off % PAGE_SIZE), n = MIN(len, PAGE_SIZE - in);
		struct pc_slot *sl;
		void *data;

		/* a hit without pagecache_get's layers: this loop is the sequential read's */
		preempt_disable();
		sl = pcache_lookup(&st->c, dev->id, off / PAGE_SIZE, &data);
		preempt_enable();
		if (sl) {
			memcpy(out, (const uint8_t *)data + in, n);
			pcache_put(sl);
		} else {
			struct pagecache_page pg;
			int ret = pagecache_get_miss(st, dev, off / PAGE_SIZE, &pg);

			if (ret)
				return ret;
			memcpy(out, pg.data + in, n);
			pagecache_put(&pg);
		}
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void free_page_cb(void *ctx, void *page)
{
	(void)ctx;
	page_free(page, 0);
}

int pagecache_drop(struct blkdev *dev)
{
	struct pc_state *st = atomic_load_explicit(&state, memory_order_acquire);
	uint64_t busy;

	if (!st)
		return 0;
	preempt_disable();
	pages_add(st, -(int64_t)pcache_drop(&st->c, dev->id, false, free_page_cb, NULL, &busy));
	preempt_enable();
	return busy ? -EBUSY : 0;
}

/* The shrinker: runs inside allocations under pressure, preemption off. */
static uint64_t shrink(void)
{
	struct pc_state *st = atomic_load_explicit(&state, memory_order_acquire);
	int64_t pages;
	uint64_t want, got;

	if (!st)
		return 0;
	pages = atomic_load_explicit(&st->pages, memory_order_relaxed);
	if (pages <= 0)
		return 0;
	want = MAX((uint64_t)SHRINK_MIN, (uint64_t)pages / 4);
	got = pcache_shrink(&st->c, want, free_page_cb, NULL);
	pages_add(st, -(int64_t)got);
	count(&st->shrunk, got);
	trace_pagecache_shrink(want, got);
	return got;
}

/* mm_drop_caches(): everything unreferenced goes. */
static void drop_all(void)
{
	struct pc_state *st = atomic_load_explicit(&state, memory_order_acquire);

	if (!st)
		return;
	preempt_disable();
	pages_add(st, -(int64_t)pcache_drop(&st->c, 0, true, free_page_cb, NULL, NULL));
	preempt_enable();
}

void pagecache_stats(struct pagecache_stats *out)
{
	struct pc_state *st = atomic_load_explicit(&state, memory_order_acquire);
	struct pcache_counts c;

	memset(out, 0, sizeof(*out));
	if (!st)
		return;
	preempt_disable();
	pcache_counts(&st->c, &c);
	preempt_enable();
	out->capacity = (uint64_t)st->c.nsets * PC_WAYS;
	out->pages = c.pages;
	out->hits = c.hits;
	out->misses = c.misses;
	out->evictions = c.evictions;
	out->shrunk = atomic_load_explicit(&st->shrunk, memory_order_relaxed);
	out->uncached = atomic_load_explicit(&st->uncached, memory_order_relaxed);
	out->read_errors = atomic_load_explicit(&st->read_errors, memory_order_relaxed);
	out->table_bytes = (uint64_t)PAGE_SIZE << st->order;
}

uint64_t pagecache_pages(void)
{
	struct pc_state *st = atomic_load_explicit(&state, memory_order_acquire);
	int64_t n = st ? atomic_load_explicit(&st->pages, memory_order_relaxed) : 0;

	return n > 0 ? (uint64_t)n : 0;
}

uint32_t pagecache_set_of(struct blkdev *dev, uint64_t index)
{
	struct pc_state *st = atomic_load_explicit(&state, memory_order_acquire);

	return st ? pcache_set_index(&st->c, dev->id, index) : 0;
}
