/*
 * The boot-time page source: a bump allocator over the RAM regions of the
 * boot memory map, skipping everything that must survive: the first MiB
 * (firmware, boot structures), the kernel image and the initrd.  It records
 * what it handed out, so that page_init() can give the page allocator
 * everything else, and then it retires.
 *
 * Single-threaded: it runs before any other CPU or thread exists.
 */
#include <string.h>

#include <osprey/boot.h>
#include <osprey/mm.h>

#define MAX_RANGES 16

extern const char _kernel_start[], _kernel_end[];

static uint32_t region; /* index into boot_info.mem of the region in use */
static uint64_t next;	/* next free byte in it */
static uint64_t used;
static struct {
	uint64_t start, end;
} ranges[MAX_RANGES];
static unsigned nr_ranges;
static bool retired;

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return blen && a < b + blen && b < a + alen;
}

/* If [pa, pa+len) hits a protected range, returns the first byte after it. */
static uint64_t skip_protected(uint64_t pa, uint64_t len)
{
	uint64_t kbase = (uint64_t)_kernel_start - KERNEL_VMA;
	uint64_t klen = (uint64_t)(_kernel_end - _kernel_start);

	if (pa < 0x100000)
		return 0x100000;
	if (overlaps(pa, len, kbase, klen))
		return ALIGN_UP(kbase + klen, PAGE_SIZE);
	if (overlaps(pa, len, boot_info.initrd_base, boot_info.initrd_size))
		return ALIGN_UP(boot_info.initrd_base + boot_info.initrd_size, PAGE_SIZE);
	return pa;
}

bool bootmem_protected(uint64_t pa)
{
	return skip_protected(pa, PAGE_SIZE) != pa;
}

void bootmem_init(void)
{
	region = 0;
	next = 0;
}

static void record(uint64_t pa, uint64_t len)
{
	if (nr_ranges && ranges[nr_ranges - 1].end == pa) {
		ranges[nr_ranges - 1].end += len;
		return;
	}
	if (nr_ranges == MAX_RANGES)
		panic("bootmem: more than %d separate allocations", MAX_RANGES);
	ranges[nr_ranges].start = pa;
	ranges[nr_ranges].end = pa + len;
	nr_ranges++;
}

static uint64_t take(uint64_t size, bool zero);

uint64_t bootmem_alloc(uint64_t size)
{
	return take(size, true);
}

uint64_t bootmem_reserve(uint64_t size)
{
	return take(size, false);
}

static uint64_t take(uint64_t size, bool zero)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	if (retired)
		panic("bootmem used after page_init()");
	for (; region < boot_info.nr_mem; region++, next = 0) {
		const struct mem_region *r = &boot_info.mem[region];

		if (r->type != MEM_RAM)
			continue;
		uint64_t end = ALIGN_DOWN(r->base + r->size, PAGE_SIZE);

		if (next < r->base)
			next = ALIGN_UP(r->base, PAGE_SIZE);
		for (uint64_t s; (s = skip_protected(next, size)) != next;)
			next = s;
		if (next + size > end)
			continue;
		uint64_t pa = next;

		next += size;
		used += size;
		record(pa, size);
		if (zero)
			memset(phys_to_virt(pa), 0, size);
		return pa;
	}
	return 0;
}

uint64_t bootmem_alloc_page(void)
{
	return bootmem_alloc(PAGE_SIZE);
}

bool bootmem_allocated(uint64_t pa)
{
	for (unsigned i = 0; i < nr_ranges; i++)
		if (pa >= ranges[i].start && pa < ranges[i].end)
			return true;
	return false;
}

/*
 * Calls fn for each run of RAM that nothing owns: RAM regions minus the
 * first MiB, the kernel, the initrd and what bootmem handed out.  Works on
 * the few excluded intervals, not page by page, so it costs the boot little.
 */
void bootmem_for_each_free(void (*fn)(uint64_t pfn, uint64_t npages))
{
	struct {
		uint64_t start, end;
	} ex[MAX_RANGES + 3];
	unsigned n = 0;

	ex[n].start = 0;
	ex[n++].end = 0x100000;
	ex[n].start = (uint64_t)_kernel_start - KERNEL_VMA;
	ex[n++].end = ALIGN_UP((uint64_t)_kernel_end - KERNEL_VMA, PAGE_SIZE);
	if (boot_info.initrd_size) {
		ex[n].start = ALIGN_DOWN(boot_info.initrd_base, PAGE_SIZE);
		ex[n++].end = ALIGN_UP(boot_info.initrd_base + boot_info.initrd_size, PAGE_SIZE);
	}
	for (unsigned i = 0; i < nr_ranges; i++) {
		ex[n].start = ranges[i].start;
		ex[n++].end = ranges[i].end;
	}
	/* Insertion sort: a handful of entries. */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && ex[j].start < ex[j - 1].start; j--) {
			__typeof__(ex[0]) t = ex[j];

			ex[j] = ex[j - 1];
			ex[j - 1] = t;
		}
	for (uint32_t r = 0; r < boot_info.nr_mem; r++) {
		const struct mem_region *m = &boot_info.mem[r];

		if (m->type != MEM_RAM)
			continue;
		uint64_t pos = ALIGN_UP(m->base, PAGE_SIZE);
		uint64_t end = ALIGN_DOWN(m->base + m->size, PAGE_SIZE);

		for (unsigned i = 0; i <= n && pos < end; i++) {
			uint64_t stop = i < n ? MIN(ex[i].start, end) : end;

			if (stop > pos)
				fn(pos >> PAGE_SHIFT, (stop - pos) >> PAGE_SHIFT);
			if (i < n && ex[i].end > pos)
				pos = ex[i].end;
		}
	}
}

void bootmem_retire(void)
{
	retired = true;
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
