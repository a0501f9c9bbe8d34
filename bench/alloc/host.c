/*
 * bench/alloc on the host, native against native: the kernel's allocator
 * core (kernel/mm/slab.c and buddy.c, the same sources the kernel runs, with
 * the same size classes) beside glibc's malloc, one process, one run.
 *
 * The front end below does what kmalloc does without the kernel around it:
 * a size class and its cache for up to 4096 bytes, buddy pages above, as in
 * the kernel.
 *
 *   alloc-host ours|glibc
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../kernel/mm/classes.h"
#include "../../kernel/mm/internal.h"

#define ARENA_PAGES (1u << 16) /* 256 MiB */

static struct zone zone;
static struct kcache caches[HEAP_CLASSES];
static struct kcache_cpu cpu[HEAP_CLASSES];
static uint8_t class_of16[HEAP_MAX_SMALL / 16 + 1];

static void *src_alloc(void *ctx, unsigned order)
{
	struct page *p = buddy_alloc(ctx, order);

	return p ? page_addr(ctx, p) : NULL;
}

static void src_free(void *ctx, void *addr, unsigned order)
{
	buddy_free(ctx, addr_page(ctx, addr), order);
}

static void setup(void)
{
	size_t align = MM_PAGE_SIZE << MAX_ORDER;
	uint8_t *mem = aligned_alloc(align, (size_t)ARENA_PAGES * MM_PAGE_SIZE);
	struct page *map = calloc(ARENA_PAGES, sizeof(struct page));
	uint64_t base = (uintptr_t)mem >> MM_PAGE_SHIFT;
	struct page_source src = { src_alloc, src_free, &zone };

	if (!mem || !map) {
		fprintf(stderr, "alloc-host: no memory for the arena\n");
		exit(1);
	}
	buddy_init(&zone, map, 0, base, base + ARENA_PAGES);
	buddy_add_range(&zone, base, ARENA_PAGES);
	for (int i = 0; i < HEAP_CLASSES; i++)
		kcache_init(&caches[i], "bench", heap_class_size[i], &zone, src);
	heap_class_table(class_of16);
}

static void *ours_alloc(size_t n)
{
	if (n <= HEAP_MAX_SMALL) {
		unsigned c = class_of16[(n + 15) / 16];

		return kcache_alloc(&caches[c], &cpu[c]);
	}
	unsigned order = 0;

	while (((size_t)MM_PAGE_SIZE << order) < n)
		order++;
	struct page *p = buddy_alloc(&zone, order);

	return p ? page_addr(&zone, p) : NULL;
}

static void ours_free(void *p)
{
	struct page *pg = addr_page(&zone, p);

	if (!p)
		return;
	if (pg->flags & PG_SLAB)
		kcache_free(pg->slab->cache, &cpu[pg->slab->cache - caches], p);
	else
		buddy_free(&zone, pg, pg->order);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define PATTERN_PREFIX ours_
#define PATTERN_ALLOC(n) ours_alloc(n)
#define PATTERN_FREE(p) ours_free(p)
#define PATTERN_NOW() now_ns()
#define PATTERN_PRINT(...) printf(__VA_ARGS__)
#include "pattern.h"

#undef PATTERN_PREFIX
#undef PATTERN_ALLOC
#undef PATTERN_FREE
#define PATTERN_PREFIX glibc_
#define PATTERN_ALLOC(n) malloc(n)
#define PATTERN_FREE(p) free(p)
#include "pattern.h"

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "ours") && strcmp(argv[1], "glibc"))) {
		fprintf(stderr, "usage: alloc-host ours|glibc\n");
		return 2;
	}
	if (!strcmp(argv[1], "ours")) {
		setup();
		ours_run_all(2000000, 4096);
	} else {
		glibc_run_all(2000000, 4096);
	}
	return 0;
}
