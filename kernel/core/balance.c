/*
 * Load balancing and affinity: moving threads between the CPUs' run
 * queues.  thread.c places a new thread on the CPU with the fewest threads;
 * from then on this file moves threads as the load shifts, within the set
 * of CPUs that thread_set_affinity_mask() allows each (docs/sched.md).
 *
 * What moves.  A fair-share thread (SCHED_FAIR, not raised by priority
 * inheritance) that waits on a queue's list (RUNNABLE, not current), is
 * off every CPU (on_cpu clear) and allowed on the destination CPU
 * (thread_create_on(), thread_set_affinity_mask()).  A running thread is
 * never moved by another
 * CPU; real-time threads stay where they are (their latency matters more
 * than spreading them).  The thread taken is the last on the list: the one
 * that would wait longest where it is.  thread_set_affinity_mask() moves
 * any thread but one running on another CPU: queued, blocked, or sleeping
 * (its deadline goes along), or the caller itself.
 *
 * When.
 *   - Idle stealing: the idle thread, before each halt, takes one thread
 *     from the CPU with the most runnable threads if that has two or more
 *     (one running, one waiting for it).  The idle thread runs when its CPU
 *     runs out of work and again after each interrupt that wakes it.
 *   - Periodic balance: when a CPU's timer fires, at most once per
 *     SCHED_BALANCE_NS, the CPU gives threads to the one with the fewest
 *     runnable until they differ by less than two, and sends it a
 *     reschedule IPI.  If none of its threads may run there (affinity
 *     masks), it tries each other CPU shorter by two.  The kernel stays tickless: the timer fires only
 *     while a thread waits on this CPU (for a slice to end, or, behind a
 *     FIFO or RR thread that no slice would make give way, for the balance
 *     itself), never on a CPU with one runnable thread.
 *
 * Hysteresis.  A queue gives threads only to one shorter by two or more,
 * and only until the two differ by one at most: a move never leaves the
 * destination longer than the source, so two CPUs cannot trade a thread
 * back and forth.  A thread that moved stays at least SCHED_MOVE_HOLD_NS
 * before the periodic balance moves it again (it does not tour the CPUs
 * while their loads settle).  An idle CPU steals regardless of that: it
 * would otherwise sit idle while the thread waits.
 *
 * Locking.  The queues are chosen from lock-free hints (nr_running), then
 * both are locked, lower CPU id first (rq_lock_two()), and everything is
 * checked again under the locks.  A moved thread's vruntime is rebased
 * (rq_rebase()).  Called from the idle thread (interrupts off), the timer
 * interrupt, and thread_set_affinity_mask() (thread context).
 */
#include <osprey/lockdep.h>
#include <osprey/log.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/smp.h>
#include <osprey/time.h>
#include <osprey/trace.h>

#include "internal.h"

TRACEPOINT(sched_migrate, "tid=%lu from=%u to=%u why=%d", uint64_t, unsigned, unsigned, int);

bool sched_balance_idle = true;
bool sched_balance_periodic = true;

static _Atomic uint64_t moves[3]; /* [a] by enum sched_move_why */

void sched_count_move(struct thread *t, struct runqueue *src, struct runqueue *dst,
		      enum sched_move_why why)
{
	/* relaxed: statistics, ordering nothing */
	atomic_fetch_add_explicit(&moves[why], 1, memory_order_relaxed);
	trace_sched_migrate(t->tid, src->cpu, dst->cpu, (int)why);
}

void sched_balance_counts(struct sched_balance_counts *c)
{
	c->steals = atomic_load_explicit(&moves[MOVE_STEAL], memory_order_relaxed);
	c->pushes = atomic_load_explicit(&moves[MOVE_PUSH], memory_order_relaxed);
	c->affinity = atomic_load_explicit(&moves[MOVE_AFFINITY], memory_order_relaxed);
}

void sched_move(struct runqueue *src, struct runqueue *dst, struct thread *t,
		enum sched_move_why why)
{
	bool waiting = atomic_load_explicit(&t->state, memory_order_relaxed) == T_RUNNABLE;

	ASSERT(spin_held(&src->lock) && spin_held(&dst->lock));
	ASSERT(rq_of(t) == src && t != src->current && !thread_on_cpu(t));
	uint64_t now = clock_ns();

	sched_update_curr(src, now);
	sched_update_curr(dst, now);
	if (waiting)
		sched_dequeue(src, t);
	else if (t->in_sleep_list)
		list_del(&t->rq_link);
	rq_rebase(t, src, dst);
	rq_set(t, dst);
	/* relaxed: placement hints (place()) */
	atomic_fetch_sub_explicit(&src->load, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&dst->load, 1, memory_order_relaxed);
	t->moved_at = now;
	if (waiting)
		sched_enqueue(dst, t);
	else if (t->in_sleep_list)
		sched_sleep_insert(dst, t);
	sched_count_move(t, src, dst, why);
}

/* May the balancer move t, waiting on its queue, to dst?  Caller holds that queue's lock. */
static bool movable(struct thread *t, const struct runqueue *dst, uint64_t now, bool hold)
{
	return cpumask_test(&t->allowed, dst->cpu) && t->policy == SCHED_FAIR && !t->prio &&
	       !thread_on_cpu(t) &&
	       (!hold || (int64_t)(now - t->moved_at) >= (int64_t)SCHED_MOVE_HOLD_NS);
}

/* The last thread on src's fair list that may move to dst, or NULL.  Caller holds src->lock. */
static struct thread *last_movable(struct runqueue *src, const struct runqueue *dst, uint64_t now,
				   bool hold)
{
	for (struct list *pos = src->fair.prev; pos != &src->fair; pos = pos->prev) {
		struct thread *t = list_entry(pos, struct thread, rq_link);

		if (movable(t, dst, now, hold))
			return t;
	}
	return NULL;
}

bool sched_idle_pull(void)
{
	unsigned n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE), most = 1;
	struct runqueue *me = this_rq(), *busiest = NULL;
	struct thread *t = NULL;

	if (n < 2 || !sched_balance_idle)
		return false;
	for (unsigned i = 0; i < n; i++) {
		unsigned r = rq_runnable_hint(&sched_rqs[i]);

		if (&sched_rqs[i] != me && r > most) {
			most = r;
			busiest = &sched_rqs[i];
		}
	}
	if (!busiest)
		return false;
	rq_lock_two(me, busiest);
	/* Something was queued here meanwhile: its waker has made this CPU look. */
	if (rq_runnable(me) == 0 && rq_runnable(busiest) >= 2)
		t = last_movable(busiest, me, 0, false);
	if (t) {
		sched_move(busiest, me, t, MOVE_STEAL);
		this_cpu()->need_resched = 1;
	}
	rq_unlock_two(me, busiest);
	return t != NULL;
}

bool sched_balance_wanted(struct runqueue *rq)
{
	return sched_balance_periodic && !list_empty(&rq->fair) &&
	       __atomic_load_n(&nr_cpus, __ATOMIC_RELAXED) > 1;
}

/* Gives dst threads from src until they differ by one at most; how many moved. */
static unsigned push(struct runqueue *src, struct runqueue *dst, uint64_t now)
{
	unsigned moved = 0;

	rq_lock_two(src, dst);
	while (moved < SCHED_MOVE_BATCH && rq_runnable(src) >= rq_runnable(dst) + 2) {
		struct thread *t = last_movable(src, dst, now, true);

		if (!t)
			break;
		sched_move(src, dst, t, MOVE_PUSH);
		moved++;
	}
	rq_unlock_two(src, dst);
	if (moved)
		smp_send_resched(dst->cpu); /* its sched_ipi() preempts and re-arms as it must */
	return moved;
}

/*
 * The least loaded CPU first; if none of src's waiting threads may go
 * there (affinity masks), each other CPU shorter by two, in turn.
 */
void sched_balance_tick(struct runqueue *src, uint64_t now)
{
	unsigned n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE), least = ~0u;
	unsigned mine = rq_runnable_hint(src);
	struct runqueue *dst = NULL;

	for (unsigned i = 0; i < n; i++) {
		unsigned r = rq_runnable_hint(&sched_rqs[i]);

		if (&sched_rqs[i] != src && r < least) {
			least = r;
			dst = &sched_rqs[i];
		}
	}
	if (!dst || mine < least + 2 || push(src, dst, now))
		return;
	for (unsigned i = 0; i < n; i++) {
		struct runqueue *other = &sched_rqs[i];

		if (other != src && other != dst && rq_runnable_hint(other) + 2 <= mine &&
		    push(src, other, now))
			return;
	}
}

unsigned thread_cpu(struct thread *t)
{
	return rq_of(t)->cpu;
}

/*
 * The caller moves itself: queued on dst at once, it switches away here,
 * and dst's CPU passes over it (pick() in sched.c) until this CPU is off
 * its stack and says so (after_switch()).  Its run so far is accounted
 * before its vruntime is rebased.  Caller holds both locks (src is this
 * CPU's); returns on dst's CPU, holding the lock of the CPU it returns on.
 */
static void move_self(struct runqueue *src, struct runqueue *dst)
{
	struct thread *t = src->current;
	uint64_t now = clock_ns();

	sched_update_curr(src, now);
	sched_update_curr(dst, now);
	rq_rebase(t, src, dst);
	rq_set(t, dst);
	atomic_fetch_sub_explicit(&src->load, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&dst->load, 1, memory_order_relaxed);
	atomic_store_explicit(&t->state, T_RUNNABLE, memory_order_relaxed);
	sched_enqueue(dst, t);
	sched_count_move(t, src, dst, MOVE_AFFINITY);
	raw_spin_unlock(&dst->lock);
	sched_switch_away(src);
}

/* The least loaded online CPU in m, or -1. */
static int least_loaded_in(const struct cpumask *m)
{
	unsigned n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE);
	int best = -1;

	for (unsigned i = 0; i < n; i++) {
		/* relaxed: placement hints */
		if (cpumask_test(m, i) &&
		    (best < 0 ||
		     atomic_load_explicit(&sched_rqs[i].load, memory_order_relaxed) <
			     atomic_load_explicit(&sched_rqs[best].load, memory_order_relaxed)))
			best = (int)i;
	}
	return best;
}

int thread_set_affinity_mask(struct thread *t, const struct cpumask *m)
{
	struct runqueue *src, *dst;
	uint64_t flags;
	bool ipi = false;
	int err = 0, cpu = least_loaded_in(m);

	if (cpu < 0)
		return -EINVAL;
	if (t == thread_current())
		might_sleep(__builtin_return_address(0)); /* it may switch away to move */
	flags = irq_save();
	src = rq_lock_thread(t);
	if (cpumask_test(m, src->cpu)) {
		t->allowed = *m; /* where it is may stay */
		raw_spin_unlock(&src->lock);
		irq_restore(flags);
		return 0;
	}
	raw_spin_unlock(&src->lock);
	dst = &sched_rqs[cpu];
	for (;;) {
		src = rq_of(t);
		rq_lock_two(src, dst);
		if (src == rq_of(t))
			break;
		rq_unlock_two(src, dst);
	}
	int st = atomic_load_explicit(&t->state, memory_order_relaxed);

	if (src == dst || st == T_EXITED || cpumask_test(m, src->cpu)) {
		t->allowed = *m; /* nothing to move */
	} else if (t == src->current && t == thread_current()) {
		t->allowed = *m;
		move_self(src, dst);
		raw_spin_unlock(&this_rq()->lock);
		irq_restore(flags);
		return 0;
	} else if (t == src->current || thread_on_cpu(t)) {
		err = -EBUSY; /* running on another CPU: only it can move itself */
	} else {
		t->allowed = *m;
		sched_move(src, dst, t, MOVE_AFFINITY);
		/* dst's CPU must run it, or know its deadline */
		if (st == T_RUNNABLE || t->in_sleep_list)
			ipi = sched_kick(dst, t, clock_ns());
	}
	rq_unlock_two(src, dst);
	irq_restore(flags);
	if (ipi)
		smp_send_resched(dst->cpu);
	return err;
}

int thread_set_affinity(struct thread *t, int cpu)
{
	struct cpumask m;

	if (cpu < -1 || cpu >= (int)__atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE))
		return -EINVAL;
	if (cpu < 0) {
		cpumask_fill(&m);
	} else {
		cpumask_zero(&m);
		cpumask_set(&m, (unsigned)cpu);
	}
	return thread_set_affinity_mask(t, &m);
}
