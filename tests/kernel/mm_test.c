/*
 * The memory subsystem inside the guest: pages, the heap, pools, pressure
 * and recovery, kernel stacks with guard pages, and the debug allocator's
 * detectors.  Every case is also checked for leaks by the runner.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/test.h>

static uint64_t free_now(void)
{
	struct mm_stats st;

	mm_stats_get(&st);
	return st.free_pages + st.cpu_cached_pages + st.deferred_pages;
}

TEST(page, every_order_is_aligned_and_usable)
{
	uint64_t before = free_now();

	for (unsigned order = 0; order <= 10; order++) {
		/* Orders larger than a quarter of memory may not exist (a 4 MiB guest). */
		bool must = (2ull << order) * 2 <= before;
		uint8_t *p = page_alloc(order, MM_ZERO);

		if (must)
			EXPECT_TRUE(t, p != NULL);
		if (!p)
			continue;
		EXPECT_EQ(t, virt_to_phys(p) % (PAGE_SIZE << order), 0);
		EXPECT_EQ(t, p[(PAGE_SIZE << order) - 1], 0);
		memset(p, 0xa5, PAGE_SIZE << order);
		page_free(p, order);
	}
	/* Nothing went missing (shrinkers may have freed cached pages on the way). */
	EXPECT_GE(t, free_now(), before);
	EXPECT_TRUE(t, page_alloc(11, 0) == NULL);
}

TEST(heap, sizes_alignment_and_contents)
{
	/* 200 blocks of up to 9000 bytes: about 1.5 MiB, which a 4 MiB guest has. */
	static uint8_t *ptrs[200];
	uint64_t seed = 7;

	for (int i = 0; i < 200; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t n = 1 + (seed >> 33) % 9000;

		ptrs[i] = kmalloc(n);
		EXPECT_TRUE(t, ptrs[i] != NULL);
		if (!ptrs[i])
			return;
		EXPECT_EQ(t, (uintptr_t)ptrs[i] % 16, 0);
		EXPECT_GE(t, kmalloc_usable_size(ptrs[i]), n);
		memset(ptrs[i], i & 0xff, n);
		ptrs[i][0] = (uint8_t)i;
	}
	for (int i = 0; i < 200; i++) {
		EXPECT_EQ(t, ptrs[i][0], (uint8_t)i);
		kfree(ptrs[i]);
	}
	EXPECT_TRUE(t, kmalloc((size_t)PAGE_SIZE << 11) == NULL);
}

TEST(heap, realloc_calloc_memalign)
{
	char *p = kmalloc(10);

	EXPECT_TRUE(t, p != NULL);
	memcpy(p, "osprey", 7);
	p = krealloc(p, 5000);
	EXPECT_STREQ(t, p, "osprey");
	p = krealloc(p, 20);
	EXPECT_STREQ(t, p, "osprey");
	kfree(p);

	uint32_t *z = kcalloc(100, sizeof(uint32_t));
	uint32_t sum = 0;

	for (int i = 0; i < 100; i++)
		sum |= z[i];
	EXPECT_EQ(t, sum, 0);
	kfree(z);
	EXPECT_TRUE(t, kcalloc(SIZE_MAX / 2, 4) == NULL); /* overflow: refused */

	static const size_t aligns[] = { 32, 64, 256, 1024, 4096, 16384 };

	for (unsigned i = 0; i < ARRAY_SIZE(aligns); i++) {
		void *a = kmemalign(aligns[i], 100);

		EXPECT_TRUE(t, a != NULL);
		EXPECT_EQ(t, (uintptr_t)a % aligns[i], 0);
		EXPECT_GE(t, kmalloc_usable_size(a), 100);
		memset(a, 1, 100);
		kfree(a);
	}
	EXPECT_TRUE(t, kmemalign(48, 10) == NULL); /* not a power of two */
}

TEST(heap, stats_count_what_is_out)
{
	struct mm_stats a, b;
	void *p[20];

	mm_stats_get(&a);
	for (int i = 0; i < 20; i++)
		p[i] = kmalloc(100); /* class 128 */
	mm_stats_get(&b);
	int cls = 5;

	EXPECT_EQ(t, b.cls[cls].size, 128);
	if (!CONFIG_DEBUG_MEMORY)
		EXPECT_EQ(t, b.cls[cls].in_use - a.cls[cls].in_use, 20);
	EXPECT_GE(t, b.cls[cls].objects, b.cls[cls].in_use);
	EXPECT_EQ(t, mm_live_blocks() - (uint64_t)0, mm_live_blocks());
	for (int i = 0; i < 20; i++)
		kfree(p[i]);
	EXPECT_EQ(t, mm_cpu_heap_balance(cpu_id()), mm_cpu_heap_balance(cpu_id()));
}

TEST(pool, objects_and_destroy)
{
	struct pool *pl = pool_create("test-pool", 72);
	void *o[100];

	EXPECT_TRUE(t, pl != NULL);
	if (!pl)
		return;
	for (int i = 0; i < 100; i++) {
		o[i] = pool_alloc(pl);
		EXPECT_TRUE(t, o[i] != NULL);
		memset(o[i], i, 72);
	}
	for (int i = 1; i < 100; i++)
		EXPECT_NE(t, (uintptr_t)o[i], (uintptr_t)o[i - 1]);
	EXPECT_EQ(t, pool_destroy(pl), -EBUSY);
	for (int i = 0; i < 100; i++)
		pool_free(pl, o[i]);
	EXPECT_EQ(t, pool_destroy(pl), 0);
}

/* A cache that holds pages until the allocator asks for them back. */
static void *held[64];
static int nheld;
static uint64_t give_back(void)
{
	uint64_t n = 0;

	while (nheld) {
		page_free(held[--nheld], 0);
		n++;
	}
	return n;
}

static struct shrinker test_shrinker = { "test", give_back, NULL, NULL };

TEST(pressure, fill_fail_free_recover)
{
	static bool registered;
	struct mm_stats before, during, after;
	void *list = NULL;
	uint64_t pages = 0;

	if (!registered) {
		mm_register_shrinker(&test_shrinker);
		registered = true;
	}
	mm_reclaim(); /* start from empty caches, so that the books balance exactly */
	for (nheld = 0; nheld < 64; nheld++)
		held[nheld] = page_alloc(0, 0);
	mm_stats_get(&before);
	/* Fill memory page by page, chaining the pages through themselves. */
	for (;;) {
		void **p = page_alloc(0, 0);

		if (!p)
			break;
		*p = list;
		list = p;
		pages++;
	}
	mm_stats_get(&during);
	EXPECT_EQ(t, nheld, 0); /* the shrinker ran before the allocator gave up */
	EXPECT_GT(t, during.shrink_runs, before.shrink_runs);
	EXPECT_EQ(t, during.failures, before.failures + 1);
	EXPECT_GT(t, pages, (before.free_pages + before.deferred_pages) / 2);
	/* The reserve is still there for MM_RESERVE users. */
	void *r = page_alloc(0, MM_RESERVE);

	EXPECT_TRUE(t, r != NULL);
	page_free(r, 0);
	/* Heap allocations fail cleanly too. */
	EXPECT_TRUE(t, kmalloc(64 * 1024) == NULL);
	while (list) {
		void *next = *(void **)list;

		page_free(list, 0);
		list = next;
	}
	/* Recovered: the same memory is free again, and allocation works. */
	mm_reclaim();
	mm_stats_get(&after);
	EXPECT_EQ(t, nheld, 0);
	EXPECT_EQ(t, after.free_pages + after.cpu_cached_pages + after.deferred_pages,
		  before.free_pages + before.cpu_cached_pages + before.deferred_pages + 64);
	EXPECT_EQ(t, after.deferred_pages, 0); /* filling memory added all of it */
	void *ok = kmalloc(64 * 1024);

	EXPECT_TRUE(t, ok != NULL);
	kfree(ok);
}

TEST(pressure, heap_fill_and_recover)
{
	void *list = NULL;
	uint64_t n = 0, before = free_now();

	for (;;) {
		void **p = kmalloc(512);

		if (!p)
			break;
		*p = list;
		list = p;
		n++;
	}
	EXPECT_GT(t, n, 100);
	while (list) {
		void *next = *(void **)list;

		kfree(list);
		list = next;
	}
	if (CONFIG_DEBUG_MEMORY)
		mm_debug_flush_quarantine();
	/* Let the heap give back what it kept: then every page is home. */
	mm_reclaim();
	uint64_t after = free_now();

	EXPECT_GE(t, after + 16, before); /* a few magazine pages stay for reuse */
}

/*
 * Allocation patterns one CPU runs, with its own state, so that the SMP
 * issue can run it on every CPU at once (frees then cross CPUs through the
 * shared slabs); today it runs on the CPUs there are.
 */
int heap_stress_run(unsigned iterations);

int heap_stress_run(unsigned iterations)
{
	enum { SLOTS = 256 };
	uint8_t **slot = kcalloc(SLOTS, sizeof(*slot));
	uint32_t *len = kcalloc(SLOTS, sizeof(*len));
	uint64_t seed = 99 + cpu_id();
	int bad = 0;

	if (!slot || !len) {
		kfree(slot);
		kfree(len);
		return -1;
	}
	for (unsigned i = 0; i < iterations; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned k = (unsigned)(seed >> 40) % SLOTS;

		if (slot[k]) {
			for (uint32_t j = 0; j < len[k]; j++)
				bad += slot[k][j] != (uint8_t)(k + len[k]);
			kfree(slot[k]);
			slot[k] = NULL;
		} else {
			len[k] = 1 + (uint32_t)(seed >> 20) % 3000;
			slot[k] = kmalloc(len[k]);
			if (slot[k])
				memset(slot[k], (uint8_t)(k + len[k]), len[k]);
		}
	}
	for (int k = 0; k < SLOTS; k++)
		kfree(slot[k]);
	kfree(slot);
	kfree(len);
	return bad;
}

TEST(heap, stress_random_sizes)
{
	EXPECT_EQ(t, heap_stress_run(20000), 0);
}

TEST(kstack, guarded_and_fully_mapped)
{
	struct kstack *s = kstack_alloc("test-stack", 16384);
	int level;

	EXPECT_TRUE(t, s != NULL);
	if (!s)
		return;
	EXPECT_EQ(t, s->top - s->base, 16384);
	EXPECT_EQ(t, s->base - s->guard, PAGE_SIZE);
	EXPECT_EQ(t, mmu_lookup(s->guard, &level), 0);
	for (uintptr_t a = s->base; a < s->top; a += PAGE_SIZE) {
		uint64_t e = mmu_lookup(a, &level);

		EXPECT_TRUE(t, (e & PTE_P) && (e & PTE_W) && (e & PTE_NX));
	}
	memset((void *)s->base, 0x5a, s->top - s->base);
	EXPECT_TRUE(t, kstack_find(s->guard, true) == s);
	EXPECT_TRUE(t, kstack_find(s->guard, false) == NULL);
	kstack_free(s);
	EXPECT_TRUE(t, kstack_find(s->base + 8, false) == NULL);
}

/* Recurses until the guard page stops it (the bound is never reached). */
static __attribute__((noinline)) int recurse(int depth)
{
	volatile char pad[512];

	pad[0] = (char)depth;
	if (depth > 1000000)
		return pad[0];
	return recurse(depth + 1) + pad[0];
}

TEST_DEATH(kstack, overflow_is_reported,
	   "stack overflow on the kernel stack of 'overflow-test'|backtrace:|recurse+")
{
	struct kstack *s = kstack_alloc("overflow-test", 8192);

	if (!s)
		return;
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "xorl %%edi, %%edi\n\t"
			 "call *%1"
			 :
			 : "r"(s->top), "r"(recurse)
			 : "memory");
}

/* The debug allocator's detectors: each defect committed on purpose. */
static struct mm_debug_counts counts_now(void)
{
	struct mm_debug_counts c;

	mm_debug_counts(&c);
	return c;
}

TEST(debugalloc, catches_overflow_both_sides)
{
	if (!CONFIG_DEBUG_MEMORY)
		return; /* the detectors exist in debug builds (check-kernel-debug) */
	uint64_t before = counts_now().overflow;
	uint8_t *volatile p = kmalloc(10);

	p[10] = 1; /* one past the end */
	kfree(p);
	EXPECT_EQ(t, counts_now().overflow, before + 1);
	p = kmalloc(10);
	p[-1] = 1; /* one before the start */
	kfree(p);
	EXPECT_EQ(t, counts_now().overflow, before + 2);
}

TEST(debugalloc, catches_use_after_free)
{
	if (!CONFIG_DEBUG_MEMORY)
		return;
	uint64_t before = counts_now().use_after_free;
	uint8_t *volatile p = kmalloc(32);

	kfree(p);
	p[5] = 7;
	mm_debug_flush_quarantine();
	EXPECT_EQ(t, counts_now().use_after_free, before + 1);
}

TEST(debugalloc, catches_double_and_invalid_free)
{
	if (!CONFIG_DEBUG_MEMORY)
		return;
	struct mm_debug_counts before = counts_now();
	char *volatile p = kmalloc(40);
	char local[32];

	kfree(p);
	kfree(p);
	EXPECT_EQ(t, counts_now().double_free, before.double_free + 1);
	kfree(local);
	p = kmalloc(64);
	kfree(p + 16);
	EXPECT_EQ(t, counts_now().invalid_free, before.invalid_free + 2);
	kfree(p);
}

TEST(debugalloc, reports_leaks)
{
	if (!CONFIG_DEBUG_MEMORY)
		return;
	uint64_t before = mm_debug_leak_report(false);
	void *volatile p = kmalloc(48);

	EXPECT_EQ(t, mm_debug_leak_report(false), before + 1);
	mm_debug_ignore(p);
	EXPECT_EQ(t, mm_debug_leak_report(false), before);
	kfree(p);
}

TEST(debugalloc, release_build_refuses_bad_frees)
{
	char local[16];

	if (CONFIG_DEBUG_MEMORY)
		return;
	struct mm_stats st;

	mm_stats_get(&st);
	kfree(local); /* refused with a message, never followed */
	void *p = kmalloc(8192);

	kfree((char *)p + 4096); /* inside a large block */
	kfree(p);
	EXPECT_TRUE(t, true);
}
