/*
 * Process and thread system calls: identity, limits, exit, clone for
 * threads, futex, and arch_prctl.  One process with pid 1; uid and gid 0.
 */
#include <string.h>

#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/time.h>
#include <osprey/vdso.h>

#include "internal.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_PTRACE 0x00002000
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_CHILD_SETTID 0x01000000
#define CSIGNAL 0xff

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE 128
#define FUTEX_CLOCK_REALTIME 256

#define RLIMIT_NLIMITS 16
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~0ull)

long sys_getpid(void)
{
	return proc_current()->pid;
}

long sys_gettid(void)
{
	return lthread_current()->tid;
}

long sys_getppid(void)
{
	return 0; /* started by the kernel, as Linux's init is */
}

long sys_getuid(void)
{
	return 0;
}

long sys_geteuid(void)
{
	return 0;
}

long sys_getgid(void)
{
	return 0;
}

long sys_getegid(void)
{
	return 0;
}

long sys_getpgrp(void)
{
	return proc_current()->pid;
}

long sys_getpgid(long pid)
{
	return pid == 0 || pid == proc_current()->pid ? proc_current()->pid : -ESRCH;
}

long sys_getsid(long pid)
{
	return sys_getpgid(pid);
}

long sys_setsid(void)
{
	return -EPERM; /* already a session leader */
}

long sys_getgroups(long size, long list)
{
	(void)list;
	return size < 0 ? -EINVAL : 0;
}

long sys_umask(long mask)
{
	static _Atomic long cur = 022;

	return atomic_exchange_explicit(&cur, mask & 0777, memory_order_relaxed);
}

long sys_exit(long status)
{
	linux_thread_exit((int)status);
}

long sys_exit_group(long status)
{
	linux_exit_group((int)status);
}

long sys_arch_prctl(long code, long addr)
{
	struct lthread *lt = lthread_current();
	uint64_t v;

	switch (code) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if ((uint64_t)addr >= USER_CANONICAL_END)
			return -EPERM;
		if (code == ARCH_SET_FS)
			arch_user_set_fs(&lt->us, (uint64_t)addr);
		else
			arch_user_set_gs(&lt->us, (uint64_t)addr);
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		v = code == ARCH_GET_FS ? lt->us.fs_base : lt->us.gs_base;
		return copy_to_user((uintptr_t)addr, &v, sizeof(v));
	default:
		return -EINVAL;
	}
}

long sys_set_tid_address(long addr)
{
	lthread_current()->clear_child_tid = (uintptr_t)addr;
	return lthread_current()->tid;
}

long sys_set_robust_list(long head, long len)
{
	if (len != 24)
		return -EINVAL;
	lthread_current()->robust_list = (uintptr_t)head;
	return 0;
}

long sys_sched_yield(void)
{
	thread_yield();
	return 0;
}

/* The thread a scheduling call names (0: the caller), or NULL.  Caller holds p->lock. */
static struct lthread *sched_target(struct process *p, long pid)
{
	return lthread_find(p, pid ? (int)pid : lthread_current()->tid);
}

long sys_sched_getaffinity(long pid, long size, long mask_p)
{
	struct process *p = proc_current();
	struct cpumask m;
	size_t n = ALIGN_UP(nr_cpus, 64) / 8;
	struct lthread *lt;

	if ((size_t)size < n || (size & 7))
		return -EINVAL;
	spin_lock(&p->lock);
	lt = sched_target(p, pid);
	if (lt)
		m = lt->affinity;
	spin_unlock(&p->lock);
	if (!lt)
		return -ESRCH;
	/* Only the CPUs there are: bits past nr_cpus are 0, as Linux reports them. */
	for (unsigned cpu = nr_cpus; cpu < n * 8; cpu++)
		m.w[cpu / 64] &= ~(1ull << (cpu % 64));
	if (copy_to_user((uintptr_t)mask_p, &m, n))
		return -EFAULT;
	return (long)n;
}

/*
 * The caller's mask applies at once (it may continue on another CPU); a
 * thread running elsewhere applies its own on the way back to ring 3,
 * after a reschedule IPI (lthread_affinity_work()).
 */
long sys_sched_setaffinity(long pid, long size, long mask_p)
{
	struct process *p = proc_current();
	struct lthread *lt;
	struct cpumask m;
	bool any = false;

	if (size < 0)
		return -EINVAL;
	cpumask_zero(&m);
	if (copy_from_user(&m, (uintptr_t)mask_p, MIN((size_t)size, sizeof(m))))
		return -EFAULT;
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		any |= cpumask_test(&m, cpu);
	if (!any)
		return -EINVAL; /* no CPU that exists */
	spin_lock(&p->lock);
	lt = sched_target(p, pid);
	if (lt) {
		lt->affinity = m;
		if (lt != lthread_current() && thread_set_affinity_mask(lt->t, &m) == -EBUSY) {
			__atomic_store_n(&lt->affinity_changed, true, __ATOMIC_RELAXED);
			thread_kick(lt->t); /* under p->lock: it has not exited */
		}
	}
	spin_unlock(&p->lock);
	if (!lt)
		return -ESRCH;
	return lt == lthread_current() ? thread_set_affinity_mask(thread_current(), &m) : 0;
}

void lthread_affinity_work(struct lthread *lt)
{
	struct cpumask m;

	spin_lock(&lt->proc->lock);
	m = lt->affinity;
	lt->affinity_changed = false;
	spin_unlock(&lt->proc->lock);
	thread_set_affinity_mask(thread_current(), &m);
}

long sys_uname(long buf)
{
	static const char *const fields[6] = { "Linux",		"osprey", "6.1.0-osprey",
					       "#1 SMP Osprey", "x86_64", "(none)" };
	char u[6][65];

	memset(u, 0, sizeof(u));
	for (int i = 0; i < 6; i++)
		memcpy(u[i], fields[i], strlen(fields[i]));
	return copy_to_user((uintptr_t)buf, u, sizeof(u));
}

long sys_getrandom(long buf, long len, long flags)
{
	uint8_t chunk[256];
	size_t done = 0;

	if (flags & ~7)
		return -EINVAL;
	if (!user_range_ok((uintptr_t)buf, (size_t)len))
		return -EFAULT;
	while (done < (size_t)len) {
		size_t n = MIN(sizeof(chunk), (size_t)len - done);

		devfs_random_fill(chunk, n);
		if (copy_to_user((uintptr_t)buf + done, chunk, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}

static void rlimits_default(struct process *p)
{
	if (p->rlim_max[0])
		return;
	for (int i = 0; i < RLIMIT_NLIMITS; i++)
		p->rlim_cur[i] = p->rlim_max[i] = RLIM_INFINITY;
	p->rlim_cur[RLIMIT_STACK] = 8ull << 20;
	p->rlim_cur[RLIMIT_NOFILE] = p->rlim_max[RLIMIT_NOFILE] = VFS_FD_MAX;
}

long sys_prlimit64(long pid, long res, long new_p, long old_p)
{
	struct process *p = proc_current();
	uint64_t nw[2], old[2];
	int err = 0;

	if (pid != 0 && pid != p->pid)
		return -ESRCH;
	if (res < 0 || res >= RLIMIT_NLIMITS)
		return -EINVAL;
	if (new_p && copy_from_user(nw, (uintptr_t)new_p, sizeof(nw)))
		return -EFAULT;
	spin_lock(&p->lock);
	rlimits_default(p);
	old[0] = p->rlim_cur[res];
	old[1] = p->rlim_max[res];
	if (new_p) {
		if (nw[0] > nw[1])
			err = -EINVAL;
		else if (nw[1] > p->rlim_max[res])
			err = -EPERM; /* raising the hard limit (root could; keep it simple and safe) */
		else if (res == RLIMIT_NOFILE && nw[1] > VFS_FD_MAX && nw[1] != RLIM_INFINITY)
			err = -EPERM;
		else {
			p->rlim_cur[res] = nw[0];
			p->rlim_max[res] = nw[1];
		}
	}
	spin_unlock(&p->lock);
	if (err)
		return err;
	if (old_p && copy_to_user((uintptr_t)old_p, old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_getrlimit(long res, long old_p)
{
	return sys_prlimit64(0, res, 0, old_p);
}

long sys_setrlimit(long res, long new_p)
{
	return sys_prlimit64(0, res, new_p, 0);
}

long sys_sysinfo(long buf)
{
	struct mm_stats st;
	struct {
		int64_t uptime;
		uint64_t loads[3];
		uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
		uint16_t procs, pad;
		uint32_t pad2;
		uint64_t totalhigh, freehigh;
		uint32_t mem_unit;
		char pad3[4];
	} si;

	static_assert(sizeof(si) == 112, "struct sysinfo layout");
	memset(&si, 0, sizeof(si));
	mm_stats_get(&st);
	si.uptime = (int64_t)(clock_ns() / 1000000000ull);
	si.totalram = (st.total_pages + st.deferred_pages) * 4096;
	si.freeram = (st.free_pages + st.deferred_pages) * 4096;
	si.procs = (uint16_t)proc_current()->nthreads;
	si.mem_unit = 1;
	return copy_to_user((uintptr_t)buf, &si, sizeof(si));
}

/* clone for threads: the flags pthread_create uses.  Processes (fork) come later. */
long sys_clone(long flags, long stack, long ptid, long ctid, long tls)
{
	struct process *p = proc_current();
	struct lthread *lt;
	const long thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
	int err;

	if ((flags & thread_flags) != thread_flags)
		return -ENOSYS; /* a new process: fork/vfork come with a later issue */
	if (flags & (CLONE_VFORK | CLONE_PIDFD | CLONE_NEWNS | CLONE_PTRACE | CLONE_PARENT))
		return -EINVAL;
	err = lthread_create(p, &lt);
	if (err)
		return err;
	lt->start = *user_regs();
	lt->start.rax = 0;
	lt->start.rsp = stack ? (uint64_t)stack : lt->start.rsp;
	lt->start.vector = 0;
	lt->us.fs_base = flags & CLONE_SETTLS ? (uint64_t)tls : lthread_current()->us.fs_base;
	lt->us.gs_base = lthread_current()->us.gs_base;
	lt->sigmask = lthread_current()->sigmask;
	/* The parent's CPUs: the child moves there itself as it first enters ring 3. */
	lt->affinity = lthread_current()->affinity;
	lt->affinity_changed = !cpumask_has_first(&lt->affinity, nr_cpus);
	arch_fpu_save(lt->us.fpu);
	if (flags & CLONE_CHILD_CLEARTID)
		lt->clear_child_tid = (uintptr_t)ctid;
	if (flags & CLONE_PARENT_SETTID) {
		int32_t tid = lt->tid;

		if (copy_to_user((uintptr_t)ptid, &tid, sizeof(tid))) {
			kfree(lt);
			return -EFAULT;
		}
	}
	if (flags & CLONE_CHILD_SETTID) {
		int32_t tid = lt->tid;

		copy_to_user((uintptr_t)ctid, &tid, sizeof(tid));
	}
	int tid = lt->tid;

	err = lthread_start(lt);
	if (err) {
		kfree(lt);
		return err;
	}
	return tid;
}

/* A time-out as ns from now (0: none); an absolute one on the monotonic or realtime clock. */
static int futex_timeout(long ts_p, bool absolute, bool realtime, uint64_t *ns)
{
	int64_t ts[2];

	*ns = 0;
	if (!ts_p)
		return 0;
	if (copy_from_user(ts, (uintptr_t)ts_p, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -EINVAL;
	uint64_t t = (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];

	if (absolute) {
		int64_t sec, nsec;
		uint64_t now;

		time_clock_get(realtime ? 0 : 1, &sec, &nsec);
		now = (uint64_t)sec * 1000000000ull + (uint64_t)nsec;

		if (t <= now)
			return -ETIMEDOUT;
		t -= now;
	}
	*ns = t ? t : 1;
	return 0;
}

/*
 * A futex wait that a signal the thread will act on ends, as on Linux:
 * with no time-out it is restarted when the handler has SA_RESTART
 * (-ERESTARTSYS); with one, a handler always makes it EINTR
 * (-ERESTARTNOHAND; Linux's -ERESTART_RESTARTBLOCK).  Restarted without a
 * handler, a relative time-out starts again in full (Linux's
 * restart_syscall would subtract the time already waited).
 */
static long futex_wait_signal(const uint32_t *addr, uint32_t val, uint64_t ns)
{
	struct lthread *lt = lthread_current();
	int err;

	signal_wait_begin(lt);
	err = futex_wait_stop(addr, val, ns, signal_stop, lt);
	signal_wait_end(lt);
	if (err == -EINTR)
		return ns ? -ERESTARTNOHAND : -ERESTARTSYS;
	return err;
}

long sys_futex(long uaddr, long op, long val, long ts_p, long uaddr2, long val3)
{
	int cmd = (int)(op & ~(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME));
	uint32_t cur;
	uint64_t ns;
	int err;

	if ((uaddr & 3) || copy_from_user(&cur, (uintptr_t)uaddr, sizeof(cur)))
		return -EFAULT;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && !val3)
			return -EINVAL;
		/* FUTEX_WAIT's time-out is relative; the BITSET one is absolute. */
		err = futex_timeout(ts_p, cmd == FUTEX_WAIT_BITSET, op & FUTEX_CLOCK_REALTIME, &ns);
		if (err)
			return err;
		if (cur != (uint32_t)val)
			return -EAGAIN;
		return futex_wait_signal((const uint32_t *)uaddr, (uint32_t)val, ns);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		return futex_wake((const uint32_t *)uaddr, (int)val);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE: {
		uint32_t cmp = (uint32_t)val3;

		/* The fourth argument is the number to move, not a time-out. */
		if (val < 0 || ts_p < 0 || (uaddr2 & 3) || !user_range_ok((uintptr_t)uaddr2, 4))
			return -EINVAL;
		return futex_requeue((const uint32_t *)uaddr, (int)MIN(val, 1l << 30),
				     (const uint32_t *)uaddr2, (int)MIN(ts_p, 1l << 30),
				     cmd == FUTEX_CMP_REQUEUE ? &cmp : NULL);
	}
	default:
		return -ENOSYS;
	}
}
