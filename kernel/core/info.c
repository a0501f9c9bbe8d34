/*
 * The default image's program until programs can be loaded: it shows what
 * the kernel found: banner, memory map, CPU and clock, and the boot chart.
 */

#include <osprey/arch/cpu.h>
#include <osprey/boot.h>
#include <osprey/cmdline.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/time.h>

void info_show(void);

static const struct {
	int reg; /* 0: leaf 1 ECX, 1: leaf 1 EDX, 2: 0x80000001 EDX, 3: leaf 7 EBX */
	int bit;
	const char *name;
} features[] = {
	{ 1, 4, "tsc" },     { 1, 25, "sse" },		{ 1, 26, "sse2" },   { 0, 0, "sse3" },
	{ 0, 19, "sse4.1" }, { 0, 20, "sse4.2" },	{ 0, 28, "avx" },    { 3, 5, "avx2" },
	{ 0, 21, "x2apic" }, { 0, 24, "tsc-deadline" }, { 0, 30, "rdrand" }, { 3, 18, "rdseed" },
	{ 0, 26, "xsave" },  { 3, 0, "fsgsbase" },	{ 2, 20, "nx" },     { 2, 26, "pdpe1gb" },
	{ 2, 27, "rdtscp" }, { 0, 31, "hypervisor" },
};

static void show_cpu(void)
{
	struct cpuid_regs v = cpuid(0, 0), leaf1 = cpuid(1, 0);
	uint32_t vendor[4] = { v.ebx, v.edx, v.ecx, 0 }; /* 12 characters and a NUL */
	uint32_t regs[4];

	regs[0] = leaf1.ecx;
	regs[1] = leaf1.edx;
	regs[2] = cpuid(0x80000001, 0).edx;
	regs[3] = v.eax >= 7 ? cpuid(7, 0).ebx : 0;
	kprintf("cpu: %s, features:", (const char *)vendor);
	for (unsigned i = 0; i < ARRAY_SIZE(features); i++)
		if (regs[features[i].reg] & (1u << features[i].bit))
			kprintf(" %s", features[i].name);
	kprintf("\n");
	kprintf("clock: tsc %llu kHz from %s\n", (unsigned long long)(tsc_hz() / 1000),
		clock_source_name());
}

void info_show(void)
{
	kprintf("Osprey unikernel (%s boot)\n",
		boot_info.protocol == BOOT_PVH ? "PVH" : "Linux 64-bit");
	kprintf("memory map:\n");
	for (uint32_t i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];

		kprintf("  %016llx-%016llx %s\n", (unsigned long long)r->base,
			(unsigned long long)(r->base + r->size - 1), mem_type_name(r->type));
	}
	struct mm_stats st;

	mm_page_stats(&st); /* the page figures only: the heap's are not shown */
	kprintf("memory: %llu KiB RAM, %llu KiB for the allocator (%llu KiB added as needed), "
		"%llu KiB taken at boot\n",
		(unsigned long long)(bootmem_ram_total() / 1024),
		(unsigned long long)(st.total_pages + st.deferred_pages) * 4,
		(unsigned long long)st.deferred_pages * 4,
		(unsigned long long)(bootmem_ram_used() / 1024));
	show_cpu();
	if (!boot_options.bootchart) /* --bootchart printed it already */
		bootchart_print();
}
