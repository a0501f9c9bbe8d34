/*
 * Format of the kernel symbol table (.ksyms section), written by the host
 * tool tools/mksyms and read by kernel/core/ksyms.c:
 *
 *   struct ksyms_header;  struct ksym syms[count];  char names[names_size];
 *
 * syms are sorted by address; an address is stored as an offset from the
 * header's base (the kernel's _text), a name as an offset into names.
 */
#ifndef OSPREY_UAPI_KSYMS_H
#define OSPREY_UAPI_KSYMS_H

#include <stdint.h>

#define KSYMS_MAGIC 0x4d59534bu /* "KSYM" */

struct ksyms_header {
	uint32_t magic;
	uint32_t count;
	uint64_t base;
	uint32_t names_size;
	uint32_t reserved;
};

struct ksym {
	uint32_t offset;
	uint32_t name;
};

#endif
