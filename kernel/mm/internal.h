/*
 * What the memory subsystem's own files share.  The allocator cores
 * (buddy.c, slab.c) are portable: they see memory only through struct zone
 * (a page array and the virtual address of page frame 0) and take the
 * calling CPU's cache as a parameter, so the host unit tests drive the very
 * same code over a heap arena.
 *
 * Lock legend: [z] zone->lock, [d] cache->lock (the depot), [c] the owning
 * CPU's, with preemption off, [i] immutable after set-up.
 */
#ifndef OSPREY_MM_INTERNAL_H
#define OSPREY_MM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <osprey/list.h>
#include <osprey/spinlock.h>

#define MM_PAGE_SIZE 4096u
#define MM_PAGE_SHIFT 12
#define MAX_ORDER 10 /* largest block: 4 MiB */

/* struct page flags; 0: not in the allocator's hands (reserved, cached, or inside a block) */
#define PG_FREE 0x01  /* head of a free buddy block */
#define PG_SLAB 0x02  /* part of a slab; owner is its struct slab */
#define PG_LARGE 0x04 /* head of a large kmalloc block */
#define PG_ALLOC 0x10 /* head of an allocated block */

struct slab;

struct page {
	struct list link; /* [z] buddy free list */
	union {
		struct slab *slab; /* slab pages: their slab (any page of it) */
		struct page *head; /* pages of a large kmalloc block: its first page */
	};
	uint16_t flags;
	uint8_t order;	  /* free or allocated head: the block's order */
	uint8_t cache_id; /* slab pages: their cache's id (kcache.id), 0 if none */
	uint8_t pad[4];
};

_Static_assert(sizeof(struct page) == 32, "struct page stays 32 bytes");

struct zone {
	struct spinlock lock;
	struct page *map;		 /* [i] one entry per frame in [base_pfn, end_pfn) */
	uintptr_t vbase;		 /* [i] virtual address of frame 0 */
	uint64_t base_pfn;		 /* [i] */
	uint64_t end_pfn;		 /* [i] */
	struct list free[MAX_ORDER + 1]; /* [z] free blocks' head pages, per order */
	uint64_t nr_free[MAX_ORDER + 1]; /* [z] blocks per order */
	uint64_t free_pages;		 /* [z] */
	uint64_t managed_pages;		 /* [i] pages ever given to the zone */
};

void buddy_init(struct zone *z, struct page *map, uintptr_t vbase, uint64_t base_pfn,
		uint64_t end_pfn);
/* Gives [pfn, pfn + n) to the allocator.  Caller: set-up, or holds no lock. */
void buddy_add_range(struct zone *z, uint64_t pfn, uint64_t n);
/* Returns the head page of a 2^order block, or NULL.  Takes zone->lock. */
struct page *buddy_alloc(struct zone *z, unsigned order);
void buddy_free(struct zone *z, struct page *p, unsigned order);
/* The same with zone->lock already held (batch refill and drain). */
struct page *buddy_alloc_locked(struct zone *z, unsigned order);
void buddy_free_locked(struct zone *z, struct page *p, unsigned order);

static inline uint64_t page_pfn(const struct zone *z, const struct page *p)
{
	return z->base_pfn + (uint64_t)(p - z->map);
}

static inline void *page_addr(const struct zone *z, const struct page *p)
{
	return (void *)(z->vbase + (page_pfn(z, p) << MM_PAGE_SHIFT));
}

/* NULL when va is not inside the zone. */
static inline struct page *addr_page(const struct zone *z, const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v < z->vbase)
		return NULL;
	uint64_t pfn = (v - z->vbase) >> MM_PAGE_SHIFT;

	if (pfn < z->base_pfn || pfn >= z->end_pfn)
		return NULL;
	return &z->map[pfn - z->base_pfn];
}

/*
 * Object caches (slab.c): slabs of equal objects, per-CPU magazines in
 * front of them, and a depot of full and empty magazines between.
 */
#define MAG_SIZE 30

struct magazine {
	struct magazine *next; /* [d] depot lists */
	uint32_t n;
	uint32_t pad;
	void *obj[MAG_SIZE];
};

struct kcache_cpu {
	struct magazine *loaded; /* [c] */
	struct magazine *prev;	 /* [c] */
	uint64_t allocs;	 /* [c] */
	uint64_t frees;		 /* [c] */
};

struct slab {
	struct list link;     /* [d] partial / full list */
	struct kcache *cache; /* [i] */
	void *free;	      /* [d] free objects, linked through their first word */
	uint32_t inuse;	      /* [d] */
	uint32_t pad;
};

/* Where a cache gets and returns its slabs' pages. */
struct page_source {
	void *(*alloc)(void *ctx, unsigned order);
	void (*free)(void *ctx, void *addr, unsigned order);
	void *ctx;
};

struct kcache {
	const char *name;	     /* [i] */
	uint32_t size;		     /* [i] object size (a multiple of 16) */
	uint32_t per_slab;	     /* [i] objects in one slab */
	uint32_t first;		     /* [i] offset of the first object */
	uint32_t inv;		     /* [i] ceil(2^32 / size): offset / size without a divide */
	uint8_t order;		     /* [i] slab order */
	uint8_t id;		     /* [i] copied into its slab pages' cache_id (0: none) */
	struct zone *zone;	     /* [i] for address -> slab */
	struct page_source src;	     /* [i] */
	struct spinlock lock;	     /* the depot */
	struct list partial;	     /* [d] slabs with free objects */
	struct list full;	     /* [d] slabs with none */
	struct magazine *full_mags;  /* [d] */
	struct magazine *empty_mags; /* [d] */
	uint64_t nr_slabs;	     /* [d] */
	uint64_t nr_full_mags;	     /* [d] */
	uint64_t nr_empty_mags;	     /* [d] */
	uint64_t slab_free_objs;     /* [d] free objects inside slabs */
	uint64_t depot_objs;	     /* [d] objects in the depot's full magazines */
	uint64_t mag_pages;	     /* [d] pages holding magazines (kept for reuse) */
};

/*
 * A cache's geometry, as constant expressions so that a cache can also be
 * set up at compile time (KCACHE_INIT, for the heap's classes: under TCG
 * the boot pays for every line of set-up code it runs).  kcache_init() uses
 * the same macros.  Objects are at least 16 bytes, in multiples of 16; a
 * slab is the smallest block (order 0..MAX_ORDER) holding SLAB_MIN_OBJS.
 */
#define SLAB_MIN_OBJS 8
#define KCACHE_SIZE(n) (((n) < 16 ? 16u : (uint32_t)(n) + 15) & ~15u)
#define KCACHE_FIRST ((uint32_t)((sizeof(struct slab) + 15) & ~(size_t)15))
#define KCACHE_OBJS(size, order) \
	((uint32_t)((((uint64_t)MM_PAGE_SIZE << (order)) - KCACHE_FIRST) / (size)))
#define KCACHE_FITS(size, order) (KCACHE_OBJS(size, order) >= SLAB_MIN_OBJS)
/* MAX_ORDER + 1 when no block is big enough. */
#define KCACHE_ORDER(size)            \
	(KCACHE_FITS(size, 0)  ? 0 :  \
	 KCACHE_FITS(size, 1)  ? 1 :  \
	 KCACHE_FITS(size, 2)  ? 2 :  \
	 KCACHE_FITS(size, 3)  ? 3 :  \
	 KCACHE_FITS(size, 4)  ? 4 :  \
	 KCACHE_FITS(size, 5)  ? 5 :  \
	 KCACHE_FITS(size, 6)  ? 6 :  \
	 KCACHE_FITS(size, 7)  ? 7 :  \
	 KCACHE_FITS(size, 8)  ? 8 :  \
	 KCACHE_FITS(size, 9)  ? 9 :  \
	 KCACHE_FITS(size, 10) ? 10 : \
				 MAX_ORDER + 1)
_Static_assert(MAX_ORDER == 10, "KCACHE_ORDER tries orders 0..10");
#define KCACHE_INV(size) ((uint32_t)(((1ull << 32) + (size)-1) / (size)))

/*
 * A static initializer for the cache `self` (its own name, for the list
 * heads), equal to what kcache_init() makes, with the given id.  size must
 * already be a multiple of 16 that fits a slab.
 */
#define KCACHE_INIT(self, nm, sz, z, source, ident)                                               \
	{                                                                                         \
		.name = (nm), .size = (sz), .per_slab = KCACHE_OBJS(sz, KCACHE_ORDER(sz)),        \
		.first = KCACHE_FIRST, .inv = KCACHE_INV(sz), .order = (uint8_t)KCACHE_ORDER(sz), \
		.id = (ident), .zone = (z), .src = source, .lock = SPINLOCK_INIT(nm),             \
		.partial = LIST_HEAD_INIT((self).partial), .full = LIST_HEAD_INIT((self).full),   \
	}

int kcache_init(struct kcache *c, const char *name, uint32_t size, struct zone *z,
		struct page_source src);
void *kcache_alloc_slow(struct kcache *c, struct kcache_cpu *cc);
void kcache_free_slow(struct kcache *c, struct kcache_cpu *cc, void *obj);

/*
 * The fast paths, inline: under TCG a call and its return cost more than the
 * work itself.  The caller has preemption off and passes its CPU's cache.
 */
static inline void *kcache_alloc(struct kcache *c, struct kcache_cpu *cc)
{
	struct magazine *m = cc->loaded;

	if (__builtin_expect(m && m->n, 1)) {
		cc->allocs++;
		return m->obj[--m->n];
	}
	return kcache_alloc_slow(c, cc);
}

static inline void kcache_free(struct kcache *c, struct kcache_cpu *cc, void *obj)
{
	struct magazine *m = cc->loaded;

	if (__builtin_expect(m && m->n < MAG_SIZE, 1)) {
		cc->frees++;
		m->obj[m->n++] = obj;
		return;
	}
	kcache_free_slow(c, cc, obj);
}

/*
 * The start of the object of slab s that holds p, or NULL.  The index uses
 * the reciprocal: offsets are below 2^22, where floor(off * inv >> 32) is
 * exactly floor(off / size).
 */
static inline void *kcache_slab_object(const struct kcache *c, const struct slab *s, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)s;

	if (off < c->first)
		return NULL;
	uint64_t idx = ((uint64_t)(off - c->first) * c->inv) >> 32;

	if (idx >= c->per_slab)
		return NULL;
	return (char *)s + c->first + idx * c->size;
}

/* The start of the object holding p, or NULL if p is not in one of c's slabs. */
void *kcache_object_of(struct kcache *c, const void *p);
/* Empties cc's magazines and the depot into the slabs; frees empty slabs. */
uint64_t kcache_shrink(struct kcache *c, struct kcache_cpu *cc);
/* Objects held in magazines of cc. */
uint64_t kcache_cpu_objs(const struct kcache_cpu *cc);
/*
 * Frees the pages holding magazines, for a cache being destroyed: every
 * magazine must be back in the depot's empty list.
 */
void kcache_release_magazines(struct kcache *c);

#endif
