/*
 * Threads' lives: allocation, creation and placement, exit, join, detach.
 * The run queues' mechanics (switch, pick, wake-up, timer) are in sched.c.
 *
 * A thread is a struct thread and a kernel stack with a guard page
 * (kstack_alloc()), laid out by thread_stack_init() so that its first
 * switch lands in thread_start (switch.S), then thread_main().  create()
 * puts it on the CPU it is pinned to, or the one with the fewest threads
 * placed (rq->load; balance.c moves it later as load shifts), and wakes it
 * from BLOCKED as thread_wake() wakes any sleeper.
 *
 * Freeing.  A thread's stack is freed only after its CPU has switched away
 * from it (on_cpu clear, released by after_switch()): thread_join() frees
 * the thread it joined, thread_detach() one that had exited already, and
 * reap() the detached threads that exited since (zombies), at the next
 * create or join.  An exiting thread keeps interrupts off from its exit to
 * the switch (thread_exit()).
 *
 * Lock order: rq->lock -> zombie_lock, a leaf (docs/locking.md).  Threads
 * are allocated and freed with no run queue's lock held.
 */
#include <osprey/arch/cpu.h>
#include <osprey/arch/trap.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/spinlock.h>

#include "internal.h"

#define STACK_SIZE (16 * 1024)

static _Atomic uint64_t next_tid = 1;
static _Atomic uint64_t alive;
/* Detached threads that exited; freed once off their CPU.  Leaf lock. */
static struct spinlock zombie_lock = SPINLOCK_INIT("zombies");
static struct list zombies = LIST_HEAD_INIT(zombies);

static void reap(void);
void thread_start(void);
void thread_main(struct thread *t);

static void set_name(struct thread *t, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < sizeof(t->name) && name[i]; i++)
		t->name[i] = name[i];
	t->name[i] = 0;
}

/* The boot context, thread 0: sched_init() makes it the first CPU's current thread. */
void sched_boot_thread_init(struct thread *t, struct runqueue *rq)
{
	set_name(t, "main");
	t->tid = 0;
	cpumask_fill(&t->allowed);
	atomic_init(&t->rq, rq);
	atomic_init(&t->on_cpu, 1);
	atomic_init(&t->state, T_RUNNING);
	atomic_init(&t->cpu_clock, THREAD_ON_CPU | 0); /* on the CPU since clock_ns() 0 */
	alive = 1;
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
	cpumask_fill(&t->allowed);
	atomic_init(&t->rq, &sched_rqs[0]); /* placed by create() */
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

static void idle_loop(void *arg)
{
	(void)arg;
	sched_idle();
}

struct thread *sched_alloc_idle(unsigned cpu)
{
	struct thread *t = thread_alloc("idle", idle_loop, NULL);

	if (t) {
		atomic_store_explicit(&t->rq, &sched_rqs[cpu], memory_order_relaxed);
		cpumask_zero(&t->allowed);
		cpumask_set(&t->allowed, cpu);
		keep(t);
	}
	return t;
}

void sched_free_idle(struct thread *t)
{
	kstack_free(t->stack);
	kfree(t);
}

/* The CPU with the fewest threads placed on it (the balancer moves them later as load shifts). */
static struct runqueue *place(void)
{
	unsigned n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE), best = cpu_id();

	for (unsigned i = 0; i < n; i++)
		if (atomic_load_explicit(&sched_rqs[i].load, memory_order_relaxed) <
		    atomic_load_explicit(&sched_rqs[best].load, memory_order_relaxed))
			best = i;
	return &sched_rqs[best];
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

	if (!sched_started() && (err = sched_start()))
		return err;
	reap();
	t = thread_alloc(name, fn, arg);
	if (!t)
		return -ENOMEM;
	t->ustate = u;
	t->as = as;
	atomic_fetch_add_explicit(&alive, 1, memory_order_relaxed);
	struct runqueue *rq;

	if (cpu >= 0 && (unsigned)cpu < __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE)) {
		rq = &sched_rqs[cpu];
		cpumask_zero(&t->allowed);
		cpumask_set(&t->allowed, (unsigned)cpu);
	} else {
		rq = place();
	}
	/* relaxed: nobody else knows t yet; thread_wake()'s lock publishes it */
	atomic_store_explicit(&t->rq, rq, memory_order_relaxed);
	atomic_fetch_add_explicit(&rq->load, 1, memory_order_relaxed);
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
	sched_after_switch(this_rq());
	raw_spin_unlock(&this_rq()->lock);
	__asm__ volatile("sti" ::: "memory");
	t->fn(t->arg);
	thread_exit();
}

static void wait_off_cpu(struct thread *t)
{
	while (atomic_load_explicit(&t->on_cpu, memory_order_acquire))
		cpu_relax();
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
		/* acquire: pairs with after_switch()'s release; its stack is no longer in use */
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

/*
 * Interrupts stay off from here to the switch: an exited thread that was
 * preempted before it had woken its joiner would never run again, and the
 * joiner would wait for ever.
 */
void thread_exit(void)
{
	struct thread *t = thread_current();
	struct runqueue *rq;
	struct thread *joiner;

	irq_save();
	rq = this_rq();

	raw_spin_lock(&rq->lock);
	/* release: what the thread did is visible to whoever sees EXITED (the acquires in join and detach) */
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
	if (joiner)
		thread_wake(joiner); /* with interrupts off: it leaves them so */
	raw_spin_lock(&rq->lock);
	sched_switch_away(rq);
	for (;;)
		;
}

int thread_join(struct thread *t)
{
	uint64_t flags;
	struct runqueue *rq;

	if (t == thread_current() || t->detached)
		return -EINVAL;
	for (;;) {
		flags = irq_save();
		rq = rq_lock_thread(t);
		/* acquire: pairs with the release in thread_exit() */
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
	struct runqueue *rq = rq_lock_thread(t);
	/* acquire: pairs with the release in thread_exit() */
	bool exited = atomic_load_explicit(&t->state, memory_order_acquire) == T_EXITED;

	t->detached = true;
	raw_spin_unlock(&rq->lock);
	irq_restore(flags);
	if (exited) {
		/* Exited before it was detached: nobody will join it, so free it here. */
		wait_off_cpu(t);
		thread_free(t);
	}
}

uint64_t sched_threads_alive(void)
{
	return atomic_load_explicit(&alive, memory_order_relaxed);
}

uint64_t sched_threads_created(void)
{
	/* relaxed: a statistic */
	return atomic_load_explicit(&next_tid, memory_order_relaxed) - 1;
}
