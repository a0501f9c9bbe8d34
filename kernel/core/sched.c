/*
 * The scheduler: one run queue per CPU, switching, waking, the timer,
 * preemption.  Threads are made, placed, joined and freed in thread.c.
 *
 * Classes.  Real-time threads (SCHED_FIFO, SCHED_RR; priorities 1..99, the
 * higher first) always run before fair-share threads; among fair threads the
 * one with the least virtual run time runs next.  RR and fair threads get a
 * time slice of SCHED_SLICE_NS; FIFO threads run until they block or yield.
 *
 * Invariants (rq->lock held):
 *   - rq->current is RUNNING and on no list; every RUNNABLE thread of the
 *     CPU other than current is on rq->rt or rq->fair; every sleeping thread
 *     with a deadline is on rq->sleepers; BLOCKED threads otherwise are on
 *     some wait queue only.  (One exception: a thread that pinned itself to
 *     another CPU is RUNNABLE on that queue, and still current here, until
 *     it has switched away.)
 *   - rq->lock is held across the stack switch: the thread that switches in
 *     releases it (after_switch()), so no other CPU can see a thread half
 *     switched.
 *
 * Wake-ups.  A thread that is going to sleep first sets itself BLOCKED
 * (thread_block_prepare), publishes itself where a waker will find it, then
 * calls schedule().  thread_wake() moves BLOCKED -> RUNNABLE with a
 * compare-exchange under the thread's run-queue lock, and queues it unless it
 * is still current.  schedule() keeps any prev that is not BLOCKED or EXITED.
 * So a wake-up that lands between prepare and schedule() is never lost, and
 * a thread is never queued twice or run on two CPUs.
 *
 * Migration (balance.c moves threads; docs/sched.md).  t->rq changes only
 * with both the old and the new queue's locks held, and only for a thread
 * that no CPU is running: queued, blocked or sleeping, off its CPU (on_cpu
 * clear), or the caller itself in thread_set_affinity().  Whoever reads
 * t->rq to lock it re-checks it under the lock (rq_lock_thread()).  Under a
 * run queue's lock every thread on its lists is off its CPU, except one
 * that pinned itself here and is still switching away on its old CPU:
 * pick() passes over it, and its old CPU sends a reschedule IPI once the
 * switch is done (after_switch()).
 *
 * Timers are tickless: the local APIC timer is armed only for the earliest
 * sleeper's deadline, for the end of a slice while another thread waits,
 * or for the periodic balance while threads wait that could move.
 *
 * Lock order: a wait queue's or mutex's lock -> rq->lock -> a second
 * rq->lock, higher CPU id -> the memory locks (docs/locking.md).  rq->lock
 * is taken with interrupts off.
 */

#include <osprey/arch/apic.h>
#include <osprey/arch/cpu.h>
#include <osprey/arch/user.h>
#include <osprey/lockdep.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/smp.h>
#include <osprey/sync.h>
#include <osprey/time.h>
#include <osprey/trace.h>
#include <osprey/vm.h>

#include "internal.h"

TRACEPOINT(sched_switch, "prev=%lu next=%lu", uint64_t, uint64_t);
TRACEPOINT(sched_wake, "tid=%lu", uint64_t);

struct runqueue sched_rqs[CONFIG_MAX_CPUS];
/* One class for every run queue's lock (the checker finds classes by name pointer). */
static const char rq_class[] = "rq";
const char sched_rq_nested_class[] = "rq-nested";
static struct thread boot_thread;
static bool started;

void switch_stack(uint64_t *save, uint64_t next);

/* this_rq()->current would be two loads: a thread moved between them would read another's. */
struct thread *thread_current(void)
{
	return started ? percpu_thread() : &boot_thread;
}

static inline void update_curr(struct runqueue *rq, uint64_t now)
{
	struct thread *cur = rq->current;
	uint64_t least = ~0ull;

	if (cur != rq->idle && !cur->prio) {
		if (!now)
			now = clock_ns();
		/* now comes from another CPU's clock when a waker updates this queue: never go back */
		if (now > rq->started) {
			cur->vruntime += now - rq->started;
			rq->started = now;
		}
		least = cur->vruntime;
	}
	if (!list_empty(&rq->fair))
		least = MIN(least, list_entry(rq->fair.next, struct thread, rq_link)->vruntime);
	if (least != ~0ull && least > rq->min_vruntime)
		rq->min_vruntime = least;
}

void sched_update_curr(struct runqueue *rq, uint64_t now)
{
	update_curr(rq, now);
}

/* Caller holds rq->lock: publishes the queue's length for other CPUs' balancing. */
static void publish(struct runqueue *rq)
{
	/* relaxed: a hint, pairs with nothing (rq_runnable_hint()) */
	atomic_store_explicit(&rq->nr_running, rq_runnable(rq), memory_order_relaxed);
}

/* Caller holds rq->lock, and publishes. */
static void queue_add(struct runqueue *rq, struct thread *t)
{
	struct list *head = t->prio ? &rq->rt : &rq->fair;
	struct list *pos;

	if (!t->prio && t->vruntime < rq->min_vruntime)
		t->vruntime = rq->min_vruntime; /* a sleeper does not hoard credit */
	for (pos = head->next; pos != head; pos = pos->next) {
		struct thread *o = list_entry(pos, struct thread, rq_link);

		if (t->prio ? o->prio < t->prio : o->vruntime > t->vruntime)
			break;
	}
	list_add_tail(pos, &t->rq_link);
	rq->nr_queued++;
}

/* Caller holds rq->lock, and publishes. */
static void queue_del(struct runqueue *rq, struct thread *t)
{
	list_del(&t->rq_link);
	rq->nr_queued--;
}

void sched_enqueue(struct runqueue *rq, struct thread *t)
{
	queue_add(rq, t);
	publish(rq);
}

void sched_dequeue(struct runqueue *rq, struct thread *t)
{
	queue_del(rq, t);
	publish(rq);
}

/* Caller holds rq->lock; t is BLOCKED with t->wake_at set. */
void sched_sleep_insert(struct runqueue *rq, struct thread *t)
{
	struct list *pos;

	for (pos = rq->sleepers.next; pos != &rq->sleepers; pos = pos->next)
		if (list_entry(pos, struct thread, rq_link)->wake_at > t->wake_at)
			break;
	list_add_tail(pos, &t->rq_link);
	t->in_sleep_list = true;
}

/*
 * Caller holds rq->lock.  The first thread in priority order that may run
 * here now: one that pinned itself here and is still switching away on its
 * old CPU (on_cpu) waits for the IPI that CPU sends when it is done.  The
 * current thread, still queued by sched_switch_away(), is on this CPU and may
 * be picked again.
 */
static struct thread *pick(struct runqueue *rq)
{
	struct list *heads[2] = { &rq->rt, &rq->fair };

	for (int i = 0; i < 2; i++) {
		for (struct list *pos = heads[i]->next; pos != heads[i]; pos = pos->next) {
			struct thread *t = list_entry(pos, struct thread, rq_link);

			if (t != rq->current && thread_on_cpu(t))
				continue;
			queue_del(rq, t); /* the switch publishes */
			if (!t->prio && t->vruntime > rq->min_vruntime)
				rq->min_vruntime =
					t->vruntime; /* never back: one passed over may be behind */
			return t;
		}
	}
	return rq->idle;
}

/* Would t, now runnable, take the CPU from rq->current?  Caller holds rq->lock. */
static bool preempts(struct runqueue *rq, struct thread *t)
{
	struct thread *cur = rq->current;

	return cur == rq->idle || t->prio > cur->prio;
}

/*
 * Would a waiting thread take the CPU from cur when its slice ends?  (A
 * real-time thread gives way only to its own priority or higher.)  Caller
 * holds rq->lock.
 */
static bool slice_contended(struct runqueue *rq, struct thread *cur)
{
	struct thread *first = rq_first_queued(rq);

	return first && first->prio >= cur->prio;
}

/*
 * Caller holds rq->lock: arms the timer for what comes first, or nothing.
 * A deadline later than the programmed one by less than
 * SCHED_REARM_SLACK_NS (every switch starts a new slice) leaves the timer
 * as it is: it fires a little early, finds nothing due, and is armed again
 * then.  Programming the timer is an MMIO or MSR write, an exit to the
 * hypervisor, which costs more than that interrupt once per slice.  An
 * earlier deadline, a much later one, and "none" are programmed at once.
 */
static void arm_timer(struct runqueue *rq, uint64_t now)
{
	uint64_t when = ~0ull;
	struct thread *cur = rq->current;

	if (!list_empty(&rq->sleepers))
		when = list_entry(rq->sleepers.next, struct thread, rq_link)->wake_at;
	if (cur != rq->idle && rq->nr_queued) {
		if (cur->policy != SCHED_FIFO && slice_contended(rq, cur))
			when = MIN(when, cur->slice_end);
		else if (sched_balance_wanted(rq)) /* nothing ends a slice: balance anyway */
			when = MIN(when, rq->next_balance);
	}
	if (when == rq->armed ||
	    (rq->armed > now && when > rq->armed && when - rq->armed < SCHED_REARM_SLACK_NS))
		return;
	rq->armed = when;
	lapic_timer_oneshot(when == ~0ull ? 0 : when > now ? when - now : 1);
}

bool sched_kick(struct runqueue *rq, struct thread *t, uint64_t now)
{
	if (rq == this_rq()) {
		if (atomic_load_explicit(&t->state, memory_order_relaxed) == T_RUNNABLE &&
		    preempts(rq, t))
			need_resched();
		arm_timer(rq, now ? now : clock_ns());
		return false;
	}
	return true; /* its sched_ipi() re-arms its timer and preempts if it must */
}

/*
 * CPU time at a switch: prev's run ends and next's begins (the encoding is
 * struct thread's cpu_clock).  A few instructions and no clock read: the
 * switch has read the clock already.  relaxed: each store is one whole
 * word, read whole by thread_cpu_ns() (its relaxed loads pair with these);
 * only this CPU writes either word now, and a thread's next switch in, on
 * whatever CPU, comes after this one by on_cpu's release and acquire.
 */
static inline void cpu_clock_switch(struct thread *prev, struct thread *next, uint64_t now)
{
	uint64_t p = atomic_load_explicit(&prev->cpu_clock, memory_order_relaxed);
	uint64_t n = atomic_load_explicit(&next->cpu_clock, memory_order_relaxed);

	atomic_store_explicit(&prev->cpu_clock, now - (p & ~THREAD_ON_CPU), memory_order_relaxed);
	atomic_store_explicit(&next->cpu_clock, THREAD_ON_CPU | (now - n), memory_order_relaxed);
}

/*
 * Lock-free: one word says everything (struct thread's cpu_clock).  For a
 * thread on a CPU the clock is read between two loads of the word: if it
 * is the same both times, no switch came in between (a switch out and in
 * at the same ns leaves the word as it was, and the answer right), so the
 * run in progress is counted once and to no later than its end.  The
 * lfences keep the TSC read between the two loads (RDTSC is not ordered
 * with loads otherwise).  The clock is this CPU's, the switch's was t's
 * CPU's: across CPUs the answer is as good as their TSCs agree.
 */
uint64_t thread_cpu_ns(struct thread *t)
{
	for (;;) {
		/* relaxed: pairs with the relaxed stores of cpu_clock_switch() */
		uint64_t v = atomic_load_explicit(&t->cpu_clock, memory_order_relaxed);
		uint64_t now;

		if (!(v & THREAD_ON_CPU))
			return v;
		__asm__ volatile("lfence" ::: "memory");
		now = clock_ns();
		__asm__ volatile("lfence" ::: "memory");
		/* relaxed: the same pairing; the lfence orders it after the clock */
		if (atomic_load_explicit(&t->cpu_clock, memory_order_relaxed) == v) {
			v &= ~THREAD_ON_CPU;
			return now > v ? now - v : 0;
		}
	}
}

/*
 * Runs in the thread that was switched in, right after the switch: the
 * previous thread's stack is free from here on (thread_join may free it).
 * A previous thread that pinned itself to another CPU is queued there, and
 * that CPU passed over it until now: tell it.
 */
static void after_switch(struct runqueue *rq)
{
	struct thread *last = rq->last;

	if (!last)
		return;
	rq->last = NULL;
	/* Read first: once off its CPU, last may move, exit and be freed. */
	struct runqueue *home = rq_of(last);

	/* release: pairs with the acquire in wait_off_cpu() and thread_on_cpu() */
	atomic_store_explicit(&last->on_cpu, 0, memory_order_release);
	if (unlikely(home != rq)) {
		/* seq_cst: on_cpu is visible before the IPI (x2APIC's WRMSR does not order stores) */
		atomic_thread_fence(memory_order_seq_cst);
		smp_send_resched(home->cpu);
	}
}

void sched_after_switch(struct runqueue *rq)
{
	after_switch(rq);
}

/*
 * Caller holds rq->lock with interrupts off; returns with the lock of the
 * CPU it returns on held (another, if the thread moved meanwhile).  A prev
 * that belongs to another queue by now pinned itself there
 * (thread_set_affinity()): it is queued there already, and accounted.
 */
void sched_switch_away(struct runqueue *rq)
{
	struct thread *prev = rq->current, *next;
	uint64_t now = clock_ns();
	int st = atomic_load_explicit(&prev->state, memory_order_relaxed);
	bool stays = rq_of(prev) == rq;

	/* Per-CPU state must not travel with a thread: nothing may switch with preemption off. */
	ASSERT(this_cpu()->preempt == 0);
	/* prev's run; min_vruntime follows at pick() (the wake-up and timer paths update it) */
	if (!prev->prio && stays)
		prev->vruntime += now > rq->started ? now - rq->started : 0;
	if (prev != rq->idle && stays && (st == T_RUNNING || st == T_RUNNABLE)) {
		atomic_store_explicit(&prev->state, T_RUNNABLE, memory_order_relaxed);
		queue_add(rq, prev);
	}
	next = pick(rq);
	this_cpu()->need_resched = 0;
	atomic_store_explicit(&next->state, T_RUNNING, memory_order_relaxed);
	if (next->slice_end <= now || next != prev)
		next->slice_end = now + SCHED_SLICE_NS;
	rq->current = next;
	rq->started = now; /* also when prev moved away: move_self() accounted its run */
	publish(rq);
	this_cpu()->tid = next->tid;
	this_cpu()->thread = next;
	arm_timer(rq, now);
	if (next == prev)
		return;
	next->switches++;
	rq->switches++;
	cpu_clock_switch(prev, next, now);
	atomic_store_explicit(&next->on_cpu, 1, memory_order_relaxed);
	rq->last = prev;
	trace_sched_switch(prev->tid, next->tid);
	if (unlikely(prev->ustate || next->ustate)) {
		arch_user_switch(prev->ustate, next->ustate, next->stack ? next->stack->top : 0);
		/* Kernel threads run in whatever address space is loaded (its upper half is shared). */
		if (next->as && next->as != this_cpu()->as)
			as_activate(next->as);
	}
	switch_stack(&prev->rsp, next->rsp);
	after_switch(this_rq());
}

void schedule(void)
{
	uint64_t flags;
	struct runqueue *rq;

	if (!started)
		return;
	flags = irq_save();
	rq = this_rq();
	raw_spin_lock(&rq->lock);
	sched_switch_away(rq);
	raw_spin_unlock(&this_rq()->lock);
	irq_restore(flags);
}

void thread_block_prepare(void)
{
	/* release: the state is visible before the thread is published to a waker */
	atomic_store_explicit(&thread_current()->state, T_BLOCKED, memory_order_release);
}

/*
 * A thread running on another CPU enters the kernel soon (a reschedule
 * IPI), so that work waiting for it on its way back to ring 3 (a signal)
 * is done now rather than at its next system call.  A hint: if it moves
 * meanwhile, it passes through the kernel on the way anyway.
 */
void thread_kick(struct thread *t)
{
	unsigned cpu = rq_of(t)->cpu;

	if (atomic_load_explicit(&t->state, memory_order_relaxed) == T_RUNNING && cpu != cpu_id())
		smp_send_resched(cpu);
}

/*
 * t stays on the queue it slept on: the balancer moves it later if that CPU
 * is busy and another is not.
 */
bool thread_wake(struct thread *t)
{
	uint64_t flags = irq_save();
	struct runqueue *rq = rq_lock_thread(t);
	int expected = T_BLOCKED;
	bool woke, remote = false;

	/* acq_rel: pairs with the release in thread_block_prepare() */
	woke = atomic_compare_exchange_strong_explicit(&t->state, &expected, T_RUNNABLE,
						       memory_order_acq_rel, memory_order_acquire);
	if (woke) {
		/* The clock only if needed: the local timer, or a running fair thread to account. */
		uint64_t now = rq == this_rq() ? clock_ns() : 0;

		trace_sched_wake(t->tid);
		update_curr(rq, now); /* where it starts: see sched_enqueue() */
		if (t->in_sleep_list) {
			list_del(&t->rq_link);
			t->in_sleep_list = false;
		}
		t->wake_at = 0;
		/* Still current: it has not switched away yet, and schedule() will keep it. */
		if (t != rq->current) {
			sched_enqueue(rq, t);
			remote = sched_kick(rq, t, now);
		}
	}
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
	if (remote)
		smp_send_resched(rq->cpu);
	return woke;
}

void sched_preempt_check(void)
{
	struct cpu *c = this_cpu();

	/*
	 * A thread between thread_block_prepare() and its sleep is left alone:
	 * preempting it would put it to sleep here, without the deadline its
	 * own thread_block_timeout() is about to set.  It switches away itself
	 * a few instructions later.
	 */
	if (started && c->need_resched && !c->preempt &&
	    atomic_load_explicit(&thread_current()->state, memory_order_relaxed) != T_BLOCKED)
		schedule();
}

void preempt_schedule(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0" : "=r"(flags));
	if (flags & 0x200)
		sched_preempt_check();
}

/*
 * Another CPU queued a thread here (a wake-up, a move, or a thread that
 * pinned itself here has finished switching away from its old CPU).
 */
void sched_ipi(void)
{
	struct runqueue *rq = this_rq();
	struct thread *first;

	raw_spin_lock(&rq->lock);
	first = rq_first_queued(rq);
	if (first && preempts(rq, first))
		need_resched();
	arm_timer(rq, clock_ns());
	raw_spin_unlock(&rq->lock);
}

void sched_cpu_stat(unsigned cpu, struct sched_cpu_stat *st)
{
	struct runqueue *rq = &sched_rqs[cpu];
	uint64_t flags = irq_save(), now = clock_ns();
	/* The CPU's idle time is its idle thread's CPU time. */
	uint64_t idle = rq->idle ? thread_cpu_ns(rq->idle) : 0;

	st->idle_ns = idle;
	st->busy_ns = now - rq->online_at > idle ? now - rq->online_at - idle : 0;
	raw_spin_lock(&rq->lock);
	st->switches = rq->switches;
	st->running = rq_runnable(rq);
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
	st->timer_irqs = sched_timer_irqs(cpu);
}

uint64_t sched_timer_irqs(unsigned cpu)
{
	return atomic_load_explicit(&sched_rqs[cpu].timer_irqs, memory_order_relaxed);
}

void sched_timer_irq(void)
{
	struct runqueue *rq = this_rq();
	uint64_t now = clock_ns();
	bool balance;

	/* relaxed: a statistic */
	atomic_fetch_add_explicit(&rq->timer_irqs, 1, memory_order_relaxed);
	raw_spin_lock(&rq->lock);
	rq->armed = ~0ull; /* fired: nothing is programmed now */
	update_curr(rq, now);
	while (!list_empty(&rq->sleepers)) {
		struct thread *t = list_entry(rq->sleepers.next, struct thread, rq_link);

		if (t->wake_at > now)
			break;
		list_del(&t->rq_link);
		t->in_sleep_list = false;
		t->wake_at = 0;
		atomic_store_explicit(&t->state, T_RUNNABLE, memory_order_release);
		sched_enqueue(rq, t);
		if (preempts(rq, t))
			need_resched();
	}
	struct thread *cur = rq->current;

	/* Slice over: a real-time thread yields only to its own priority or higher. */
	if (cur != rq->idle && cur->policy != SCHED_FIFO && now >= cur->slice_end &&
	    slice_contended(rq, cur))
		need_resched();
	/* The timer fired anyway (tickless: only with a thread waiting): balance too. */
	balance = sched_balance_wanted(rq) && now >= rq->next_balance;
	if (balance)
		rq->next_balance = now + SCHED_BALANCE_NS;
	arm_timer(rq, now);
	raw_spin_unlock(&rq->lock);
	if (balance)
		sched_balance_tick(rq, now);
}

/*
 * Interrupts are off but in hlt: sti takes effect after the next
 * instruction, so an interrupt that arrives after the pull found nothing
 * still ends the hlt.
 */
void sched_idle(void)
{
	for (;;) {
		__asm__ volatile("cli" ::: "memory");
		if (!sched_idle_pull())
			__asm__ volatile("sti; hlt; cli" ::: "memory");
		if (this_cpu()->need_resched)
			schedule();
	}
}

static void rq_init(struct runqueue *rq, unsigned cpu)
{
	spin_init(&rq->lock, rq_class);
	list_init(&rq->rt);
	list_init(&rq->fair);
	list_init(&rq->sleepers);
	rq->cpu = cpu;
	rq->armed = ~0ull;
	/* The boot CPU's clock starts at 0; reading it here would measure the TSC at boot. */
	rq->online_at = cpu ? clock_ns() : 0;
}

void sched_init(void)
{
	struct runqueue *rq = &sched_rqs[0];

	rq_init(rq, 0);
	lockdep_no_nesting(rq_class);
	sched_boot_thread_init(&boot_thread, rq);
	rq->current = &boot_thread;
	this_cpu()->thread = &boot_thread;
	futex_init();
}

/* The first thread: the timer and the idle thread come with it. */
int sched_start(void)
{
	struct runqueue *rq = this_rq();
	int err;

	if (started)
		return 0;
	err = lapic_init();
	if (err)
		return err;
	rq->idle = sched_alloc_idle(0);
	if (!rq->idle)
		return -ENOMEM;
	rq->started = clock_ns();
	boot_thread.slice_end = rq->started + SCHED_SLICE_NS;
	started = true;
	smp_init();
	__asm__ volatile("sti" ::: "memory");
	return 0;
}

void sched_init_ap(unsigned cpu, struct thread *idle)
{
	struct runqueue *rq = &sched_rqs[cpu];

	rq_init(rq, cpu);
	rq->idle = idle;
	rq->current = idle;
	atomic_store_explicit(&idle->state, T_RUNNING, memory_order_relaxed);
	atomic_store_explicit(&idle->on_cpu, 1, memory_order_relaxed);
	rq->started = clock_ns();
	/* relaxed: nothing reads an idle thread's CPU time before this CPU runs */
	atomic_store_explicit(&idle->cpu_clock, THREAD_ON_CPU | rq->started, memory_order_relaxed);
	this_cpu()->tid = idle->tid;
	this_cpu()->thread = idle;
}

/*
 * The caller goes behind every thread waiting here (POSIX sched_yield: the
 * end of its priority's queue): a fair thread takes a virtual run time
 * just past the largest queued, so another thread runs whenever one waits,
 * at the price of whatever lead the caller had.  A real-time thread goes
 * behind those of its own priority (queue_add() puts equals in order).
 */
void thread_yield(void)
{
	uint64_t flags;
	struct runqueue *rq;

	if (!started)
		return;
	flags = irq_save();
	rq = this_rq();
	raw_spin_lock(&rq->lock);
	struct thread *cur = rq->current;

	if (cur != rq->idle && !cur->prio && !list_empty(&rq->fair)) {
		uint64_t last = list_entry(rq->fair.prev, struct thread, rq_link)->vruntime;

		update_curr(rq, 0);
		if (cur->vruntime <= last)
			cur->vruntime = last + 1;
	}
	sched_switch_away(rq);
	raw_spin_unlock(&this_rq()->lock);
	irq_restore(flags);
}

void thread_sleep_ns(uint64_t ns)
{
	struct thread *t = thread_current();
	uint64_t flags;
	struct runqueue *rq;

	if (!started) {
		delay_ns(ns);
		return;
	}
	might_sleep(__builtin_return_address(0));
	flags = irq_save();
	rq = this_rq();
	raw_spin_lock(&rq->lock);
	t->wake_at = clock_ns() + ns;
	sched_sleep_insert(rq, t);
	atomic_store_explicit(&t->state, T_BLOCKED, memory_order_release);
	sched_switch_away(rq);
	raw_spin_unlock(&this_rq()->lock);
	irq_restore(flags);
}

void thread_block_cancel(void)
{
	/*
	 * relaxed: a waker's compare-exchange BLOCKED -> RUNNABLE may come
	 * first or not at all; either way the thread is running, and
	 * thread_wake() never queues the current thread of a CPU.
	 */
	atomic_store_explicit(&thread_current()->state, T_RUNNING, memory_order_relaxed);
}

void thread_block_timeout(uint64_t ns)
{
	struct thread *t = thread_current();
	uint64_t flags;
	struct runqueue *rq;

	might_sleep(__builtin_return_address(0));
	flags = irq_save();
	rq = this_rq();
	raw_spin_lock(&rq->lock);
	/* Woken already, between thread_block_prepare() and here: nothing to wait for. */
	if (atomic_load_explicit(&t->state, memory_order_acquire) == T_BLOCKED) {
		if (ns) {
			t->wake_at = clock_ns() + ns;
			sched_sleep_insert(rq, t);
		}
		sched_switch_away(rq);
	}
	raw_spin_unlock(&this_rq()->lock);
	irq_restore(flags);
}

bool sched_started(void)
{
	return started;
}
