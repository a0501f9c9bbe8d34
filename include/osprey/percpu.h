/*
 * Per-CPU data (decision 3): each CPU's struct cpu is reached through the
 * GS base, so this_cpu() is one instruction and needs no lock.  Fields are
 * [c]: touched only by their own CPU, with preemption off when a thread
 * could otherwise move between the read and the write.
 *
 * Threads move between CPUs (the scheduler's balancing), so this_cpu()->f
 * from preemptible code is two steps, and a thread preempted and moved
 * between them reaches the old CPU's f.  What preemptible code needs of its
 * own CPU, the preemption count and the running thread, is therefore read
 * and changed in one GS-relative instruction (percpu_*() below).
 */
#ifndef OSPREY_PERCPU_H
#define OSPREY_PERCPU_H

#include <osprey/arch/cpu.h>
#include <osprey/kernel.h>
#include <osprey/spinlock.h>

struct address_space;
struct thread;

struct cpu {
	struct cpu *self;	  /* [i] at %gs:0, so this_cpu() is one load */
	uint64_t kstack_top;	  /* [c] the running thread's kernel stack top (SYSCALL entry) */
	uint64_t user_rsp;	  /* [c] scratch for the SYSCALL entry */
	uint32_t id;		  /* [i] 0 .. nr_cpus - 1 */
	int preempt;		  /* [c] preemption is off while > 0 */
	int need_resched;	  /* [c] a thread of higher priority is waiting */
	uint64_t tid;		  /* [c] the running thread's id (0: the boot context) */
	void *trace;		  /* [c] this CPU's trace ring (kernel/core/trace.c) */
	void *mm;		  /* [c] this CPU's allocator caches (kernel/mm) */
	struct address_space *as; /* [c] the address space in CR3 (NULL: kernel only) */
	uint32_t apic_id;	  /* [i] its local APIC's id, for IPIs */
	struct thread *thread;	  /* [c] the running thread (thread_current()) */
	/* [c] the application state last in the FPU registers (arch_user_switch()) */
	const struct user_state *fpu_owner;
	uint64_t user_fs, user_gs; /* [c] the FS base and the parked user GS base in the MSRs */
};

extern struct cpu *cpus[CONFIG_MAX_CPUS];
extern unsigned nr_cpus;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

static inline unsigned cpu_id(void)
{
	return this_cpu()->id;
}

/* This CPU's running thread, in one load (see the top of this file). */
static inline struct thread *percpu_thread(void)
{
	struct thread *t;

	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(t) : "i"(offsetof(struct cpu, thread)));
	return t;
}

/*
 * Sections that must not move between CPUs or be preempted.  Leaving the
 * outermost one runs a preemption that came due inside it.  The count
 * changes in one GS-relative instruction: a thread preempted between
 * reading this_cpu() and the increment could move and count on the old
 * CPU.  The "memory" clobbers keep the section's accesses inside it.
 */
static inline void preempt_disable(void)
{
	__asm__ volatile("incl %%gs:%c0" : : "i"(offsetof(struct cpu, preempt)) : "memory", "cc");
}

void preempt_schedule(void);

static inline void preempt_enable(void)
{
	bool zero;

	__asm__ volatile("decl %%gs:%c1"
			 : "=@ccz"(zero)
			 : "i"(offsetof(struct cpu, preempt))
			 : "memory");
	/* Preemptible again: whichever CPU this is now, its flag is the one to look at. */
	if (zero && __builtin_expect(this_cpu()->need_resched, 0))
		preempt_schedule(); /* switches only when interrupts are on */
}

/* A spinlock for thread context: preemption stays off while it is held. */
static inline void spin_lock(struct spinlock *l)
{
	preempt_disable();
	raw_spin_lock(l);
}

static inline void spin_unlock(struct spinlock *l)
{
	raw_spin_unlock(l);
	preempt_enable();
}

/* For locks an interrupt handler or a wake-up path takes: interrupts off while held. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();

	raw_spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	raw_spin_unlock(l);
	irq_restore(flags);
}

/* Sets up the boot CPU's struct cpu and GS base. */
void percpu_init_boot(void);
struct cpu *percpu_alloc(unsigned id);
void percpu_init_ap(struct cpu *c);

#endif
