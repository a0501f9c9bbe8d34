/*
 * The page cache's table (kernel/mm/pcache.c): portable, so that the host
 * unit tests drive the same code the kernel runs.  The kernel's side
 * (pagecache.c) supplies the pages, reads them from devices, and calls
 * these with preemption off.
 *
 * A set-associative table: a page (device id, page index) hashes to one
 * set of PC_WAYS slots, each set behind its own lock.  No allocation ever
 * happens here (the table is made once, pages come from the caller), so
 * evicting never frees a heap object: a shrinker running inside an
 * allocation cannot deadlock on the heap's locks.
 *
 * Replacement is CLOCK (second chance) within the set: a hit sets the
 * slot's accessed bit, the hand clears bits as it passes and takes the first
 * unreferenced slot whose bit is clear.  Insertion does not set the bit, so
 * a page read once (a sequential scan) goes before a page read twice.
 *
 * Lock legend: [s] the set's lock, [a] atomic, [i] immutable after init.
 */
#ifndef OSPREY_MM_PCACHE_H
#define OSPREY_MM_PCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <osprey/spinlock.h>

#define PC_WAYS 8

struct pc_slot {
	uint64_t index;	      /* [s] the page's index on its device */
	void *data;	      /* [s] the page; NULL: the slot is empty */
	uint32_t dev;	      /* [s] the device's id */
	_Atomic uint32_t ref; /* [a] holders: taken under the set's lock, dropped without it */
};

struct pc_set {
	struct spinlock lock;
	uint8_t accessed;		  /* [s] one bit per way: hit since the hand last passed */
	uint8_t hand;			  /* [s] where the in-set clock looks next */
	uint64_t hits, misses, evictions; /* [s] */
	struct pc_slot slot[PC_WAYS];
};

struct pcache {
	struct pc_set *sets;   /* [i] */
	uint32_t nsets;	       /* [i] any number >= 1 */
	_Atomic uint32_t hand; /* [a] the set the shrinker looks at next */
};

struct pcache_counts {
	uint64_t pages, hits, misses, evictions;
};

/* sets: nsets zeroed sets. */
void pcache_init(struct pcache *c, struct pc_set *sets, uint32_t nsets, const char *lock_name);
/* Which set a page belongs to (tests use it to make collisions). */
uint32_t pcache_set_index(const struct pcache *c, uint32_t dev, uint64_t index);
/*
 * A hit takes a reference and marks the slot used: returns it, with its
 * page in *data.  A miss returns NULL (and counts one).
 */
struct pc_slot *pcache_lookup(struct pcache *c, uint32_t dev, uint64_t index, void **data);
/*
 * Caches data, a page the caller filled, with one reference for the
 * caller.  Returns the slot; *data is then the cached page: the caller's
 * own, or, when another thread inserted the same page first, that one (the
 * caller frees its copy: *data != the page it passed).  *victim: a page
 * evicted to make room (or NULL), for the caller to free.  Returns NULL,
 * changing nothing, when every slot of the set is referenced.
 */
struct pc_slot *pcache_insert(struct pcache *c, uint32_t dev, uint64_t index, void **data,
			      void **victim);
/* Drops a reference from lookup or insert; takes no lock (inline: once per page read). */
static inline void pcache_put(struct pc_slot *s)
{
	/* release: our reads of the page happen before it can be evicted; pairs with the
	 * acquire in pcache.c's unused() */
	atomic_fetch_sub_explicit(&s->ref, 1, memory_order_release);
}

typedef void pcache_free_fn(void *ctx, void *page);

/*
 * Evicts up to max unreferenced pages, oldest first (two turns of the
 * clock at most), looking at each set only if its lock is free: never
 * waits, so it may run inside an allocation.  free_page gets each evicted
 * page once its set is unlocked.  Returns the pages evicted.
 */
uint64_t pcache_shrink(struct pcache *c, uint64_t max, pcache_free_fn *free_page, void *ctx);
/*
 * Evicts every unreferenced page of device dev (every device when all),
 * waiting for each set's lock.  Returns the pages evicted; *busy (if not
 * NULL) gets the pages kept because someone holds them.
 */
uint64_t pcache_drop(struct pcache *c, uint32_t dev, bool all, pcache_free_fn *free_page, void *ctx,
		     uint64_t *busy);
/* Sums the sets' counters (taking each set's lock). */
void pcache_counts(struct pcache *c, struct pcache_counts *out);

#endif
