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
uint64_t bootmem_ram_total(void);
uint64_t bootmem_ram_used(void);

/* Page-table entry flags. */
#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* Builds the kernel's page tables (direct map, W^X image) and switches to them. */
void mmu_init(void);
/* Maps [pa, pa+len) into the direct map (uncached for device registers). */
int mmu_map_direct(uint64_t pa, uint64_t len, bool uncached, void **va);
/* Returns the leaf entry for va, or 0 (and its level: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB). */
uint64_t mmu_lookup(uintptr_t va, int *level);

#endif
