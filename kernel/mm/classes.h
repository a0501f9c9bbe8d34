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

/* X(index, size) for each class: for tables made at compile time. */
/* clang-format off */
#define HEAP_CLASS_LIST(X) \
	X(0, 16) \
	X(1, 32) \
	X(2, 48) \
	X(3, 64) \
	X(4, 96) \
	X(5, 128) \
	X(6, 192) \
	X(7, 256) \
	X(8, 384) \
	X(9, 512) \
	X(10, 768) \
	X(11, 1024) \
	X(12, 1536) \
	X(13, 2048) \
	X(14, 3072) \
	X(15, 4096)
/* clang-format on */

#define HEAP_CLASS_SIZE_(i, size) size,
static const uint32_t heap_class_size[HEAP_CLASSES] = { HEAP_CLASS_LIST(HEAP_CLASS_SIZE_) };
#undef HEAP_CLASS_SIZE_

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
