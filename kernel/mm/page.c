/*
 * The page allocator: one zone over all RAM (buddy.c) with a per-CPU cache
 * of order-0 pages in front.
 *
 * page_init() reserves the struct page array from bootmem and records free
 * RAM in a short list of ranges; the buddy allocator gets it DEFER_CHUNK
 * pages at a time when free memory runs low, starting with the first
 * allocation (Linux's "deferred struct page init", for the same reason):
 * boot then costs the same whatever the RAM size, because only the struct
 * pages in use are ever cleared, and a program that allocates no page
 * (the default image's) never pays for adding any.  The array is cleared
 * in whole MAX_ORDER blocks, so a buddy merge never reads an uncleared
 * entry.
 *
 * Per-CPU cache: up to PCP_HIGH pages; an empty cache takes PCP_BATCH pages
 * from the zone under one lock acquisition, a full one returns PCP_BATCH.
 * The fast path runs with preemption off and takes no lock.
 *
 * Pressure: min watermark = max(16 pages, 1/128 of RAM), low = 2 * min.  When
 * an allocation would leave fewer than `low` free pages, every registered
 * shrinker runs (and this CPU's page cache is drained) before the allocation
 * is tried; an allocation that would dip below `min` fails unless it carries
 * MM_RESERVE, and the failure prints one line with the memory state.
 *
 * Lock order: kcache->lock (depot) -> zone->lock.  Shrinkers never wait on a
 * lock, so running them from inside an allocation cannot deadlock.
 */
#include <string.h>

#include <osprey/boot.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>

#include "internal.h"

#define PCP_HIGH 64
#define PCP_BATCH 16
#define DEFER_CHUNK (1u << MAX_ORDER) /* 4 MiB at a time */
#define MAX_DEFERRED 32

struct pcp {
	unsigned count;		      /* [c] */
	struct page *pages[PCP_HIGH]; /* [c] */
};

struct zone mm_zone;
static struct pcp pcps[CONFIG_MAX_CPUS];
static struct shrinker *_Atomic shrinkers; /* [a] pushed, never removed */
static uint64_t min_pages, low_pages;
static uint64_t failures, shrink_runs, shrunk_pages;
static bool ready;
static uint8_t shrinking[CONFIG_MAX_CPUS]; /* [c] this CPU is inside run_shrinkers() */

/* Free RAM not yet given to the buddy allocator; guarded by grow_lock (before zone->lock). */
static struct spinlock grow_lock = SPINLOCK_INIT("mm-grow");
static struct {
	uint64_t pfn, n;
} deferred[MAX_DEFERRED];
static unsigned nr_deferred;
static uint64_t deferred_pages;
static uint8_t *map_ready; /* one bit per MAX_ORDER block: its struct pages are cleared */

void mm_register_shrinker(struct shrinker *s)
{
	struct shrinker *head = atomic_load_explicit(&shrinkers, memory_order_relaxed);

	/* release: s is complete before a walker sees it; pairs with the acquires below */
	do
		s->next = head;
	while (!atomic_compare_exchange_weak_explicit(&shrinkers, &head, s, memory_order_release,
						      memory_order_relaxed));
}

/* Clears the struct pages of every MAX_ORDER block that [pfn, pfn + n) touches. */
static void map_prepare(uint64_t pfn, uint64_t n)
{
	for (uint64_t b = pfn >> MAX_ORDER; b <= (pfn + n - 1) >> MAX_ORDER; b++) {
		if (map_ready[b / 8] & (1u << (b % 8)))
			continue;
		uint64_t first = b << MAX_ORDER;
		uint64_t count = MIN((uint64_t)1 << MAX_ORDER, mm_zone.end_pfn - first);

		memset(&mm_zone.map[first], 0, count * sizeof(struct page));
		map_ready[b / 8] |= (uint8_t)(1u << (b % 8));
	}
}

static void give(uint64_t pfn, uint64_t n)
{
	map_prepare(pfn, n);
	buddy_add_range(&mm_zone, pfn, n);
}

static void add_free(uint64_t pfn, uint64_t n)
{
	if (nr_deferred == MAX_DEFERRED) {
		give(pfn, n); /* a very fragmented map: no room to defer, add it now */
		return;
	}
	deferred[nr_deferred].pfn = pfn;
	deferred[nr_deferred++].n = n;
	deferred_pages += n;
}

/* Hands the buddy allocator one more chunk of deferred RAM; false when none is left. */
static bool grow(void)
{
	bool grew = false;

	raw_spin_lock(&grow_lock);
	if (nr_deferred) {
		uint64_t pfn = deferred[0].pfn;
		uint64_t n = MIN(deferred[0].n, DEFER_CHUNK - (pfn & (DEFER_CHUNK - 1)));

		deferred[0].pfn += n;
		deferred[0].n -= n;
		deferred_pages -= n;
		if (!deferred[0].n) {
			nr_deferred--;
			memmove(&deferred[0], &deferred[1], nr_deferred * sizeof(deferred[0]));
		}
		give(pfn, n);
		grew = true;
	}
	raw_spin_unlock(&grow_lock);
	return grew;
}

void page_init(void)
{
	uint64_t max_pfn = 0;

	for (uint32_t i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];

		if (r->type == MEM_RAM && (r->base + r->size) >> PAGE_SHIFT > max_pfn)
			max_pfn = (r->base + r->size) >> PAGE_SHIFT;
	}
	/*
	 * The small bitmap first, then the array: bootmem hands out memory
	 * upwards from the kernel, and boot touches only the bitmap and the
	 * head of the array, which then stay in the same 2 MiB as the kernel.
	 * Under QEMU each 2 MiB of guest RAM touched for the first time costs
	 * the host a huge-page fault (~0.2 ms here): the page array of a
	 * 64 MiB guest would otherwise put the bitmap past 2 MiB.
	 */
	uint64_t ready_pa = bootmem_alloc((max_pfn >> MAX_ORDER) / 8 + 1);
	uint64_t map_pa = bootmem_reserve(max_pfn * sizeof(struct page));

	if (!map_pa || !ready_pa)
		panic("not enough memory for the page array (%llu pages)",
		      (unsigned long long)max_pfn);
	map_ready = phys_to_virt(ready_pa);
	buddy_init(&mm_zone, phys_to_virt(map_pa), DIRECT_MAP, 0, max_pfn);
	bootmem_retire();

	bootmem_for_each_free(add_free);
	min_pages = MAX(16, (mm_zone.managed_pages + deferred_pages) / 128);
	low_pages = 2 * min_pages;
	ready = true;
	pr_info("mm: %llu KiB managed, %llu KiB deferred, %llu KiB free, watermarks min %llu KiB "
		"low %llu KiB\n",
		(unsigned long long)mm_zone.managed_pages * 4,
		(unsigned long long)deferred_pages * 4, (unsigned long long)mm_zone.free_pages * 4,
		(unsigned long long)min_pages * 4, (unsigned long long)low_pages * 4);
}

static uint64_t pcp_total(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < nr_cpus; i++)
		n += pcps[i].count;
	return n;
}

/* Caller has preemption off. */
static void pcp_drain(struct pcp *pc, unsigned keep)
{
	raw_spin_lock(&mm_zone.lock);
	while (pc->count > keep)
		buddy_free_locked(&mm_zone, pc->pages[--pc->count], 0);
	raw_spin_unlock(&mm_zone.lock);
}

static void run_shrinkers(void)
{
	unsigned cpu = cpu_id();

	if (shrinking[cpu])
		return; /* a shrinker that allocates must not recurse into shrinking */
	shrinking[cpu] = 1;
	__atomic_fetch_add(&shrink_runs, 1, __ATOMIC_RELAXED);
	for (struct shrinker *s = atomic_load_explicit(&shrinkers, memory_order_acquire); s;
	     s = s->next)
		if (s->shrink)
			__atomic_fetch_add(&shrunk_pages, s->shrink(), __ATOMIC_RELAXED);
	/* After the shrinkers: the pages they freed went to this CPU's cache first. */
	pcp_drain(&pcps[cpu], 0);
	shrinking[cpu] = 0;
}

void mm_reclaim(void)
{
	preempt_disable();
	run_shrinkers();
	preempt_enable();
}

void mm_drop_caches(void)
{
	for (struct shrinker *s = atomic_load_explicit(&shrinkers, memory_order_acquire); s;
	     s = s->next)
		if (s->drop)
			s->drop();
}

/* One line per refusal, but at most the first 8 and then one in 1000: a caller in a loop must not flood the console. */
static void report_failure(unsigned order)
{
	uint64_t n = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);

	if (n > 8 && n % 1000)
		return;
	pr_warn("mm: out of memory: order-%u request refused; free %llu KiB, cached %llu KiB, "
		"min %llu KiB, low %llu KiB, managed %llu KiB, %llu refusals\n",
		order, (unsigned long long)mm_zone.free_pages * 4,
		(unsigned long long)pcp_total() * 4, (unsigned long long)min_pages * 4,
		(unsigned long long)low_pages * 4, (unsigned long long)mm_zone.managed_pages * 4,
		(unsigned long long)failures);
}

/* Would taking n pages leave fewer than `floor` free?  (Racy read: a hint.) */
static bool below(uint64_t n, uint64_t floor)
{
	return mm_zone.free_pages < n + floor;
}

static struct page *zone_alloc(unsigned order, int flags)
{
	uint64_t n = 1ull << order;
	struct page *p;

	/* Deferred RAM first: it is free for the taking, unlike what shrinkers hold. */
	while (below(n, low_pages) && grow())
		;
	if (below(n, low_pages))
		run_shrinkers();
	if (!(flags & MM_RESERVE) && below(n, min_pages))
		return NULL;
	p = buddy_alloc(&mm_zone, order);
	while (!p && grow())
		p = buddy_alloc(&mm_zone, order);
	if (!p && order) {
		/* Free pages may be scattered in caches: give them back, then look again. */
		run_shrinkers();
		p = buddy_alloc(&mm_zone, order);
	}
	return p;
}

void *page_alloc(unsigned order, int flags)
{
	struct page *p = NULL;

	if (!ready || order > MAX_ORDER)
		return NULL;
	preempt_disable();
	if (order == 0) {
		struct pcp *pc = &pcps[cpu_id()];

		if (!pc->count && !below(PCP_BATCH, low_pages)) {
			raw_spin_lock(&mm_zone.lock);
			while (pc->count < PCP_BATCH) {
				struct page *q = buddy_alloc_locked(&mm_zone, 0);

				if (!q)
					break;
				pc->pages[pc->count++] = q;
			}
			raw_spin_unlock(&mm_zone.lock);
		}
		if (pc->count) {
			p = pc->pages[--pc->count];
			p->flags = PG_ALLOC;
			p->order = 0;
		}
	}
	if (!p)
		p = zone_alloc(order, flags);
	preempt_enable();
	if (!p) {
		report_failure(order);
		return NULL;
	}
	void *va = page_addr(&mm_zone, p);

	if (flags & MM_ZERO)
		memset(va, 0, PAGE_SIZE << order);
	return va;
}

void page_free(void *va, unsigned order)
{
	struct page *p = addr_page(&mm_zone, va);

	if (!p || ((uintptr_t)va & (PAGE_SIZE - 1)) || !(p->flags & PG_ALLOC) ||
	    p->order != order) {
		WARN_ONCE(1);
		pr_err("mm: bad page_free(%p, %u)\n", va, order);
		return;
	}
	preempt_disable();
	if (order == 0) {
		struct pcp *pc = &pcps[cpu_id()];

		if (pc->count == PCP_HIGH)
			pcp_drain(pc, PCP_HIGH - PCP_BATCH);
		p->flags = 0; /* cached: neither allocated nor in the buddy lists */
		pc->pages[pc->count++] = p;
	} else {
		buddy_free(&mm_zone, p, order);
	}
	preempt_enable();
}

void mm_page_stats(struct mm_stats *st)
{
	st->total_pages = mm_zone.managed_pages;
	st->deferred_pages = deferred_pages;
	st->free_pages = mm_zone.free_pages;
	st->cpu_cached_pages = pcp_total();
	st->min_pages = min_pages;
	st->low_pages = low_pages;
	for (int o = 0; o <= MAX_ORDER; o++)
		st->free_blocks[o] = mm_zone.nr_free[o];
	st->failures = failures;
	st->shrink_runs = shrink_runs;
	st->shrunk_pages = shrunk_pages;
}
