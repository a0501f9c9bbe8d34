/*
 * The scheduler: kernel threads, one run queue per CPU, preemption.
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
 *     some wait queue only.
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
 * Timers are tickless: the local APIC timer is armed only for the earliest
 * sleeper's deadline or for the end of a slice while another thread waits.
 *
 * Lock order: a wait queue's or mutex's lock -> rq->lock -> the memory locks
 * (docs/locking.md).  rq->lock is taken with interrupts off.
 */
#include <string.h>

#include <osprey/arch/apic.h>
#include <osprey/arch/cpu.h>
#include <osprey/arch/trap.h>
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

TRACEPOINT(sched_switch, "prev=%lu next=%lu", uint64_t, uint64_t);
TRACEPOINT(sched_wake, "tid=%lu", uint64_t);

#define STACK_SIZE (16 * 1024)

struct runqueue {
	struct spinlock lock;
	struct thread *current; /* [q] */
	struct thread *idle;	/* [i] */
	struct list rt;		/* [q] real-time threads, highest priority first */
	struct list fair;	/* [q] fair threads, least vruntime first */
	struct list sleepers;	/* [q] by wake_at, earliest first */
	uint64_t started;	/* [q] when current was switched in */
	uint64_t min_vruntime;	/* [q] */
	struct thread *last;	/* [q] the thread switched away from, until after_switch() */
	unsigned cpu;		/* [i] */
	_Atomic unsigned load;	/* [a] threads placed here and not exited */
};

static struct runqueue rqs[CONFIG_MAX_CPUS];
static struct thread boot_thread;
static _Atomic uint64_t next_tid = 1;
static _Atomic uint64_t alive;
static bool started;
/* Detached threads that exited; freed once off their CPU.  Leaf lock. */
static struct spinlock zombie_lock = SPINLOCK_INIT("zombies");
static struct list zombies = LIST_HEAD_INIT(zombies);

void switch_stack(uint64_t *save, uint64_t next);
static void reap(void);
void thread_start(void);
void thread_main(struct thread *t);

static uint64_t irq_save(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static void irq_restore(uint64_t flags)
{
	if (flags & 0x200)
		__asm__ volatile("sti" ::: "memory");
}

static struct runqueue *this_rq(void)
{
	return &rqs[cpu_id()];
}

/* this_rq()->current would be two loads: a thread moved between them would read another's. */
struct thread *thread_current(void)
{
	return started ? percpu_thread() : &boot_thread;
}

static void set_name(struct thread *t, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < sizeof(t->name) && name[i]; i++)
		t->name[i] = name[i];
	t->name[i] = 0;
}

/* Caller holds rq->lock. */
static void enqueue(struct runqueue *rq, struct thread *t)
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
}

/* Caller holds rq->lock. */
static struct thread *pick(struct runqueue *rq)
{
	struct list *head = !list_empty(&rq->rt) ? &rq->rt : &rq->fair;

	if (list_empty(head))
		return rq->idle;
	struct thread *t = list_entry(head->next, struct thread, rq_link);

	list_del(&t->rq_link);
	if (!t->prio)
		rq->min_vruntime = t->vruntime;
	return t;
}

/* Would t, now runnable, take the CPU from rq->current?  Caller holds rq->lock. */
static bool preempts(struct runqueue *rq, struct thread *t)
{
	struct thread *cur = rq->current;

	return cur == rq->idle || t->prio > cur->prio;
}

static void need_resched(void)
{
	this_cpu()->need_resched = 1;
}

/* Caller holds rq->lock: arms the timer for what comes first, or nothing. */
static void arm_timer(struct runqueue *rq, uint64_t now)
{
	uint64_t when = ~0ull;
	struct thread *cur = rq->current;

	if (!list_empty(&rq->sleepers))
		when = list_entry(rq->sleepers.next, struct thread, rq_link)->wake_at;
	if (cur != rq->idle && cur->policy != SCHED_FIFO &&
	    (!list_empty(&rq->rt) || !list_empty(&rq->fair)) && cur->slice_end < when)
		when = cur->slice_end;
	lapic_timer_oneshot(when == ~0ull ? 0 : when > now ? when - now : 1);
}

/*
 * Runs in the thread that was switched in, right after the switch: the
 * previous thread's stack is free from here on (thread_join may free it).
 */
static void after_switch(struct runqueue *rq)
{
	if (rq->last) {
		/* release: pairs with the acquire in wait_off_cpu() */
		atomic_store_explicit(&rq->last->on_cpu, 0, memory_order_release);
		rq->last = NULL;
	}
}

static void wait_off_cpu(struct thread *t)
{
	while (atomic_load_explicit(&t->on_cpu, memory_order_acquire))
		cpu_relax();
}

/* Caller holds rq->lock with interrupts off; returns with this CPU's rq->lock held. */
static void switch_threads(struct runqueue *rq)
{
	struct thread *prev = rq->current, *next;
	uint64_t now = clock_ns();
	int st = atomic_load_explicit(&prev->state, memory_order_relaxed);

	if (!prev->prio)
		prev->vruntime += now - rq->started;
	if (prev != rq->idle && (st == T_RUNNING || st == T_RUNNABLE)) {
		atomic_store_explicit(&prev->state, T_RUNNABLE, memory_order_relaxed);
		enqueue(rq, prev);
	}
	next = pick(rq);
	this_cpu()->need_resched = 0;
	atomic_store_explicit(&next->state, T_RUNNING, memory_order_relaxed);
	if (next->slice_end <= now || next != prev)
		next->slice_end = now + SCHED_SLICE_NS;
	rq->current = next;
	rq->started = now;
	this_cpu()->tid = next->tid;
	this_cpu()->thread = next;
	arm_timer(rq, now);
	if (next == prev)
		return;
	next->switches++;
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
	switch_threads(rq);
	raw_spin_unlock(&this_rq()->lock);
	irq_restore(flags);
}

void thread_block_prepare(void)
{
	/* release: the state is visible before the thread is published to a waker */
	atomic_store_explicit(&thread_current()->state, T_BLOCKED, memory_order_release);
}

bool thread_wake(struct thread *t)
{
	struct runqueue *rq = t->rq;
	uint64_t flags = irq_save();
	int expected = T_BLOCKED;
	bool woke, remote = false;

	raw_spin_lock(&rq->lock);
	/* acq_rel: pairs with the release in thread_block_prepare() */
	woke = atomic_compare_exchange_strong_explicit(&t->state, &expected, T_RUNNABLE,
						       memory_order_acq_rel, memory_order_acquire);
	if (woke) {
		trace_sched_wake(t->tid);
		if (t->in_sleep_list) {
			list_del(&t->rq_link);
			t->in_sleep_list = false;
		}
		t->wake_at = 0;
		if (t != rq->current) {
			enqueue(rq, t);
			if (rq == this_rq()) {
				if (preempts(rq, t))
					need_resched();
				arm_timer(rq, clock_ns());
			} else {
				if (preempts(rq, t))
					cpus[rq->cpu]->need_resched = 1;
				remote = true;
			}
		}
	}
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
	if (remote)
		smp_send_resched(rq->cpu); /* it re-arms its timer and preempts if it must */
	return woke;
}

void sched_preempt_check(void)
{
	struct cpu *c = this_cpu();

	if (started && c->need_resched && !c->preempt)
		schedule();
}

void preempt_schedule(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0" : "=r"(flags));
	if (flags & 0x200)
		sched_preempt_check();
}

void sched_ipi(void)
{
	struct runqueue *rq = this_rq();

	raw_spin_lock(&rq->lock);
	arm_timer(rq, clock_ns());
	raw_spin_unlock(&rq->lock);
}

void sched_timer_irq(void)
{
	struct runqueue *rq = this_rq();
	uint64_t now = clock_ns();

	raw_spin_lock(&rq->lock);
	while (!list_empty(&rq->sleepers)) {
		struct thread *t = list_entry(rq->sleepers.next, struct thread, rq_link);

		if (t->wake_at > now)
			break;
		list_del(&t->rq_link);
		t->in_sleep_list = false;
		t->wake_at = 0;
		atomic_store_explicit(&t->state, T_RUNNABLE, memory_order_release);
		enqueue(rq, t);
		if (preempts(rq, t))
			need_resched();
	}
	struct thread *cur = rq->current;

	if (cur != rq->idle && cur->policy != SCHED_FIFO && now >= cur->slice_end &&
	    (!list_empty(&rq->rt) || !list_empty(&rq->fair))) {
		/* Slice over: a real-time thread yields only to its own priority or higher. */
		struct list *head = !list_empty(&rq->rt) ? &rq->rt : &rq->fair;
		struct thread *first = list_entry(head->next, struct thread, rq_link);

		if (first->prio >= cur->prio)
			need_resched();
	}
	arm_timer(rq, now);
	raw_spin_unlock(&rq->lock);
}

static void idle_loop(void *arg)
{
	(void)arg;
	sched_idle();
}

void sched_idle(void)
{
	for (;;) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		if (this_cpu()->need_resched)
			schedule();
	}
}

void sched_init(void)
{
	struct runqueue *rq = &rqs[0];

	spin_init(&rq->lock, "rq");
	list_init(&rq->rt);
	list_init(&rq->fair);
	list_init(&rq->sleepers);
	set_name(&boot_thread, "main");
	boot_thread.tid = 0;
	boot_thread.rq = rq;
	atomic_init(&boot_thread.on_cpu, 1);
	rq->cpu = 0;
	atomic_init(&boot_thread.state, T_RUNNING);
	rq->current = &boot_thread;
	this_cpu()->thread = &boot_thread;
	alive = 1;
	futex_init();
}

static void thread_stack_init(struct thread *t)
{
	/* The top holds the ring-3 register frame of an application thread. */
	uint64_t *sp = (uint64_t *)(t->stack->top - sizeof(struct trap_frame) - 16);

	*--sp = (uint64_t)thread_start; /* switch_stack's ret lands here */
	*--sp = 0;			/* rbp */
	*--sp = (uint64_t)t;		/* rbx: the thread, for thread_start */
	*--sp = 0;			/* r12 */
	*--sp = 0;			/* r13 */
	*--sp = 0;			/* r14 */
	*--sp = 0;			/* r15 */
	t->rsp = (uint64_t)sp;
}

static struct thread *thread_alloc(const char *name, void (*fn)(void *), void *arg)
{
	struct thread *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->stack = kstack_alloc(name, STACK_SIZE);
	if (!t->stack) {
		kfree(t);
		return NULL;
	}
	set_name(t, name);
	t->tid = atomic_fetch_add_explicit(&next_tid, 1, memory_order_relaxed);
	t->fn = fn;
	t->arg = arg;
	t->rq = this_rq();
	atomic_init(&t->state, T_NEW);
	thread_stack_init(t);
	return t;
}

/* Idle threads live as long as their CPU: not leaks. */
static void keep(struct thread *t)
{
	mm_debug_ignore(t);
	mm_debug_ignore(t->stack);
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
	rq->idle = thread_alloc("idle", idle_loop, NULL);
	if (!rq->idle)
		return -ENOMEM;
	keep(rq->idle);
	rq->started = clock_ns();
	boot_thread.slice_end = rq->started + SCHED_SLICE_NS;
	started = true;
	smp_init();
	__asm__ volatile("sti" ::: "memory");
	return 0;
}

struct thread *sched_alloc_idle(unsigned cpu)
{
	struct thread *t = thread_alloc("idle", idle_loop, NULL);

	if (t) {
		t->rq = &rqs[cpu];
		keep(t);
	}
	return t;
}

void sched_free_idle(struct thread *t)
{
	kstack_free(t->stack);
	kfree(t);
}

void sched_init_ap(unsigned cpu, struct thread *idle)
{
	struct runqueue *rq = &rqs[cpu];

	spin_init(&rq->lock, "rq");
	list_init(&rq->rt);
	list_init(&rq->fair);
	list_init(&rq->sleepers);
	rq->cpu = cpu;
	rq->idle = idle;
	rq->current = idle;
	atomic_store_explicit(&idle->state, T_RUNNING, memory_order_relaxed);
	atomic_store_explicit(&idle->on_cpu, 1, memory_order_relaxed);
	rq->started = clock_ns();
	this_cpu()->tid = idle->tid;
	this_cpu()->thread = idle;
}

/* The CPU with the fewest threads placed on it (no migration yet: they stay). */
static struct runqueue *place(void)
{
	unsigned n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE), best = cpu_id();

	for (unsigned i = 0; i < n; i++)
		if (atomic_load_explicit(&rqs[i].load, memory_order_relaxed) <
		    atomic_load_explicit(&rqs[best].load, memory_order_relaxed))
			best = i;
	return &rqs[best];
}

int thread_create(const char *name, void (*fn)(void *), void *arg, struct thread **out)
{
	return thread_create_on(-1, name, fn, arg, out);
}

static int create(int cpu, const char *name, struct user_state *u, struct address_space *as,
		  void (*fn)(void *), void *arg, struct thread **out)
{
	struct thread *t;
	int err;

	if (!started && (err = sched_start()))
		return err;
	reap();
	t = thread_alloc(name, fn, arg);
	if (!t)
		return -ENOMEM;
	t->ustate = u;
	t->as = as;
	atomic_fetch_add_explicit(&alive, 1, memory_order_relaxed);
	t->rq = cpu >= 0 && (unsigned)cpu < __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE) ?
			&rqs[cpu] :
			place();
	atomic_fetch_add_explicit(&t->rq->load, 1, memory_order_relaxed);
	atomic_store_explicit(&t->state, T_BLOCKED, memory_order_relaxed);
	if (out)
		*out = t;
	thread_wake(t);
	sched_preempt_check();
	return 0;
}

int thread_create_on(int cpu, const char *name, void (*fn)(void *), void *arg, struct thread **out)
{
	return create(cpu, name, NULL, NULL, fn, arg, out);
}

int thread_create_user(const char *name, struct user_state *u, struct address_space *as,
		       void (*fn)(void *), void *arg, struct thread **out)
{
	return create(-1, name, u, as, fn, arg, out);
}

/* Runs on the new thread's stack, with the run-queue lock still held by the switch. */
void thread_main(struct thread *t)
{
	after_switch(t->rq);
	raw_spin_unlock(&t->rq->lock);
	__asm__ volatile("sti" ::: "memory");
	t->fn(t->arg);
	thread_exit();
}

static void thread_free(struct thread *t)
{
	kstack_free(t->stack);
	kfree(t);
	atomic_fetch_sub_explicit(&alive, 1, memory_order_relaxed);
}

/* Frees the detached threads that have exited and left their CPU. */
static void reap(void)
{
	struct list done = LIST_HEAD_INIT(done);
	uint64_t flags = irq_save();

	raw_spin_lock(&zombie_lock);
	for (struct list *l = zombies.next, *next; l != &zombies; l = next) {
		struct thread *z = list_entry(l, struct thread, wait_link);

		next = l->next;
		if (!atomic_load_explicit(&z->on_cpu, memory_order_acquire)) {
			list_del(l);
			list_add(&done, l);
		}
	}
	raw_spin_unlock(&zombie_lock);
	irq_restore(flags);
	while (!list_empty(&done)) {
		struct thread *z = list_entry(done.next, struct thread, wait_link);

		list_del(&z->wait_link);
		thread_free(z);
	}
}

void thread_exit(void)
{
	struct thread *t = thread_current();
	uint64_t flags = irq_save();
	struct runqueue *rq = this_rq();
	struct thread *joiner;

	raw_spin_lock(&rq->lock);
	atomic_store_explicit(&t->state, T_EXITED, memory_order_release);
	atomic_fetch_sub_explicit(&rq->load, 1, memory_order_relaxed);
	joiner = t->joiner;
	if (t->detached) {
		/* It cannot free the stack it runs on: reap() does, later. */
		raw_spin_lock(&zombie_lock);
		list_add_tail(&zombies, &t->wait_link);
		raw_spin_unlock(&zombie_lock);
	}
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
	if (joiner)
		thread_wake(joiner);
	flags = irq_save();
	raw_spin_lock(&rq->lock);
	switch_threads(rq);
	for (;;)
		;
}

int thread_join(struct thread *t)
{
	uint64_t flags;
	struct runqueue *rq = t->rq;

	if (t == thread_current() || t->detached)
		return -EINVAL;
	for (;;) {
		flags = irq_save();
		raw_spin_lock(&rq->lock);
		if (atomic_load_explicit(&t->state, memory_order_acquire) == T_EXITED) {
			raw_spin_unlock(&rq->lock);
			irq_restore(flags);
			break;
		}
		t->joiner = thread_current();
		thread_block_prepare();
		raw_spin_unlock(&rq->lock);
		irq_restore(flags);
		schedule();
	}
	wait_off_cpu(t); /* EXITED, but maybe still switching away on its CPU */
	thread_free(t);
	reap();
	return 0;
}

void thread_detach(struct thread *t)
{
	uint64_t flags = irq_save();

	raw_spin_lock(&t->rq->lock);
	bool exited = atomic_load_explicit(&t->state, memory_order_acquire) == T_EXITED;

	t->detached = true;
	raw_spin_unlock(&t->rq->lock);
	irq_restore(flags);
	if (exited) {
		/* Exited before it was detached: nobody will join it, so free it here. */
		wait_off_cpu(t);
		thread_free(t);
	}
}

void thread_yield(void)
{
	need_resched();
	schedule();
}

void thread_sleep_ns(uint64_t ns)
{
	struct thread *t = thread_current();
	uint64_t flags, now;
	struct runqueue *rq;
	struct list *pos;

	if (!started) {
		delay_ns(ns);
		return;
	}
	might_sleep(__builtin_return_address(0));
	flags = irq_save();
	rq = this_rq();
	raw_spin_lock(&rq->lock);
	now = clock_ns();
	t->wake_at = now + ns;
	for (pos = rq->sleepers.next; pos != &rq->sleepers; pos = pos->next)
		if (list_entry(pos, struct thread, rq_link)->wake_at > t->wake_at)
			break;
	list_add_tail(pos, &t->rq_link);
	t->in_sleep_list = true;
	atomic_store_explicit(&t->state, T_BLOCKED, memory_order_release);
	switch_threads(rq);
	raw_spin_unlock(&this_rq()->lock);
	irq_restore(flags);
}

void thread_block_timeout(uint64_t ns)
{
	struct thread *t = thread_current();
	uint64_t flags;
	struct runqueue *rq;
	struct list *pos;

	might_sleep(__builtin_return_address(0));
	flags = irq_save();
	rq = this_rq();
	raw_spin_lock(&rq->lock);
	/* Woken already, between thread_block_prepare() and here: nothing to wait for. */
	if (atomic_load_explicit(&t->state, memory_order_acquire) == T_BLOCKED) {
		if (ns) {
			t->wake_at = clock_ns() + ns;
			for (pos = rq->sleepers.next; pos != &rq->sleepers; pos = pos->next)
				if (list_entry(pos, struct thread, rq_link)->wake_at > t->wake_at)
					break;
			list_add_tail(pos, &t->rq_link);
			t->in_sleep_list = true;
		}
		switch_threads(rq);
	}
	raw_spin_unlock(&this_rq()->lock);
	irq_restore(flags);
}

int thread_set_priority(struct thread *t, int policy, int prio)
{
	uint64_t flags;
	struct runqueue *rq = t->rq;

	if (policy == SCHED_FAIR ? prio != 0 : (prio < 1 || prio > 99))
		return -EINVAL;
	flags = irq_save();
	raw_spin_lock(&rq->lock);
	bool queued = t != rq->current &&
		      atomic_load_explicit(&t->state, memory_order_relaxed) == T_RUNNABLE;

	if (queued)
		list_del(&t->rq_link);
	t->policy = policy;
	t->base_prio = prio;
	if (!t->blocked_on || t->prio < prio)
		t->prio = prio;
	if (queued) {
		enqueue(rq, t);
		if (preempts(rq, t))
			need_resched();
	} else if (t == rq->current && (!list_empty(&rq->rt) || !list_empty(&rq->fair))) {
		need_resched(); /* it may have lowered itself below a waiting thread */
	}
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
	sched_preempt_check();
	return 0;
}

/* Priority inheritance: raises t (and whoever t waits for) to at least prio. */
void sched_inherit(struct thread *t, int prio)
{
	for (int depth = 0; t && depth < 8; depth++) {
		uint64_t flags = irq_save();
		struct runqueue *rq = t->rq;

		raw_spin_lock(&rq->lock);
		if (t->prio >= prio) {
			raw_spin_unlock(&rq->lock);
			irq_restore(flags);
			return;
		}
		bool queued = t != rq->current &&
			      atomic_load_explicit(&t->state, memory_order_relaxed) == T_RUNNABLE;

		if (queued)
			list_del(&t->rq_link);
		t->prio = prio;
		if (queued)
			enqueue(rq, t);
		raw_spin_unlock(&rq->lock);
		irq_restore(flags);
		t = t->blocked_on ? mutex_owner_of(t->blocked_on) : NULL;
	}
}

/* Back to the thread's own priority when it gives up what it inherited for. */
void sched_restore_priority(struct thread *t)
{
	uint64_t flags = irq_save();
	struct runqueue *rq = t->rq;

	raw_spin_lock(&rq->lock);
	if (t->prio != t->base_prio) {
		t->prio = t->base_prio;
		if (!list_empty(&rq->rt) &&
		    list_entry(rq->rt.next, struct thread, rq_link)->prio > t->prio)
			need_resched();
	}
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
}

bool sched_started(void)
{
	return started;
}

uint64_t sched_threads_alive(void)
{
	return atomic_load_explicit(&alive, memory_order_relaxed);
}
