/*
 * The boot-time page source: a bump allocator over the RAM regions of the
 * boot memory map, skipping everything that must survive: the first MiB
 * (firmware, boot structures), the kernel image and the initrd.
 *
 * Single-threaded: it runs before any other CPU or thread exists.
 */
#include <string.h>

#include <osprey/boot.h>
#include <osprey/mm.h>

extern const char _kernel_start[], _kernel_end[];

static uint32_t region; /* index into boot_info.mem of the region in use */
static uint64_t next;	/* next free byte in it */
static uint64_t used;

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return blen && a < b + blen && b < a + alen;
}

/* If [pa, pa+PAGE) hits a protected range, returns the first byte after it. */
static uint64_t skip_protected(uint64_t pa)
{
	uint64_t kbase = (uint64_t)_kernel_start - KERNEL_VMA;
	uint64_t klen = (uint64_t)(_kernel_end - _kernel_start);

	if (pa < 0x100000)
		return 0x100000;
	if (overlaps(pa, PAGE_SIZE, kbase, klen))
		return ALIGN_UP(kbase + klen, PAGE_SIZE);
	if (overlaps(pa, PAGE_SIZE, boot_info.initrd_base, boot_info.initrd_size))
		return ALIGN_UP(boot_info.initrd_base + boot_info.initrd_size, PAGE_SIZE);
	return pa;
}

void bootmem_init(void)
{
	region = 0;
	next = 0;
}

uint64_t bootmem_alloc_page(void)
{
	for (; region < boot_info.nr_mem; region++, next = 0) {
		const struct mem_region *r = &boot_info.mem[region];

		if (r->type != MEM_RAM)
			continue;
		uint64_t end = ALIGN_DOWN(r->base + r->size, PAGE_SIZE);

		if (next < r->base)
			next = ALIGN_UP(r->base, PAGE_SIZE);
		for (uint64_t s; (s = skip_protected(next)) != next;)
			next = s;
		if (next + PAGE_SIZE > end)
			continue;
		uint64_t pa = next;

		next += PAGE_SIZE;
		used += PAGE_SIZE;
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		return pa;
	}
	return 0;
}

uint64_t bootmem_ram_total(void)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < boot_info.nr_mem; i++)
		if (boot_info.mem[i].type == MEM_RAM)
			total += boot_info.mem[i].size;
	return total;
}

uint64_t bootmem_ram_used(void)
{
	return used;
}
