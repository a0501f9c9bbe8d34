/*
 * The page cache's table (kernel/mm/pcache.c) on the host, under ASan and
 * UBSan: hits and misses, sharing a page two threads read, CLOCK in a full
 * set, held pages that nothing evicts, shrinking and dropping, a long
 * random run against a model, and readers racing a shrinker on threads.
 * Pages are malloc'd blocks whose first words name (dev, index), so a hit
 * that returned the wrong page shows.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/test.h>

#include "../../kernel/mm/pcache.h"

struct page_tag {
	uint32_t dev;
	uint64_t index;
};

static _Atomic long live_pages;

static void *page_new(uint32_t dev, uint64_t index)
{
	struct page_tag *p = malloc(64);

	p->dev = dev;
	p->index = index;
	atomic_fetch_add(&live_pages, 1);
	return p;
}

static void page_free_cb(void *ctx, void *page)
{
	(void)ctx;
	free(page);
	atomic_fetch_sub(&live_pages, 1);
}

static bool is(const void *page, uint32_t dev, uint64_t index)
{
	const struct page_tag *p = page;

	return p && p->dev == dev && p->index == index;
}

static struct pcache *table(uint32_t nsets)
{
	struct pcache *c = calloc(1, sizeof(*c));

	pcache_init(c, calloc(nsets, sizeof(struct pc_set)), nsets, "pcache");
	return c;
}

static void table_free(struct pcache *c)
{
	pcache_drop(c, 0, true, page_free_cb, NULL, NULL);
	free(c->sets);
	free(c);
}

/*
 * Lookup, else insert a new page, as the kernel's pagecache_get does:
 * returns the slot with a reference, or NULL when the set was all held
 * (*data is then a private page the caller frees).
 */
static struct pc_slot *get(struct pcache *c, uint32_t dev, uint64_t index, void **data)
{
	struct pc_slot *s = pcache_lookup(c, dev, index, data);
	void *victim, *mine;

	if (s)
		return s;
	mine = *data = page_new(dev, index);
	s = pcache_insert(c, dev, index, data, &victim);
	if (victim)
		page_free_cb(NULL, victim);
	if (s && *data != mine)
		page_free_cb(NULL, mine);
	return s;
}

TEST(pcache, hit_miss_and_sharing)
{
	struct pcache *c = table(16);
	struct pcache_counts n;
	void *d, *d2, *victim;
	struct pc_slot *s, *s2;

	EXPECT_TRUE(t, pcache_lookup(c, 1, 7, &d) == NULL);
	s = get(c, 1, 7, &d);
	EXPECT_TRUE(t, s && is(d, 1, 7));
	s2 = pcache_lookup(c, 1, 7, &d2);
	EXPECT_TRUE(t, s2 == s && d2 == d);
	EXPECT_TRUE(t, pcache_lookup(c, 2, 7, &d2) == NULL); /* another device */
	/* a second insert of the same page shares the first copy */
	void *mine = d2 = page_new(1, 7);

	s2 = pcache_insert(c, 1, 7, &d2, &victim);
	EXPECT_TRUE(t, s2 == s && d2 == d && victim == NULL);
	page_free_cb(NULL, mine);
	EXPECT_EQ(t, atomic_load(&s->ref), 3);
	pcache_put(s);
	pcache_put(s);
	pcache_put(s);
	pcache_counts(c, &n);
	EXPECT_EQ(t, n.pages, 1);
	EXPECT_EQ(t, n.hits, 1);
	EXPECT_EQ(t, n.misses, 3);
	table_free(c);
	EXPECT_EQ(t, atomic_load(&live_pages), 0);
}

TEST(pcache, clock_in_one_set)
{
	struct pcache *c = table(1); /* everything collides */
	struct pc_slot *held[PC_WAYS];
	struct pcache_counts n;
	void *d, *victim;

	for (uint64_t i = 0; i < PC_WAYS; i++)
		pcache_put(get(c, 1, i, &d));
	/* pages 0..3 are used again: 4..7 go first, in clock order */
	for (uint64_t i = 0; i < 4; i++)
		pcache_put(get(c, 1, i, &d));
	for (uint64_t i = 100; i < 104; i++)
		pcache_put(get(c, 1, i, &d));
	for (uint64_t i = 0; i < 4; i++) {
		struct pc_slot *s = pcache_lookup(c, 1, i, &d);

		EXPECT_TRUE(t, s != NULL && is(d, 1, i));
		if (s)
			pcache_put(s);
	}
	for (uint64_t i = 4; i < 8; i++)
		EXPECT_TRUE(t, pcache_lookup(c, 1, i, &d) == NULL);
	pcache_counts(c, &n);
	EXPECT_EQ(t, n.evictions, 4);
	EXPECT_EQ(t, n.pages, PC_WAYS);
	/* every way held: an insert changes nothing */
	for (int w = 0; w < PC_WAYS; w++) {
		uint64_t idx = c->sets[0].slot[w].index;

		held[w] = pcache_lookup(c, 1, idx, &d);
	}
	d = page_new(1, 999);
	EXPECT_TRUE(t, pcache_insert(c, 1, 999, &d, &victim) == NULL);
	EXPECT_TRUE(t, victim == NULL);
	page_free_cb(NULL, d);
	/* held pages survive shrinking and dropping */
	EXPECT_EQ(t, pcache_shrink(c, 100, page_free_cb, NULL), 0);
	uint64_t busy;

	EXPECT_EQ(t, pcache_drop(c, 1, false, page_free_cb, NULL, &busy), 0);
	EXPECT_EQ(t, busy, PC_WAYS);
	for (int w = 0; w < PC_WAYS; w++)
		pcache_put(held[w]);
	table_free(c);
	EXPECT_EQ(t, atomic_load(&live_pages), 0);
}

TEST(pcache, shrink_takes_the_unused_first_and_drop_by_device)
{
	struct pcache *c = table(1);
	struct pcache_counts n;
	uint64_t busy;
	void *d;

	for (uint64_t i = 0; i < 4; i++) {
		pcache_put(get(c, 1, i, &d));
		pcache_put(get(c, 2, i, &d));
	}
	/* device 1's pages are used again: the shrinker takes device 2's */
	for (uint64_t i = 0; i < 4; i++)
		pcache_put(pcache_lookup(c, 1, i, &d));
	EXPECT_EQ(t, pcache_shrink(c, 4, page_free_cb, NULL), 4);
	for (uint64_t i = 0; i < 4; i++) {
		struct pc_slot *s = pcache_lookup(c, 1, i, &d);

		EXPECT_TRUE(t, s != NULL && is(d, 1, i));
		if (s)
			pcache_put(s);
		EXPECT_TRUE(t, pcache_lookup(c, 2, i, &d) == NULL);
	}
	/* dropping a device leaves the other's pages */
	EXPECT_EQ(t, pcache_drop(c, 2, false, page_free_cb, NULL, &busy), 0);
	EXPECT_EQ(t, pcache_drop(c, 1, false, page_free_cb, NULL, &busy), 4);
	EXPECT_EQ(t, busy, 0);
	table_free(c);
	/* many sets: the shrinker empties all of them in its two turns */
	c = table(8);
	for (uint64_t i = 0; i < 200; i++) {
		struct pc_slot *s = get(c, 3, i, &d);

		if (s)
			pcache_put(s);
		else
			page_free_cb(NULL, d);
	}
	pcache_counts(c, &n);
	EXPECT_GT(t, n.pages, 32);
	EXPECT_LE(t, n.pages, 8 * PC_WAYS);
	EXPECT_EQ(t, pcache_shrink(c, 1000, page_free_cb, NULL), n.pages);
	pcache_counts(c, &n);
	EXPECT_EQ(t, n.pages, 0);
	table_free(c);
	EXPECT_EQ(t, atomic_load(&live_pages), 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

TEST(pcache, random_against_model)
{
	struct pcache *c = table(5);
	struct hold {
		struct pc_slot *s;
		uint32_t dev;
		uint64_t index;
		void *data;
	} held[16];
	int nheld = 0, bad = 0;

	for (int step = 0; step < 200000; step++) {
		unsigned op = (unsigned)(rnd() % 10);
		uint32_t dev = 1 + (uint32_t)(rnd() % 3);
		uint64_t index = rnd() % 30;
		void *d;

		if (op < 6 && nheld < 16) {
			struct pc_slot *s = get(c, dev, index, &d);

			bad += !is(d, dev, index);
			if (s)
				held[nheld++] = (struct hold){ s, dev, index, d };
			else
				page_free_cb(NULL,
					     d); /* a set full of held pages: served privately */
		} else if (op < 9 && nheld) {
			int i = (int)(rnd() % (uint64_t)nheld);

			/* what we hold never changed under us */
			bad += !is(held[i].data, held[i].dev, held[i].index) ||
			       held[i].s->data != held[i].data;
			pcache_put(held[i].s);
			held[i] = held[--nheld];
		} else if (rnd() % 2) {
			pcache_shrink(c, 1 + rnd() % 8, page_free_cb, NULL);
		} else {
			pcache_drop(c, dev, false, page_free_cb, NULL, NULL);
		}
		/* invariant: each (dev, index) at most once, in its own set */
		if (step % 997 == 0) {
			for (uint32_t si = 0; si < c->nsets; si++)
				for (int w = 0; w < PC_WAYS; w++) {
					struct pc_slot *a = &c->sets[si].slot[w];

					if (!a->data)
						continue;
					bad += pcache_set_index(c, a->dev, a->index) != si;
					bad += !is(a->data, a->dev, a->index);
					for (int v = w + 1; v < PC_WAYS; v++) {
						struct pc_slot *b = &c->sets[si].slot[v];

						bad += b->data && b->dev == a->dev &&
						       b->index == a->index;
					}
				}
		}
	}
	while (nheld)
		pcache_put(held[--nheld].s);
	EXPECT_EQ(t, bad, 0);
	table_free(c);
	EXPECT_EQ(t, atomic_load(&live_pages), 0);
}

struct racer {
	struct pcache *c;
	unsigned seed;
	int bad;
};

static void *read_loop(void *arg)
{
	struct racer *r = arg;
	unsigned x = r->seed;

	for (int i = 0; i < 20000; i++) {
		uint64_t index;
		void *d;
		struct pc_slot *s;

		x = x * 1103515245u + 12345u;
		index = (x >> 8) % 64;
		s = get(r->c, 1, index, &d);
		r->bad += !is(d, 1, index);
		if (s)
			pcache_put(s);
		else
			page_free_cb(NULL, d);
	}
	return NULL;
}

static void *shrink_loop(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 2000; i++)
		pcache_shrink(r->c, 4, page_free_cb, NULL);
	return NULL;
}

TEST(pcache, readers_race_a_shrinker)
{
	struct pcache *c = table(4);
	struct racer r[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){ c, (unsigned)i * 7919u + 3, 0 };
		pthread_create(&th[i], NULL, i == 3 ? shrink_loop : read_loop, &r[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(t, r[i].bad, 0);
	}
	table_free(c);
	EXPECT_EQ(t, atomic_load(&live_pages), 0);
}
