/*
 * Readiness and waiting: vfs_poll() asks a file whether it is ready, and an
 * event count (struct vfs_event) lets a thread sleep until something may
 * have changed.  Pipes block on their own event; poll() and select() wait
 * on one global event, poll_event, which every pollable object signals
 * (vfs_poll_notify) whenever its readiness may have changed.
 *
 * Why one global event rather than a wait queue per object that pollers
 * join: a poller then needs no entry per descriptor, nothing to undo on
 * the way out, and no lock order between objects.  The cost is spurious
 * wake-ups: every pipe change wakes every poller, which asks its files
 * again and goes back to sleep.  With one application and a handful of
 * threads polling that is cheap; epoll, when it comes, will want per-object
 * queues.
 *
 * The event count (docs/files.md): a waiter reads `count`, checks its
 * condition, then vfs_event_wait(e, count) sleeps only if `count` is still
 * the same once it is queued.  vfs_event_signal advances `count` after the
 * condition changed, then wakes the queued waiters.  A change that lands
 * after the check either advances `count` before the waiter queues (it
 * returns at once) or finds it queued (it is woken): no lost wake-up.
 *
 * The signal's fast path takes no lock: with no waiter it costs one atomic
 * add and one load.  That is Dekker's pattern, and sequentially consistent
 * on both sides: the signaller advances `count` then reads `nwaiters`; the
 * waiter raises `nwaiters` then reads `count`.  In the single total order of
 * those four operations at least one side sees the other's write, so a
 * signaller that sees no waiter is one whose advance the waiter will see.
 *
 * Locks: e->lock is taken with interrupts off, like a wait queue's inner
 * lock, and threads are woken under it (e->lock -> rq, docs/locking.md), so
 * a waiter that timed out and takes e->lock to leave knows that no waker is
 * still using its thread.  Nothing else is taken under it.
 */
#include <osprey/lockdep.h>
#include <osprey/sched.h>

#include "internal.h"

struct vfs_event_waiter {
	struct list link;   /* [l] in e->waiters */
	struct thread *t;   /* [i] */
	_Atomic bool woken; /* [a] taken off the list by a signal (under lock) */
};

static struct vfs_event poll_event = {
	.lock = SPINLOCK_INIT("poll"),
	.waiters = LIST_HEAD_INIT(poll_event.waiters),
};

void vfs_event_init(struct vfs_event *e, const char *name)
{
	spin_init(&e->lock, name);
	atomic_init(&e->count, 0);
	atomic_init(&e->nwaiters, 0);
	list_init(&e->waiters);
}

uint64_t vfs_event_count(struct vfs_event *e)
{
	/* acquire: pairs with the seq_cst add in vfs_event_signal(), so the
	 * condition the waiter checks next is at least as new as the count */
	return atomic_load_explicit(&e->count, memory_order_acquire);
}

void vfs_event_wait(struct vfs_event *e, uint64_t count, uint64_t timeout_ns,
		    bool (*stop)(void *arg), void *arg)
{
	struct vfs_event_waiter w = { .t = thread_current() };
	uint64_t flags;

	might_sleep(__builtin_return_address(0));
	flags = spin_lock_irqsave(&e->lock);
	list_add_tail(&e->waiters, &w.link);
	/* seq_cst, both: Dekker's pair with vfs_event_signal() (see the top) */
	atomic_fetch_add_explicit(&e->nwaiters, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&e->count, memory_order_seq_cst) != count) {
		list_del(&w.link);
		atomic_fetch_sub_explicit(&e->nwaiters, 1, memory_order_relaxed);
		spin_unlock_irqrestore(&e->lock, flags);
		return;
	}
	spin_unlock_irqrestore(&e->lock, flags);
	/*
	 * BLOCKED only now, with interrupts on: a timer interrupt that came
	 * while e->lock was held is taken here, before, and cannot preempt the
	 * thread half asleep (it would then sleep past its timeout).  A signal
	 * that came in between set w.woken, and stop() is asked after the
	 * state: whoever wakes the thread either is seen below or finds it
	 * BLOCKED.  seq_cst fence: the BLOCKED store is not passed by the loads
	 * below (the wakers' side: thread_wake()'s compare-exchange).
	 */
	thread_block_prepare();
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&w.woken, memory_order_seq_cst) || (stop && stop(arg)))
		thread_block_cancel();
	else
		thread_block_timeout(timeout_ns);
	flags = spin_lock_irqsave(&e->lock);
	if (!atomic_load_explicit(&w.woken, memory_order_relaxed)) {
		/* timed out, stopped, or woken by someone else: still queued */
		list_del(&w.link);
		atomic_fetch_sub_explicit(&e->nwaiters, 1, memory_order_relaxed);
	}
	spin_unlock_irqrestore(&e->lock, flags);
}

void vfs_event_signal(struct vfs_event *e)
{
	uint64_t flags;
	uint32_t n = 0;

	/* seq_cst, both: Dekker's pair with vfs_event_wait() (see the top) */
	atomic_fetch_add_explicit(&e->count, 1, memory_order_seq_cst);
	if (!atomic_load_explicit(&e->nwaiters, memory_order_seq_cst))
		return;
	flags = spin_lock_irqsave(&e->lock);
	while (!list_empty(&e->waiters)) {
		struct vfs_event_waiter *w =
			list_entry(e->waiters.next, struct vfs_event_waiter, link);

		list_del(&w->link);
		/* seq_cst: seen by the waiter's check after its BLOCKED store */
		atomic_store_explicit(&w->woken, true, memory_order_seq_cst);
		thread_wake(w->t);
		n++;
	}
	atomic_fetch_sub_explicit(&e->nwaiters, n, memory_order_relaxed);
	spin_unlock_irqrestore(&e->lock, flags);
	sched_preempt_check();
}

/* [i] after the Linux layer's start (vfs_set_intr_ops); NULL: no wait is interrupted. */
static const struct vfs_intr_ops *intr_ops;

void vfs_set_intr_ops(const struct vfs_intr_ops *ops)
{
	/* release: pairs with the acquire loads below (set before any program thread runs) */
	__atomic_store_n(&intr_ops, ops, __ATOMIC_RELEASE);
}

bool vfs_interrupted(void)
{
	const struct vfs_intr_ops *ops = __atomic_load_n(&intr_ops, __ATOMIC_ACQUIRE);

	return ops && ops->pending(NULL);
}

void vfs_event_wait_intr(struct vfs_event *e, uint64_t count)
{
	const struct vfs_intr_ops *ops = __atomic_load_n(&intr_ops, __ATOMIC_ACQUIRE);

	if (!ops || !ops->begin()) {
		vfs_event_wait(e, count, 0, NULL, NULL);
		return;
	}
	vfs_event_wait(e, count, 0, ops->pending, NULL);
	ops->end();
}

/* Linux's answer for a file that cannot tell (DEFAULT_POLLMASK). */
#define ALWAYS_READY (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

int vfs_poll(struct fdtable *ft, int fd, int events, int *revents)
{
	struct file *f;
	int mask, ret = vfs_fd_get(ft, fd, &f);

	if (ret)
		return ret;
	mask = f->fops->poll ? f->fops->poll(f, events) : ALWAYS_READY;
	*revents = mask & (events | POLLERR | POLLHUP | VFS_POLL_UNNOTIFIED);
	vfs_file_put(f);
	return 0;
}

uint64_t vfs_poll_generation(void)
{
	return vfs_event_count(&poll_event);
}

void vfs_poll_wait(uint64_t gen, uint64_t timeout_ns, bool (*stop)(void *arg), void *arg)
{
	vfs_event_wait(&poll_event, gen, timeout_ns, stop, arg);
}

void vfs_poll_notify(void)
{
	vfs_event_signal(&poll_event);
}
