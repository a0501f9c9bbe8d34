/*
 * Waiting for descriptors: poll, ppoll, select and pselect6.
 *
 * All four are one loop (wait_ready): read the poll generation, ask every
 * descriptor (vfs_poll), and stop when one is ready or the time is up;
 * else sleep until the generation moves (a pipe changed: vfs_poll_wait),
 * the deadline passes, or one tick goes by when a descriptor cannot
 * announce its changes (the console: VFS_POLL_UNNOTIFIED).  docs/files.md
 * has the design.
 *
 * Timeouts are relative and measured on the monotonic clock: none (NULL,
 * or a negative poll timeout) waits for ever, zero asks once.  As Linux
 * does, select, pselect6 and ppoll write back the time that was left (not
 * after a zero timeout, and a write that faults is ignored); musl and
 * glibc hide it from ppoll and pselect callers.
 *
 * Signals: while it sleeps the thread is marked sigwaiting, so
 * signal_send wakes it (signal.c).  A pending signal that the thread will
 * act on when the call returns (a handler, or a default that ends the
 * program; not an ignored one) ends the wait with -EINTR, as poll and
 * select do on Linux (they are never restarted).  ppoll and pselect6
 * install their mask for the call and put the old one back before
 * returning; a signal that only their mask lets through does not end the
 * wait, because it could not be delivered under the old mask: that needs
 * signal.c to take the signal and set its handler up with the old mask as
 * the one sigreturn restores, as rt_sigsuspend does.
 */
#include <string.h>

#include <osprey/mm.h>
#include <osprey/time.h>

#include "internal.h"

#define NSEC 1000000000ll
#define RLIMIT_NOFILE 7
#define SIGBIT(sig) (1ull << ((sig)-1))
#define UNBLOCKABLE (SIGBIT(9) | SIGBIT(19)) /* SIGKILL, SIGSTOP */

/* select's sets, as Linux's: what counts as readable, writable, exceptional. */
#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET (POLLPRI)

#define SET_WORDS (VFS_FD_MAX / 64)

struct linux_pollfd {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

struct linux_timeval {
	int64_t sec, usec;
};

struct linux_timespec {
	int64_t sec, nsec;
};

/* A relative timeout: ns < 0 for ever, 0 ask once; `at` is the deadline on clock_ns(). */
struct deadline {
	int64_t ns;
	uint64_t at;
};

static void deadline_init(struct deadline *d, int64_t ns)
{
	d->ns = ns;
	d->at = ns > 0 ? clock_ns() + (uint64_t)ns : 0;
}

/* What is left of it, in ns (0 when it passed). */
static int64_t deadline_left(const struct deadline *d)
{
	uint64_t now = clock_ns();

	return now < d->at ? (int64_t)(d->at - now) : 0;
}

/* A timespec from the application: -EFAULT, -EINVAL, or 0 with *ns. */
static int timespec_ns(uintptr_t p, int64_t *ns)
{
	struct linux_timespec ts;

	if (copy_from_user(&ts, p, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= NSEC)
		return -EINVAL;
	if (ts.sec > (1ll << 32))
		ts.sec = 1ll << 32; /* 136 years: no overflow in ns */
	*ns = ts.sec * NSEC + ts.nsec;
	return 0;
}

/* The remaining time, written back as Linux does; a fault is ignored, as there. */
static void write_back_left(uintptr_t p, const struct deadline *d, bool timeval)
{
	int64_t left = deadline_left(d);

	if (!p || !d->ns)
		return;
	if (timeval) {
		struct linux_timeval tv = { left / NSEC, left % NSEC / 1000 };

		(void)copy_to_user(p, &tv, sizeof(tv));
	} else {
		struct linux_timespec ts = { left / NSEC, left % NSEC };

		(void)copy_to_user(p, &ts, sizeof(ts));
	}
}

/*
 * ppoll/pselect6's mask for the duration of the call: 0, or -EINVAL/-EFAULT
 * with nothing changed.  *old gets the mask to put back (mask_restore).
 */
static int mask_install(uintptr_t umask, size_t size, uint64_t *old, bool *installed)
{
	struct lthread *lt = lthread_current();
	uint64_t m;

	*installed = false;
	if (!umask)
		return 0;
	if (size != sizeof(m))
		return -EINVAL;
	if (copy_from_user(&m, umask, sizeof(m)))
		return -EFAULT;
	spin_lock(&lt->proc->lock);
	*old = lt->sigmask;
	lt->sigmask = m & ~UNBLOCKABLE;
	spin_unlock(&lt->proc->lock);
	*installed = true;
	return 0;
}

static void mask_restore(uint64_t old, bool installed)
{
	struct lthread *lt = lthread_current();

	if (!installed)
		return;
	spin_lock(&lt->proc->lock);
	lt->sigmask = old;
	spin_unlock(&lt->proc->lock);
}

/* What ends a wait early: a signal the thread will act on (signal_interrupts, signal.c). */
struct sigcheck {
	struct lthread *lt;
	uint64_t also_blocked; /* ppoll/pselect6: the mask put back afterwards */
};

/* vfs_poll_wait's stop test: signal_interrupts() with the mask put back afterwards. */
static bool sigcheck_stop(void *arg)
{
	const struct sigcheck *sc = arg;

	return signal_interrupts(sc->lt, sc->also_blocked);
}

/*
 * Asks every descriptor once: the number ready (> 0), 0, or a negative
 * errno.  *tick: a descriptor's readiness can change without a wake-up.
 */
typedef int (*scan_fn)(void *ctx, bool *tick);

static long wait_ready(scan_fn scan, void *ctx, const struct deadline *d, uint64_t also_blocked)
{
	struct sigcheck sc = { lthread_current(), also_blocked };

	for (;;) {
		uint64_t gen = vfs_poll_generation(), wait = 0;
		bool tick = false;
		int n = scan(ctx, &tick);

		if (n || !d->ns)
			return n;
		if (sigcheck_stop(&sc))
			return -EINTR;
		if (d->ns > 0) {
			int64_t left = deadline_left(d);

			if (!left)
				return 0;
			wait = (uint64_t)left;
		}
		if (tick && (!wait || wait > VFS_POLL_TICK_NS))
			wait = VFS_POLL_TICK_NS;
		/* signal_send wakes a marked thread (signal.c); vfs_poll_wait fences. */
		signal_wait_begin(sc.lt);
		vfs_poll_wait(gen, wait, sigcheck_stop, &sc);
		signal_wait_end(sc.lt);
	}
}

static unsigned nofile_limit(void)
{
	struct process *p = proc_current();
	uint64_t lim = VFS_FD_MAX;

	spin_lock(&p->lock);
	if (p->rlim_max[0]) /* the limits were set up (sys_proc.c does it on first use) */
		lim = p->rlim_cur[RLIMIT_NOFILE];
	spin_unlock(&p->lock);
	return lim > UINT32_MAX ? UINT32_MAX : (unsigned)lim;
}

struct poll_ctx {
	struct fdtable *ft;
	struct linux_pollfd *fds;
	unsigned nfds;
};

static int poll_scan(void *arg, bool *tick)
{
	struct poll_ctx *c = arg;
	int ready = 0;

	for (unsigned i = 0; i < c->nfds; i++) {
		struct linux_pollfd *pf = &c->fds[i];
		int rev = 0;

		/* a negative descriptor is skipped; one that is not open is POLLNVAL */
		if (pf->fd >= 0 && vfs_poll(c->ft, pf->fd, (uint16_t)pf->events, &rev))
			rev = POLLNVAL;
		if (rev & VFS_POLL_UNNOTIFIED)
			*tick = true;
		pf->revents = (int16_t)(rev & ~VFS_POLL_UNNOTIFIED);
		ready += pf->revents != 0;
	}
	return ready;
}

static long do_poll(uintptr_t ufds, unsigned nfds, const struct deadline *d, uint64_t also_blocked)
{
	struct poll_ctx c = { proc_current()->files, NULL, nfds };
	size_t size = (size_t)nfds * sizeof(struct linux_pollfd);
	long ret;

	if (nfds > nofile_limit())
		return -EINVAL;
	c.fds = kmalloc(size ? size : 1);
	if (!c.fds)
		return -ENOMEM;
	if (size && copy_from_user(c.fds, ufds, size)) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = wait_ready(poll_scan, &c, d, also_blocked);
	/* revents go back even when the wait was interrupted, as on Linux */
	if (size && copy_to_user(ufds, c.fds, size))
		ret = -EFAULT;
out_free:
	kfree(c.fds);
	return ret;
}

long sys_poll(long ufds, long nfds, long timeout_ms)
{
	struct deadline d;
	int ms = (int)timeout_ms;

	deadline_init(&d, ms < 0 ? -1 : (int64_t)ms * 1000000);
	return do_poll((uintptr_t)ufds, (unsigned)nfds, &d, 0);
}

long sys_ppoll(long ufds, long nfds, long tsp, long sigmask, long sigsetsize)
{
	struct deadline d;
	int64_t ns = -1;
	uint64_t old = 0;
	bool installed;
	long ret;

	if (tsp && (ret = timespec_ns((uintptr_t)tsp, &ns)))
		return ret;
	ret = mask_install((uintptr_t)sigmask, (size_t)sigsetsize, &old, &installed);
	if (ret)
		return ret;
	deadline_init(&d, ns);
	ret = do_poll((uintptr_t)ufds, (unsigned)nfds, &d, installed ? old : 0);
	mask_restore(old, installed);
	write_back_left((uintptr_t)tsp, &d, false);
	return ret;
}

struct select_ctx {
	struct fdtable *ft;
	int n;
	uint64_t want[3][SET_WORDS]; /* read, write, except */
	uint64_t got[3][SET_WORDS];
};

static int select_scan(void *arg, bool *tick)
{
	static const int sets[3] = { POLLIN_SET, POLLOUT_SET, POLLEX_SET };
	struct select_ctx *c = arg;
	int ready = 0;

	memset(c->got, 0, sizeof(c->got));
	for (int fd = 0; fd < c->n; fd++) {
		int w = fd / 64, events = 0, mask, err;
		uint64_t bit = 1ull << (fd % 64);

		if (!((c->want[0][w] | c->want[1][w] | c->want[2][w]) & bit))
			continue;
		for (int s = 0; s < 3; s++)
			if (c->want[s][w] & bit)
				events |= sets[s];
		err = vfs_poll(c->ft, fd, events, &mask);
		if (err)
			return err; /* EBADF: select names no closed descriptor */
		if (mask & VFS_POLL_UNNOTIFIED)
			*tick = true;
		for (int s = 0; s < 3; s++) {
			if ((c->want[s][w] & bit) && (mask & sets[s])) {
				c->got[s][w] |= bit;
				ready++;
			}
		}
	}
	return ready;
}

static long do_select(int n, const long usets[3], const struct deadline *d, uint64_t also_blocked)
{
	struct select_ctx *c;
	size_t bytes;
	long ret = 0;

	if (n < 0)
		return -EINVAL;
	/* Linux reads no further than its descriptor table goes; so here. */
	if (n > VFS_FD_MAX)
		n = VFS_FD_MAX;
	c = kzalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ft = proc_current()->files;
	c->n = (int)n;
	bytes = ALIGN_UP((size_t)n, 64) / 8;
	for (int s = 0; s < 3 && !ret; s++)
		if (usets[s] && bytes && copy_from_user(c->want[s], (uintptr_t)usets[s], bytes))
			ret = -EFAULT;
	if (!ret)
		ret = wait_ready(select_scan, c, d, also_blocked);
	/* the sets are written back with the answer, or cleared when the time ran out */
	for (int s = 0; s < 3 && ret >= 0; s++)
		if (usets[s] && bytes && copy_to_user((uintptr_t)usets[s], c->got[s], bytes))
			ret = -EFAULT;
	kfree(c);
	return ret;
}

long sys_select(long n, long inp, long outp, long exp, long tvp)
{
	const long sets[3] = { inp, outp, exp };
	struct deadline d;
	int64_t ns = -1;
	long ret;

	if (tvp) {
		struct linux_timeval tv;

		if (copy_from_user(&tv, (uintptr_t)tvp, sizeof(tv)))
			return -EFAULT;
		if (tv.sec > (1ll << 32))
			tv.sec = 1ll << 32; /* 136 years: no overflow in the sums below */
		/* usec past a second carries into the seconds, as on Linux */
		tv.sec += tv.usec / 1000000;
		tv.usec %= 1000000;
		if (tv.sec < 0 || tv.usec < 0)
			return -EINVAL;
		if (tv.sec > (1ll << 32))
			tv.sec = 1ll << 32;
		ns = tv.sec * NSEC + tv.usec * 1000;
	}
	deadline_init(&d, ns);
	ret = do_select((int)n, sets, &d, 0);
	write_back_left((uintptr_t)tvp, &d, true);
	return ret;
}

long sys_pselect6(long n, long inp, long outp, long exp, long tsp, long sig)
{
	const long sets[3] = { inp, outp, exp };
	struct {
		uint64_t set;
		uint64_t size;
	} pack = { 0, 0 };
	struct deadline d;
	int64_t ns = -1;
	uint64_t old = 0;
	bool installed;
	long ret;

	if (sig && copy_from_user(&pack, (uintptr_t)sig, sizeof(pack)))
		return -EFAULT;
	if (tsp && (ret = timespec_ns((uintptr_t)tsp, &ns)))
		return ret;
	ret = mask_install((uintptr_t)pack.set, (size_t)pack.size, &old, &installed);
	if (ret)
		return ret;
	deadline_init(&d, ns);
	ret = do_select((int)n, sets, &d, installed ? old : 0);
	mask_restore(old, installed);
	write_back_left((uintptr_t)tsp, &d, false);
	return ret;
}
