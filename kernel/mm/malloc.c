/*
 * The kernel heap.  Sizes up to 4096 bytes come from one object cache per
 * size class (slab.c: per-CPU magazines, a depot, slabs); larger blocks are
 * whole buddy blocks marked PG_LARGE.  Every block is 16-byte aligned;
 * kmemalign() over-allocates within a class and returns an aligned pointer
 * inside the object, which kfree() maps back to the object's start.
 *
 * The fast path of kmalloc/kfree: preemption off, one magazine pop or push.
 * With CONFIG_DEBUG_MEMORY the debug allocator (debug.c) wraps every call.
 *
 * Bad frees (a pointer this heap never handed out) are counted and reported,
 * never followed: the kernel must not crash on them.
 */
#include <string.h>

#include <osprey/cmdline.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>

#include "classes.h"
#include "internal.h"
#include "mm.h"

static_assert(HEAP_CLASSES == MM_NR_CLASSES && HEAP_MAX_SMALL == MAX_SMALL, "one set of classes");

extern struct zone mm_zone;
static struct kcache classes[MM_NR_CLASSES]; /* set up at compile time, below */
static struct kcache_cpu heap_cpu[CONFIG_MAX_CPUS][MM_NR_CLASSES];
static uint8_t class_of16[MAX_SMALL / 16 + 1]; /* (n + 15) / 16 -> class */
static uint64_t bad_frees;
/*
 * Large blocks counted per CPU [c] (a block freed on another CPU makes one
 * count negative; the sum is right): no atomic read-modify-write, which
 * costs more than the rest of a one-page kmalloc under TCG.
 */
static struct {
	int64_t pages, blocks;
} large[CONFIG_MAX_CPUS];

static void large_count(int64_t pages, int64_t blocks)
{
	preempt_disable();
	large[cpu_id()].pages += pages;
	large[cpu_id()].blocks += blocks;
	preempt_enable();
}

static int64_t large_sum(bool pages)
{
	int64_t n = 0;

	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		n += pages ? large[cpu].pages : large[cpu].blocks;
	return n;
}

struct pool {
	struct kcache cache;
	struct pool *next;
	struct kcache_cpu cpu[CONFIG_MAX_CPUS];
};

static struct pool *pools;
static struct spinlock pools_lock = SPINLOCK_INIT("pools");

static void *src_alloc(void *ctx, unsigned order)
{
	(void)ctx;
	return page_alloc(order, 0);
}

static void src_free(void *ctx, void *addr, unsigned order)
{
	(void)ctx;
	page_free(addr, order);
}

#define HEAP_PAGES                        \
	{                                 \
		src_alloc, src_free, NULL \
	}
static const struct page_source heap_pages = HEAP_PAGES;

/*
 * The heap's caches are made by the compiler, not at boot: under TCG their
 * set-up (a division and a search per class) cost ~0.1 ms of code run once.
 */
#define HEAP_CACHE_(i, size) \
	[i] = KCACHE_INIT(classes[i], "heap", size, &mm_zone, HEAP_PAGES, (uint8_t)((i) + 1)),
static struct kcache classes[MM_NR_CLASSES] = { HEAP_CLASS_LIST(HEAP_CACHE_) };
#undef HEAP_CACHE_

static uint64_t heap_shrink(void)
{
	uint64_t pages = 0;
	unsigned cpu = cpu_id();

	for (int i = 0; i < MM_NR_CLASSES; i++)
		pages += kcache_shrink(&classes[i], &heap_cpu[cpu][i]);
	if (raw_spin_trylock(&pools_lock)) {
		for (struct pool *p = pools; p; p = p->next)
			pages += kcache_shrink(&p->cache, &p->cpu[cpu]);
		raw_spin_unlock(&pools_lock);
	}
	return pages;
}

static struct shrinker heap_shrinker = { "heap", heap_shrink, NULL, NULL };

void heap_init(void)
{
	/* Debug builds check that the compiler made what kcache_init() would. */
	for (int i = 0; CONFIG_DEBUG && i < MM_NR_CLASSES; i++) {
		struct kcache k;

		kcache_init(&k, "heap", heap_class_size[i], &mm_zone, heap_pages);
		ASSERT(k.size == classes[i].size && k.per_slab == classes[i].per_slab &&
		       k.first == classes[i].first && k.inv == classes[i].inv &&
		       k.order == classes[i].order && classes[i].id == i + 1);
	}
	heap_class_table(class_of16);
	mm_register_shrinker(&heap_shrinker);
}

static unsigned order_for(size_t n)
{
	unsigned order = 0;

	while (((size_t)PAGE_SIZE << order) < n)
		order++;
	return order;
}

void *heap_alloc(size_t n)
{
	if (n <= MAX_SMALL) {
		unsigned c = class_of16[(n + 15) / 16];

		preempt_disable();
		void *p = kcache_alloc(&classes[c], &heap_cpu[cpu_id()][c]);

		preempt_enable();
		return p;
	}
	if (n > ((size_t)PAGE_SIZE << MAX_ORDER))
		return NULL;
	unsigned order = order_for(n);
	void *p = page_alloc(order, 0);

	if (p) {
		struct page *pg = addr_page(&mm_zone, p);

		/* Every page points at the head, so an interior pointer finds its block. */
		for (uint64_t i = 0; i < (1ull << order); i++) {
			pg[i].flags |= PG_LARGE;
			pg[i].head = pg;
		}
		large_count(1ll << order, 1);
	}
	return p;
}

/* Finds what p belongs to: its object start and usable size from there. */
static int heap_lookup(const void *p, void **start, size_t *size, unsigned *cls)
{
	struct page *pg = addr_page(&mm_zone, p);

	if (!pg)
		return -EINVAL;
	if (pg->flags & PG_SLAB) {
		struct kcache *c = pg->slab ? pg->slab->cache : NULL;

		if (c < classes || c >= classes + MM_NR_CLASSES)
			return -EINVAL;
		*start = kcache_object_of(c, p);
		if (!*start)
			return -EINVAL;
		*cls = (unsigned)(c - classes);
		*size = c->size - ((uintptr_t)p - (uintptr_t)*start);
		return 0;
	}
	if (pg->flags & PG_LARGE) {
		struct page *head = pg->head;

		if (!head || !(head->flags & PG_ALLOC) || !(head->flags & PG_LARGE))
			return -EINVAL;
		*start = page_addr(&mm_zone, head);
		*cls = MM_NR_CLASSES;
		*size = ((size_t)PAGE_SIZE << head->order) - ((uintptr_t)p - (uintptr_t)*start);
		return 0;
	}
	return -EINVAL;
}

bool heap_owns(const void *p, void **start, size_t *size)
{
	unsigned cls;

	return heap_lookup(p, start, size, &cls) == 0;
}

static void heap_free_slow(void *p);

void heap_free(void *p)
{
	struct page *pg = addr_page(&mm_zone, p);

	/*
	 * The common case inline: a pointer into a heap slab.  The page says
	 * which class, so the slab's header (often another page) is not read.
	 */
	if (likely(pg && pg->cache_id && pg->cache_id <= MM_NR_CLASSES)) {
		unsigned cls = pg->cache_id - 1u;
		void *start = kcache_slab_object(&classes[cls], pg->slab, p);

		if (likely(start)) {
			preempt_disable();
			kcache_free(&classes[cls], &heap_cpu[cpu_id()][cls], start);
			preempt_enable();
			return;
		}
	}
	/* A one-page block, freed by its own pointer. */
	if (pg && (pg->flags & (PG_LARGE | PG_ALLOC)) == (PG_LARGE | PG_ALLOC) && !pg->order &&
	    pg->head == pg && p == page_addr(&mm_zone, pg)) {
		pg->flags &= (uint16_t)~PG_LARGE;
		pg->head = NULL;
		large_count(-1, -1);
		page_free(p, 0);
		return;
	}
	heap_free_slow(p);
}

static void heap_free_slow(void *p)
{
	void *start;
	size_t size;
	unsigned cls;

	if (!p)
		return;
	if (heap_lookup(p, &start, &size, &cls)) {
		__atomic_fetch_add(&bad_frees, 1, __ATOMIC_RELAXED);
		pr_err("mm: kfree(%p): not a pointer from the kernel heap (%llu so far)\n", p,
		       (unsigned long long)bad_frees);
		return;
	}
	if (cls == MM_NR_CLASSES) {
		struct page *pg = addr_page(&mm_zone, p);
		unsigned order = pg->order;

		if (p != start) {
			__atomic_fetch_add(&bad_frees, 1, __ATOMIC_RELAXED);
			pr_err("mm: kfree(%p): inside a block, not its start\n", p);
			return;
		}
		for (uint64_t i = 0; i < (1ull << order); i++) {
			pg[i].flags &= (uint16_t)~PG_LARGE;
			pg[i].head = NULL;
		}
		large_count(-(1ll << order), -1);
		page_free(p, order);
		return;
	}
	preempt_disable();
	kcache_free(&classes[cls], &heap_cpu[cpu_id()][cls], start);
	preempt_enable();
}

size_t heap_usable_size(const void *p)
{
	void *start;
	size_t size;
	unsigned cls;

	return p && !heap_lookup(p, &start, &size, &cls) ? size : 0;
}

void *heap_memalign(size_t align, size_t n)
{
	if (align <= 16)
		return heap_alloc(n);
	if (align & (align - 1))
		return NULL;
	if (align >= PAGE_SIZE || n > MAX_SMALL) {
		/* Buddy blocks are aligned to their own size. */
		size_t need = MAX(n, align);

		return heap_alloc(need > MAX_SMALL ? need : MAX_SMALL + 1);
	}
	if (n + align - 16 > MAX_SMALL)
		return heap_alloc(MAX_SMALL + 1);
	char *p = heap_alloc(n + align - 16);

	if (!p)
		return NULL;
	return (void *)ALIGN_UP((uintptr_t)p, align);
}

void *kmalloc(size_t n)
{
	if (CONFIG_DEBUG_MEMORY)
		return debug_alloc(n, 16);
	return heap_alloc(n);
}

void *kzalloc(size_t n)
{
	void *p = kmalloc(n);

	if (p)
		memset(p, 0, n);
	return p;
}

void *kcalloc(size_t count, size_t size)
{
	size_t n;

	if (__builtin_mul_overflow(count, size, &n))
		return NULL;
	return kzalloc(n);
}

void *kmemalign(size_t align, size_t n)
{
	if (CONFIG_DEBUG_MEMORY)
		return debug_alloc(n, align);
	return heap_memalign(align, n);
}

void kfree(void *p)
{
	if (CONFIG_DEBUG_MEMORY)
		debug_free(p);
	else
		heap_free(p);
}

size_t kmalloc_usable_size(const void *p)
{
	if (CONFIG_DEBUG_MEMORY)
		return debug_usable_size(p);
	return heap_usable_size(p);
}

void *krealloc(void *p, size_t n)
{
	if (!p)
		return kmalloc(n);
	if (!n) {
		kfree(p);
		return NULL;
	}
	size_t have = kmalloc_usable_size(p);

	if (!have)
		return NULL; /* not ours: reported by kfree's checks, never followed */
	if (n <= have && !CONFIG_DEBUG_MEMORY)
		return p;
	void *q = kmalloc(n);

	if (q) {
		memcpy(q, p, MIN(have, n));
		kfree(p);
	}
	return q;
}

struct pool *pool_create(const char *name, size_t size)
{
	struct pool *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	if (size > MAX_SMALL ||
	    kcache_init(&p->cache, name, (uint32_t)size, &mm_zone, heap_pages)) {
		kfree(p);
		return NULL;
	}
	preempt_disable();
	raw_spin_lock(&pools_lock);
	p->next = pools;
	pools = p;
	raw_spin_unlock(&pools_lock);
	preempt_enable();
	return p;
}

int pool_destroy(struct pool *p)
{
	uint64_t in_use = 0;

	if (!p)
		return 0;
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		in_use += p->cpu[cpu].allocs - p->cpu[cpu].frees;
	if (in_use)
		return -EBUSY;
	preempt_disable();
	raw_spin_lock(&pools_lock);
	for (struct pool **pp = &pools; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	raw_spin_unlock(&pools_lock);
	preempt_enable();
	/* One CPU today; the SMP issue drains the others' magazines by IPI first. */
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		kcache_shrink(&p->cache, &p->cpu[cpu]);
	kcache_release_magazines(&p->cache);
	kfree(p);
	return 0;
}

/* Debug builds route pools through the debug allocator, counting what is out. */
static void *pool_debug_alloc(struct pool *p)
{
	void *obj = debug_alloc(p->cache.size, 16);

	if (obj) {
		preempt_disable();
		p->cpu[cpu_id()].allocs++;
		preempt_enable();
	}
	return obj;
}

void *pool_alloc(struct pool *p)
{
	if (CONFIG_DEBUG_MEMORY)
		return pool_debug_alloc(p);
	preempt_disable();
	void *obj = kcache_alloc(&p->cache, &p->cpu[cpu_id()]);

	preempt_enable();
	return obj;
}

void pool_free(struct pool *p, void *obj)
{
	if (!obj)
		return;
	if (CONFIG_DEBUG_MEMORY) {
		preempt_disable();
		p->cpu[cpu_id()].frees++;
		preempt_enable();
		debug_free(obj);
		return;
	}
	if (kcache_object_of(&p->cache, obj) != obj) {
		__atomic_fetch_add(&bad_frees, 1, __ATOMIC_RELAXED);
		pr_err("mm: pool_free(%s, %p): not an object of this pool\n", p->cache.name, obj);
		return;
	}
	preempt_disable();
	kcache_free(&p->cache, &p->cpu[cpu_id()], obj);
	preempt_enable();
}

void mm_stats_get(struct mm_stats *st)
{
	memset(st, 0, sizeof(*st));
	mm_page_stats(st);
	st->large_pages = (uint64_t)large_sum(true);
	for (int i = 0; i < MM_NR_CLASSES; i++) {
		struct kcache *c = &classes[i];
		struct mm_class_stats *cs = &st->cls[i];
		uint64_t allocs = 0, frees = 0, cached = 0;

		for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
			allocs += heap_cpu[cpu][i].allocs;
			frees += heap_cpu[cpu][i].frees;
			cached += kcache_cpu_objs(&heap_cpu[cpu][i]);
		}
		cs->size = c->size;
		cs->slabs = c->nr_slabs;
		cs->objects = c->nr_slabs * c->per_slab;
		cs->in_use = allocs - frees;
		cs->cached = cached + c->depot_objs;
	}
}

uint64_t mm_live_blocks(void)
{
	int64_t n = large_sum(false);

	if (CONFIG_DEBUG_MEMORY)
		return mm_debug_live();
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		n += mm_cpu_heap_balance(cpu);
	return (uint64_t)n;
}

int64_t mm_cpu_heap_balance(unsigned cpu)
{
	int64_t n = 0;

	for (int i = 0; cpu < nr_cpus && i < MM_NR_CLASSES; i++)
		n += (int64_t)(heap_cpu[cpu][i].allocs - heap_cpu[cpu][i].frees);
	return n;
}

uint64_t heap_bad_frees(void)
{
	return bad_frees;
}

void mm_stats_print(void)
{
	struct mm_stats st;

	mm_stats_get(&st);
	kprintf("mem: %llu KiB managed, %llu KiB not yet added, %llu KiB free, %llu KiB in CPU "
		"caches, %llu KiB large blocks\n",
		(unsigned long long)st.total_pages * 4, (unsigned long long)st.deferred_pages * 4,
		(unsigned long long)st.free_pages * 4, (unsigned long long)st.cpu_cached_pages * 4,
		(unsigned long long)st.large_pages * 4);
	kprintf("mem: watermarks min %llu KiB low %llu KiB; %llu refusals, %llu shrinks freed "
		"%llu KiB\n",
		(unsigned long long)st.min_pages * 4, (unsigned long long)st.low_pages * 4,
		(unsigned long long)st.failures, (unsigned long long)st.shrink_runs,
		(unsigned long long)st.shrunk_pages * 4);
	kprintf("mem: class  slabs  objects  in-use  cached\n");
	for (int i = 0; i < MM_NR_CLASSES; i++) {
		const struct mm_class_stats *c = &st.cls[i];

		if (!c->slabs && !c->in_use)
			continue;
		kprintf("mem: %5u %6llu %8llu %7llu %7llu\n", c->size, (unsigned long long)c->slabs,
			(unsigned long long)c->objects, (unsigned long long)c->in_use,
			(unsigned long long)c->cached);
	}
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		kprintf("mem: cpu%u heap balance %lld objects\n", cpu,
			(long long)mm_cpu_heap_balance(cpu));
}

void mm_init(void)
{
	page_init();
	mmu_page_allocator_ready();
	heap_init();
	kva_init();
}

/* At power-off: --mem-stats, and in debug builds the leak report. */
void mm_shutdown_report(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (boot_options.mem_stats)
		mm_stats_print();
	if (CONFIG_DEBUG_MEMORY)
		mm_debug_leak_report(true);
}

uint64_t mm_free_pages_settled(void)
{
	struct mm_stats st;

	if (CONFIG_DEBUG_MEMORY)
		mm_debug_flush_quarantine();
	mm_reclaim();
	mm_stats_get(&st);
	return st.free_pages + st.cpu_cached_pages + st.deferred_pages;
}
