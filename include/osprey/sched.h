/*
 * Threads and the scheduler (kernel/core/sched.c; threads' creation, exit
 * and joining in kernel/core/thread.c).
 *
 * Every kernel thread has a fully mapped stack with a guard page (decision
 * 5).  Each CPU has a run queue with two classes: real-time threads
 * (SCHED_FIFO and SCHED_RR, priorities 1..99, the higher runs first) and
 * fair-share threads (the least virtual run time runs next).  Preemption:
 * a time slice ends (timer interrupt), or a thread of higher priority wakes.
 * Idle CPUs halt; the timer is armed only when something needs it.
 *
 * Thread states change under the run queue's lock with atomic stores;
 * wake-up is a compare-exchange BLOCKED -> RUNNABLE, so a wake-up racing a
 * thread going to sleep is never lost (see thread_wake()).
 *
 * Threads move between CPUs (kernel/core/balance.c): an idle CPU steals a
 * waiting fair-share thread, a CPU with a longer queue pushes some to a
 * shorter one when its timer fires, and thread_set_affinity() pins.  A
 * thread pinned to a CPU never moves; a running thread is never moved.
 */
#ifndef OSPREY_SCHED_H
#define OSPREY_SCHED_H

#include <osprey/cpumask.h>
#include <osprey/kernel.h>
#include <osprey/list.h>
#include <osprey/spinlock.h>

enum thread_state { T_NEW, T_RUNNABLE, T_RUNNING, T_BLOCKED, T_EXITED };
enum sched_policy { SCHED_FAIR, SCHED_FIFO, SCHED_RR };

#define THREAD_NAME_MAX 24
#define SCHED_SLICE_NS 3000000ull

struct kstack;
struct runqueue;
struct user_state;
struct address_space;

/*
 * [q] the lock of the run queue it belongs to (t->rq); [q2] both the old
 * and the new queue's locks to change; [w] the wait queue's lock; [i] set
 * before the thread is visible; [a] atomic; [c] only the thread itself.
 */
struct thread {
	uint64_t rsp;		    /* [q] saved stack pointer while switched out */
	struct kstack *stack;	    /* [i] NULL for a CPU's boot thread */
	char name[THREAD_NAME_MAX]; /* [i] */
	uint64_t tid;		    /* [i] */
	_Atomic int state;	    /* [q] enum thread_state; see thread_wake() */
	int policy;		    /* [q] */
	int base_prio;		    /* [q] 0 for fair, 1..99 for real time */
	int prio;		    /* [q] effective: base, or inherited through a mutex */
	uint64_t vruntime;	    /* [q] fair class: ns run */
	uint64_t slice_end;	    /* [q] clock_ns() when the slice ends */
	uint64_t wake_at;	    /* [q] sleeping: the deadline; 0 otherwise */
	/*
	 * [q2] the run queue it belongs to: read under either lock, or racily
	 * to find the lock to take and re-checked under it (rq_lock_thread()).
	 */
	_Atomic(struct runqueue *) rq;
	/*
	 * [a] Its CPU time, one word so that another CPU reads it whole
	 * (thread_cpu_ns()): off a CPU, the ns it has run; on one,
	 * THREAD_ON_CPU | (clock_ns() at the switch in - the ns run before).
	 * Written only by the switch, on the CPU it runs on.
	 */
	_Atomic uint64_t cpu_clock;
	struct cpumask allowed;	   /* [q] the CPUs it may run on (all: the balancer's choice) */
	uint64_t moved_at;	   /* [q2] clock_ns() of its last move by the balancer */
	struct list rq_link;	   /* [q] run queue or sleep list */
	struct list wait_link;	   /* [w] the wait queue it sleeps on */
	void (*fn)(void *);	   /* [i] */
	void *arg;		   /* [i] */
	bool detached;		   /* [q] */
	bool in_sleep_list;	   /* [q] */
	struct thread *joiner;	   /* [q] thread waiting in thread_join() */
	struct mutex *blocked_on;  /* [q] the mutex it waits for (priority inheritance) */
	uint64_t switches;	   /* [q] times it was switched in */
	_Atomic int on_cpu;	   /* [a] its stack is in use: until the switch away completes */
	struct user_state *ustate; /* [i] an application thread's CPU state; NULL: kernel only */
	struct address_space *as;  /* [i] an application thread's address space */
	/* [c] mutexes held, for the lock-order checker (CONFIG_LOCKDEP) */
	struct {
		const void *lock;
		int cls;
		void *site;
	} held[8];
	int nheld;
};

#define THREAD_ON_CPU (1ull << 63)

void sched_init(void);
/*
 * Starts preemptive scheduling (the timer and the idle thread); the first
 * thread_create() does it, so a program that never makes a thread pays
 * nothing at boot.  Idempotent.
 */
int sched_start(void);
/* For smp.c: an application processor's idle thread, made on the BSP, run on the AP. */
struct thread *sched_alloc_idle(unsigned cpu);
void sched_free_idle(struct thread *t);
void sched_init_ap(unsigned cpu, struct thread *idle);
void sched_idle(void) __noreturn;
/* The reschedule IPI: another CPU queued a thread here. */
void sched_ipi(void);
/* Creates a thread that runs fn(arg); it starts at once (runnable). */
int thread_create(const char *name, void (*fn)(void *), void *arg, struct thread **out);
/* The same on a given CPU, pinned there (-1: the least loaded, free to move). */
int thread_create_on(int cpu, const char *name, void (*fn)(void *), void *arg, struct thread **out);
/*
 * Lets t run only on the CPUs in m, moving it to the least loaded of them
 * if it is elsewhere; the balancer moves it only within m.  A thread may
 * move itself (it continues on the new CPU); another thread that is
 * running on a CPU outside m cannot be moved from outside: -EBUSY, and its
 * mask is unchanged.  -EINVAL: no online CPU in m.
 */
int thread_set_affinity_mask(struct thread *t, const struct cpumask *m);
/* The same for one CPU (pinned), or cpu -1: every CPU. */
int thread_set_affinity(struct thread *t, int cpu);
/* The CPU whose run queue t is on (where it runs, or will run next; a hint once returned). */
unsigned thread_cpu(struct thread *t);
/*
 * An application thread: like thread_create, with the user state that the
 * context switch saves and loads (include/osprey/arch/user.h).
 */
int thread_create_user(const char *name, struct user_state *u, struct address_space *as,
		       void (*fn)(void *), void *arg, struct thread **out);
int thread_set_priority(struct thread *t, int policy, int prio);
void thread_exit(void) __noreturn;
/* Waits for t to exit and frees it. */
int thread_join(struct thread *t);
void thread_detach(struct thread *t);
struct thread *thread_current(void);
void thread_yield(void);
void thread_sleep_ns(uint64_t ns);

/* Blocking: set BLOCKED, then schedule(); thread_wake() makes it runnable. */
void thread_block_prepare(void);
/*
 * After thread_block_prepare(): sleeps until woken or ns pass (0: no limit).
 * Returns at once if the wake-up came already.
 */
void thread_block_timeout(uint64_t ns);
/* After thread_block_prepare(): the condition came true before sleeping; stay running. */
void thread_block_cancel(void);
void schedule(void);
bool thread_wake(struct thread *t);
/* Makes t, if it runs on another CPU, enter the kernel (a reschedule IPI). */
void thread_kick(struct thread *t);

/* For the interrupt path: timer expiry and the preemption check on return. */
void sched_timer_irq(void);
void sched_preempt_check(void);
/*
 * The ns t has spent on a CPU (its CPU time), the part of a run in
 * progress included, from any CPU without a lock; t must stay alive
 * meanwhile.  Read from another CPU it may be off by the CPUs' clock
 * difference; it never counts a run twice.
 */
uint64_t thread_cpu_ns(struct thread *t);
/* Number of threads alive (for tests: a storm must leave it as it was). */
uint64_t sched_threads_alive(void);
/* Timer interrupts cpu has taken since boot (the scheduler's tick, when there is one). */
uint64_t sched_timer_irqs(unsigned cpu);

/* What /proc/stat shows of a CPU: time idle and not, since its queue was set up. */
struct sched_cpu_stat {
	uint64_t busy_ns, idle_ns;
	uint64_t switches;   /* context switches */
	uint64_t timer_irqs; /* as sched_timer_irqs() */
	unsigned running;    /* runnable threads now, the running one included */
};
void sched_cpu_stat(unsigned cpu, struct sched_cpu_stat *st);
/* Threads made since boot, the boot context's included. */
uint64_t sched_threads_created(void);
bool sched_started(void);
/*
 * Load balancing (kernel/core/balance.c).  Both kinds are on by default;
 * tests turn one off to watch the other.
 */
extern bool sched_balance_idle;	    /* an idle CPU steals a waiting thread */
extern bool sched_balance_periodic; /* the timer pushes threads to a shorter queue */
struct sched_balance_counts {
	uint64_t steals;   /* threads an idle CPU took */
	uint64_t pushes;   /* threads the periodic balance moved */
	uint64_t affinity; /* threads moved by thread_set_affinity() */
};
void sched_balance_counts(struct sched_balance_counts *c);
/* --bench=sched; -ENOENT for another name. */
int sched_bench(const char *name);

#endif
