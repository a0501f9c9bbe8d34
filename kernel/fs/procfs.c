/*
 * procfs: /proc/meminfo, /proc/uptime, /proc/cpuinfo and /proc/mounts, in
 * the formats Linux programs parse (fs/proc/meminfo.c, uptime.c, and
 * arch/x86/kernel/cpu/proc.c in Linux give the layouts).
 *
 * Each read generates the whole text and copies the part asked for (into
 * a buffer as large as the text needs, up to PROC_MAX); the files report
 * size 0, as Linux's do.  These nodes are static, like devfs's.
 *
 * /proc/self and /proc/PID/ (fd/, task/) belong to the application's
 * process, which this layer does not know: the layer above registers
 * callbacks (include/osprey/procfs.h) and procfs draws the tree from them,
 * making a vnode per lookup.  No locks of its own: nodes are immutable,
 * the registration is one atomic pointer, and the callbacks lock what
 * they read.
 */
#include <stdarg.h>
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/format.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/procfs.h>
#include <osprey/sched.h>
#include <osprey/time.h>
#include <osprey/vdso.h>

#include "internal.h"

#define PROC_BUF 4096
#define PROC_MAX (1u << 20) /* a longer text is cut there */

struct procfs_node {
	struct vnode v;
	const char *name;
	size_t (*show)(char *buf, size_t size);
};

void procfs_outf(struct procfs_out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->len < o->size ? o->size - o->len : 0;

	va_start(ap, fmt);
	o->len += (size_t)format_vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
}

void procfs_out_bytes(struct procfs_out *o, const void *src, size_t n)
{
	if (o->len < o->size)
		memcpy(o->buf + o->len, src, MIN(n, o->size - o->len));
	o->len += n;
}

static void kb(struct procfs_out *o, const char *name, uint64_t pages)
{
	char label[24];

	format_snprintf(label, sizeof(label), "%s:", name);
	procfs_outf(o, "%-16s%8lu kB\n", label, (unsigned long)(pages * 4));
}

static size_t show_meminfo(char *buf, size_t size)
{
	struct procfs_out o = { buf, size, 0 };
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

/* Uptime, and the CPUs' idle time added up, as Linux has them. */
static size_t show_uptime(char *buf, size_t size)
{
	uint64_t cs = clock_ns() / 10000000, idle = 0; /* centiseconds */
	unsigned n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE);
	struct sched_cpu_stat st;

	for (unsigned c = 0; c < n; c++) {
		sched_cpu_stat(c, &st);
		idle += st.idle_ns / 10000000;
	}
	return (size_t)format_snprintf(buf, size, "%lu.%02lu %lu.%02lu\n",
				       (unsigned long)(cs / 100), (unsigned long)(cs % 100),
				       (unsigned long)(idle / 100), (unsigned long)(idle % 100));
}

/*
 * /proc/stat in Linux's layout (fs/proc/stat.c): glibc counts its cpuN
 * lines for sysconf(_SC_NPROCESSORS_ONLN) when there is no /sys, and top,
 * vmstat and ps read the rest.  Times in USER_HZ (1/100 s).  A CPU's busy
 * time is shown as user time (the kernel does not tell user and system
 * time apart yet); "intr" is the timer interrupts, the only ones counted.
 */
static void stat_cpu(struct procfs_out *o, const char *name, uint64_t busy_ns, uint64_t idle_ns)
{
	procfs_outf(o, "%s %lu 0 0 %lu 0 0 0 0 0 0\n", name, (unsigned long)(busy_ns / 10000000),
		    (unsigned long)(idle_ns / 10000000));
}

static size_t show_stat(char *buf, size_t size)
{
	struct procfs_out o = { buf, size, 0 };
	unsigned n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE);
	struct sched_cpu_stat *st = kmalloc(sizeof(*st) * n), sum = { 0 };
	int64_t sec = 0, nsec = 0;
	char name[16];

	if (!st)
		return 0;
	/* One reading per CPU: the "cpu " line is their sum, so it comes first. */
	for (unsigned c = 0; c < n; c++) {
		sched_cpu_stat(c, &st[c]);
		sum.busy_ns += st[c].busy_ns;
		sum.idle_ns += st[c].idle_ns;
		sum.switches += st[c].switches;
		sum.timer_irqs += st[c].timer_irqs;
		sum.running += st[c].running;
	}
	stat_cpu(&o, "cpu ", sum.busy_ns, sum.idle_ns);
	for (unsigned c = 0; c < n; c++) {
		format_snprintf(name, sizeof(name), "cpu%u", c);
		stat_cpu(&o, name, st[c].busy_ns, st[c].idle_ns);
	}
	kfree(st);
	(void)time_clock_get(0 /* CLOCK_REALTIME */, &sec, &nsec);
	procfs_outf(&o, "intr %lu\nctxt %lu\nbtime %lu\n", (unsigned long)sum.timer_irqs,
		    (unsigned long)sum.switches,
		    (unsigned long)(sec > 0 ? (uint64_t)sec - clock_ns() / 1000000000 : 0));
	procfs_outf(&o, "processes %lu\nprocs_running %u\nprocs_blocked 0\n",
		    (unsigned long)sched_threads_created(), MAX(sum.running, 1u));
	procfs_outf(&o, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
	return o.len;
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

static void cpu_flags_out(struct procfs_out *o)
{
	uint32_t max = cpuid(0, 0).eax, xmax = cpuid(0x80000000, 0).eax;

	procfs_outf(o, "flags\t\t:");
	for (size_t i = 0; i < ARRAY_SIZE(cpu_flags); i++) {
		const struct cpu_flag *f = &cpu_flags[i];
		struct cpuid_regs r;
		uint32_t v;

		if (f->leaf < 0x80000000 ? f->leaf > max : f->leaf > xmax)
			continue;
		r = cpuid(f->leaf, 0);
		v = f->reg == 0 ? r.ebx : f->reg == 1 ? r.ecx : r.edx;
		if (v & (1u << f->bit))
			procfs_outf(o, " %s", f->name);
	}
	procfs_outf(o, "\n");
}

static size_t show_cpuinfo(char *buf, size_t size)
{
	struct procfs_out o = { buf, size, 0 };
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
		procfs_outf(&o, "processor\t: %u\n", cpu);
		procfs_outf(&o, "vendor_id\t: %s\n", (char *)vendor);
		procfs_outf(&o, "cpu family\t: %u\n", family);
		procfs_outf(&o, "model\t\t: %u\n", model);
		procfs_outf(&o, "model name\t: %s\n", (char *)brand);
		procfs_outf(&o, "stepping\t: %u\n", f.eax & 0xf);
		procfs_outf(&o, "cpu MHz\t\t: %lu.%03lu\n", (unsigned long)(khz / 1000),
			    (unsigned long)(khz % 1000));
		procfs_outf(&o, "physical id\t: 0\n");
		procfs_outf(&o, "siblings\t: %u\n", nr_cpus);
		procfs_outf(&o, "core id\t\t: %u\n", cpu);
		procfs_outf(&o, "cpu cores\t: %u\n", nr_cpus);
		procfs_outf(&o, "apicid\t\t: %u\n", cpu);
		procfs_outf(&o, "fpu\t\t: yes\n");
		procfs_outf(&o, "fpu_exception\t: yes\n");
		procfs_outf(&o, "cpuid level\t: %u\n", r.eax);
		procfs_outf(&o, "wp\t\t: yes\n");
		cpu_flags_out(&o);
		procfs_outf(&o, "bogomips\t: %lu.%02lu\n", (unsigned long)(khz * 2 / 1000),
			    (unsigned long)(khz * 2 / 10 % 100));
		procfs_outf(&o, "clflush size\t: 64\n");
		procfs_outf(&o, "cache_alignment\t: 64\n");
		procfs_outf(&o, "address sizes\t: %u bits physical, %u bits virtual\n", bits & 0xff,
			    (bits >> 8) & 0xff);
		procfs_outf(&o, "\n");
	}
	return o.len;
}

static size_t show_mounts(char *buf, size_t size)
{
	return vfs_mounts_format(buf, size);
}

static const struct vnode_ops procfs_dir_ops, procfs_file_ops, pid_dir_ops, pid_file_ops,
	pid_link_ops;
static struct vnode procfs_root;
static struct procfs_node files[] = {
	{ .name = "cpuinfo", .show = show_cpuinfo }, { .name = "meminfo", .show = show_meminfo },
	{ .name = "mounts", .show = show_mounts },   { .name = "stat", .show = show_stat },
	{ .name = "uptime", .show = show_uptime },
};

/*
 * /proc/self and /proc/PID: nodes made on each lookup (freed on the last
 * put, as rofs's), each naming what it shows.  Inode numbers are derived
 * from that, so every lookup of one name gives the same number.
 */
enum pkind {
	P_SELF = 1, /* /proc/self */
	P_PID,	    /* /proc/PID/ (id: the pid) */
	P_FILE,	    /* /proc/PID/NAME (arg: its index in ops->files) */
	P_FDDIR,    /* /proc/PID/fd/ */
	P_FD,	    /* /proc/PID/fd/N (arg: the descriptor) */
	P_TASKDIR,  /* /proc/PID/task/ */
	P_TID,	    /* /proc/PID/task/TID/ (id: the tid) */
	P_TFILE,    /* /proc/PID/task/TID/NAME */
};

struct pnode {
	struct vnode v;
	enum pkind kind; /* [i] */
	int id;		 /* [i] pid, or tid under task/ */
	int arg;	 /* [i] */
};

static const struct procfs_self_ops *_Atomic self_ops; /* [a] set once */

void procfs_set_self(const struct procfs_self_ops *ops)
{
	/* release: the table is complete before a reader can see it (self()'s acquire) */
	atomic_store_explicit(&self_ops, ops, memory_order_release);
}

/* The registered process's callbacks and pid, or NULL when none runs. */
static const struct procfs_self_ops *self(int *pid)
{
	const struct procfs_self_ops *ops = atomic_load_explicit(&self_ops, memory_order_acquire);

	*pid = ops ? ops->pid() : 0;
	return *pid > 0 ? ops : NULL;
}

static uint64_t pino(enum pkind kind, int id, int arg)
{
	return ((uint64_t)kind << 56) | ((uint64_t)(uint32_t)id << 16) | (uint16_t)arg;
}

static struct pnode *pn(struct vnode *vp)
{
	return container_of(vp, struct pnode, v);
}

static int pnode_new(struct vnode *dir, enum pkind kind, int id, int arg, struct vnode **out)
{
	const struct procfs_self_ops *ops;
	const struct vnode_ops *vops = &pid_dir_ops;
	struct pnode *n;
	uint32_t mode = S_IFDIR | 0555;
	int pid;

	if (!(ops = self(&pid)))
		return -ENOENT;
	if (kind == P_SELF || kind == P_FD ||
	    ((kind == P_FILE || kind == P_TFILE) && ops->files[arg].link)) {
		vops = &pid_link_ops;
		mode = S_IFLNK | (kind == P_FD ? 0700 : 0777);
	} else if (kind == P_FILE || kind == P_TFILE) {
		vops = &pid_file_ops;
		mode = S_IFREG | 0444;
	}
	n = vfs_zalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	vfs_vnode_init(&n->v, vops, dir->mount, mode, pino(kind, id, arg));
	n->kind = kind;
	n->id = id;
	n->arg = arg;
	*out = &n->v;
	return 0;
}

static void pnode_release(struct vnode *vp)
{
	vfs_free(pn(vp));
}

/* A decimal id as a name ("1", "42"; not "01" or "+1"), or -1. */
static int parse_id(const char *name, size_t len)
{
	int v = 0;

	if (len == 0 || len > 9 || (name[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return v;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

static int dirent_out(char *name, size_t size, const char *src, uint64_t ino, uint8_t type,
		      uint64_t *out_ino, uint8_t *out_type)
{
	size_t len = strlen(src);

	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(name, src, len + 1);
	*out_ino = ino;
	*out_type = type;
	return 0;
}

static bool thread_alive(const struct procfs_self_ops *ops, int tid)
{
	for (int i = 0, t; (t = ops->thread(i)) > 0; i++)
		if (t == tid)
			return true;
	return false;
}

static bool fd_open(const struct procfs_self_ops *ops, int fd)
{
	struct fdtable *ft = ops->fdtable();
	int flags;

	return ft && fd < VFS_FD_MAX && vfs_get_fd_flags(ft, fd, &flags) == 0;
}

static int procfs_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	int pid;

	(void)dir;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (name_is(name, len, files[i].name)) {
			*out = &files[i].v;
			vfs_vnode_get(*out);
			return 0;
		}
	}
	if (!self(&pid))
		return -ENOENT;
	if (name_is(name, len, "self"))
		return pnode_new(dir, P_SELF, pid, 0, out);
	if (parse_id(name, len) == pid)
		return pnode_new(dir, P_PID, pid, 0, out);
	return -ENOENT;
}

static int procfs_readdir(struct vnode *dir, uint64_t index, char *name, size_t size, uint64_t *ino,
			  uint8_t *type)
{
	char num[16];
	int pid;

	(void)dir;
	if (index < ARRAY_SIZE(files))
		return dirent_out(name, size, files[index].name, files[index].v.ino, DT_REG, ino,
				  type);
	if (!self(&pid))
		return -ENOENT;
	index -= ARRAY_SIZE(files);
	if (index == 0)
		return dirent_out(name, size, "self", pino(P_SELF, pid, 0), DT_LNK, ino, type);
	if (index > 1)
		return -ENOENT;
	format_snprintf(num, sizeof(num), "%d", pid);
	return dirent_out(name, size, num, pino(P_PID, pid, 0), DT_DIR, ino, type);
}

/* /proc/PID/, /proc/PID/fd/, /proc/PID/task/ and /proc/PID/task/TID/. */
static int pid_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	struct pnode *d = pn(dir);
	const struct procfs_self_ops *ops;
	int pid, n;

	if (!(ops = self(&pid)) || d->id <= 0)
		return -ENOENT;
	switch (d->kind) {
	case P_PID:
	case P_TID:
		if (d->kind == P_PID && d->id != pid)
			return -ENOENT;
		for (size_t i = 0; i < ops->nfiles; i++)
			if (name_is(name, len, ops->files[i].name))
				return pnode_new(dir, d->kind == P_PID ? P_FILE : P_TFILE, d->id,
						 (int)i, out);
		if (d->kind == P_PID && name_is(name, len, "fd"))
			return pnode_new(dir, P_FDDIR, d->id, 0, out);
		if (d->kind == P_PID && name_is(name, len, "task"))
			return pnode_new(dir, P_TASKDIR, d->id, 0, out);
		return -ENOENT;
	case P_FDDIR:
		n = parse_id(name, len);
		return n >= 0 && fd_open(ops, n) ? pnode_new(dir, P_FD, d->id, n, out) : -ENOENT;
	case P_TASKDIR:
		n = parse_id(name, len);
		return n > 0 && thread_alive(ops, n) ? pnode_new(dir, P_TID, n, 0, out) : -ENOENT;
	default:
		return -ENOTDIR;
	}
}

static int pid_readdir(struct vnode *dir, uint64_t index, char *name, size_t size, uint64_t *ino,
		       uint8_t *type)
{
	struct pnode *d = pn(dir);
	const struct procfs_self_ops *ops;
	char num[16];
	int pid, tid;

	if (!(ops = self(&pid)))
		return -ENOENT;
	switch (d->kind) {
	case P_PID:
	case P_TID: {
		enum pkind k = d->kind == P_PID ? P_FILE : P_TFILE;

		if (index < ops->nfiles)
			return dirent_out(name, size, ops->files[index].name,
					  pino(k, d->id, (int)index),
					  ops->files[index].link ? DT_LNK : DT_REG, ino, type);
		index -= ops->nfiles;
		if (d->kind == P_PID && index == 0)
			return dirent_out(name, size, "fd", pino(P_FDDIR, d->id, 0), DT_DIR, ino,
					  type);
		if (d->kind == P_PID && index == 1)
			return dirent_out(name, size, "task", pino(P_TASKDIR, d->id, 0), DT_DIR,
					  ino, type);
		return -ENOENT;
	}
	case P_FDDIR:
		/* the index-th open descriptor */
		for (int fd = 0; fd < VFS_FD_MAX; fd++) {
			if (!fd_open(ops, fd))
				continue;
			if (index > 0) {
				index--;
				continue;
			}
			format_snprintf(num, sizeof(num), "%d", fd);
			return dirent_out(name, size, num, pino(P_FD, d->id, fd), DT_LNK, ino,
					  type);
		}
		return -ENOENT;
	case P_TASKDIR:
		if (index > INT32_MAX || (tid = ops->thread((int)index)) <= 0)
			return -ENOENT;
		format_snprintf(num, sizeof(num), "%d", tid);
		return dirent_out(name, size, num, pino(P_TID, tid, 0), DT_DIR, ino, type);
	default:
		return -ENOTDIR;
	}
}

static int pid_parent(struct vnode *dir, struct vnode **out)
{
	struct pnode *d = pn(dir);
	int pid;

	switch (d->kind) {
	case P_PID:
		*out = &procfs_root;
		vfs_vnode_get(*out);
		return 0;
	case P_TID:
		if (!self(&pid))
			return -ENOENT;
		return pnode_new(&procfs_root, P_TASKDIR, pid, 0, out);
	default: /* fd/ and task/ */
		return pnode_new(&procfs_root, P_PID, d->id, 0, out);
	}
}

/* The whole text of a file into a buffer from kmalloc, larger as the text needs. */
static int text_get(struct vnode *vp, char **out, size_t *len)
{
	const struct procfs_self_ops *ops = NULL;
	size_t size = PROC_BUF;
	long need;
	int pid;

	if (vp->ops == &pid_file_ops || vp->ops == &pid_link_ops) {
		if (!(ops = self(&pid)))
			return -ENOENT;
		if (pn(vp)->kind != P_FILE && pn(vp)->kind != P_TFILE)
			return -EINVAL;
	}
	for (;;) {
		char *buf = kmalloc(size);

		if (!buf)
			return -ENOMEM;
		if (ops)
			need = ops->files[pn(vp)->arg].show(pn(vp)->id, buf, size);
		else
			need = (long)container_of(vp, struct procfs_node, v)->show(buf, size);
		if (need >= 0 && ((size_t)need < size || size >= PROC_MAX)) {
			*out = buf;
			*len = MIN((size_t)need, size - 1);
			return 0;
		}
		kfree(buf);
		if (need < 0)
			return (int)need;
		/* Grown since: ask again with room to spare (a text can grow between calls). */
		size = MIN((size_t)need + PROC_BUF, (size_t)PROC_MAX);
	}
}

static int procfs_read(struct vnode *vp, void *buf, size_t n, uint64_t off, size_t *done)
{
	char *text;
	size_t len;
	int ret = text_get(vp, &text, &len);

	if (ret)
		return ret;
	*done = off < len ? MIN(n, len - off) : 0;
	memcpy(buf, text + off, *done);
	kfree(text);
	return 0;
}

/* /proc/PID/fd/N's target: the descriptor's path, in a buffer from kmalloc. */
static int fd_link(const struct procfs_self_ops *ops, int fd, char **out, size_t *len)
{
	struct fdtable *ft = ops->fdtable();
	char *text;
	int ret;

	if (!ft)
		return -ENOENT;
	text = kmalloc(VFS_PATH_MAX);
	if (!text)
		return -ENOMEM;
	ret = vfs_fd_path(ft, fd, text, VFS_PATH_MAX);
	if (ret == -ENOENT && fd_open(ops, fd)) {
		/* open, but no directory names the file any more (Linux adds the old name) */
		memcpy(text, "(deleted)", sizeof("(deleted)"));
		ret = 0;
	}
	if (ret) {
		kfree(text);
		return ret;
	}
	*out = text;
	*len = strlen(text);
	return 0;
}

static int pid_readlink(struct vnode *vp, char *buf, size_t size, size_t *len)
{
	const struct procfs_self_ops *ops;
	struct pnode *n = pn(vp);
	char *text;
	int pid, ret;

	if (!(ops = self(&pid)))
		return -ENOENT;
	if (n->kind == P_SELF) {
		char num[16];

		*len = (size_t)format_snprintf(num, sizeof(num), "%d", pid);
		memcpy(buf, num, MIN(*len, size));
		return 0;
	}
	ret = n->kind == P_FD ? fd_link(ops, n->arg, &text, len) : text_get(vp, &text, len);
	if (ret)
		return ret;
	memcpy(buf, text, MIN(*len, size));
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

static const struct vnode_ops pid_dir_ops = {
	.lookup = pid_lookup,
	.parent = pid_parent,
	.readdir = pid_readdir,
	.release = pnode_release,
};

static const struct vnode_ops pid_file_ops = {
	.read = procfs_read,
	.release = pnode_release,
};

static const struct vnode_ops pid_link_ops = {
	.readlink = pid_readlink,
	.release = pnode_release,
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
