/*
 * The name cache's table (kernel/fs/ncache.c) on the host, under ASan and
 * UBSan: hits, negative entries, invalidation, the sequence rule that keeps
 * a stale answer out, CLOCK in a full bucket, flushing, reference balance
 * on the nodes, and a long random run against a model of a directory tree.
 */
#include <stdlib.h>
#include <string.h>

#include <osprey/test.h>

#include "../../kernel/fs/ncache.h"

struct node {
	int refs;
	int id;
};

static void get(void *n)
{
	((struct node *)n)->refs++;
}

static void put(void *n)
{
	((struct node *)n)->refs--;
}

static const struct nc_ops ops = { get, put };

static struct ncache *table(uint32_t nbuckets)
{
	struct ncache *nc = calloc(1, sizeof(*nc));

	ncache_init(nc, calloc(nbuckets, sizeof(struct nc_bucket)), nbuckets, &ops, "ncache");
	return nc;
}

static void table_free(struct ncache *nc)
{
	ncache_flush(nc);
	free(nc->b);
	free(nc);
}

TEST(ncache, hit_negative_and_invalidate)
{
	struct ncache *nc = table(4);
	struct node a = { 0, 1 };
	struct ncache_counts n;
	uint32_t seq;
	void *got;

	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, "a", 1, &got, &seq));
	EXPECT_TRUE(t, ncache_insert(nc, 1, 2, "a", 1, &a, seq));
	EXPECT_EQ(t, a.refs, 1); /* the table's */
	EXPECT_TRUE(t, ncache_lookup(nc, 1, 2, "a", 1, &got, &seq));
	EXPECT_TRUE(t, got == &a);
	EXPECT_EQ(t, a.refs, 2); /* and the caller's */
	put(&a);
	/* another directory, another device, another name: misses */
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 3, "a", 1, &got, &seq));
	EXPECT_FALSE(t, ncache_lookup(nc, 2, 2, "a", 1, &got, &seq));
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, "ab", 2, &got, &seq));
	/* a negative entry */
	EXPECT_TRUE(t, ncache_insert(nc, 1, 2, "ab", 2, NULL, seq));
	EXPECT_TRUE(t, ncache_lookup(nc, 1, 2, "ab", 2, &got, &seq));
	EXPECT_TRUE(t, got == NULL);
	/* inserting a name already cached changes nothing */
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, "zz", 2, &got, &seq));
	EXPECT_FALSE(t, ncache_insert(nc, 1, 2, "a", 1, &a, seq));
	EXPECT_EQ(t, a.refs, 1);
	ncache_invalidate(nc, 1, 2, "a", 1);
	EXPECT_EQ(t, a.refs, 0);
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, "a", 1, &got, &seq));
	ncache_counts(nc, &n);
	EXPECT_EQ(t, n.entries, 1);
	EXPECT_EQ(t, n.negative, 1);
	EXPECT_EQ(t, n.hits, 1);
	EXPECT_EQ(t, n.negative_hits, 1);
	/* too long, empty, or dev 0: never cached */
	char longname[NC_NAME_MAX + 1];

	memset(longname, 'x', sizeof(longname));
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, longname, sizeof(longname), &got, &seq));
	EXPECT_FALSE(t, ncache_insert(nc, 1, 2, longname, sizeof(longname), &a, seq));
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, longname, NC_NAME_MAX, &got, &seq));
	EXPECT_TRUE(t, ncache_insert(nc, 1, 2, longname, NC_NAME_MAX, &a, seq));
	EXPECT_FALSE(t, ncache_insert(nc, 1, 2, "", 0, &a, seq));
	EXPECT_FALSE(t, ncache_insert(nc, 0, 2, "q", 1, &a, seq));
	table_free(nc);
	EXPECT_EQ(t, a.refs, 0);
}

/* The race a name cache must close: an answer read before a change, inserted after it. */
TEST(ncache, stale_answers_are_not_inserted)
{
	struct ncache *nc = table(1);
	struct node a = { 0, 1 };
	uint32_t seq, seq2;
	void *got;

	/* lookup misses, the file system says "a" exists... */
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, "a", 1, &got, &seq));
	/* ...meanwhile "a" is unlinked and invalidated... */
	ncache_invalidate(nc, 1, 2, "a", 1);
	/* ...so the late insert is refused */
	EXPECT_FALSE(t, ncache_insert(nc, 1, 2, "a", 1, &a, seq));
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, "a", 1, &got, &seq));
	/* an insert before the invalidation is undone by it */
	EXPECT_TRUE(t, ncache_insert(nc, 1, 2, "a", 1, &a, seq));
	ncache_invalidate(nc, 1, 2, "a", 1);
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, "a", 1, &got, &seq));
	EXPECT_EQ(t, a.refs, 0);
	/* a flush moves every sequence number */
	EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, "b", 1, &got, &seq2));
	ncache_flush(nc);
	EXPECT_FALSE(t, ncache_insert(nc, 1, 2, "b", 1, NULL, seq2));
	table_free(nc);
}

TEST(ncache, clock_in_a_full_bucket)
{
	struct ncache *nc = table(1);
	struct node nodes[NC_WAYS + 4];
	struct ncache_counts n;
	char name[8];
	uint32_t seq;
	void *got;

	for (int i = 0; i < NC_WAYS + 4; i++) {
		nodes[i] = (struct node){ 0, i };
		name[0] = (char)('a' + i);
		EXPECT_FALSE(t, ncache_lookup(nc, 1, 2, name, 1, &got, &seq));
		EXPECT_TRUE(t, ncache_insert(nc, 1, 2, name, 1, &nodes[i], seq));
		if (i < 2) { /* a and b are used again */
			EXPECT_TRUE(t, ncache_lookup(nc, 1, 2, name, 1, &got, &seq));
			put(got);
		}
	}
	ncache_counts(nc, &n);
	EXPECT_EQ(t, n.entries, NC_WAYS);
	EXPECT_EQ(t, n.evictions, 4);
	for (int i = 0; i < 2; i++) {
		name[0] = (char)('a' + i);
		EXPECT_TRUE(t, ncache_lookup(nc, 1, 2, name, 1, &got, &seq));
		put(got);
	}
	int held = 0;

	for (int i = 0; i < NC_WAYS + 4; i++)
		held += nodes[i].refs;
	EXPECT_EQ(t, held, NC_WAYS); /* one per entry; the evicted ones were put */
	table_free(nc);
	for (int i = 0; i < NC_WAYS + 4; i++)
		EXPECT_EQ(t, nodes[i].refs, 0);
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * A model: 4 directories x 12 names, each name absent or naming a node.
 * Lookups go through the cache the way namei.c does (miss, ask the
 * model, insert with the sequence number); changes invalidate.  Every
 * answer must be the model's.
 */
TEST(ncache, random_against_model)
{
	struct ncache *nc = table(3);
	struct node nodes[48];
	bool present[48];
	int bad = 0;

	for (int i = 0; i < 48; i++) {
		nodes[i] = (struct node){ 0, i };
		present[i] = rnd() % 2;
	}
	for (int step = 0; step < 300000; step++) {
		int i = (int)(rnd() % 48);
		uint64_t dir = 10 + (uint64_t)(i / 12);
		char name[NC_NAME_MAX];
		size_t len = 1 + (size_t)(i % 12) * 2; /* different lengths, some long */
		void *got;
		uint32_t seq;

		memset(name, 'a' + (i % 12), len);
		if (rnd() % 4 == 0) {
			present[i] = !present[i];
			ncache_invalidate(nc, 1, dir, name, len);
		} else if (rnd() % 500 == 0) {
			ncache_flush(nc);
		} else if (ncache_lookup(nc, 1, dir, name, len, &got, &seq)) {
			bad += present[i] ? got != &nodes[i] : got != NULL;
			if (got)
				put(got);
		} else {
			ncache_insert(nc, 1, dir, name, len, present[i] ? &nodes[i] : NULL, seq);
		}
	}
	EXPECT_EQ(t, bad, 0);
	table_free(nc);
	for (int i = 0; i < 48; i++)
		EXPECT_EQ(t, nodes[i].refs, 0);
}
