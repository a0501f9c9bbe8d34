/*
 * procfs: /proc/meminfo, /proc/uptime, /proc/cpuinfo and /proc/mounts, in
 * the formats Linux programs parse (fs/proc/meminfo.c, uptime.c, and
 * arch/x86/kernel/cpu/proc.c in Linux give the layouts).
 *
 * Each read generates the whole text and copies the part asked for; the
 * files report size 0, as Linux's do.  Nodes are static, like devfs's.
 * Not yet: /proc/self (it needs processes).
 */
#include <stdarg.h>
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/format.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/time.h>

#include "internal.h"

#define PROC_BUF 4096

struct procfs_node {
	struct vnode v;
	const char *name;
	size_t (*show)(char *buf, size_t size);
};

struct out {
	char *buf;
	size_t size, len;
};

static void outf(struct out *o, const char *fmt, ...) __printf(2, 3);

static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->len < o->size ? o->size - o->len : 0;

	va_start(ap, fmt);
	o->len += (size_t)format_vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
}

static void kb(struct out *o, const char *name, uint64_t pages)
{
	char label[24];

	format_snprintf(label, sizeof(label), "%s:", name);
	outf(o, "%-16s%8lu kB\n", label, (unsigned long)(pages * 4));
}

static size_t show_meminfo(char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	struct mm_stats *st = kmalloc(sizeof(*st));
	uint64_t slab = 0, free;

	if (!st)
		return 0;
	mm_stats_get(st);
	for (int i = 0; i < MM_NR_CLASSES; i++)
		slab += st->cls[i].slabs;
	free = st->free_pages + st->cpu_cached_pages + st->deferred_pages;
	kb(&o, "MemTotal", st->total_pages + st->deferred_pages);
	kb(&o, "MemFree", free);
	kb(&o, "MemAvailable", free);
	kb(&o, "Buffers", 0);
	kb(&o, "Cached", pagecache_pages());
	kb(&o, "SwapCached", 0);
	kb(&o, "Active", 0);
	kb(&o, "Inactive", 0);
	kb(&o, "SwapTotal", 0);
	kb(&o, "SwapFree", 0);
	kb(&o, "Dirty", 0);
	kb(&o, "Shmem", 0);
	kb(&o, "Slab", slab);
	kb(&o, "SReclaimable", 0);
	kb(&o, "SUnreclaim", slab);
	kfree(st);
	return o.len;
}

static size_t show_uptime(char *buf, size_t size)
{
	uint64_t cs = clock_ns() / 10000000; /* centiseconds */

	return (size_t)format_snprintf(buf, size, "%lu.%02lu 0.00\n", (unsigned long)(cs / 100),
				       (unsigned long)(cs % 100));
}

/* The flags Linux names, by CPUID leaf and register (a subset: the ones programs test). */
struct cpu_flag {
	uint32_t leaf;
	uint8_t reg; /* 0 ebx, 1 ecx, 2 edx */
	uint8_t bit;
	const char *name;
};

static const struct cpu_flag cpu_flags[] = {
	{ 1, 2, 0, "fpu" },
	{ 1, 2, 4, "tsc" },
	{ 1, 2, 5, "msr" },
	{ 1, 2, 6, "pae" },
	{ 1, 2, 8, "cx8" },
	{ 1, 2, 9, "apic" },
	{ 1, 2, 15, "cmov" },
	{ 1, 2, 19, "clflush" },
	{ 1, 2, 23, "mmx" },
	{ 1, 2, 24, "fxsr" },
	{ 1, 2, 25, "sse" },
	{ 1, 2, 26, "sse2" },
	{ 0x80000001, 2, 11, "syscall" },
	{ 0x80000001, 2, 20, "nx" },
	{ 0x80000001, 2, 26, "pdpe1gb" },
	{ 0x80000001, 2, 27, "rdtscp" },
	{ 0x80000001, 2, 29, "lm" },
	{ 1, 1, 0, "pni" },
	{ 1, 1, 1, "pclmulqdq" },
	{ 1, 1, 9, "ssse3" },
	{ 1, 1, 12, "fma" },
	{ 1, 1, 13, "cx16" },
	{ 1, 1, 19, "sse4_1" },
	{ 1, 1, 20, "sse4_2" },
	{ 1, 1, 21, "x2apic" },
	{ 1, 1, 22, "movbe" },
	{ 1, 1, 23, "popcnt" },
	{ 1, 1, 25, "aes" },
	{ 1, 1, 26, "xsave" },
	{ 1, 1, 28, "avx" },
	{ 1, 1, 29, "f16c" },
	{ 1, 1, 30, "rdrand" },
	{ 1, 1, 31, "hypervisor" },
	{ 0x80000001, 1, 0, "lahf_lm" },
	{ 0x80000001, 1, 5, "abm" },
	{ 7, 0, 0, "fsgsbase" },
	{ 7, 0, 3, "bmi1" },
	{ 7, 0, 5, "avx2" },
	{ 7, 0, 7, "smep" },
	{ 7, 0, 8, "bmi2" },
	{ 7, 0, 9, "erms" },
	{ 7, 0, 16, "avx512f" },
	{ 7, 0, 18, "rdseed" },
	{ 7, 0, 19, "adx" },
	{ 7, 0, 20, "smap" },
	{ 7, 0, 29, "sha_ni" },
};

static void cpu_flags_out(struct out *o)
{
	uint32_t max = cpuid(0, 0).eax, xmax = cpuid(0x80000000, 0).eax;

	outf(o, "flags\t\t:");
	for (size_t i = 0; i < ARRAY_SIZE(cpu_flags); i++) {
		const struct cpu_flag *f = &cpu_flags[i];
		struct cpuid_regs r;
		uint32_t v;

		if (f->leaf < 0x80000000 ? f->leaf > max : f->leaf > xmax)
			continue;
		r = cpuid(f->leaf, 0);
		v = f->reg == 0 ? r.ebx : f->reg == 1 ? r.ecx : r.edx;
		if (v & (1u << f->bit))
			outf(o, " %s", f->name);
	}
	outf(o, "\n");
}

static size_t show_cpuinfo(char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	uint32_t vendor[4] = { 0 }, brand[13] = { 0 };
	struct cpuid_regs r = cpuid(0, 0), f = cpuid(1, 0);
	uint32_t family = (f.eax >> 8) & 0xf, model = (f.eax >> 4) & 0xf;
	uint64_t khz = tsc_hz() / 1000;
	uint32_t bits = cpuid(0x80000000, 0).eax >= 0x80000008 ? cpuid(0x80000008, 0).eax : 0x3028;

	vendor[0] = r.ebx;
	vendor[1] = r.edx;
	vendor[2] = r.ecx;
	if (cpuid(0x80000000, 0).eax >= 0x80000004)
		for (uint32_t i = 0; i < 3; i++) {
			struct cpuid_regs b = cpuid(0x80000002 + i, 0);

			brand[i * 4] = b.eax;
			brand[i * 4 + 1] = b.ebx;
			brand[i * 4 + 2] = b.ecx;
			brand[i * 4 + 3] = b.edx;
		}
	/* Linux's display family and model (arch/x86/lib/cpu.c) */
	if (family == 0xf)
		family += (f.eax >> 20) & 0xff;
	if (family >= 6)
		model |= (f.eax >> 12) & 0xf0;
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		outf(&o, "processor\t: %u\n", cpu);
		outf(&o, "vendor_id\t: %s\n", (char *)vendor);
		outf(&o, "cpu family\t: %u\n", family);
		outf(&o, "model\t\t: %u\n", model);
		outf(&o, "model name\t: %s\n", (char *)brand);
		outf(&o, "stepping\t: %u\n", f.eax & 0xf);
		outf(&o, "cpu MHz\t\t: %lu.%03lu\n", (unsigned long)(khz / 1000),
		     (unsigned long)(khz % 1000));
		outf(&o, "physical id\t: 0\n");
		outf(&o, "siblings\t: %u\n", nr_cpus);
		outf(&o, "core id\t\t: %u\n", cpu);
		outf(&o, "cpu cores\t: %u\n", nr_cpus);
		outf(&o, "apicid\t\t: %u\n", cpu);
		outf(&o, "fpu\t\t: yes\n");
		outf(&o, "fpu_exception\t: yes\n");
		outf(&o, "cpuid level\t: %u\n", r.eax);
		outf(&o, "wp\t\t: yes\n");
		cpu_flags_out(&o);
		outf(&o, "bogomips\t: %lu.%02lu\n", (unsigned long)(khz * 2 / 1000),
		     (unsigned long)(khz * 2 / 10 % 100));
		outf(&o, "clflush size\t: 64\n");
		outf(&o, "cache_alignment\t: 64\n");
		outf(&o, "address sizes\t: %u bits physical, %u bits virtual\n", bits & 0xff,
		     (bits >> 8) & 0xff);
		outf(&o, "\n");
	}
	return o.len;
}

static size_t show_mounts(char *buf, size_t size)
{
	return vfs_mounts_format(buf, size);
}

static const struct vnode_ops procfs_dir_ops, procfs_file_ops;
static struct vnode procfs_root;
static struct procfs_node files[] = {
	{ .name = "cpuinfo", .show = show_cpuinfo },
	{ .name = "meminfo", .show = show_meminfo },
	{ .name = "mounts", .show = show_mounts },
	{ .name = "uptime", .show = show_uptime },
};

static int procfs_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	(void)dir;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (strlen(files[i].name) == len && memcmp(files[i].name, name, len) == 0) {
			*out = &files[i].v;
			vfs_vnode_get(*out);
			return 0;
		}
	}
	return -ENOENT;
}

static int procfs_readdir(struct vnode *dir, uint64_t index, char *name, size_t size, uint64_t *ino,
			  uint8_t *type)
{
	(void)dir;
	if (index >= ARRAY_SIZE(files) || strlen(files[index].name) >= size)
		return -ENOENT;
	memcpy(name, files[index].name, strlen(files[index].name) + 1);
	*ino = files[index].v.ino;
	*type = DT_REG;
	return 0;
}

static int procfs_read(struct vnode *vp, void *buf, size_t n, uint64_t off, size_t *done)
{
	struct procfs_node *p = container_of(vp, struct procfs_node, v);
	char *text = kmalloc(PROC_BUF);
	size_t len;

	if (!text)
		return -ENOMEM;
	len = MIN(p->show(text, PROC_BUF), (size_t)PROC_BUF - 1);
	*done = off < len ? MIN(n, len - off) : 0;
	memcpy(buf, text + off, *done);
	kfree(text);
	return 0;
}

static const struct vnode_ops procfs_dir_ops = {
	.lookup = procfs_lookup,
	.readdir = procfs_readdir,
};

static const struct vnode_ops procfs_file_ops = {
	.read = procfs_read,
};

static int procfs_mount(struct vfs_mount *m, const void *data, size_t len, struct vnode **root)
{
	(void)data;
	(void)len;
	if (procfs_root.mount)
		return -EBUSY;
	vfs_vnode_init(&procfs_root, &procfs_dir_ops, m, S_IFDIR | 0555, 1);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		vfs_vnode_init(&files[i].v, &procfs_file_ops, m, S_IFREG | 0444, i + 2);
	vfs_vnode_get(&procfs_root);
	*root = &procfs_root;
	return 0;
}

static void procfs_unmount(struct vfs_mount *m)
{
	(void)m;
	procfs_root.mount = NULL;
}

const struct vfs_fstype procfs_type = {
	.name = "procfs",
	.mount = procfs_mount,
	.unmount = procfs_unmount,
	.readonly = true,
};
