/* Kernel-only declarations shared inside kernel/mm (the portable ones are in internal.h). */
#ifndef OSPREY_MM_MM_H
#define OSPREY_MM_MM_H

#include <osprey/mm.h>

#define MAX_SMALL 4096

struct mm_stats;

void heap_init(void);
void *heap_alloc(size_t n);
void heap_free(void *p);
void *heap_memalign(size_t align, size_t n);
size_t heap_usable_size(const void *p);
bool heap_owns(const void *p, void **start, size_t *size);
uint64_t heap_bad_frees(void);

void *debug_alloc(size_t n, size_t align);
void debug_free(void *p);
size_t debug_usable_size(const void *p);

#endif
