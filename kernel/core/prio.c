/*
 * Priorities: thread_set_priority() (policy and base priority), and the
 * priority inheritance that mutexes ask for (sched_inherit() along the
 * chain of owners, sched_restore_priority() when the lock is given up).
 * A waiting thread is taken off its queue and put back at its new place;
 * its CPU is told when it should now run first (include/osprey/sched.h).
 * Each change holds the thread's run-queue lock (rq_lock_thread()).
 */
#include <osprey/arch/cpu.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/smp.h>
#include <osprey/sync.h>
#include <osprey/time.h>

#include "internal.h"

/* On a run queue's list, waiting for its CPU.  Caller holds rq->lock, t's queue. */
static bool queued(struct runqueue *rq, struct thread *t)
{
	return t != rq->current &&
	       atomic_load_explicit(&t->state, memory_order_relaxed) == T_RUNNABLE;
}

int thread_set_priority(struct thread *t, int policy, int prio)
{
	uint64_t flags;
	struct runqueue *rq;
	bool ipi = false;

	if (policy == SCHED_FAIR ? prio != 0 : (prio < 1 || prio > 99))
		return -EINVAL;
	flags = irq_save();
	rq = rq_lock_thread(t);
	bool waiting = queued(rq, t);

	if (waiting)
		sched_dequeue(rq, t);
	t->policy = policy;
	t->base_prio = prio;
	if (!t->blocked_on || t->prio < prio)
		t->prio = prio;
	if (waiting) {
		sched_enqueue(rq, t);
		ipi = sched_kick(rq, t, clock_ns());
	} else if (t == rq->current && rq_first_queued(rq)) {
		/* It may have lowered itself below a waiting thread. */
		if (rq == this_rq())
			need_resched();
		else
			ipi = true;
	}
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
	if (ipi)
		smp_send_resched(rq->cpu);
	sched_preempt_check();
	return 0;
}

/* Priority inheritance: raises t (and whoever t waits for) to at least prio. */
void sched_inherit(struct thread *t, int prio)
{
	for (int depth = 0; t && depth < 8; depth++) {
		uint64_t flags = irq_save();
		struct runqueue *rq = rq_lock_thread(t);
		bool ipi = false;

		if (t->prio >= prio) {
			raw_spin_unlock(&rq->lock);
			irq_restore(flags);
			return;
		}
		bool waiting = queued(rq, t);

		if (waiting)
			sched_dequeue(rq, t);
		t->prio = prio;
		if (waiting) {
			sched_enqueue(rq, t);
			ipi = sched_kick(rq, t, clock_ns());
		}
		raw_spin_unlock(&rq->lock);
		irq_restore(flags);
		if (ipi)
			smp_send_resched(rq->cpu);
		t = t->blocked_on ? mutex_owner_of(t->blocked_on) : NULL;
	}
}

/* Back to the thread's own priority when it gives up what it inherited for. */
void sched_restore_priority(struct thread *t)
{
	uint64_t flags = irq_save();
	struct runqueue *rq = rq_lock_thread(t);

	if (t->prio != t->base_prio) {
		t->prio = t->base_prio;
		if (!list_empty(&rq->rt) &&
		    list_entry(rq->rt.next, struct thread, rq_link)->prio > t->prio)
			need_resched();
	}
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
}
