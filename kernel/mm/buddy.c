/*
 * The buddy allocator: free memory as naturally aligned blocks of 2^order
 * pages, one free list per order.  Freeing a block merges it with its buddy
 * (the block at pfn ^ 2^order) while that buddy is free and of the same
 * order.  Portable: the host unit tests run it over an arena.
 *
 * Invariants: a free block's head page has PG_FREE and its order, and sits
 * on free[order]; no two free buddies of the same order coexist (they would
 * have merged); free_pages is the sum of all free blocks' sizes.
 *
 * Locking: zone->lock guards the lists and counters.  Callers have
 * preemption off (kernel) or run single-threaded (host tests).
 */
#include "internal.h"

void buddy_init(struct zone *z, struct page *map, uintptr_t vbase, uint64_t base_pfn,
		uint64_t end_pfn)
{
	spin_init(&z->lock, "zone");
	z->map = map;
	z->vbase = vbase;
	z->base_pfn = base_pfn;
	z->end_pfn = end_pfn;
	for (int o = 0; o <= MAX_ORDER; o++) {
		list_init(&z->free[o]);
		z->nr_free[o] = 0;
	}
	z->free_pages = 0;
	z->managed_pages = 0;
	/*
	 * map must arrive zeroed: flags 0 means neither free nor allocated, so
	 * every page is out of reach until buddy_add_range() hands it out.  Not
	 * touching the array here keeps boot time independent of RAM size.
	 */
}

static void push_free(struct zone *z, struct page *p, unsigned order)
{
	p->flags = PG_FREE;
	p->order = (uint8_t)order;
	list_add(&z->free[order], &p->link);
	z->nr_free[order]++;
	z->free_pages += 1ull << order;
}

void buddy_free_locked(struct zone *z, struct page *p, unsigned order)
{
	uint64_t pfn = page_pfn(z, p);

	while (order < MAX_ORDER) {
		uint64_t bpfn = pfn ^ (1ull << order);

		if (bpfn < z->base_pfn || bpfn + (1ull << order) > z->end_pfn)
			break;
		struct page *b = &z->map[bpfn - z->base_pfn];

		if (!(b->flags & PG_FREE) || b->order != order)
			break;
		list_del(&b->link);
		b->flags = 0;
		z->nr_free[order]--;
		z->free_pages -= 1ull << order;
		pfn &= ~(1ull << order);
		order++;
	}
	push_free(z, &z->map[pfn - z->base_pfn], order);
}

void buddy_free(struct zone *z, struct page *p, unsigned order)
{
	raw_spin_lock(&z->lock);
	buddy_free_locked(z, p, order);
	raw_spin_unlock(&z->lock);
}

void buddy_add_range(struct zone *z, uint64_t pfn, uint64_t n)
{
	uint64_t end = pfn + n;

	if (pfn < z->base_pfn)
		pfn = z->base_pfn;
	if (end > z->end_pfn)
		end = z->end_pfn;
	raw_spin_lock(&z->lock);
	/* Largest aligned blocks first: a 64 MiB range is 16 frees, not 16384. */
	while (pfn < end) {
		unsigned order = MAX_ORDER;

		while (order && ((pfn & ((1ull << order) - 1)) || pfn + (1ull << order) > end))
			order--;
		z->managed_pages += 1ull << order;
		buddy_free_locked(z, &z->map[pfn - z->base_pfn], order);
		pfn += 1ull << order;
	}
	raw_spin_unlock(&z->lock);
}

struct page *buddy_alloc_locked(struct zone *z, unsigned order)
{
	unsigned o = order;

	while (o <= MAX_ORDER && list_empty(&z->free[o]))
		o++;
	if (o > MAX_ORDER)
		return NULL;
	struct page *p = list_entry(z->free[o].next, struct page, link);

	list_del(&p->link);
	z->nr_free[o]--;
	z->free_pages -= 1ull << o;
	/* Split: hand the upper halves back until the block is the right size. */
	while (o > order) {
		o--;
		push_free(z, p + (1ull << o), o);
	}
	p->flags = PG_ALLOC;
	p->order = (uint8_t)order;
	return p;
}

struct page *buddy_alloc(struct zone *z, unsigned order)
{
	if (order > MAX_ORDER)
		return NULL;
	raw_spin_lock(&z->lock);
	struct page *p = buddy_alloc_locked(z, order);

	raw_spin_unlock(&z->lock);
	return p;
}
