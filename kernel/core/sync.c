/*
 * Sleeping synchronisation: wait queues, mutexes with priority inheritance,
 * condition variables and semaphores, all built on thread_block_prepare(),
 * schedule() and thread_wake() (sched.c), which make a wake-up that races a
 * thread going to sleep harmless.
 *
 * Mutex: the owner hands the lock straight to the highest-priority waiter
 * on unlock, so a low-priority thread cannot barge in ahead of it.  A waiter
 * of higher priority than the owner lends the owner its priority
 * (transitively, through the chain of owners it waits for) until the owner
 * unlocks.  Inheritance is single-grant: the owner returns to its base
 * priority when it unlocks, which is exact while a thread holds one
 * contended mutex at a time.
 *
 * Each object's spinlock is taken with interrupts off and is above rq->lock
 * in the lock order.
 */
#include <osprey/arch/user.h>
#include <osprey/lockdep.h>
#include <osprey/percpu.h>
#include <osprey/sync.h>
#include <osprey/time.h>

bool mutex_inherit_priority = true;

void sched_inherit(struct thread *t, int prio);
void sched_restore_priority(struct thread *t);

void waitq_init(struct waitq *wq, const char *name)
{
	spin_init(&wq->lock, name);
	list_init(&wq->waiters);
}

void waitq_wait(struct waitq *wq)
{
	struct thread *me = thread_current();

	might_sleep(__builtin_return_address(0));
	uint64_t flags = spin_lock_irqsave(&wq->lock);

	list_add_tail(&wq->waiters, &me->wait_link);
	thread_block_prepare();
	spin_unlock_irqrestore(&wq->lock, flags);
	schedule();
}

bool waitq_wake_one(struct waitq *wq)
{
	struct thread *t = NULL;
	uint64_t flags = spin_lock_irqsave(&wq->lock);

	if (!list_empty(&wq->waiters)) {
		t = list_entry(wq->waiters.next, struct thread, wait_link);
		list_del(&t->wait_link);
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	if (t) {
		thread_wake(t);
		sched_preempt_check();
	}
	return t != NULL;
}

unsigned waitq_wake_all(struct waitq *wq)
{
	unsigned n = 0;

	while (waitq_wake_one(wq))
		n++;
	return n;
}

void mutex_init(struct mutex *m, const char *name)
{
	/* One class for every mutex's inner spinlock: the mutex itself is `name`. */
	spin_init(&m->lock, "mutex-inner");
	m->owner = NULL;
	list_init(&m->waiters);
	m->name = name;
}

struct thread *mutex_owner_of(struct mutex *m)
{
	return m->owner;
}

bool mutex_trylock(struct mutex *m)
{
	uint64_t flags = spin_lock_irqsave(&m->lock);
	bool got = !m->owner;

	if (got)
		m->owner = thread_current();
	spin_unlock_irqrestore(&m->lock, flags);
	if (got && CONFIG_LOCKDEP)
		lockdep_mutex_acquire(m->name, m, __builtin_return_address(0));
	return got;
}

void mutex_lock(struct mutex *m)
{
	struct thread *me = thread_current();
	uint64_t flags;

	might_sleep(__builtin_return_address(0));
	if (CONFIG_LOCKDEP)
		lockdep_mutex_acquire(m->name, m, __builtin_return_address(0));
	flags = spin_lock_irqsave(&m->lock);
	ASSERT(m->owner != me);
	if (!m->owner) {
		m->owner = me;
		spin_unlock_irqrestore(&m->lock, flags);
		return;
	}
	/* Queue by priority, first come first served within one. */
	struct list *pos;

	for (pos = m->waiters.next; pos != &m->waiters; pos = pos->next)
		if (list_entry(pos, struct thread, wait_link)->prio < me->prio)
			break;
	list_add_tail(pos, &me->wait_link);
	me->blocked_on = m;
	struct thread *owner = m->owner;

	thread_block_prepare();
	spin_unlock_irqrestore(&m->lock, flags);
	if (mutex_inherit_priority && owner->prio < me->prio)
		sched_inherit(owner, me->prio);
	/* The unlocking owner hands the mutex over before it wakes us. */
	do
		schedule();
	while (__atomic_load_n(&m->owner, __ATOMIC_ACQUIRE) != me);
	me->blocked_on = NULL;
}

int mutex_unlock(struct mutex *m)
{
	struct thread *me = thread_current(), *next = NULL;
	uint64_t flags = spin_lock_irqsave(&m->lock);

	if (m->owner != me) {
		spin_unlock_irqrestore(&m->lock, flags);
		lockdep_bad_unlock(m->name, __builtin_return_address(0));
		return -EPERM;
	}
	if (CONFIG_LOCKDEP)
		lockdep_mutex_release(m);
	if (!list_empty(&m->waiters)) {
		next = list_entry(m->waiters.next, struct thread, wait_link);
		list_del(&next->wait_link);
	}
	/* release: the next owner sees everything done under the mutex */
	__atomic_store_n(&m->owner, next, __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&m->lock, flags);
	if (me->prio != me->base_prio)
		sched_restore_priority(me);
	if (next)
		thread_wake(next);
	sched_preempt_check();
	return 0;
}

void condvar_init(struct condvar *c, const char *name)
{
	waitq_init(&c->wq, name);
}

void condvar_wait(struct condvar *c, struct mutex *m)
{
	struct thread *me = thread_current();
	uint64_t flags = spin_lock_irqsave(&c->wq.lock);

	/* Queued before the mutex is released: a signal after it cannot be missed. */
	list_add_tail(&c->wq.waiters, &me->wait_link);
	thread_block_prepare();
	spin_unlock_irqrestore(&c->wq.lock, flags);
	mutex_unlock(m);
	schedule();
	mutex_lock(m);
}

void condvar_signal(struct condvar *c)
{
	waitq_wake_one(&c->wq);
}

void condvar_broadcast(struct condvar *c)
{
	waitq_wake_all(&c->wq);
}

void sem_init(struct semaphore *s, long count, const char *name)
{
	spin_init(&s->lock, name);
	s->count = count;
	waitq_init(&s->wq, name);
}

void sem_down(struct semaphore *s)
{
	might_sleep(__builtin_return_address(0));
	for (;;) {
		uint64_t flags = spin_lock_irqsave(&s->lock);

		if (s->count > 0) {
			s->count--;
			spin_unlock_irqrestore(&s->lock, flags);
			return;
		}
		/* Queue while holding the count's lock, so an up() in between finds us. */
		struct thread *me = thread_current();

		raw_spin_lock(&s->wq.lock);
		list_add_tail(&s->wq.waiters, &me->wait_link);
		thread_block_prepare();
		raw_spin_unlock(&s->wq.lock);
		spin_unlock_irqrestore(&s->lock, flags);
		schedule();
	}
}

void sem_up(struct semaphore *s)
{
	uint64_t flags = spin_lock_irqsave(&s->lock);

	s->count++;
	spin_unlock_irqrestore(&s->lock, flags);
	waitq_wake_one(&s->wq);
}

void rwlock_init(struct rwlock *rw, const char *name)
{
	spin_init(&rw->lock, name);
	rw->readers = 0;
	rw->writers_waiting = 0;
	rw->writer = NULL;
	waitq_init(&rw->readq, "rwlock-readers");
	waitq_init(&rw->writeq, "rwlock-writers");
}

/* Caller holds rw->lock (interrupts off): queue on wq and sleep, dropping rw->lock. */
static void rw_sleep(struct rwlock *rw, struct waitq *wq, uint64_t flags)
{
	raw_spin_lock(&wq->lock);
	list_add_tail(&wq->waiters, &thread_current()->wait_link);
	thread_block_prepare();
	raw_spin_unlock(&wq->lock);
	spin_unlock_irqrestore(&rw->lock, flags);
	schedule();
}

void rw_read_lock(struct rwlock *rw)
{
	might_sleep(__builtin_return_address(0));
	for (;;) {
		uint64_t flags = spin_lock_irqsave(&rw->lock);

		if (!rw->writer && !rw->writers_waiting) {
			rw->readers++;
			spin_unlock_irqrestore(&rw->lock, flags);
			return;
		}
		rw_sleep(rw, &rw->readq, flags);
	}
}

void rw_read_unlock(struct rwlock *rw)
{
	uint64_t flags = spin_lock_irqsave(&rw->lock);
	bool last = --rw->readers == 0;

	spin_unlock_irqrestore(&rw->lock, flags);
	if (last)
		waitq_wake_one(&rw->writeq);
}

void rw_write_lock(struct rwlock *rw)
{
	uint64_t flags;

	might_sleep(__builtin_return_address(0));
	flags = spin_lock_irqsave(&rw->lock);
	rw->writers_waiting++;
	while (rw->writer || rw->readers) {
		rw_sleep(rw, &rw->writeq, flags);
		flags = spin_lock_irqsave(&rw->lock);
	}
	rw->writers_waiting--;
	rw->writer = thread_current();
	spin_unlock_irqrestore(&rw->lock, flags);
}

void rw_write_unlock(struct rwlock *rw)
{
	uint64_t flags = spin_lock_irqsave(&rw->lock);
	bool writers = rw->writers_waiting;

	rw->writer = NULL;
	spin_unlock_irqrestore(&rw->lock, flags);
	if (writers)
		waitq_wake_one(&rw->writeq);
	else
		waitq_wake_all(&rw->readq);
}

/*
 * Futexes: waiters hashed by address into buckets, each with its own lock.
 * A waiter's bucket changes only under both buckets' locks (requeue), so a
 * waiter that wakes up finds its bucket again by locking the one it last
 * saw and checking that it is still there.
 *
 * The word may be an application's: it is read with the checked copy
 * (arch_copy_user), so a bad address is -EFAULT, never a kernel fault.
 */
#define FUTEX_BUCKETS 64

struct futex_bucket;

struct futex_waiter {
	struct list link;
	const uint32_t *addr;	/* [b] */
	struct futex_bucket *b; /* [b] the bucket it is queued on */
	struct thread *t;
	bool woken; /* [b] set under the lock; read without it (atomically) by the waiter */
};

static struct futex_bucket {
	struct spinlock lock;
	struct list waiters;
} buckets[FUTEX_BUCKETS];

/* From sched_init(), before any other CPU or thread exists. */
void futex_init(void)
{
	for (int i = 0; i < FUTEX_BUCKETS; i++) {
		spin_init(&buckets[i].lock, "futex");
		list_init(&buckets[i].waiters);
	}
}

static struct futex_bucket *bucket_of(const uint32_t *addr)
{
	return &buckets[((uintptr_t)addr >> 2) % FUTEX_BUCKETS];
}

static int futex_read(const uint32_t *addr, uint32_t *v)
{
	if ((uintptr_t)addr < USER_CANONICAL_END)
		return arch_copy_user(v, addr, sizeof(*v)) ? -EFAULT : 0;
	*v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
	return 0;
}

/* Locks the bucket w is queued on now (requeue may move it meanwhile). */
static uint64_t lock_waiter_bucket(struct futex_waiter *w)
{
	for (;;) {
		struct futex_bucket *b = __atomic_load_n(&w->b, __ATOMIC_ACQUIRE);
		uint64_t flags = spin_lock_irqsave(&b->lock);

		if (w->b == b)
			return flags;
		spin_unlock_irqrestore(&b->lock, flags);
	}
}

int futex_wait_stop(const uint32_t *addr, uint32_t expected, uint64_t timeout_ns,
		    bool (*stop)(void *arg), void *arg)
{
	struct futex_bucket *b = bucket_of(addr);
	struct futex_waiter w = { { NULL, NULL }, addr, b, thread_current(), false };
	uint64_t end = timeout_ns ? clock_ns() + timeout_ns : 0, flags;
	uint32_t v;
	int err;

	might_sleep(__builtin_return_address(0));
	flags = spin_lock_irqsave(&b->lock);
	/* The value is read under the bucket lock a waker also takes: no lost wake-up. */
	err = futex_read(addr, &v);
	if (err || v != expected) {
		spin_unlock_irqrestore(&b->lock, flags);
		return err ? err : -EAGAIN;
	}
	list_add_tail(&b->waiters, &w.link);
	spin_unlock_irqrestore(&b->lock, flags);
	/*
	 * BLOCKED with interrupts on (as vfs_event_wait does), then the
	 * checks: a waker sets w.woken before its thread_wake(), a stopper
	 * makes stop() true before its thread_wake(), so either the check
	 * sees it or the wake finds the thread BLOCKED.  seq_cst fence: the
	 * BLOCKED store is not passed by the loads below.  Any other wake-up
	 * (a late one meant for an earlier wait, a signal that does not stop
	 * this one) only goes round again.
	 */
	for (;;) {
		uint64_t now;

		thread_block_prepare();
		atomic_thread_fence(memory_order_seq_cst);
		/* seq_cst: pairs with take_waiters' store */
		if (__atomic_load_n(&w.woken, __ATOMIC_SEQ_CST)) {
			thread_block_cancel();
			break;
		}
		if (stop && stop(arg)) {
			thread_block_cancel();
			err = -EINTR;
			break;
		}
		now = end ? clock_ns() : 0; /* the clock only for a time-out */
		if (end && now >= end) {
			thread_block_cancel();
			err = -ETIMEDOUT;
			break;
		}
		thread_block_timeout(end ? end - now : 0);
	}
	flags = lock_waiter_bucket(&w);
	bool woken = w.woken;

	if (!woken)
		list_del(&w.link); /* timed out or stopped: still queued */
	spin_unlock_irqrestore(&w.b->lock, flags);
	return woken ? 0 : err;
}

int futex_wait(const uint32_t *addr, uint32_t expected, uint64_t timeout_ns)
{
	return futex_wait_stop(addr, expected, timeout_ns, NULL, NULL);
}

/*
 * Takes up to n waiters on addr off bucket b (locked): into wake[] (count
 * so far, at most 16 in all), or, with to, onto bucket to (locked too) as
 * waiters on addr2.  Returns the new count, or how many moved.
 */
static int take_waiters(struct futex_bucket *b, const uint32_t *addr, int n, struct thread **wake,
			int count, struct futex_bucket *to, const uint32_t *addr2)
{
	int moved = 0;

	for (struct list *l = b->waiters.next, *next; l != &b->waiters && n > 0; l = next) {
		struct futex_waiter *w = list_entry(l, struct futex_waiter, link);

		next = l->next;
		if (w->addr != addr)
			continue;
		if (!to && count == 16)
			break;
		list_del(&w->link);
		n--;
		if (!to) {
			/* seq_cst: seen by the waiter's check after its BLOCKED store */
			__atomic_store_n(&w->woken, true, __ATOMIC_SEQ_CST);
			wake[count++] = w->t;
			continue;
		}
		w->addr = addr2;
		__atomic_store_n(&w->b, to, __ATOMIC_RELEASE);
		list_add_tail(&to->waiters, &w->link);
		moved++;
	}
	return to ? moved : count;
}

static void wake_all(struct thread **wake, int count)
{
	for (int i = 0; i < count; i++)
		thread_wake(wake[i]);
	sched_preempt_check();
}

int futex_wake(const uint32_t *addr, int n)
{
	struct futex_bucket *b = bucket_of(addr);
	struct thread *wake[16];
	uint64_t flags = spin_lock_irqsave(&b->lock);
	int count = take_waiters(b, addr, n, wake, 0, NULL, NULL);

	spin_unlock_irqrestore(&b->lock, flags);
	wake_all(wake, count);
	return count;
}

int futex_requeue(const uint32_t *addr, int nwake, const uint32_t *addr2, int nmove,
		  const uint32_t *cmp)
{
	struct futex_bucket *b = bucket_of(addr), *b2 = bucket_of(addr2);
	struct futex_bucket *first = b < b2 ? b : b2, *second = b < b2 ? b2 : b;
	struct thread *wake[16];
	int count = 0, moved = 0, err = 0;
	uint64_t flags;
	uint32_t v;

	if (addr == addr2)
		return -EINVAL; /* as Linux: requeueing onto itself means nothing */
	/* Two buckets: lower address first, the one order (docs/locking.md). */
	flags = spin_lock_irqsave(&first->lock);
	if (second != first)
		raw_spin_lock(&second->lock);
	if (cmp) {
		err = futex_read(addr, &v);
		if (!err && v != *cmp)
			err = -EAGAIN;
	}
	if (!err) {
		count = take_waiters(b, addr, nwake, wake, 0, NULL, NULL);
		moved = take_waiters(b, addr, nmove, NULL, 0, b2, addr2);
	}
	if (second != first)
		raw_spin_unlock(&second->lock);
	spin_unlock_irqrestore(&first->lock, flags);
	wake_all(wake, count);
	return err ? err : count + moved;
}
