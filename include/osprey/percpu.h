/*
 * Per-CPU data (decision 3): each CPU's struct cpu is reached through the
 * GS base, so this_cpu() is one instruction and needs no lock.  Fields are
 * [c]: touched only by their own CPU, with preemption off when a thread
 * could otherwise move between the read and the write.
 *
 * One CPU today; the SMP issue brings up the others and fills cpus[].
 */
#ifndef OSPREY_PERCPU_H
#define OSPREY_PERCPU_H

#include <osprey/arch/cpu.h>
#include <osprey/kernel.h>
#include <osprey/spinlock.h>

struct address_space;

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

/*
 * Sections that must not move between CPUs or be preempted.  Leaving the
 * outermost one runs a preemption that came due inside it.  The compiler
 * barriers keep the section's accesses inside it.
 */
static inline void preempt_disable(void)
{
	this_cpu()->preempt++;
	__asm__ volatile("" ::: "memory");
}

void preempt_schedule(void);

static inline void preempt_enable(void)
{
	struct cpu *c = this_cpu();

	__asm__ volatile("" ::: "memory");
	if (--c->preempt == 0 && __builtin_expect(c->need_resched, 0))
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
