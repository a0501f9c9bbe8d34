/*
 * /proc/PID for the application: what procfs (kernel/fs/procfs.c) shows
 * under /proc/self, in the formats of Linux's fs/proc (array.c for status
 * and stat, task_mmu.c for maps, base.c for the rest), so that programs
 * that parse them (glibc's startup reads /proc/self/exe; pthread_getattr_np
 * reads maps; ps-like tools read stat and status) read what they expect.
 *
 * linux_procfs_init() registers the table from linux_start(), before the
 * program is loaded; every file answers from the process as it is when
 * read.  Values Osprey does not have (capabilities, NUMA masks, ...) are
 * those of a root process on a Linux without them.
 *
 * Where the numbers come from: the process (struct process), the
 * documented layout (docs/linux-abi.md: the stack, the vDSO, the PIE base,
 * mirrored below), and the program's ELF headers, read again from its file
 * for maps (the loader keeps no list of its segments).  cmdline and
 * environ read the strings at the top of the program's stack, as Linux
 * does (a program that rewrites its argv is seen doing so); from a thread
 * outside the process they come from the kernel's copy.
 *
 * Locks: p->mm_lock (a mutex) to read the break and the mmap regions;
 * p->lock (a spinlock) for the thread list and signal state.  Never both.
 */
#include <string.h>

#include <osprey/format.h>
#include <osprey/mm.h>
#include <osprey/procfs.h>
#include <osprey/vdso.h>

#include "elf.h"
#include "internal.h"

/* exec.c's layout (docs/linux-abi.md): tests/linux/procself.c checks maps against it. */

#define AT_NULL 0
#define MAX_AUXV 64
#define RLIMIT_SIGPENDING 11
#define TICKS_NS 10000000ull /* USER_HZ 100 */
#define COMM_LEN 16

/* From linux_procfs_init: the sizes of the argv and envp strings exec put on the stack. */
static char *const *kargv, *const *kenvp;
static int kargc, kenvc;

/* The process, once it has a program (exe is set by exec). */
static struct process *proc(void)
{
	struct process *p = linux_proc;

	return p && p->exe[0] ? p : NULL;
}

/* Is the reader one of the process's threads (so its memory is the one mapped)? */
static bool in_process(struct process *p)
{
	return thread_current()->ustate && lthread_current()->proc == p;
}

/*
 * The strings at [start, start + n) of the stack, read from the program's
 * memory when the reader is one of its threads, else the kernel's copy of v.
 */
static long show_strings(struct process *p, uintptr_t start, size_t n, char *const *v, int count,
			 char *buf, size_t size)
{
	struct procfs_out o = { buf, size, 0 };

	if (in_process(p)) {
		if (n > size)
			return (long)n; /* procfs asks again with room for it */
		if (copy_from_user(buf, start, n) == 0)
			return (long)n;
	}
	for (int i = 0; i < count; i++)
		procfs_out_bytes(&o, v[i], strlen(v[i]) + 1);
	return (long)o.len;
}

static long show_cmdline(int id, char *buf, size_t size)
{
	struct process *p = proc();

	(void)id;
	if (!p)
		return 0;
	return show_strings(p, p->arg_start, p->arg_end - p->arg_start, kargv, kargc, buf, size);
}

static long show_environ(int id, char *buf, size_t size)
{
	struct process *p = proc();

	(void)id;
	if (!p)
		return 0;
	return show_strings(p, p->env_start, p->env_end - p->env_start, kenvp, kenvc, buf, size);
}

/* The main thread (its tid is the pid), or NULL once it has exited.  Caller holds p->lock. */
static struct lthread *main_thread(struct process *p)
{
	return lthread_find(p, p->pid);
}

/* The stack pointer the program started with (argc is there); 0 if unknown. */
static uintptr_t start_sp(struct process *p)
{
	struct lthread *lt;
	uintptr_t sp = 0;

	spin_lock(&p->lock);
	lt = main_thread(p);
	if (lt)
		sp = lt->start.rsp;
	spin_unlock(&p->lock);
	return sp;
}

/* The auxiliary vector exec built: after argc, argv[], NULL, envp[], NULL. */
static long show_auxv(int id, char *buf, size_t size)
{
	struct process *p = proc();
	struct procfs_out o = { buf, size, 0 };
	uintptr_t sp = p ? p->auxv_start : 0;
	uint64_t pair[2];

	(void)id;
	if (!sp || !in_process(p))
		return 0;
	for (int i = 0; i < MAX_AUXV; i++, sp += sizeof(pair)) {
		if (copy_from_user(pair, sp, sizeof(pair)))
			break;
		procfs_out_bytes(&o, pair, sizeof(pair));
		if (pair[0] == AT_NULL)
			break;
	}
	return (long)o.len;
}

static long show_comm(int id, char *buf, size_t size)
{
	struct process *p = proc();

	(void)id;
	if (!p)
		return 0;
	return format_snprintf(buf, size, "%.*s\n", COMM_LEN - 1, linux_exe_name(p));
}

static long show_exe(int id, char *buf, size_t size)
{
	struct process *p = proc();
	char *path;
	long len;

	(void)id;
	if (!p)
		return -ENOENT;
	path = kmalloc(VFS_PATH_MAX);
	if (!path)
		return -ENOMEM;
	/* Every link followed, from / (where the program started); as given if it is gone. */
	if (vfs_realpath(vfs_kernel_fdtable(), VFS_AT_FDCWD, p->exe, path, VFS_PATH_MAX))
		format_snprintf(path, VFS_PATH_MAX, "%s", p->exe);
	len = format_snprintf(buf, size, "%s", path);
	kfree(path);
	return len;
}

static long show_cwd(int id, char *buf, size_t size)
{
	struct process *p = proc();
	char *path;
	long len;
	int err;

	(void)id;
	if (!p)
		return -ENOENT;
	path = kmalloc(VFS_PATH_MAX);
	if (!path)
		return -ENOMEM;
	err = vfs_getcwd(p->files, path, VFS_PATH_MAX);
	len = err ? err : format_snprintf(buf, size, "%s", path);
	kfree(path);
	return len;
}

static long show_root(int id, char *buf, size_t size)
{
	(void)id;
	return format_snprintf(buf, size, "/");
}

static long show_mounts(int id, char *buf, size_t size)
{
	(void)id;
	return (long)vfs_mounts_format(buf, size);
}

/* One line of maps: an address range with its rights and what it shows. */
struct area {
	uintptr_t start, end;
	int prot;	  /* PROT_* (= VM_*) */
	uint64_t off;	  /* in the file */
	const char *name; /* NULL: anonymous */
	bool file;	  /* name is the program's path */
};

struct areas {
	struct area *a;
	int n, cap;
};

static int area_add(struct areas *s, uintptr_t start, uintptr_t end, int prot, uint64_t off,
		    const char *name, bool file)
{
	if (start >= end)
		return 0;
	if (s->n == s->cap) {
		int ncap = s->cap ? s->cap * 2 : 32;
		struct area *a = krealloc(s->a, (size_t)ncap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		s->a = a;
		s->cap = ncap;
	}
	s->a[s->n++] = (struct area){ start, end, prot, off, name, file };
	return 0;
}

/*
 * The program's segments as exec.c mapped them: each one's pages with its
 * rights, a page two segments share with the rights of both (it belongs to
 * the second), the file's pages named by the program's path and the
 * zero-filled rest (.bss) anonymous.
 */
static int add_segments(struct process *p, const char *path, struct areas *s)
{
	const struct elf_info *e = &p->elf;
	uint64_t bias = p->load_bias;
	int err = 0;

	for (int i = 0; i < e->nseg && !err; i++) {
		const struct elf_segment *g = &e->seg[i];
		uintptr_t base = ALIGN_DOWN(g->vaddr + bias, LINUX_PAGE), start = base;
		uintptr_t end = ALIGN_UP(g->vaddr + bias + g->memsz, LINUX_PAGE);
		uintptr_t fend = ALIGN_UP(g->vaddr + bias + g->filesz, LINUX_PAGE);
		uint64_t off = ALIGN_DOWN(g->offset, LINUX_PAGE);
		int prot = g->prot;

		if (i > 0 && start < ALIGN_UP(e->seg[i - 1].vaddr + bias + e->seg[i - 1].memsz,
					      LINUX_PAGE)) {
			err = area_add(s, start, start + LINUX_PAGE, prot | e->seg[i - 1].prot, off,
				       g->filesz ? path : NULL, g->filesz > 0);
			start += LINUX_PAGE;
		}
		if (i + 1 < e->nseg && ALIGN_DOWN(e->seg[i + 1].vaddr + bias, LINUX_PAGE) < end)
			end -= LINUX_PAGE; /* the next segment's */
		if (!err)
			err = area_add(s, start, MIN(fend, end), prot, off + (start - base), path,
				       true);
		if (!err)
			err = area_add(s, MAX(start, fend), end, prot, 0, NULL, false);
	}
	return err;
}

static int cmp_area(const struct area *a, const struct area *b)
{
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Sorted by address, neighbours that Linux would hold as one area joined. */
static void areas_tidy(struct areas *s)
{
	int n = 0;

	for (int i = 1; i < s->n; i++) /* insertion sort: short, nearly sorted lists */
		for (int j = i; j > 0 && cmp_area(&s->a[j], &s->a[j - 1]) < 0; j--) {
			struct area t = s->a[j];

			s->a[j] = s->a[j - 1];
			s->a[j - 1] = t;
		}
	for (int i = 0; i < s->n; i++) {
		struct area *prev = n ? &s->a[n - 1] : NULL, *a = &s->a[i];

		if (prev && prev->end == a->start && prev->prot == a->prot &&
		    prev->name == a->name && prev->file == a->file &&
		    (!a->file || prev->off + (prev->end - prev->start) == a->off)) {
			prev->end = a->end;
			continue;
		}
		s->a[n++] = *a;
	}
	s->n = n;
}

/* Everything mapped, as maps lists it; *path gets the program's realpath (kmalloc). */
static int collect_areas(struct process *p, struct areas *s, char **path)
{
	size_t vdso_len;
	uintptr_t vvar;
	int err;

	*path = kmalloc(VFS_PATH_MAX);
	if (!*path)
		return -ENOMEM;
	if (show_exe(0, *path, VFS_PATH_MAX) < 0)
		(*path)[0] = 0;
	/* A program whose file went away still has its other areas listed. */
	err = add_segments(p, *path, s);
	if (err == -ENOMEM)
		return err;
	mutex_lock(&p->mm_lock);
	err = area_add(s, p->brk_start, ALIGN_UP(p->brk, LINUX_PAGE), VM_READ | VM_WRITE, 0,
		       "[heap]", false);
	for (int i = 0; i < p->nregions && !err; i++)
		err = area_add(s, p->regions[i].start, p->regions[i].end, p->regions[i].prot, 0,
			       NULL, false);
	mutex_unlock(&p->mm_lock);
	vdso_image(&vdso_len);
	vvar = p->vvar_base;
	if (!err)
		err = area_add(s, vvar, vvar + LINUX_PAGE, VM_READ, 0, "[vvar]", false);
	if (!err)
		err = area_add(s, vvar + LINUX_PAGE,
			       vvar + LINUX_PAGE + ALIGN_UP(vdso_len, LINUX_PAGE),
			       VM_READ | VM_EXEC, 0, "[vdso]", false);
	if (!err)
		err = area_add(s, p->stack_top - p->stack_size, p->stack_top, VM_READ | VM_WRITE, 0,
			       "[stack]", false);
	if (!err)
		areas_tidy(s);
	return err;
}

/* Linux's layout (fs/proc/task_mmu.c): a name is padded to start 73 characters into its line. */
#define MAPS_NAME_COLUMN 73

static long show_maps(int id, char *buf, size_t size)
{
	struct process *p = proc();
	struct procfs_out o = { buf, size, 0 };
	struct areas s = { 0 };
	struct vfs_stat st = { 0 };
	char *path = NULL;
	int err;

	(void)id;
	if (!p)
		return 0;
	err = collect_areas(p, &s, &path);
	if (!err && path[0])
		vfs_stat(vfs_kernel_fdtable(), VFS_AT_FDCWD, path, true, &st);
	for (int i = 0; i < s.n && !err; i++) {
		const struct area *a = &s.a[i];
		size_t line = o.len;

		procfs_outf(&o, "%08lx-%08lx %c%c%cp %08lx %02lx:%02lx %lu ",
			    (unsigned long)a->start, (unsigned long)a->end,
			    a->prot & VM_READ ? 'r' : '-', a->prot & VM_WRITE ? 'w' : '-',
			    a->prot & VM_EXEC ? 'x' : '-', (unsigned long)a->off,
			    a->file ? (unsigned long)(st.dev >> 8) & 0xfff : 0ul,
			    a->file ? (unsigned long)st.dev & 0xff : 0ul,
			    a->file ? (unsigned long)st.ino : 0ul);
		if (a->name) {
			int pad = MAPS_NAME_COLUMN - (int)(o.len - line);

			procfs_outf(&o, "%*s%s", pad > 0 ? pad : 0, "", a->file ? path : a->name);
		}
		procfs_outf(&o, "\n");
	}
	kfree(path);
	kfree(s.a);
	return err ? err : (long)o.len;
}

/* Sizes in pages, for status, statm and stat. */
struct vm_sizes {
	uint64_t total, exe, data, stack, rss;
	uintptr_t start_code, end_code, start_data, end_data;
};

static int vm_sizes(struct process *p, struct vm_sizes *v)
{
	struct areas s = { 0 };
	char *path = NULL;
	int err = collect_areas(p, &s, &path);

	memset(v, 0, sizeof(*v));
	for (int i = 0; i < s.n && !err; i++) {
		const struct area *a = &s.a[i];
		uint64_t pages = (a->end - a->start) / LINUX_PAGE;

		v->total += pages;
		if (a->name && !strcmp(a->name, "[stack]"))
			v->stack += pages;
		else if (a->file && (a->prot & VM_EXEC))
			v->exe += pages;
		else if ((a->prot & VM_WRITE) && !a->file)
			v->data += pages;
		if (a->file && (a->prot & VM_EXEC)) {
			v->start_code = v->start_code ? v->start_code : a->start;
			v->end_code = a->end;
		} else if (a->file && (a->prot & VM_WRITE)) {
			v->start_data = v->start_data ? v->start_data : a->start;
			v->end_data = a->end;
		}
	}
	v->rss = __atomic_load_n(&p->as->resident, __ATOMIC_RELAXED);
	kfree(path);
	kfree(s.a);
	return err;
}

static void kb(struct procfs_out *o, const char *name, uint64_t pages)
{
	procfs_outf(o, "%s:\t%8lu kB\n", name, (unsigned long)(pages * (LINUX_PAGE / 1024)));
}

/* A cpumask as Linux prints it: 32-bit groups in hex, highest first, comma-separated. */
static void cpumask(struct procfs_out *o, unsigned n)
{
	unsigned groups = (n + 31) / 32;

	for (unsigned g = groups; g-- > 0;) {
		unsigned bits = MIN(32u, n - g * 32);
		uint32_t mask = bits == 32 ? 0xffffffffu : (1u << bits) - 1;

		if (g == groups - 1) /* the highest group has only the digits its CPUs need */
			procfs_outf(o, "%0*x", (int)((bits + 3) / 4), mask);
		else
			procfs_outf(o, ",%08x", mask);
	}
}

/* Thread-state numbers for status and stat, read under p->lock. */
struct task_info {
	int nthreads;
	uint64_t sigpnd, shdpnd, sigblk, sigign, sigcgt;
	uint64_t switches, runtime_ns;
	uint64_t sigq_limit;
	bool running;
};

static int task_info(struct process *p, int id, struct task_info *ti)
{
	struct lthread *lt, *self = in_process(p) ? lthread_current() : NULL;
	int err = 0;

	memset(ti, 0, sizeof(*ti));
	spin_lock(&p->lock);
	lt = id == p->pid ? main_thread(p) : lthread_find(p, id);
	if (!lt && id != p->pid)
		err = -ENOENT;
	ti->nthreads = p->nthreads;
	ti->shdpnd = p->pending;
	ti->sigq_limit = p->rlim_cur[RLIMIT_SIGPENDING];
	for (int i = 0; i < LINUX_NSIG; i++) {
		if (p->actions[i].handler == 1)
			ti->sigign |= 1ull << i;
		else if (p->actions[i].handler > 1)
			ti->sigcgt |= 1ull << i;
	}
	if (lt) {
		ti->sigpnd = lt->pending;
		ti->sigblk = lt->sigmask;
		ti->running = lt == self;
	}
	/* The process's CPU figures are its threads' together (Linux's too); all CPU time is utime. */
	if (id == p->pid)
		ti->runtime_ns = p->exited_cpu_ns;
	for (struct list *l = p->threads.next; l != &p->threads; l = l->next) {
		struct lthread *t = list_entry(l, struct lthread, link);

		/* lthread_start lists a thread before its kernel thread exists */
		struct thread *th = __atomic_load_n(&t->t, __ATOMIC_RELAXED);

		if (!th || (id != p->pid && t != lt))
			continue;
		ti->switches += __atomic_load_n(&th->switches, __ATOMIC_RELAXED);
		ti->runtime_ns += thread_cpu_ns(th);
	}
	spin_unlock(&p->lock);
	return err;
}

/* Set bits (the kernel has no libgcc for __builtin_popcount). */
static int bits(uint64_t v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static long show_status(int id, char *buf, size_t size)
{
	struct process *p = proc();
	struct procfs_out o = { buf, size, 0 };
	struct task_info ti;
	struct vm_sizes v;
	int err;

	if (!p)
		return -ENOENT;
	err = task_info(p, id, &ti);
	if (!err)
		err = vm_sizes(p, &v);
	if (err)
		return err;
	procfs_outf(&o, "Name:\t%.*s\n", COMM_LEN - 1, linux_exe_name(p));
	procfs_outf(&o, "Umask:\t0022\n");
	procfs_outf(&o, "State:\t%s\n", ti.running ? "R (running)" : "S (sleeping)");
	procfs_outf(&o, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t0\nTracerPid:\t0\n", p->pid, id);
	procfs_outf(&o, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
	procfs_outf(&o, "FDSize:\t%d\nGroups:\t \n", VFS_FD_MAX);
	procfs_outf(&o, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", p->pid, id, p->pid,
		    p->pid);
	procfs_outf(&o, "Kthread:\t0\n");
	kb(&o, "VmPeak", v.total);
	kb(&o, "VmSize", v.total);
	kb(&o, "VmLck", 0);
	kb(&o, "VmPin", 0);
	kb(&o, "VmHWM", v.rss);
	kb(&o, "VmRSS", v.rss);
	kb(&o, "RssAnon", v.rss);
	kb(&o, "RssFile", 0);
	kb(&o, "RssShmem", 0);
	kb(&o, "VmData", v.data);
	kb(&o, "VmStk", v.stack);
	kb(&o, "VmExe", v.exe);
	kb(&o, "VmLib", 0);
	kb(&o, "VmPTE", (v.rss + 511) / 512);
	kb(&o, "VmSwap", 0);
	kb(&o, "HugetlbPages", 0);
	procfs_outf(&o, "CoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\n");
	procfs_outf(&o, "Threads:\t%d\n", ti.nthreads);
	procfs_outf(&o, "SigQ:\t%d/%lu\n", bits(ti.sigpnd | ti.shdpnd),
		    (unsigned long)ti.sigq_limit);
	procfs_outf(&o, "SigPnd:\t%016lx\nShdPnd:\t%016lx\n", (unsigned long)ti.sigpnd,
		    (unsigned long)ti.shdpnd);
	procfs_outf(&o, "SigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n",
		    (unsigned long)ti.sigblk, (unsigned long)ti.sigign, (unsigned long)ti.sigcgt);
	/* root with every capability (CAP_LAST_CAP 40) */
	procfs_outf(&o, "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
			"CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n"
			"CapAmb:\t0000000000000000\n");
	procfs_outf(&o, "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n");
	procfs_outf(&o, "Speculation_Store_Bypass:\tthread vulnerable\n"
			"SpeculationIndirectBranch:\tconditional enabled\n");
	procfs_outf(&o, "Cpus_allowed:\t");
	cpumask(&o, nr_cpus);
	procfs_outf(&o, "\nCpus_allowed_list:\t0");
	if (nr_cpus > 1)
		procfs_outf(&o, "-%u", nr_cpus - 1);
	procfs_outf(&o, "\nMems_allowed:\t1\nMems_allowed_list:\t0\n");
	procfs_outf(&o, "voluntary_ctxt_switches:\t%lu\nnonvoluntary_ctxt_switches:\t0\n",
		    (unsigned long)ti.switches);
	return (long)o.len;
}

static long show_statm(int id, char *buf, size_t size)
{
	struct process *p = proc();
	struct vm_sizes v;
	int err;

	(void)id;
	if (!p)
		return -ENOENT;
	err = vm_sizes(p, &v);
	if (err)
		return err;
	/* size resident shared text lib data dt, in pages */
	return format_snprintf(buf, size, "%lu %lu 0 %lu 0 %lu 0\n", (unsigned long)v.total,
			       (unsigned long)v.rss, (unsigned long)v.exe,
			       (unsigned long)(v.data + v.stack));
}

static long show_stat(int id, char *buf, size_t size)
{
	struct process *p = proc();
	struct procfs_out o = { buf, size, 0 };
	struct task_info ti;
	struct vm_sizes v;
	uintptr_t brk_start, sp;
	int err;

	if (!p)
		return -ENOENT;
	sp = start_sp(p);
	err = task_info(p, id, &ti);
	if (!err)
		err = vm_sizes(p, &v);
	if (err)
		return err;
	mutex_lock(&p->mm_lock);
	brk_start = p->brk_start;
	mutex_unlock(&p->mm_lock);
	/* fs/proc/array.c do_task_stat(): 52 fields */
	procfs_outf(&o,
		    "%d (%.*s) %c 0 %d %d 0 -1 4194560 %lu 0 0 0 %lu 0 0 0 20 0 %d 0 %lu %lu %lu "
		    "18446744073709551615 ",
		    id, COMM_LEN - 1, linux_exe_name(p), ti.running ? 'R' : 'S', p->pid, p->pid,
		    (unsigned long)__atomic_load_n(&p->as->faults, __ATOMIC_RELAXED),
		    (unsigned long)(ti.runtime_ns / TICKS_NS), ti.nthreads,
		    (unsigned long)(p->start_ns / TICKS_NS), (unsigned long)(v.total * LINUX_PAGE),
		    (unsigned long)v.rss);
	procfs_outf(&o, "%lu %lu %lu 0 0 %lu %lu %lu %lu 0 0 0 17 %u 0 0 0 0 0 ",
		    (unsigned long)v.start_code, (unsigned long)v.end_code,
		    (unsigned long)(sp ? sp : p->stack_top), (unsigned long)(ti.sigpnd | ti.shdpnd),
		    (unsigned long)ti.sigblk, (unsigned long)ti.sigign, (unsigned long)ti.sigcgt,
		    cpu_id());
	procfs_outf(&o, "%lu %lu %lu %lu %lu %lu %lu 0\n", (unsigned long)v.start_data,
		    (unsigned long)v.end_data, (unsigned long)brk_start,
		    (unsigned long)p->arg_start, (unsigned long)p->arg_end,
		    (unsigned long)p->env_start, (unsigned long)p->env_end);
	return (long)o.len;
}

/* Linux's /proc/PID entries that programs read; sorted by name, as ls shows them. */
static const struct procfs_file pid_files[] = {
	{ "auxv", false, show_auxv },	    { "cmdline", false, show_cmdline },
	{ "comm", false, show_comm },	    { "cwd", true, show_cwd },
	{ "environ", false, show_environ }, { "exe", true, show_exe },
	{ "maps", false, show_maps },	    { "mounts", false, show_mounts },
	{ "root", true, show_root },	    { "stat", false, show_stat },
	{ "statm", false, show_statm },	    { "status", false, show_status },
};

static int self_pid(void)
{
	return linux_proc ? linux_proc->pid : 0;
}

static struct fdtable *self_fdtable(void)
{
	return linux_proc ? linux_proc->files : NULL;
}

static int self_thread(int index)
{
	struct process *p = linux_proc;
	int tid = 0;

	if (!p)
		return 0;
	spin_lock(&p->lock);
	for (struct list *l = p->threads.next; l != &p->threads; l = l->next) {
		if (index-- == 0) {
			tid = list_entry(l, struct lthread, link)->tid;
			break;
		}
	}
	spin_unlock(&p->lock);
	return tid;
}

static const struct procfs_self_ops self_ops = {
	.pid = self_pid,
	.fdtable = self_fdtable,
	.thread = self_thread,
	.files = pid_files,
	.nfiles = ARRAY_SIZE(pid_files),
};

void linux_procfs_init(char *const argv[], char *const envp[])
{
	kargv = argv;
	kenvp = envp;
	for (kargc = 0; argv && argv[kargc]; kargc++)
		;
	for (kenvc = 0; envp && envp[kenvc]; kenvc++)
		;
	procfs_set_self(&self_ops);
}
