/*
 * Memory: the boot-time page source and the kernel's page tables.
 *
 * bootmem hands out physical pages from the boot memory map, never the
 * first MiB, the kernel image or the initrd.  It is the page source until
 * the page allocator of the memory issue takes over what is left.
 */
#ifndef OSPREY_MM_H
#define OSPREY_MM_H

#include <osprey/arch/layout.h>
#include <osprey/kernel.h>

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(DIRECT_MAP + pa);
}

static inline uint64_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP;
}

void bootmem_init(void);
/* Returns a zeroed page's physical address, or 0 when memory is exhausted. */
uint64_t bootmem_alloc_page(void);
/* The same for size bytes (rounded up to pages), contiguous. */
uint64_t bootmem_alloc(uint64_t size);
/* The same, not zeroed: for memory the caller initialises piece by piece. */
uint64_t bootmem_reserve(uint64_t size);
bool bootmem_allocated(uint64_t pa);
bool bootmem_protected(uint64_t pa);
void bootmem_retire(void);
void bootmem_for_each_free(void (*fn)(uint64_t pfn, uint64_t npages));
uint64_t bootmem_ram_total(void);
uint64_t bootmem_ram_used(void);

/*
 * Pages (kernel/mm/page.c): power-of-two blocks from the buddy allocator,
 * order-0 pages through a per-CPU cache.  Addresses are in the direct map.
 * Under pressure (free pages below the low watermark) the registered
 * shrinkers run first; an allocation that would take free memory below the
 * min watermark fails, unless MM_RESERVE is given, with one line on the
 * console describing the memory state.  Never a panic.
 */
#define MM_RESERVE 0x1 /* may use the reserve below the min watermark */
#define MM_ZERO 0x2    /* zero the memory */

void page_init(void);
/* Page allocator, heap and kernel virtual area, after mmu_init(). */
void mm_init(void);
void *page_alloc(unsigned order, int flags);
void page_free(void *va, unsigned order);

struct shrinker {
	const char *name;
	/*
	 * Gives back what it can; returns the pages freed, or NULL.  Runs
	 * inside allocations, possibly under a heap cache's lock: it must not
	 * wait on a lock, nor free heap objects (kfree may need that lock).
	 */
	uint64_t (*shrink)(void);
	/*
	 * Optional: drops everything the cache holds, heap objects included.
	 * Only mm_drop_caches() calls it, from a thread holding no lock.
	 */
	void (*drop)(void);
	struct shrinker *next;
};

/* Safe at any time, from any CPU (caches register on first use). */
void mm_register_shrinker(struct shrinker *s);
/* Runs every shrinker now and drains this CPU's page cache. */
void mm_reclaim(void);
/*
 * Calls every drop hook: caches let go of everything (the leak check
 * around each kernel test does this first, so that what a cache keeps is
 * not counted as a test's leak).  The caller holds no lock.
 */
void mm_drop_caches(void);
/*
 * Free pages once caches have given back what they can (quarantine flushed,
 * shrinkers run): what a leak check compares.  Magazine pages stay cached,
 * so two readings may differ by a page or two without any leak.
 */
uint64_t mm_free_pages_settled(void);
#define MM_CACHE_SLACK_PAGES 4

/*
 * The kernel heap (kernel/mm/malloc.c): size classes from 16 to 4096 bytes
 * with per-CPU magazines, larger blocks straight from pages.  Every block is
 * 16-byte aligned.  Not for interrupt handlers.
 */
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void *kcalloc(size_t count, size_t size);
void *krealloc(void *p, size_t n);
void *kmemalign(size_t align, size_t n);
void kfree(void *p);
size_t kmalloc_usable_size(const void *p);

/* Fixed-size object pools for hot kernel objects, with the same magazines. */
struct pool;
struct pool *pool_create(const char *name, size_t size);
void *pool_alloc(struct pool *p);
void pool_free(struct pool *p, void *obj);
/* -EBUSY while objects are out. */
int pool_destroy(struct pool *p);

/*
 * Statistics: the interface that --mem-stats, and later /proc/meminfo and
 * free, read.
 */
#define MM_NR_CLASSES 16

struct mm_class_stats {
	uint32_t size;
	uint64_t slabs;	  /* slabs held */
	uint64_t objects; /* objects those slabs hold in all */
	uint64_t in_use;  /* handed out and not yet freed */
	uint64_t cached;  /* in magazines: free but not in a slab */
};

struct mm_stats {
	uint64_t total_pages;	       /* pages the allocator manages */
	uint64_t deferred_pages;       /* free RAM not yet handed to it (added on demand) */
	uint64_t free_pages;	       /* in the buddy allocator */
	uint64_t cpu_cached_pages;     /* in per-CPU page caches */
	uint64_t min_pages, low_pages; /* watermarks */
	uint64_t large_pages;	       /* held by large kmalloc blocks */
	uint64_t free_blocks[11];      /* per buddy order */
	uint64_t failures;	       /* allocations refused */
	uint64_t shrink_runs;
	uint64_t shrunk_pages;
	struct mm_class_stats cls[MM_NR_CLASSES];
};

void mm_stats_get(struct mm_stats *st);
/* Only the page allocator's fields of st (the rest untouched): cheaper than mm_stats_get. */
void mm_page_stats(struct mm_stats *st);
/* Heap blocks handed out and not freed (for leak checks around a test). */
uint64_t mm_live_blocks(void);

/* The debug allocator's findings (CONFIG_DEBUG_MEMORY; all zero otherwise). */
struct mm_debug_counts {
	uint64_t overflow, use_after_free, double_free, invalid_free;
};

void mm_debug_counts(struct mm_debug_counts *c);
/* Returns every quarantined block to the heap, checking its poison first. */
void mm_debug_flush_quarantine(void);
/* Marks a long-lived kernel object so that the leak report passes over it. */
void mm_debug_ignore(const void *p);
/* Counts (and prints) live blocks not marked with mm_debug_ignore(). */
uint64_t mm_debug_leak_report(bool print);
uint64_t mm_debug_live(void);
void mm_stats_print(void);
void mm_shutdown_report(void);
/* --bench=alloc; -ENOENT for another name. */
int mm_bench(const char *name);
/* Heap objects per CPU (allocs - frees counted on that CPU; can be negative). */
int64_t mm_cpu_heap_balance(unsigned cpu);

/*
 * The page cache (kernel/mm/pagecache.c): pages of block devices, by
 * (device, page index), shared and reference-counted; set up on first use,
 * shrunk under pressure.  Page index i holds the device's bytes from
 * i * PAGE_SIZE (zeros past its last block).
 */
struct blkdev;
struct pc_slot;

struct pagecache_page {
	const uint8_t *data;  /* PAGE_SIZE bytes, read-only */
	struct pc_slot *slot; /* the cache's slot; NULL: a private page (the set was full) */
};

/* -EIO for a page past the device's end or a failed read; -ENOMEM. */
int pagecache_get(struct blkdev *dev, uint64_t index, struct pagecache_page *pg);
void pagecache_put(struct pagecache_page *pg);
/* Bytes [off, off + len) of dev through the cache; -EIO past dev->size. */
int pagecache_read(struct blkdev *dev, uint64_t off, void *buf, size_t len);
/* Evicts every page of dev nobody holds (unmount); -EBUSY if some are held. */
int pagecache_drop(struct blkdev *dev);
/* Pages cached now: what /proc/meminfo shows as Cached. */
uint64_t pagecache_pages(void);
/* The set page index of dev falls in (tests make collisions with it); 0 before first use. */
uint32_t pagecache_set_of(struct blkdev *dev, uint64_t index);

struct pagecache_stats {
	uint64_t capacity;    /* pages the table can hold; 0 until first use */
	uint64_t table_bytes; /* memory the table itself takes */
	uint64_t pages;	      /* cached now */
	uint64_t hits, misses;
	uint64_t evictions;   /* pages pushed out: for room, by the shrinker, or dropped */
	uint64_t shrunk;      /* of which by the shrinker */
	uint64_t uncached;    /* misses served from a private page: every slot was held */
	uint64_t read_errors; /* device reads that failed */
};

void pagecache_stats(struct pagecache_stats *st);

/* Page-table entry flags. */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
/* Software bit: the page belongs to the area's ops (vDSO, shared file pages); unmap does not free it. */
#define PTE_BORROWED (1ull << 9)
/* Software bit: a page made inaccessible by PROT_NONE; P is clear, the frame stays. */
#define PTE_PROTNONE (1ull << 10)
#define PTE_ADDR 0x000ffffffffff000ull

/* Builds the kernel's page tables (direct map, W^X image) and switches to them. */
void mmu_init(void);
/* Maps [pa, pa+len) into the direct map (uncached for device registers). */
int mmu_map_direct(uint64_t pa, uint64_t len, bool uncached, void **va);
/* Returns the leaf entry for va in the current tables, or 0 (level: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB). */
uint64_t mmu_lookup(uintptr_t va, int *level);
/* From here on, table pages come from the page allocator. */
void mmu_page_allocator_ready(void);
/* Maps or unmaps one 4 KiB kernel page (the kernel virtual area); unmap returns the old entry. */
int mmu_kernel_map(uintptr_t va, uint64_t pa, uint64_t flags);
uint64_t mmu_kernel_unmap(uintptr_t va);
/* Invalidates the TLB for npages from va on every CPU that may cache them. */
void tlb_flush_range(uintptr_t va, uint64_t npages);
/* Address-space roots: the lower half empty, the upper half the kernel's. */
int mmu_new_root(uint64_t *pa_out);
int mmu_identity_map(uint64_t pa);
void mmu_identity_unmap(void);
uint64_t kernel_root_phys(void);
void mmu_free_root(uint64_t root_pa);
int mmu_user_map(uint64_t root_pa, uintptr_t va, uint64_t pa, uint64_t flags);
uint64_t *mmu_user_pte(uint64_t root_pa, uintptr_t va);

/*
 * The kernel virtual area (kernel/mm/kva.c) and kernel stacks: every stack
 * is fully mapped, with an unmapped guard page below it.
 */
struct kstack {
	uintptr_t guard; /* [i] the unmapped page below the stack */
	uintptr_t base;	 /* [i] lowest mapped byte */
	uintptr_t top;	 /* [i] one past the highest */
	char name[24];	 /* [i] its thread's name */
	struct kstack *next;
};

void kva_init(void);
/* Reserves npages of kernel virtual space; 0 when exhausted. */
uintptr_t kva_alloc(uint64_t npages);
void kva_free(uintptr_t va, uint64_t npages);
struct kstack *kstack_alloc(const char *name, size_t size);
void kstack_free(struct kstack *s);
/* The stack holding addr (guard page included when with_guard), or NULL. */
struct kstack *kstack_find(uintptr_t addr, bool with_guard);

#endif
