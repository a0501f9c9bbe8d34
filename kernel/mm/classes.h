/*
 * The heap's size classes, shared by kernel/mm/malloc.c and the host-built
 * allocator benchmark (bench/alloc/host.c), so both cut sizes the same way.
 * Portable.
 */
#ifndef OSPREY_MM_CLASSES_H
#define OSPREY_MM_CLASSES_H

#include <stddef.h>
#include <stdint.h>

#define HEAP_CLASSES 16
#define HEAP_MAX_SMALL 4096

static const uint32_t heap_class_size[HEAP_CLASSES] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096
};

/* Fills tab[(n + 15) / 16] with the smallest class that holds n bytes. */
static inline void heap_class_table(uint8_t tab[HEAP_MAX_SMALL / 16 + 1])
{
	for (unsigned n = 0, c = 0; n <= HEAP_MAX_SMALL / 16; n++) {
		while (heap_class_size[c] < n * 16)
			c++;
		tab[n] = (uint8_t)c;
	}
}

#endif
