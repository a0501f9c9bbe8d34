/*
 * The allocator cores (kernel/mm/buddy.c and slab.c) on the host, over a
 * heap arena, under ASan: long random sequences checked against a simple
 * model after every step.
 */
#include <stdlib.h>
#include <string.h>

#include <osprey/test.h>

#include "../../kernel/mm/internal.h"

#define ARENA_PAGES 2048 /* 8 MiB: two max-order blocks */

struct arena {
	uint8_t *mem;
	struct page *map;
	struct zone zone;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void arena_init(struct arena *a, uint64_t pages)
{
	/* Aligned to the largest block, so the buddy maths holds on real addresses. */
	size_t align = MM_PAGE_SIZE << MAX_ORDER;

	a->mem = aligned_alloc(align, (pages * MM_PAGE_SIZE + align - 1) / align * align);
	a->map = calloc(pages, sizeof(struct page));
	uint64_t base = (uintptr_t)a->mem >> MM_PAGE_SHIFT;

	buddy_init(&a->zone, a->map, 0, base, base + pages);
	buddy_add_range(&a->zone, base, pages);
}

static void arena_fini(struct arena *a)
{
	free(a->mem);
	free(a->map);
}

TEST(buddy, random_against_model)
{
	static struct arena a;
	static int16_t owner[ARENA_PAGES]; /* block id holding each page, or -1 */
	struct {
		struct page *p;
		unsigned order;
	} live[512];
	int nlive = 0, bad = 0;
	uint64_t used = 0;

	rng_state = 0x9e3779b97f4a7c15ull;
	arena_init(&a, ARENA_PAGES);
	EXPECT_EQ(t, a.zone.free_pages, ARENA_PAGES);
	EXPECT_EQ(t, a.zone.nr_free[MAX_ORDER], ARENA_PAGES >> MAX_ORDER);
	memset(owner, -1, sizeof(owner));
	for (int step = 0; step < 50000; step++) {
		if (nlive < 512 && (rnd() % 3 || !nlive)) {
			unsigned order = rnd() % 5;
			struct page *p = buddy_alloc(&a.zone, order);

			if (!p)
				continue;
			uint64_t first = (uint64_t)(p - a.map);

			if (first % (1u << order))
				bad++; /* blocks are naturally aligned */
			for (uint64_t i = first; i < first + (1u << order); i++) {
				if (owner[i] != -1)
					bad++; /* handed out twice */
				owner[i] = (int16_t)nlive;
			}
			live[nlive].p = p;
			live[nlive++].order = order;
			used += 1u << order;
		} else {
			int k = (int)(rnd() % (uint64_t)nlive);
			uint64_t first = (uint64_t)(live[k].p - a.map);

			for (uint64_t i = first; i < first + (1u << live[k].order); i++)
				owner[i] = -1;
			buddy_free(&a.zone, live[k].p, live[k].order);
			used -= 1u << live[k].order;
			live[k] = live[--nlive];
			for (int j = 0; j < nlive; j++) {
				uint64_t f = (uint64_t)(live[j].p - a.map);

				for (uint64_t i = f; i < f + (1u << live[j].order); i++)
					owner[i] = (int16_t)j;
			}
		}
		if (a.zone.free_pages + used != ARENA_PAGES)
			bad++;
	}
	EXPECT_EQ(t, bad, 0);
	while (nlive) {
		nlive--;
		buddy_free(&a.zone, live[nlive].p, live[nlive].order);
	}
	/* Everything merged back into the largest blocks. */
	EXPECT_EQ(t, a.zone.free_pages, ARENA_PAGES);
	EXPECT_EQ(t, a.zone.nr_free[MAX_ORDER], ARENA_PAGES >> MAX_ORDER);
	arena_fini(&a);
}

TEST(buddy, exhaustion_and_odd_ranges)
{
	static struct arena a;
	struct page *p[ARENA_PAGES];
	int n = 0;

	arena_init(&a, ARENA_PAGES);
	while (n < ARENA_PAGES && (p[n] = buddy_alloc(&a.zone, 0)))
		n++;
	EXPECT_EQ(t, n, ARENA_PAGES);
	EXPECT_TRUE(t, buddy_alloc(&a.zone, 0) == NULL);
	EXPECT_TRUE(t, buddy_alloc(&a.zone, MAX_ORDER + 1) == NULL);
	while (n)
		buddy_free(&a.zone, p[--n], 0);
	EXPECT_EQ(t, a.zone.nr_free[MAX_ORDER], ARENA_PAGES >> MAX_ORDER);
	arena_fini(&a);

	/* A range that starts and ends off any large alignment. */
	a.map = calloc(ARENA_PAGES, sizeof(struct page));
	a.mem = aligned_alloc(MM_PAGE_SIZE << MAX_ORDER, ARENA_PAGES * MM_PAGE_SIZE);
	uint64_t base = (uintptr_t)a.mem >> MM_PAGE_SHIFT;

	buddy_init(&a.zone, a.map, 0, base, base + ARENA_PAGES);
	buddy_add_range(&a.zone, base + 3, 1000);
	EXPECT_EQ(t, a.zone.free_pages, 1000);
	EXPECT_EQ(t, a.zone.managed_pages, 1000);
	/* [3, 1003) holds an aligned 256-page block but no aligned 512-page one. */
	EXPECT_TRUE(t, buddy_alloc(&a.zone, 9) == NULL);
	struct page *q = buddy_alloc(&a.zone, 8);

	EXPECT_TRUE(t, q != NULL);
	if (q) {
		EXPECT_EQ(t, (q - a.map) % 256, 0);
		buddy_free(&a.zone, q, 8);
	}
	EXPECT_EQ(t, a.zone.free_pages, 1000);
	arena_fini(&a);
}

static void *arena_src_alloc(void *ctx, unsigned order)
{
	struct page *p = buddy_alloc(ctx, order);

	return p ? page_addr(ctx, p) : NULL;
}

static void arena_src_free(void *ctx, void *addr, unsigned order)
{
	buddy_free(ctx, addr_page(ctx, addr), order);
}

TEST(kcache, random_two_cpus_against_model)
{
	static struct arena a;
	static struct kcache c;
	struct kcache_cpu cpu[2];
	enum { MAXLIVE = 3000 };
	static struct {
		uint8_t *p;
		uint8_t tag;
	} live[MAXLIVE];
	int nlive = 0, bad = 0;

	rng_state = 12345;
	arena_init(&a, ARENA_PAGES);
	memset(cpu, 0, sizeof(cpu));
	struct page_source src = { arena_src_alloc, arena_src_free, &a.zone };

	EXPECT_EQ(t, kcache_init(&c, "test", 200, &a.zone, src), 0);
	EXPECT_EQ(t, c.size, 208);
	for (int step = 0; step < 200000; step++) {
		/* Allocate on one CPU, free on either: frees cross CPUs half the time. */
		struct kcache_cpu *cc = &cpu[rnd() & 1];

		if (nlive < MAXLIVE && (rnd() % 2 || !nlive)) {
			uint8_t *p = kcache_alloc(&c, cc);

			if (!p) {
				bad++;
				continue;
			}
			if (kcache_object_of(&c, p) != p || kcache_object_of(&c, p + 100) != p)
				bad++;
			live[nlive].p = p;
			live[nlive].tag = (uint8_t)rnd();
			memset(p, live[nlive].tag, c.size);
			nlive++;
		} else {
			int k = (int)(rnd() % (uint64_t)nlive);

			for (uint32_t i = 0; i < c.size; i++)
				if (live[k].p[i] != live[k].tag)
					bad++; /* someone else wrote into this object */
			kcache_free(&c, cc, live[k].p);
			live[k] = live[--nlive];
		}
		if (step % 1000 == 0) {
			/* Conservation: every object is in a slab, a magazine or in use. */
			uint64_t objs = c.slab_free_objs + c.depot_objs + kcache_cpu_objs(&cpu[0]) +
					kcache_cpu_objs(&cpu[1]) + (uint64_t)nlive;

			if (objs != c.nr_slabs * c.per_slab)
				bad++;
		}
	}
	EXPECT_EQ(t, bad, 0);
	EXPECT_EQ(t, cpu[0].allocs + cpu[1].allocs - cpu[0].frees - cpu[1].frees, nlive);
	while (nlive) {
		nlive--;
		kcache_free(&c, &cpu[nlive & 1], live[nlive].p);
	}
	kcache_shrink(&c, &cpu[0]);
	kcache_shrink(&c, &cpu[1]);
	/* Nothing leaked: only the magazines' own pages stay out. */
	EXPECT_EQ(t, c.nr_slabs, 0);
	EXPECT_EQ(t, a.zone.free_pages + c.mag_pages, ARENA_PAGES);
	arena_fini(&a);
}

TEST(kcache, exhaustion_is_null_and_recovers)
{
	static struct arena a;
	static struct kcache c;
	struct kcache_cpu cc;
	static void *objs[40000];
	int n = 0;

	arena_init(&a, 64);
	memset(&cc, 0, sizeof(cc));
	struct page_source src = { arena_src_alloc, arena_src_free, &a.zone };

	kcache_init(&c, "small", 64, &a.zone, src);
	while (n < 40000 && (objs[n] = kcache_alloc(&c, &cc)))
		n++;
	EXPECT_GT(t, n, 3000); /* ~64 objects per page, minus magazines */
	EXPECT_LT(t, n, 4096);
	while (n)
		kcache_free(&c, &cc, objs[--n]);
	kcache_shrink(&c, &cc);
	EXPECT_EQ(t, c.nr_slabs, 0);
	EXPECT_TRUE(t, (objs[0] = kcache_alloc(&c, &cc)) != NULL);
	kcache_free(&c, &cc, objs[0]);
	arena_fini(&a);
}
