/*
 * Page tables.
 *
 * mmu_init() replaces the static boot tables (1 GiB mapped three times over,
 * all writable and executable) with the real layout:
 *   - the direct map: every RAM, ACPI and NVS region of the memory map at
 *     DIRECT_MAP + physical, read-write, never executable, in the largest
 *     pages that fit (1 GiB when the CPU has them, 2 MiB, 4 KiB at the edges);
 *   - the kernel image at KERNEL_VMA + physical in 4 KiB pages, W^X: text
 *     read-only and executable, rodata read-only, data and bss read-write;
 *   - the kernel virtual area's top-level entry, created empty, so that the
 *     upper half of every address space can share the kernel's entries;
 *   - nothing in the lower half, which belongs to the application.
 * Device registers and firmware tables outside RAM are added on demand with
 * mmu_map_direct().
 *
 * The kernel's upper-half top-level entries never change after mmu_init():
 * an address space copies them once (mmu_new_root) and stays in step.
 * Table pages come from bootmem until the page allocator runs.
 *
 * Locking: kernel_pt_lock (a leaf lock) guards changes to the kernel's
 * tables after boot; an address space's own tables are under its pt_lock,
 * which the caller holds (kernel/mm/vm.c).
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/boot.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/panic.h>
#include <osprey/percpu.h>
#include <osprey/smp.h>
#include <osprey/spinlock.h>

#define CR4_PGE (1ull << 7)

extern const char _text[], _etext[], _rodata[], _erodata[], _data[], _ebss[], _ksyms[],
	_kernel_end[];

static uint64_t *kernel_root;
static uint64_t kernel_root_pa;
static bool gbpages;
static bool page_allocator_ready;
static struct spinlock kernel_pt_lock = SPINLOCK_INIT("kernel-pt");

static int level_shift(int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

static int index_of(uintptr_t va, int level)
{
	return (int)((va >> level_shift(level)) & 511);
}

/* A zeroed page for a page table, or 0. */
static uint64_t table_page(void)
{
	if (!page_allocator_ready)
		return bootmem_alloc_page();
	void *p = page_alloc(0, MM_ZERO | MM_RESERVE);

	return p ? virt_to_phys(p) : 0;
}

/* Returns the table below entry e, creating it if absent (NULL: out of memory). */
static uint64_t *next_table(uint64_t *e, bool user)
{
	if (!(*e & PTE_P)) {
		uint64_t pa = table_page();

		if (!pa)
			return NULL;
		*e = pa | PTE_P | PTE_W | (user ? PTE_U : 0);
	}
	if (*e & PTE_PS)
		return NULL; /* already a large page: callers do not split */
	return phys_to_virt(*e & PTE_ADDR);
}

static int map_one(uint64_t *root, uintptr_t va, uint64_t pa, int level, uint64_t flags)
{
	uint64_t *table = root;
	bool user = flags & PTE_U;

	for (int l = 4; l > level; l--) {
		table = next_table(&table[index_of(va, l)], user);
		if (!table)
			return -ENOMEM;
	}
	table[index_of(va, level)] = pa | flags | PTE_P | (level > 1 ? PTE_PS : 0);
	return 0;
}

/*
 * Maps [pa, pa + len) at va in the largest pages that fit, up to max_level
 * (1: 4 KiB, 2: 2 MiB, 3: 1 GiB).  The walk from the root is done once per
 * run of entries in one table, not once per page: boot time under TCG is
 * mostly code run for the first time and calls, and the direct map's edges
 * and the image are a few hundred 4 KiB pages.  A run ends at the table's
 * end, which for 4 KiB and 2 MiB pages is where a larger page may start.
 */
static int map_range(uintptr_t va, uint64_t pa, uint64_t len, uint64_t flags, int max_level)
{
	uint64_t end = pa + len;

	while (pa < end) {
		int level = 1;

		for (int l = max_level; l > 1; l--) {
			uint64_t sz = 1ull << level_shift(l);

			if (pa % sz == 0 && va % sz == 0 && end - pa >= sz) {
				level = l;
				break;
			}
		}
		uint64_t size = 1ull << level_shift(level);
		uint64_t *table = kernel_root;

		for (int l = 4; l > level && table; l--)
			table = next_table(&table[index_of(va, l)], false);
		if (!table)
			return -ENOMEM;
		do {
			table[index_of(va, level)] = pa | flags | PTE_P | (level > 1 ? PTE_PS : 0);
			va += size;
			pa += size;
		} while (pa < end && end - pa >= size && index_of(va, level) != 0);
	}
	return 0;
}

/*
 * The image, part by part in 4 KiB pages (W^X at page granularity).  A
 * table and one loop rather than a call per part: under TCG each call site
 * is code the boot translates.
 */
static void map_image(void)
{
	static const struct {
		const char *start, *end;
		uint64_t flags;
	} parts[] = {
		{ _text, _etext, PTE_G },
		{ _rodata, _erodata, PTE_G | PTE_NX },
		{ _data, _ebss, PTE_W | PTE_G | PTE_NX },
		{ _ksyms, _kernel_end, PTE_G | PTE_NX },
	};

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		uintptr_t va = (uintptr_t)parts[i].start;
		uintptr_t end = ALIGN_UP((uintptr_t)parts[i].end, PAGE_SIZE);

		if (map_range(va, va - KERNEL_VMA, end - va, parts[i].flags, 1))
			panic("out of memory building the kernel page tables");
	}
}

void mmu_init(void)
{
	gbpages = cpuid(0x80000001, 0).edx & CPUID80000001_EDX_PDPE1GB;
	kernel_root_pa = bootmem_alloc_page();
	if (!kernel_root_pa)
		panic("out of memory building the kernel page tables");
	kernel_root = phys_to_virt(kernel_root_pa);

	for (uint32_t i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];

		if (r->type != MEM_RAM && r->type != MEM_ACPI && r->type != MEM_NVS)
			continue;
		uint64_t base = ALIGN_DOWN(r->base, PAGE_SIZE);
		uint64_t end = ALIGN_UP(r->base + r->size, PAGE_SIZE);

		if (map_range(DIRECT_MAP + base, base, end - base, PTE_W | PTE_G | PTE_NX,
			      gbpages ? 3 : 2))
			panic("out of memory building the direct map");
	}
	map_image();
	if (!next_table(&kernel_root[index_of(KVA_BASE, 4)], false))
		panic("out of memory building the kernel page tables");

	write_cr3(kernel_root_pa);
	write_cr4(read_cr4() | CR4_PGE);
}

uint64_t kernel_root_phys(void)
{
	return kernel_root_pa;
}

void mmu_page_allocator_ready(void)
{
	page_allocator_ready = true;
}

static uint64_t *leaf(uint64_t *root, uintptr_t va, int *level)
{
	uint64_t *table = root;

	for (int l = 4; l >= 1; l--) {
		uint64_t *e = &table[index_of(va, l)];

		if (!(*e & PTE_P))
			return NULL;
		if (l == 1 || (*e & PTE_PS)) {
			*level = l;
			return e;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return NULL;
}

uint64_t mmu_lookup(uintptr_t va, int *level)
{
	uint64_t *root = phys_to_virt(read_cr3() & PTE_ADDR);
	uint64_t *e = leaf(root, va, level);

	return e ? *e : 0;
}

struct flush {
	uintptr_t va;
	uint64_t npages;
};

static void flush_local(void *arg)
{
	const struct flush *f = arg;

	if (f->npages > 64) {
		write_cr3(read_cr3()); /* cheaper than many invlpg; global pages stay */
		return;
	}
	for (uint64_t i = 0; i < f->npages; i++)
		invlpg(f->va + i * PAGE_SIZE);
}

/*
 * The shoot-down: this CPU, then every other one by IPI, waiting for all.
 * Kernel mappings are global and may be cached anywhere; a user range is
 * flushed everywhere too (conservative: the address space may run on any CPU).
 */
void tlb_flush_range(uintptr_t va, uint64_t npages)
{
	struct flush f = { va, npages };

	flush_local(&f);
	smp_call_all(flush_local, &f);
}

int mmu_map_direct(uint64_t pa, uint64_t len, bool uncached, void **va)
{
	uint64_t base = ALIGN_DOWN(pa, PAGE_SIZE);
	uint64_t end = ALIGN_UP(pa + len, PAGE_SIZE);
	uint64_t flags = PTE_W | PTE_G | PTE_NX | (uncached ? PTE_PCD | PTE_PWT : 0);
	int err = 0;

	if (end < base || end > (1ull << 46))
		return -EINVAL;
	preempt_disable();
	raw_spin_lock(&kernel_pt_lock);
	for (uint64_t p = base; p < end && !err; p += PAGE_SIZE) {
		int level;

		if (leaf(kernel_root, DIRECT_MAP + p, &level))
			continue;
		err = map_one(kernel_root, DIRECT_MAP + p, p, 1, flags);
		invlpg(DIRECT_MAP + p);
	}
	raw_spin_unlock(&kernel_pt_lock);
	preempt_enable();
	if (err)
		return err;
	*va = phys_to_virt(pa);
	return 0;
}

int mmu_kernel_map(uintptr_t va, uint64_t pa, uint64_t flags)
{
	preempt_disable();
	raw_spin_lock(&kernel_pt_lock);
	int err = map_one(kernel_root, va, pa, 1, flags | PTE_G);

	raw_spin_unlock(&kernel_pt_lock);
	preempt_enable();
	return err;
}

uint64_t mmu_kernel_unmap(uintptr_t va)
{
	int level;
	uint64_t old = 0;

	preempt_disable();
	raw_spin_lock(&kernel_pt_lock);
	uint64_t *e = leaf(kernel_root, va, &level);

	if (e && level == 1) {
		old = *e;
		*e = 0;
	}
	raw_spin_unlock(&kernel_pt_lock);
	preempt_enable();
	return old;
}

/* Address spaces: a root whose upper half is the kernel's. */
int mmu_new_root(uint64_t *pa_out)
{
	uint64_t pa = table_page();

	if (!pa)
		return -ENOMEM;
	uint64_t *root = phys_to_virt(pa);

	memcpy(root + 256, kernel_root + 256, 256 * sizeof(uint64_t));
	*pa_out = pa;
	return 0;
}

/*
 * The level-1 slot of va in the lower half, present or not (a PROT_NONE
 * page keeps its frame in a non-present entry); NULL when no table holds it.
 */
uint64_t *mmu_user_pte(uint64_t root_pa, uintptr_t va)
{
	uint64_t *table = phys_to_virt(root_pa);

	for (int l = 4; l > 1; l--) {
		uint64_t e = table[index_of(va, l)];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		table = phys_to_virt(e & PTE_ADDR);
	}
	return &table[index_of(va, 1)];
}

int mmu_user_map(uint64_t root_pa, uintptr_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *e = mmu_user_pte(root_pa, va);

	if (e && (*e & (PTE_P | PTE_PROTNONE)))
		return -EEXIST;
	return map_one(phys_to_virt(root_pa), va, pa, 1, flags | PTE_U);
}

/* Frees the tables below table (a level-`level` table); leaf pages are the caller's. */
static void free_table(uint64_t *table, int level)
{
	if (level == 1)
		return;
	for (int i = 0; i < 512; i++) {
		if (!(table[i] & PTE_P) || (table[i] & PTE_PS))
			continue;
		uint64_t *child = phys_to_virt(table[i] & PTE_ADDR);

		free_table(child, level - 1);
		page_free(child, 0);
	}
}

void mmu_free_root(uint64_t root_pa)
{
	uint64_t *root = phys_to_virt(root_pa);

	for (int i = 0; i < 256; i++) {
		if (!(root[i] & PTE_P))
			continue;
		uint64_t *pdpt = phys_to_virt(root[i] & PTE_ADDR);

		free_table(pdpt, 3);
		page_free(pdpt, 0);
	}
	page_free(root, 0);
}

/*
 * The trampoline page, identity-mapped in the kernel's own tables while
 * application processors turn paging on (their next instruction fetch is
 * at its physical address).  Address spaces do not share the lower half, so
 * nothing else sees it; mmu_identity_unmap() removes it and its tables.
 */
int mmu_identity_map(uint64_t pa)
{
	preempt_disable();
	raw_spin_lock(&kernel_pt_lock);
	int err = map_one(kernel_root, pa, pa, 1, PTE_W);

	raw_spin_unlock(&kernel_pt_lock);
	preempt_enable();
	return err;
}

void mmu_identity_unmap(void)
{
	preempt_disable();
	raw_spin_lock(&kernel_pt_lock);
	if (kernel_root[0] & PTE_P) {
		uint64_t *pdpt = phys_to_virt(kernel_root[0] & PTE_ADDR);

		free_table(pdpt, 3);
		page_free(pdpt, 0);
		kernel_root[0] = 0;
	}
	raw_spin_unlock(&kernel_pt_lock);
	preempt_enable();
	write_cr3(read_cr3());
}
