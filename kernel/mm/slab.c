/*
 * Object caches: the magazine design (Bonwick and Adams, "Magazines and
 * Vmem", 2001), in three layers:
 *
 *   per-CPU   two magazines (loaded, prev) of up to MAG_SIZE objects.  The
 *             fast path pops or pushes `loaded`: no lock and no atomic
 *             read-modify-write, only preemption off (decision 4).
 *   depot     full and empty magazines, behind cache->lock.  A CPU trades
 *             a whole magazine at a time, so it takes the lock at most once
 *             per MAG_SIZE operations.
 *   slabs     2^order pages cut into objects, a struct slab at the front;
 *             also behind cache->lock.  Empty slabs go back to the pages.
 *
 * An object freed on another CPU than the one that allocated it simply
 * enters that CPU's magazine: objects belong to slabs, not to CPUs, so
 * nothing needs to travel back.
 *
 * Portable: the caller passes its CPU's struct kcache_cpu.  Invariant: every
 * object is in exactly one place: a magazine, a slab's free list, or the
 * caller's hands; the counters below add up (tests/unit/mm_test.c).
 */
#include <string.h>

#include "internal.h"

/*
 * The depot keeps at most this many full magazines per cache; past it, a
 * CPU empties its spare magazine into the slabs instead, so that freed
 * memory reaches the slabs (and the page allocator) rather than piling up in
 * magazines.
 */
#define DEPOT_MAX_FULL 16

int kcache_init(struct kcache *c, const char *name, uint32_t size, struct zone *z,
		struct page_source src)
{
	unsigned order;

	memset(c, 0, sizeof(*c));
	size = KCACHE_SIZE(size);
	order = KCACHE_ORDER(size);
	if (order > MAX_ORDER)
		return -22;
	c->name = name;
	c->size = size;
	c->zone = z;
	c->src = src;
	c->first = KCACHE_FIRST;
	c->inv = KCACHE_INV(size);
	c->order = (uint8_t)order;
	c->per_slab = KCACHE_OBJS(size, order);
	spin_init(&c->lock, name);
	list_init(&c->partial);
	list_init(&c->full);
	return 0;
}

/* Caller holds c->lock. */
static struct slab *slab_new(struct kcache *c)
{
	char *mem = c->src.alloc(c->src.ctx, c->order);

	if (!mem)
		return NULL;
	struct slab *s = (struct slab *)mem;
	struct page *p = addr_page(c->zone, mem);

	for (uint32_t i = 0; i < (1u << c->order); i++) {
		p[i].flags |= PG_SLAB;
		p[i].slab = s;
		p[i].cache_id = c->id;
	}
	s->cache = c;
	s->inuse = 0;
	s->free = NULL;
	for (uint32_t i = c->per_slab; i-- > 0;) {
		void **obj = (void **)(mem + c->first + (size_t)i * c->size);

		*obj = s->free;
		s->free = obj;
	}
	list_add(&c->partial, &s->link);
	c->nr_slabs++;
	c->slab_free_objs += c->per_slab;
	return s;
}

/* Caller holds c->lock. */
static void slab_release(struct kcache *c, struct slab *s)
{
	struct page *p = addr_page(c->zone, s);

	list_del(&s->link);
	for (uint32_t i = 0; i < (1u << c->order); i++) {
		p[i].flags &= (uint16_t)~PG_SLAB;
		p[i].slab = NULL;
		p[i].cache_id = 0;
	}
	c->nr_slabs--;
	c->slab_free_objs -= c->per_slab;
	c->src.free(c->src.ctx, s, c->order);
}

/* Caller holds c->lock. */
static void *slab_get(struct kcache *c)
{
	struct slab *s;

	if (list_empty(&c->partial)) {
		s = slab_new(c);
		if (!s)
			return NULL;
	} else {
		s = list_entry(c->partial.next, struct slab, link);
	}
	void **obj = s->free;

	s->free = *obj;
	s->inuse++;
	c->slab_free_objs--;
	if (!s->free) {
		list_del(&s->link);
		list_add(&c->full, &s->link);
	}
	return obj;
}

static struct slab *slab_of(struct kcache *c, const void *p)
{
	struct page *pg = addr_page(c->zone, p);

	if (!pg || !(pg->flags & PG_SLAB) || !pg->slab || pg->slab->cache != c)
		return NULL;
	return pg->slab;
}

/* Caller holds c->lock. */
static void slab_put(struct kcache *c, void *obj)
{
	struct slab *s = slab_of(c, obj);

	if (!s->free) {
		list_del(&s->link);
		list_add(&c->partial, &s->link);
	}
	*(void **)obj = s->free;
	s->free = obj;
	s->inuse--;
	c->slab_free_objs++;
	/* Keep one empty slab for the next burst; release the rest. */
	if (!s->inuse && c->slab_free_objs > 2ull * c->per_slab)
		slab_release(c, s);
}

void *kcache_object_of(struct kcache *c, const void *p)
{
	struct slab *s = slab_of(c, p);

	return s ? kcache_slab_object(c, s, p) : NULL;
}

/* Caller holds c->lock.  A magazine for the CPU layer, from the depot or new. */
static struct magazine *mag_empty(struct kcache *c)
{
	struct magazine *m = c->empty_mags;

	if (m) {
		c->empty_mags = m->next;
		c->nr_empty_mags--;
		return m;
	}
	/* Magazines come a page at a time from the cache's own page source. */
	char *page = c->src.alloc(c->src.ctx, 0);

	if (!page)
		return NULL;
	c->mag_pages++;
	unsigned per_page = MM_PAGE_SIZE / sizeof(struct magazine);

	for (unsigned i = 1; i < per_page; i++) {
		struct magazine *e = (struct magazine *)(page + i * sizeof(struct magazine));

		e->n = 0;
		e->next = c->empty_mags;
		c->empty_mags = e;
		c->nr_empty_mags++;
	}
	m = (struct magazine *)page;
	m->n = 0;
	return m;
}

/* Caller holds c->lock. */
static void mag_put_empty(struct kcache *c, struct magazine *m)
{
	m->n = 0;
	m->next = c->empty_mags;
	c->empty_mags = m;
	c->nr_empty_mags++;
}

/* Caller holds c->lock. */
static void mag_drain(struct kcache *c, struct magazine *m)
{
	while (m && m->n)
		slab_put(c, m->obj[--m->n]);
}

void *kcache_alloc_slow(struct kcache *c, struct kcache_cpu *cc)
{
	struct magazine *m = cc->loaded;

	if (m && m->n) {
		cc->allocs++;
		return m->obj[--m->n];
	}
	if (cc->prev && cc->prev->n) {
		cc->loaded = cc->prev;
		cc->prev = m;
		cc->allocs++;
		return cc->loaded->obj[--cc->loaded->n];
	}
	void *obj = NULL;

	raw_spin_lock(&c->lock);
	if (c->full_mags) {
		struct magazine *full = c->full_mags;

		c->full_mags = full->next;
		c->nr_full_mags--;
		c->depot_objs -= full->n;
		if (cc->prev)
			mag_put_empty(c, cc->prev);
		cc->prev = m;
		cc->loaded = full;
		obj = full->obj[--full->n];
	} else {
		/* Straight from the slabs, filling half a magazine for what follows. */
		obj = slab_get(c);
		if (!cc->loaded)
			cc->loaded = mag_empty(c);
		for (m = cc->loaded; obj && m && m->n < MAG_SIZE / 2; m->n++) {
			m->obj[m->n] = slab_get(c);
			if (!m->obj[m->n])
				break;
		}
	}
	raw_spin_unlock(&c->lock);
	if (obj)
		cc->allocs++;
	return obj;
}

void kcache_free_slow(struct kcache *c, struct kcache_cpu *cc, void *obj)
{
	struct magazine *m = cc->loaded;

	cc->frees++;
	if (m && m->n < MAG_SIZE) {
		m->obj[m->n++] = obj;
		return;
	}
	if (m && cc->prev && cc->prev->n == 0) {
		cc->loaded = cc->prev;
		cc->prev = m;
		cc->loaded->obj[cc->loaded->n++] = obj;
		return;
	}
	raw_spin_lock(&c->lock);
	if (m && cc->prev && c->nr_full_mags >= DEPOT_MAX_FULL) {
		mag_drain(c, cc->prev);
		cc->loaded = cc->prev;
		cc->prev = m;
		cc->loaded->obj[cc->loaded->n++] = obj;
		raw_spin_unlock(&c->lock);
		return;
	}
	struct magazine *e = mag_empty(c);

	if (!e) {
		/* No memory even for a magazine: the object goes home to its slab. */
		slab_put(c, obj);
	} else if (!m) {
		cc->loaded = e;
		e->obj[e->n++] = obj;
	} else {
		if (cc->prev) {
			cc->prev->next = c->full_mags;
			c->full_mags = cc->prev;
			c->nr_full_mags++;
			c->depot_objs += cc->prev->n;
		}
		cc->prev = m;
		cc->loaded = e;
		e->obj[e->n++] = obj;
	}
	raw_spin_unlock(&c->lock);
}

uint64_t kcache_shrink(struct kcache *c, struct kcache_cpu *cc)
{
	uint64_t before, after;

	/*
	 * Shrinking runs from the page allocator under pressure, possibly on a
	 * path that already holds this cache's lock (a slab refill): never wait.
	 */
	if (!raw_spin_trylock(&c->lock))
		return 0;
	before = c->nr_slabs;
	if (cc) {
		mag_drain(c, cc->loaded);
		mag_drain(c, cc->prev);
	}
	while (c->full_mags) {
		struct magazine *m = c->full_mags;

		c->full_mags = m->next;
		c->nr_full_mags--;
		c->depot_objs -= m->n;
		mag_drain(c, m);
		mag_put_empty(c, m);
	}
	/* Now release every empty slab, the spare one too. */
	for (struct list *l = c->partial.next, *next; l != &c->partial; l = next) {
		struct slab *s = list_entry(l, struct slab, link);

		next = l->next;
		if (!s->inuse)
			slab_release(c, s);
	}
	after = c->nr_slabs;
	raw_spin_unlock(&c->lock);
	return (before - after) << c->order;
}

uint64_t kcache_cpu_objs(const struct kcache_cpu *cc)
{
	return (cc->loaded ? cc->loaded->n : 0) + (cc->prev ? cc->prev->n : 0);
}

void kcache_release_magazines(struct kcache *c)
{
	/*
	 * Magazines are carved from pages in groups: a page is free once all of
	 * its magazines are in the empty list, which a destroyed cache
	 * guarantees.  The first magazine of each page is the page's start.
	 */
	struct magazine *heads = NULL, *next;

	/* Collect the page starts first: freeing a page frees its other magazines. */
	for (struct magazine *m = c->empty_mags; m; m = next) {
		next = m->next;
		if (((uintptr_t)m & (MM_PAGE_SIZE - 1)) == 0) {
			m->next = heads;
			heads = m;
		}
	}
	for (struct magazine *m = heads; m; m = next) {
		next = m->next;
		c->src.free(c->src.ctx, m, 0);
		c->mag_pages--;
	}
	c->empty_mags = NULL;
	c->nr_empty_mags = 0;
}
