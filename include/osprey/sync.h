/*
 * Sleeping synchronisation (kernel/core/sync.c): wait queues, mutexes with
 * priority inheritance, condition variables, semaphores.
 *
 * Lock legend for each struct: `lock` is a spinlock taken with interrupts
 * off; fields tagged [l] are guarded by it.
 */
#ifndef OSPREY_SYNC_H
#define OSPREY_SYNC_H

#include <osprey/list.h>
#include <osprey/sched.h>
#include <osprey/spinlock.h>

struct waitq {
	struct spinlock lock;
	struct list waiters; /* [l] threads, by wait_link, in arrival order */
};

void waitq_init(struct waitq *wq, const char *name);
/* Sleeps until woken; the caller checks its condition again afterwards. */
void waitq_wait(struct waitq *wq);
/* Wakes one waiter (the first); returns whether there was one. */
bool waitq_wake_one(struct waitq *wq);
unsigned waitq_wake_all(struct waitq *wq);

struct mutex {
	struct spinlock lock;
	struct thread *owner; /* [l] */
	struct list waiters;  /* [l] by wait_link */
	const char *name;     /* [i] */
};

void mutex_init(struct mutex *m, const char *name);
struct thread *mutex_owner_of(struct mutex *m);
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
/* Returns -EPERM (and changes nothing) when the caller is not the owner. */
int mutex_unlock(struct mutex *m);
/* Priority inheritance is on; tests switch it off to show what it prevents. */
extern bool mutex_inherit_priority;

struct condvar {
	struct waitq wq;
};

void condvar_init(struct condvar *c, const char *name);
/* Caller holds m; it is released while waiting and held again on return. */
void condvar_wait(struct condvar *c, struct mutex *m);
void condvar_signal(struct condvar *c);
void condvar_broadcast(struct condvar *c);

struct semaphore {
	struct spinlock lock;
	long count; /* [l] */
	struct waitq wq;
};

void sem_init(struct semaphore *s, long count, const char *name);
void sem_down(struct semaphore *s);
void sem_up(struct semaphore *s);

/*
 * Reader-writer lock, sleeping, writer-preferring: once a writer waits, new
 * readers wait behind it, so writers are not starved.
 */
struct rwlock {
	struct spinlock lock;
	int readers;	       /* [l] holding it for reading */
	int writers_waiting;   /* [l] */
	struct thread *writer; /* [l] */
	struct waitq readq, writeq;
};

void rwlock_init(struct rwlock *rw, const char *name);
void rw_read_lock(struct rwlock *rw);
void rw_read_unlock(struct rwlock *rw);
void rw_write_lock(struct rwlock *rw);
void rw_write_unlock(struct rwlock *rw);

/*
 * Futex-style wait and wake on an address (what the Linux futex system call
 * is built on): futex_wait sleeps only if *addr still equals expected
 * (-EAGAIN otherwise), until a futex_wake on the same address or timeout_ns
 * (0: none; -ETIMEDOUT).  futex_wake wakes up to n waiters and returns how
 * many.
 */
int futex_wait(const uint32_t *addr, uint32_t expected, uint64_t timeout_ns);
/*
 * futex_wait that stop() may end (-EINTR): it is asked once the thread is
 * marked asleep, and again after every wake-up that is not the futex's, so
 * whoever makes it true and then calls thread_wake() on the waiter is never
 * missed.  It must not sleep nor take a lock.  A waiter that was woken by
 * futex_wake returns 0 even when stop() is true too.
 */
int futex_wait_stop(const uint32_t *addr, uint32_t expected, uint64_t timeout_ns,
		    bool (*stop)(void *arg), void *arg);
int futex_wake(const uint32_t *addr, int n);
/*
 * Wakes up to nwake waiters on addr and moves up to nmove others to wait on
 * addr2; with cmp, only if *addr still equals *cmp (-EAGAIN otherwise).
 * Returns how many were woken and moved.
 */
int futex_requeue(const uint32_t *addr, int nwake, const uint32_t *addr2, int nmove,
		  const uint32_t *cmp);
void futex_init(void);

#endif
