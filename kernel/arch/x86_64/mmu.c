/*
 * The kernel's page tables.
 *
 * mmu_init() replaces the static boot tables (1 GiB mapped three times over,
 * all writable and executable) with the real layout:
 *   - the direct map: every RAM, ACPI and NVS region of the memory map at
 *     DIRECT_MAP + physical, read-write, never executable, in the largest
 *     pages that fit (1 GiB when the CPU has them, 2 MiB, 4 KiB at the edges);
 *   - the kernel image at KERNEL_VMA + physical in 4 KiB pages, W^X: text
 *     read-only and executable, rodata read-only, data and bss read-write;
 *   - nothing in the lower half, which belongs to the application, so a
 *     NULL dereference faults.
 * Device registers and firmware tables outside RAM are added on demand with
 * mmu_map_direct().
 *
 * Page-table pages come from bootmem.  Locking: none yet (boot CPU only);
 * the memory issue puts the kernel tables under their own lock.
 */
#include <osprey/arch/cpu.h>
#include <osprey/boot.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/panic.h>

#define CR4_PGE (1ull << 7)

extern const char _text[], _etext[], _rodata[], _erodata[], _data[], _ebss[], _ksyms[],
	_kernel_end[];

static uint64_t *pml4;
static uint64_t pml4_phys;
static bool gbpages;

static int level_shift(int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

static int index_of(uintptr_t va, int level)
{
	return (int)((va >> level_shift(level)) & 511);
}

/* Returns the table below entry e, creating it if absent (NULL: out of memory). */
static uint64_t *next_table(uint64_t *e)
{
	if (!(*e & PTE_P)) {
		uint64_t pa = bootmem_alloc_page();

		if (!pa)
			return NULL;
		*e = pa | PTE_P | PTE_W;
	}
	if (*e & PTE_PS)
		return NULL; /* already a large page: callers do not split */
	return phys_to_virt(*e & PTE_ADDR);
}

static int map_one(uintptr_t va, uint64_t pa, int level, uint64_t flags)
{
	uint64_t *table = pml4;

	for (int l = 4; l > level; l--) {
		table = next_table(&table[index_of(va, l)]);
		if (!table)
			return -ENOMEM;
	}
	uint64_t *e = &table[index_of(va, level)];

	*e = pa | flags | PTE_P | (level > 1 ? PTE_PS : 0);
	return 0;
}

static int map_range(uintptr_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	uint64_t end = pa + len;

	while (pa < end) {
		int level = 1;

		for (int l = gbpages ? 3 : 2; l > 1; l--) {
			uint64_t sz = 1ull << level_shift(l);

			if (pa % sz == 0 && va % sz == 0 && end - pa >= sz) {
				level = l;
				break;
			}
		}
		int err = map_one(va, pa, level, flags);

		if (err)
			return err;
		va += 1ull << level_shift(level);
		pa += 1ull << level_shift(level);
	}
	return 0;
}

static void map_image(const char *start, const char *end, uint64_t flags)
{
	uintptr_t va = (uintptr_t)start;
	uint64_t len = ALIGN_UP((uintptr_t)end, PAGE_SIZE) - va;

	for (uint64_t off = 0; off < len; off += PAGE_SIZE)
		if (map_one(va + off, va + off - KERNEL_VMA, 1, flags))
			panic("out of memory building the kernel page tables");
}

void mmu_init(void)
{
	gbpages = cpuid(0x80000001, 0).edx & CPUID80000001_EDX_PDPE1GB;
	pml4_phys = bootmem_alloc_page();
	if (!pml4_phys)
		panic("out of memory building the kernel page tables");
	pml4 = phys_to_virt(pml4_phys);

	for (uint32_t i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];

		if (r->type != MEM_RAM && r->type != MEM_ACPI && r->type != MEM_NVS)
			continue;
		uint64_t base = ALIGN_DOWN(r->base, PAGE_SIZE);
		uint64_t end = ALIGN_UP(r->base + r->size, PAGE_SIZE);

		if (map_range(DIRECT_MAP + base, base, end - base, PTE_W | PTE_G | PTE_NX))
			panic("out of memory building the direct map");
	}
	map_image(_text, _etext, PTE_G);
	map_image(_rodata, _erodata, PTE_G | PTE_NX);
	map_image(_data, _ebss, PTE_W | PTE_G | PTE_NX);
	map_image(_ksyms, _kernel_end, PTE_G | PTE_NX);

	write_cr3(pml4_phys);
	write_cr4(read_cr4() | CR4_PGE);
}

uint64_t mmu_lookup(uintptr_t va, int *level)
{
	uint64_t *table = pml4;

	for (int l = 4; l >= 1; l--) {
		uint64_t e = table[index_of(va, l)];

		if (!(e & PTE_P))
			return 0;
		if (l == 1 || (e & PTE_PS)) {
			*level = l;
			return e;
		}
		table = phys_to_virt(e & PTE_ADDR);
	}
	return 0;
}

int mmu_map_direct(uint64_t pa, uint64_t len, bool uncached, void **va)
{
	uint64_t base = ALIGN_DOWN(pa, PAGE_SIZE);
	uint64_t end = ALIGN_UP(pa + len, PAGE_SIZE);
	uint64_t flags = PTE_W | PTE_G | PTE_NX | (uncached ? PTE_PCD | PTE_PWT : 0);

	if (end < base || end > (1ull << 46))
		return -EINVAL;
	for (uint64_t p = base; p < end; p += PAGE_SIZE) {
		int level;

		if (mmu_lookup(DIRECT_MAP + p, &level))
			continue;
		int err = map_one(DIRECT_MAP + p, p, 1, flags);

		if (err)
			return err;
		invlpg(DIRECT_MAP + p);
	}
	*va = phys_to_virt(pa);
	return 0;
}
