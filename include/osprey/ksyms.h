/*
 * The kernel's own symbol table, for backtraces.  The build links the
 * kernel twice: the second link carries the table that tools/mksyms made
 * from the first (include/uapi/osprey/ksyms.h has the format).
 */
#ifndef OSPREY_KSYMS_H
#define OSPREY_KSYMS_H

#include <stdint.h>

/* Returns the name of the function holding addr and the offset into it, or NULL. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);
/* Returns the address of a function by name, or 0. */
uintptr_t ksym_address(const char *name);

#endif
