/*
 * The scheduler's insides, shared by kernel/core/sched.c (run queues,
 * switching, waking), kernel/core/thread.c (creating, exiting, joining and
 * freeing threads), kernel/core/balance.c (moving threads between CPUs)
 * and kernel/core/prio.c (priorities and their inheritance).  Nothing else
 * includes this header.
 *
 * Locking (docs/locking.md): a run queue's lock is taken with interrupts
 * off.  Two run queues are locked only through rq_lock_two(), lower CPU id
 * first; the second is filed with the lock-order checker under its own
 * class ("rq-nested"), and an unannotated second "rq" is reported.
 */
#ifndef OSPREY_CORE_INTERNAL_H
#define OSPREY_CORE_INTERNAL_H

#include <osprey/arch/cpu.h>
#include <osprey/kernel.h>
#include <osprey/list.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/spinlock.h>

/*
 * One per CPU.  [q] rq->lock; [i] set before the CPU is counted in
 * nr_cpus; [a] atomic: other CPUs read it without the lock, as a hint that
 * they check again under it.
 */
struct runqueue {
	struct spinlock lock;
	struct thread *current; /* [q] */
	struct thread *idle;	/* [i] */
	struct list rt;		/* [q] real-time threads, highest priority first */
	struct list fair;	/* [q] fair threads, least vruntime first */
	struct list sleepers;	/* [q] by wake_at, earliest first */
	uint64_t started;	/* [q] current's run is accounted up to here */
	uint64_t min_vruntime;	/* [q] least vruntime here, running or waiting; never decreases */
	struct thread *last;	/* [q] the thread switched away from, until after_switch() */
	unsigned nr_queued;	/* [q] threads on rt and fair */
	uint64_t next_balance;	/* [q] the periodic balance may run from this clock_ns() on */
	unsigned cpu;		/* [i] */
	_Atomic unsigned load;	/* [a] threads placed here and not exited (creation placement) */
	_Atomic unsigned nr_running; /* [a] nr_queued, plus one if current is not idle */
	_Atomic uint64_t timer_irqs; /* [a] timer interrupts taken (tickless: see arm_timer()) */
	uint64_t armed;		     /* [q] the timer's programmed deadline (clock_ns), ~0: none */
	uint64_t switches;	     /* [q] context switches on this CPU */
	uint64_t online_at;	     /* [i] clock_ns() when the CPU's queue was set up */
};

/* A later deadline within this of the programmed one is not reprogrammed (arm_timer()). */
#define SCHED_REARM_SLACK_NS (SCHED_SLICE_NS / 2)
/* The periodic balance runs at most this often on a CPU (a slice: it rides on slice ends). */
#define SCHED_BALANCE_NS SCHED_SLICE_NS
/* A thread the periodic balance moved stays where it went at least this long. */
#define SCHED_MOVE_HOLD_NS (4 * SCHED_SLICE_NS)
/* Most threads one periodic balance moves. */
#define SCHED_MOVE_BATCH 8

extern struct runqueue sched_rqs[CONFIG_MAX_CPUS];
/* The lock-order checker's class for the second of two run-queue locks. */
extern const char sched_rq_nested_class[];

/* Interrupts off (or the answer is stale at once). */
static inline struct runqueue *this_rq(void)
{
	return &sched_rqs[cpu_id()];
}

/* Racy unless t's run queue is locked: only to choose which lock to take. */
static inline struct runqueue *rq_of(struct thread *t)
{
	/* relaxed: the caller re-reads it under the lock it chose (rq_lock_thread()) */
	return atomic_load_explicit(&t->rq, memory_order_relaxed);
}

/*
 * Locks the run queue t belongs to, which may change until its lock is
 * held: lock what t->rq says, re-check under the lock, else try again.
 * The writer holds both the old and the new queue's locks, so the re-check
 * sees any move completed before our lock, and none can start until we
 * unlock.  Interrupts off.
 */
static inline struct runqueue *rq_lock_thread(struct thread *t)
{
	for (;;) {
		struct runqueue *rq = rq_of(t);

		raw_spin_lock(&rq->lock);
		if (rq == rq_of(t))
			return rq;
		raw_spin_unlock(&rq->lock);
	}
}

/* Both queues' locks, lower CPU id first; a == b takes one.  Interrupts off. */
static inline void rq_lock_two(struct runqueue *a, struct runqueue *b)
{
	if (a == b) {
		raw_spin_lock(&a->lock);
		return;
	}
	if (a->cpu > b->cpu) {
		struct runqueue *t = a;

		a = b;
		b = t;
	}
	raw_spin_lock(&a->lock);
	raw_spin_lock_nested(&b->lock, sched_rq_nested_class);
}

static inline void rq_unlock_two(struct runqueue *a, struct runqueue *b)
{
	if (a != b)
		raw_spin_unlock(&b->lock);
	raw_spin_unlock(&a->lock);
}

/* Caller holds both t's old queue's lock and rq->lock. */
static inline void rq_set(struct thread *t, struct runqueue *rq)
{
	/* relaxed: both locks order it for everyone who looks under one of them */
	atomic_store_explicit(&t->rq, rq, memory_order_relaxed);
}

/*
 * A moved thread keeps its lead over the queue's min_vruntime, taken from
 * src's and put on dst's, so that it neither starves behind dst's threads
 * nor runs ahead of them.  (None is behind: enqueue lifts it to the
 * minimum.)  Caller holds both locks.
 */
static inline void rq_rebase(struct thread *t, struct runqueue *src, struct runqueue *dst)
{
	uint64_t lead = t->vruntime > src->min_vruntime ? t->vruntime - src->min_vruntime : 0;

	t->vruntime = dst->min_vruntime + lead;
}

/* Threads runnable here, the running one included.  Caller holds rq->lock. */
static inline unsigned rq_runnable(struct runqueue *rq)
{
	return rq->nr_queued + (rq->current != rq->idle);
}

/* The same without the lock: a hint, to choose which queues to lock. */
static inline unsigned rq_runnable_hint(struct runqueue *rq)
{
	/* relaxed: pairs with nothing; re-checked under the lock (rq_runnable()) */
	return atomic_load_explicit(&rq->nr_running, memory_order_relaxed);
}

/* t's stack is still in use on some CPU (it is switching away).  */
static inline bool thread_on_cpu(struct thread *t)
{
	/* acquire: pairs with the release in after_switch(); its old CPU is done with it */
	return atomic_load_explicit(&t->on_cpu, memory_order_acquire);
}

/* sched.c.  Callers hold rq->lock. */
/*
 * Accounts the current thread's run up to now (0: read the clock, if there
 * is a running fair thread to account) and brings min_vruntime up to the
 * least of its vruntime and the first waiting thread's.  Without it, a thread
 * that runs alone for long (tickless: nothing switches) would leave
 * min_vruntime where it was when it started, and a thread that arrives
 * behind it (woken, created, moved here) would start far behind it and
 * keep the CPU until it caught up.
 */
void sched_update_curr(struct runqueue *rq, uint64_t now);
/* The thread that would run next on rq, or NULL.  Caller holds rq->lock. */
static inline struct thread *rq_first_queued(struct runqueue *rq)
{
	struct list *head = !list_empty(&rq->rt) ? &rq->rt : &rq->fair;

	return list_empty(head) ? NULL : list_entry(head->next, struct thread, rq_link);
}

/* This CPU switches at its next preemption point. */
static inline void need_resched(void)
{
	this_cpu()->need_resched = 1;
}

void sched_enqueue(struct runqueue *rq, struct thread *t);
void sched_dequeue(struct runqueue *rq, struct thread *t);
void sched_sleep_insert(struct runqueue *rq, struct thread *t);
/*
 * Makes rq's CPU look at its queue, where t has just arrived (runnable, or
 * sleeping with a deadline): at once if rq is this CPU's (now: the clock,
 * or 0), else the caller sends it a reschedule IPI (smp_send_resched())
 * once it has unlocked; returns whether it must.  Caller holds rq->lock.
 */
bool sched_kick(struct runqueue *rq, struct thread *t, uint64_t now);
/*
 * Switches to the next thread of rq, this CPU's queue (rq->current goes
 * back on the queue unless it is blocked, exited, or now belongs to another
 * queue).  Caller holds rq->lock with interrupts off; returns, when the
 * thread runs again, holding the lock of the CPU it then runs on.
 */
void sched_switch_away(struct runqueue *rq);
/* after_switch() for thread_main(): a new thread's first act, rq->lock still held by the switch. */
void sched_after_switch(struct runqueue *rq);

/* thread.c */
/* Makes t the boot context: thread 0, "main", RUNNING on rq, counted alive. */
void sched_boot_thread_init(struct thread *t, struct runqueue *rq);

/* balance.c */
enum sched_move_why { MOVE_STEAL, MOVE_PUSH, MOVE_AFFINITY };
/*
 * Moves t, which is not running (queued, blocked or sleeping, and off every
 * CPU), from src to dst.  Caller holds both locks.
 */
void sched_move(struct runqueue *src, struct runqueue *dst, struct thread *t,
		enum sched_move_why why);
/* Counts and traces a move (sched_move() does; so does a thread moving itself). */
void sched_count_move(struct thread *t, struct runqueue *src, struct runqueue *dst,
		      enum sched_move_why why);
/* The idle thread, interrupts off: steals a waiting thread; true if it did. */
bool sched_idle_pull(void);
/* From the timer interrupt, no lock held: the periodic balance of rq. */
void sched_balance_tick(struct runqueue *rq, uint64_t now);
/* Whether rq wants its timer for the periodic balance.  Caller holds rq->lock. */
bool sched_balance_wanted(struct runqueue *rq);

#endif
