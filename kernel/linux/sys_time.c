/*
 * Time system calls.  The clocks are the vDSO's (kernel/linux/vdso.c), so
 * a program gets the same answer with or without a system call.  Sleeps
 * are the scheduler's timed sleeps (sub-millisecond expiry).
 *
 * CPU time (clock_gettime's CPU-time clocks, getrusage, times) is the
 * scheduler's count of each thread's time on a CPU (thread_cpu_ns()),
 * summed per process by proc_cpu_ns().  It is all reported as user time:
 * telling the kernel's part apart would cost a clock read at every entry
 * to and exit from the kernel (docs/linux-abi.md).
 */
#include <osprey/percpu.h>
#include <osprey/time.h>
#include <osprey/vdso.h>

#include "internal.h"

#define TIMER_ABSTIME 1
#define NSEC 1000000000ll

struct ts {
	int64_t sec, nsec;
};

/*
 * Linux's CPU-time clock ids (include/linux/posix-timers.h): a negative
 * id holds ~pid above three bits, then "a thread's clock" (4), then which
 * figure: PROF (user + system), VIRT (user) or SCHED (time on a CPU; what
 * CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID are).  Here all
 * three are the same figure.  pthread_getcpuclockid() and
 * clock_getcpuclockid() make them.
 */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_WHICH(c) ((c)&3)
#define CPUCLOCK_SCHED 2
#define CPUCLOCK_PID(c) (~((c) >> 3))
#define MAKE_CPUCLOCK(pid, which) ((int)(~(unsigned)(pid) << 3 | (which)))
#define LINUX_HZ 250 /* Linux's PROF and VIRT clocks' resolution is a tick (1/HZ) */

static bool cpu_clock(int clock)
{
	return clock < 0 || clock == VDSO_CLOCK_PROCESS_CPUTIME_ID ||
	       clock == VDSO_CLOCK_THREAD_CPUTIME_ID;
}

/* CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID in the encoding (Linux's too). */
static int cpu_clock_id(int clock)
{
	if (clock == VDSO_CLOCK_PROCESS_CPUTIME_ID)
		return MAKE_CPUCLOCK(0, CPUCLOCK_SCHED);
	if (clock == VDSO_CLOCK_THREAD_CPUTIME_ID)
		return MAKE_CPUCLOCK(0, CPUCLOCK_SCHED | CPUCLOCK_PERTHREAD);
	return clock;
}

/*
 * The CPU time of a CPU-time clock (cpu_clock_id()): 0, or -EINVAL for an id that names no
 * thread of this process (Linux's pid_for_clock()).  A process clock may
 * name the caller's own tid when read (gettime), not for clock_getres.
 */
static int cpu_clock_ns(int clock, bool gettime, uint64_t *ns)
{
	struct lthread *self = lthread_current();
	struct process *p = self->proc;
	int id = CPUCLOCK_PID(clock);

	if (CPUCLOCK_WHICH(clock) == 3) /* CLOCKFD: a dynamic clock, a descriptor */
		return -EINVAL;
	if (clock & CPUCLOCK_PERTHREAD)
		return lthread_cpu_ns(p, id == self->tid ? 0 : id, ns);
	if (id && id != p->pid && !(gettime && id == self->tid))
		return -EINVAL;
	*ns = proc_cpu_ns(p);
	return 0;
}

long sys_clock_gettime(long clock, long tp)
{
	struct ts t;
	uint64_t ns;
	int err;

	if (cpu_clock((int)clock)) {
		err = cpu_clock_ns(cpu_clock_id((int)clock), true, &ns);
		t.sec = (int64_t)(ns / NSEC);
		t.nsec = (int64_t)(ns % NSEC);
	} else {
		err = time_clock_get((int)clock, &t.sec, &t.nsec);
	}
	if (err)
		return err;
	return copy_to_user((uintptr_t)tp, &t, sizeof(t));
}

long sys_clock_getres(long clock, long tp)
{
	struct ts t;
	uint64_t ns;
	int err;

	if (cpu_clock((int)clock)) {
		int id = cpu_clock_id((int)clock);

		err = cpu_clock_ns(id, false, &ns);
		/* Linux's: 1 ns for SCHED (a cycle counter), a tick for PROF and VIRT */
		t.sec = 0;
		t.nsec = CPUCLOCK_WHICH(id) == CPUCLOCK_SCHED ? 1 :
								(NSEC + LINUX_HZ - 1) / LINUX_HZ;
	} else {
		err = time_clock_getres((int)clock, &t.sec, &t.nsec);
	}

	if (err || !tp)
		return err;
	return copy_to_user((uintptr_t)tp, &t, sizeof(t));
}

long sys_gettimeofday(long tv, long tz)
{
	struct ts t;
	int64_t v[2];

	if (tv) {
		time_clock_get(0, &t.sec, &t.nsec);
		v[0] = t.sec;
		v[1] = t.nsec / 1000;
		if (copy_to_user((uintptr_t)tv, v, sizeof(v)))
			return -EFAULT;
	}
	if (tz) {
		int32_t z[2] = { 0, 0 }; /* UTC */

		if (copy_to_user((uintptr_t)tz, z, sizeof(z)))
			return -EFAULT;
	}
	return 0;
}

long sys_time(long tp)
{
	struct ts t;

	time_clock_get(0, &t.sec, &t.nsec);
	if (tp && copy_to_user((uintptr_t)tp, &t.sec, sizeof(t.sec)))
		return -EFAULT;
	return (long)t.sec;
}

static int read_ts(long p, struct ts *t)
{
	if (copy_from_user(t, (uintptr_t)p, sizeof(*t)))
		return -EFAULT;
	if (t->sec < 0 || t->nsec < 0 || t->nsec >= NSEC)
		return -EINVAL;
	if (t->sec > (1ll << 32))
		t->sec = 1ll << 32; /* 136 years: no overflow in ns below */
	return 0;
}

/*
 * Sleeps until the clock reads deadline_ns; -EINTR if a signal came first,
 * with the time left in *left_ns.
 */
static int sleep_until(int clock, int64_t deadline_ns, int64_t *left_ns)
{
	for (;;) {
		struct ts now;

		time_clock_get(clock, &now.sec, &now.nsec);
		int64_t left = deadline_ns - (now.sec * NSEC + now.nsec);

		*left_ns = left > 0 ? left : 0;
		if (left <= 0)
			return 0;
		if (signal_sleep(lthread_current(), 0, (uint64_t)left))
			return -EINTR;
	}
}

long sys_clock_nanosleep(long clock, long flags, long req, long rem)
{
	struct ts t, now;
	int64_t left;
	int err;

	if (clock != 0 && clock != 1 && clock != 7)
		return clock == 2 || clock == 3 ? -ENOTSUP : -EINVAL;
	err = read_ts(req, &t);
	if (err)
		return err;
	if (flags & TIMER_ABSTIME)
		return sleep_until((int)clock, t.sec * NSEC + t.nsec, &left);
	time_clock_get((int)clock, &now.sec, &now.nsec);
	err = sleep_until((int)clock, now.sec * NSEC + now.nsec + t.sec * NSEC + t.nsec, &left);
	if (err == -EINTR && rem) {
		struct ts r = { left / NSEC, left % NSEC };

		if (copy_to_user((uintptr_t)rem, &r, sizeof(r)))
			return -EFAULT;
	}
	return err;
}

long sys_nanosleep(long req, long rem)
{
	return sys_clock_nanosleep(1, 0, req, rem);
}

/*
 * alarm and setitimer(ITIMER_REAL): one kernel thread per process, made on
 * first use, sleeps until the deadline and sends SIGALRM to the process.
 * The deadline is under proc->lock; the thread sets BLOCKED before it
 * reads it, so a new deadline's wake-up is never lost.
 */
static void itimer_main(void *arg)
{
	struct process *p = arg;
	const struct ksiginfo info = { SI_KERNEL, 0, 0 };

	for (;;) {
		thread_block_prepare();
		spin_lock(&p->lock);
		uint64_t at = p->itimer_at, now = clock_ns();

		if (at && now >= at) {
			p->itimer_at = p->itimer_every ? MAX(at + p->itimer_every, now + 1) : 0;
			spin_unlock(&p->lock);
			thread_block_cancel();
			signal_send(p, 0, 14 /* SIGALRM */, &info);
			continue;
		}
		spin_unlock(&p->lock);
		thread_block_timeout(at ? at - now : 0);
	}
}

/* Arms the timer (at 0: off); the old deadline and interval come back in *old_at, *old_every. */
static int itimer_set(uint64_t at, uint64_t every, uint64_t *old_at, uint64_t *old_every)
{
	struct process *p = proc_current();
	struct thread *t;
	int err = 0;

	spin_lock(&p->lock);
	*old_at = p->itimer_at;
	*old_every = p->itimer_every;
	p->itimer_at = at;
	p->itimer_every = every;
	t = p->itimer;
	spin_unlock(&p->lock);
	if (t) {
		thread_wake(t);
	} else if (at) {
		err = thread_create("itimer", itimer_main, p, &t);
		if (!err) {
			thread_detach(t);
			spin_lock(&p->lock);
			p->itimer = t;
			spin_unlock(&p->lock);
		}
	}
	return err;
}

long sys_alarm(long seconds)
{
	uint64_t old_at, old_every, now = clock_ns();
	uint64_t at = seconds ? now + (uint64_t)(unsigned)seconds * NSEC : 0;
	int err = itimer_set(at, 0, &old_at, &old_every);

	if (err)
		return err;
	/* The seconds left of the old alarm, rounded up (0 only when none). */
	return old_at > now ? (long)((old_at - now + NSEC - 1) / NSEC) : 0;
}

struct itimerval {
	int64_t every_sec, every_usec, value_sec, value_usec;
};

static void itimer_to_user(uint64_t at, uint64_t every, struct itimerval *v)
{
	uint64_t now = clock_ns(), left = at > now ? at - now : (at ? 1000 : 0);

	v->every_sec = (int64_t)(every / NSEC);
	v->every_usec = (int64_t)(every % NSEC / 1000);
	v->value_sec = (int64_t)(left / NSEC);
	v->value_usec = (int64_t)(left % NSEC / 1000);
}

long sys_getitimer(long which, long cur)
{
	struct process *p = proc_current();
	struct itimerval v;

	if (which != 0)
		return which == 1 || which == 2 ? -ENOTSUP : -EINVAL;
	spin_lock(&p->lock);
	itimer_to_user(p->itimer_at, p->itimer_every, &v);
	spin_unlock(&p->lock);
	return copy_to_user((uintptr_t)cur, &v, sizeof(v));
}

long sys_setitimer(long which, long new_p, long old_p)
{
	struct itimerval v;
	uint64_t at = 0, every, old_at, old_every;
	int err;

	if (which != 0)
		return which == 1 || which == 2 ? -ENOTSUP : -EINVAL;
	if (copy_from_user(&v, (uintptr_t)new_p, sizeof(v)))
		return -EFAULT;
	if (v.every_sec < 0 || v.value_sec < 0 || v.every_usec < 0 || v.every_usec >= 1000000 ||
	    v.value_usec < 0 || v.value_usec >= 1000000)
		return -EINVAL;
	every = (uint64_t)MIN(v.every_sec, 1ll << 32) * NSEC + (uint64_t)v.every_usec * 1000;
	if (v.value_sec || v.value_usec)
		at = clock_ns() + (uint64_t)MIN(v.value_sec, 1ll << 32) * NSEC +
		     (uint64_t)v.value_usec * 1000;
	err = itimer_set(at, at ? every : 0, &old_at, &old_every);
	if (err)
		return err;
	if (old_p) {
		itimer_to_user(old_at, old_every, &v);
		if (copy_to_user((uintptr_t)old_p, &v, sizeof(v)))
			return -EFAULT;
	}
	return 0;
}

long sys_getcpu(long cpu_p, long node_p, long cache)
{
	uint32_t cpu = cpu_id(), node = 0;

	(void)cache;
	if (cpu_p && copy_to_user((uintptr_t)cpu_p, &cpu, sizeof(cpu)))
		return -EFAULT;
	if (node_p && copy_to_user((uintptr_t)node_p, &node, sizeof(node)))
		return -EFAULT;
	return 0;
}

long sys_clock_settime(long clock, long tp)
{
	struct ts t;
	int err;

	if (clock != 0)
		return -EINVAL; /* only CLOCK_REALTIME can be set */
	err = read_ts(tp, &t);
	return err ? err : time_set_realtime(t.sec, t.nsec);
}

long sys_settimeofday(long tv, long tz)
{
	int64_t v[2];

	(void)tz; /* the kernel's time zone is not kept (UTC) */
	if (!tv)
		return 0;
	if (copy_from_user(v, (uintptr_t)tv, sizeof(v)))
		return -EFAULT;
	if (v[1] < 0 || v[1] >= 1000000)
		return -EINVAL;
	return time_set_realtime(v[0], v[1] * 1000);
}

/* getrusage and times: CPU time as user time (above); no child processes yet. */
#define RUSAGE_SELF 0
#define RUSAGE_THREAD 1
#define RUSAGE_CHILDREN (-1)
#define USER_HZ 100 /* times() and /proc count in these ticks (AT_CLKTCK) */

struct rusage {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd,
		msgrcv, nsignals, nvcsw, nivcsw;
};

long sys_getrusage(long who, long usage)
{
	struct process *p = proc_current();
	struct rusage r = { 0 };
	uint64_t ns = 0;

	switch ((int)who) {
	case RUSAGE_SELF:
		ns = proc_cpu_ns(p);
		/* relaxed: a statistic (the same figure as /proc/self/stat's minflt) */
		r.minflt = (int64_t)__atomic_load_n(&p->as->faults, __ATOMIC_RELAXED);
		break;
	case RUSAGE_THREAD:
		ns = thread_cpu_ns(thread_current());
		break;
	case RUSAGE_CHILDREN:
		break;
	default:
		return -EINVAL;
	}
	r.utime_sec = (int64_t)(ns / NSEC);
	r.utime_usec = (int64_t)(ns % NSEC / 1000);
	return copy_to_user((uintptr_t)usage, &r, sizeof(r));
}

long sys_times(long buf)
{
	int64_t tms[4] = { (int64_t)(proc_cpu_ns(proc_current()) / (NSEC / USER_HZ)), 0, 0, 0 };

	if (buf && copy_to_user((uintptr_t)buf, tms, sizeof(tms)))
		return -EFAULT;
	/* Ticks since boot: an arbitrary point, as POSIX allows; never in -4095..-1 */
	return (long)(clock_ns() / (NSEC / USER_HZ));
}
