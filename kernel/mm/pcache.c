/*
 * The page cache's table: sets of PC_WAYS slots, CLOCK within a set, a
 * shrinker's hand across sets (pcache.h has the design).
 *
 * Invariants: a (dev, index) pair is in at most one slot, and only in the
 * set it hashes to; a slot with references is never evicted or refilled;
 * `accessed` bits are only set for occupied slots.  The set counters count
 * what happened under the set's lock, so summing them needs no atomics.
 *
 * Portable: no kernel header but the spinlock; the caller has preemption
 * off (the kernel) or no preemption at all (the host tests).
 */
#include <string.h>

#include "pcache.h"

/* splitmix64's finaliser: sequential indices spread over all sets. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void pcache_init(struct pcache *c, struct pc_set *sets, uint32_t nsets, const char *lock_name)
{
	c->sets = sets;
	c->nsets = nsets;
	atomic_init(&c->hand, 0);
	for (uint32_t i = 0; i < nsets; i++)
		spin_init(&sets[i].lock, lock_name);
}

uint32_t pcache_set_index(const struct pcache *c, uint32_t dev, uint64_t index)
{
	uint64_t h = mix(index ^ ((uint64_t)dev << 48) ^ ((uint64_t)dev >> 16));

	/* Lemire's range reduction: any set count, no division */
	return (uint32_t)(((h >> 32) * c->nsets) >> 32);
}

static struct pc_set *set_of(const struct pcache *c, uint32_t dev, uint64_t index)
{
	return &c->sets[pcache_set_index(c, dev, index)];
}

/* Caller holds the set's lock. */
static int find(const struct pc_set *s, uint32_t dev, uint64_t index)
{
	for (int w = 0; w < PC_WAYS; w++)
		if (s->slot[w].data && s->slot[w].dev == dev && s->slot[w].index == index)
			return w;
	return -1;
}

static bool unused(struct pc_slot *sl)
{
	/* acquire: pairs with the release in pcache_put (pcache.h): the holder's reads are done */
	return atomic_load_explicit(&sl->ref, memory_order_acquire) == 0;
}

static void take(struct pc_set *s, int w)
{
	/* relaxed: under the set's lock, which orders it against eviction */
	atomic_fetch_add_explicit(&s->slot[w].ref, 1, memory_order_relaxed);
	s->accessed |= (uint8_t)(1u << w);
}

struct pc_slot *pcache_lookup(struct pcache *c, uint32_t dev, uint64_t index, void **data)
{
	struct pc_set *s = set_of(c, dev, index);
	struct pc_slot *sl = NULL;
	int w;

	raw_spin_lock(&s->lock);
	w = find(s, dev, index);
	if (w >= 0) {
		take(s, w);
		sl = &s->slot[w];
		*data = sl->data;
		s->hits++;
	} else {
		s->misses++;
	}
	raw_spin_unlock(&s->lock);
	return sl;
}

/* Caller holds the set's lock: an empty slot, else the clock's choice, else -1. */
static int victim(struct pc_set *s)
{
	for (int w = 0; w < PC_WAYS; w++)
		if (!s->slot[w].data)
			return w;
	/* Two turns: the first may only clear accessed bits. */
	for (int i = 0; i < 2 * PC_WAYS; i++) {
		int w = s->hand;

		s->hand = (uint8_t)((w + 1) % PC_WAYS);
		if (!unused(&s->slot[w]))
			continue;
		if (s->accessed & (1u << w)) {
			s->accessed &= (uint8_t) ~(1u << w);
			continue;
		}
		return w;
	}
	return -1;
}

struct pc_slot *pcache_insert(struct pcache *c, uint32_t dev, uint64_t index, void **data,
			      void **victim_page)
{
	struct pc_set *s = set_of(c, dev, index);
	struct pc_slot *sl = NULL;
	int w;

	*victim_page = NULL;
	raw_spin_lock(&s->lock);
	w = find(s, dev, index);
	if (w >= 0) {
		/* another thread read the same page first: share its copy */
		take(s, w);
		sl = &s->slot[w];
		*data = sl->data;
	} else if ((w = victim(s)) >= 0) {
		sl = &s->slot[w];
		if (sl->data) {
			*victim_page = sl->data;
			s->evictions++;
		}
		sl->data = *data;
		sl->dev = dev;
		sl->index = index;
		s->accessed &= (uint8_t) ~(1u << w);
		/* relaxed: under the lock; nobody else can hold an unused slot */
		atomic_store_explicit(&sl->ref, 1, memory_order_relaxed);
	}
	raw_spin_unlock(&s->lock);
	return sl;
}

/*
 * Caller holds the set's lock.  Moves the set's evictable pages to out:
 * every unreferenced page of dev (or all) when clock is false, else only
 * those whose accessed bit is clear (clearing the others'), up to max.
 */
static unsigned evict(struct pc_set *s, bool clock, uint32_t dev, bool all, uint64_t max,
		      void **out, uint64_t *busy)
{
	unsigned n = 0;

	for (int w = 0; w < PC_WAYS && n < max; w++) {
		struct pc_slot *sl = &s->slot[w];

		if (!sl->data || (!all && sl->dev != dev))
			continue;
		if (!unused(sl)) {
			if (busy)
				(*busy)++;
			continue;
		}
		if (clock && (s->accessed & (1u << w))) {
			s->accessed &= (uint8_t) ~(1u << w);
			continue;
		}
		out[n++] = sl->data;
		sl->data = NULL;
		s->accessed &= (uint8_t) ~(1u << w);
	}
	s->evictions += n;
	return n;
}

uint64_t pcache_shrink(struct pcache *c, uint64_t max, pcache_free_fn *free_page, void *ctx)
{
	uint64_t done = 0;
	/* relaxed: the hand is a hint; two shrinkers sharing a turn is harmless */
	uint32_t at = atomic_load_explicit(&c->hand, memory_order_relaxed) % c->nsets;

	for (uint64_t i = 0; i < 2ull * c->nsets && done < max; i++) {
		struct pc_set *s = &c->sets[at];
		void *out[PC_WAYS];
		unsigned n = 0;

		if (raw_spin_trylock(&s->lock)) {
			n = evict(s, true, 0, true, max - done, out, NULL);
			raw_spin_unlock(&s->lock);
		}
		for (unsigned k = 0; k < n; k++)
			free_page(ctx, out[k]);
		done += n;
		at = at + 1 == c->nsets ? 0 : at + 1;
	}
	atomic_store_explicit(&c->hand, at, memory_order_relaxed);
	return done;
}

uint64_t pcache_drop(struct pcache *c, uint32_t dev, bool all, pcache_free_fn *free_page, void *ctx,
		     uint64_t *busy)
{
	uint64_t done = 0;

	if (busy)
		*busy = 0;
	for (uint32_t i = 0; i < c->nsets; i++) {
		struct pc_set *s = &c->sets[i];
		void *out[PC_WAYS];
		unsigned n;

		raw_spin_lock(&s->lock);
		n = evict(s, false, dev, all, PC_WAYS, out, busy);
		raw_spin_unlock(&s->lock);
		for (unsigned k = 0; k < n; k++)
			free_page(ctx, out[k]);
		done += n;
	}
	return done;
}

void pcache_counts(struct pcache *c, struct pcache_counts *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < c->nsets; i++) {
		struct pc_set *s = &c->sets[i];

		raw_spin_lock(&s->lock);
		for (int w = 0; w < PC_WAYS; w++)
			out->pages += s->slot[w].data != NULL;
		out->hits += s->hits;
		out->misses += s->misses;
		out->evictions += s->evictions;
		raw_spin_unlock(&s->lock);
	}
}
