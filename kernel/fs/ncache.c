/*
 * The name cache's table: buckets of NC_WAYS entries, CLOCK within a
 * bucket, sequence numbers against stale inserts (ncache.h has the design).
 *
 * Invariants: a (dev, ino, name) triple is in at most one entry, and only
 * in the bucket its hash picks; every non-NULL node in an entry carries
 * one reference taken by ncache_insert and dropped exactly once, after its
 * bucket is unlocked.  A bucket's seq only grows.
 *
 * Portable: no kernel header but the spinlock; the caller has preemption
 * off (the kernel) or none at all (the host tests).
 */
#include <string.h>

#include "ncache.h"

void ncache_init(struct ncache *nc, struct nc_bucket *b, uint32_t nbuckets,
		 const struct nc_ops *ops, const char *lock_name)
{
	nc->b = b;
	nc->nbuckets = nbuckets;
	nc->ops = ops;
	for (uint32_t i = 0; i < nbuckets; i++)
		spin_init(&b[i].lock, lock_name);
}

/* FNV-1a over the name, then the directory mixed in (splitmix64's finaliser). */
uint32_t ncache_hash(uint64_t dev, uint64_t ino, const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
	h ^= ino * 0x9e3779b97f4a7c15ull ^ (dev << 40);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return (uint32_t)(h ^ (h >> 31));
}

uint32_t ncache_bucket_index(const struct ncache *nc, uint32_t hash)
{
	/* Lemire's range reduction: any bucket count, no division */
	return (uint32_t)(((uint64_t)hash * nc->nbuckets) >> 32);
}

/* Caller holds the bucket's lock. */
static int find(const struct nc_bucket *b, uint64_t dev, uint64_t ino, uint32_t hash,
		const char *name, size_t len)
{
	for (int w = 0; w < NC_WAYS; w++) {
		const struct nc_entry *e = &b->e[w];

		if (e->dev == dev && e->hash == hash && e->ino == ino && e->len == len &&
		    memcmp(e->name, name, len) == 0)
			return w;
	}
	return -1;
}

bool ncache_lookup(struct ncache *nc, uint64_t dev, uint64_t ino, const char *name, size_t len,
		   void **node, uint32_t *seq)
{
	uint32_t hash = ncache_hash(dev, ino, name, len);
	struct nc_bucket *b = &nc->b[ncache_bucket_index(nc, hash)];
	int w = -1;

	raw_spin_lock(&b->lock);
	if (len <= NC_NAME_MAX && dev)
		w = find(b, dev, ino, hash, name, len);
	if (w >= 0) {
		*node = b->e[w].node;
		if (*node) {
			nc->ops->get(*node);
			b->hits++;
		} else {
			b->negative_hits++;
		}
		b->accessed |= (uint8_t)(1u << w);
	} else {
		*seq = b->seq;
		b->misses++;
	}
	raw_spin_unlock(&b->lock);
	return w >= 0;
}

/* Caller holds the bucket's lock: an empty entry, else CLOCK's choice. */
static int victim(struct nc_bucket *b)
{
	for (int w = 0; w < NC_WAYS; w++)
		if (!b->e[w].dev)
			return w;
	for (;;) {
		int w = b->hand;

		b->hand = (uint8_t)((w + 1) % NC_WAYS);
		if (!(b->accessed & (1u << w)))
			return w;
		b->accessed &= (uint8_t) ~(1u << w);
	}
}

bool ncache_insert(struct ncache *nc, uint64_t dev, uint64_t ino, const char *name, size_t len,
		   void *node, uint32_t seq)
{
	uint32_t hash = ncache_hash(dev, ino, name, len);
	struct nc_bucket *b = &nc->b[ncache_bucket_index(nc, hash)];
	void *old = NULL;
	bool done = false;

	if (len > NC_NAME_MAX || len == 0 || !dev)
		return false;
	raw_spin_lock(&b->lock);
	if (b->seq == seq && find(b, dev, ino, hash, name, len) < 0) {
		int w = victim(b);
		struct nc_entry *e = &b->e[w];

		if (e->dev) {
			old = e->node;
			b->evictions++;
		}
		if (node)
			nc->ops->get(node);
		e->dev = dev;
		e->ino = ino;
		e->node = node;
		e->hash = hash;
		e->len = (uint8_t)len;
		memcpy(e->name, name, len);
		b->accessed &= (uint8_t) ~(1u << w);
		done = true;
	}
	raw_spin_unlock(&b->lock);
	if (old)
		nc->ops->put(old);
	return done;
}

void ncache_invalidate(struct ncache *nc, uint64_t dev, uint64_t ino, const char *name, size_t len)
{
	uint32_t hash = ncache_hash(dev, ino, name, len);
	struct nc_bucket *b = &nc->b[ncache_bucket_index(nc, hash)];
	void *old = NULL;
	int w;

	if (len > NC_NAME_MAX || !dev)
		return; /* never cached */
	raw_spin_lock(&b->lock);
	w = find(b, dev, ino, hash, name, len);
	if (w >= 0) {
		old = b->e[w].node;
		memset(&b->e[w], 0, sizeof(b->e[w]));
		b->accessed &= (uint8_t) ~(1u << w);
	}
	b->seq++;
	raw_spin_unlock(&b->lock);
	if (old)
		nc->ops->put(old);
}

void ncache_flush(struct ncache *nc)
{
	for (uint32_t i = 0; i < nc->nbuckets; i++) {
		struct nc_bucket *b = &nc->b[i];
		void *old[NC_WAYS];
		int n = 0;

		raw_spin_lock(&b->lock);
		for (int w = 0; w < NC_WAYS; w++) {
			if (b->e[w].node)
				old[n++] = b->e[w].node;
			memset(&b->e[w], 0, sizeof(b->e[w]));
		}
		b->accessed = 0;
		b->seq++;
		raw_spin_unlock(&b->lock);
		for (int k = 0; k < n; k++)
			nc->ops->put(old[k]);
	}
}

void ncache_counts(struct ncache *nc, struct ncache_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < nc->nbuckets; i++) {
		struct nc_bucket *b = &nc->b[i];

		raw_spin_lock(&b->lock);
		for (int w = 0; w < NC_WAYS; w++) {
			out->entries += b->e[w].dev != 0;
			out->negative += b->e[w].dev && !b->e[w].node;
		}
		out->hits += b->hits;
		out->negative_hits += b->negative_hits;
		out->misses += b->misses;
		out->evictions += b->evictions;
		raw_spin_unlock(&b->lock);
	}
}
