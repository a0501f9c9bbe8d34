/*
 * Spinlocks: FIFO ticket locks on C11 atomics, portable so that the
 * allocator cores (kernel/mm/buddy.c, slab.c) run the same in host tests.
 *
 * raw_spin_lock() only spins: the caller has preemption off already, as
 * every allocator path does.  spin_lock() (kernel only, <osprey/percpu.h>)
 * turns preemption off first; spin_lock_irqsave() also masks interrupts, for
 * locks an interrupt handler takes.
 *
 * Memory order: the lock's acquire load of `owner` pairs with the release
 * store in unlock, so the critical sections of successive holders are
 * ordered.  `next` is a relaxed ticket counter: it orders nothing.
 */
#ifndef OSPREY_SPINLOCK_H
#define OSPREY_SPINLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The kernel's options; host builds of the portable parts have none. */
#if __has_include(<generated/config.h>)
#include <generated/config.h>
#else
#define CONFIG_LOCKDEP 0
#endif

struct spinlock;
/* The lock-order checker (kernel/core/lockdep.c), in CONFIG_LOCKDEP builds. */
void lockdep_acquire(const char *name, const void *lock, void *site);
void lockdep_release(const void *lock);

struct spinlock {
	_Atomic uint32_t next;	/* [a] next ticket to hand out */
	_Atomic uint32_t owner; /* [a] ticket being served */
	const char *name;	/* [i] for reports */
};

#define SPINLOCK_INIT(n) \
	{                \
		0, 0, n  \
	}

static inline void spin_init(struct spinlock *l, const char *name)
{
	atomic_init(&l->next, 0);
	atomic_init(&l->owner, 0);
	l->name = name;
}

static inline void ticket_wait(struct spinlock *l)
{
	uint32_t ticket = atomic_fetch_add_explicit(&l->next, 1, memory_order_relaxed);

	/* acquire: pairs with the release in raw_spin_unlock() */
	while (atomic_load_explicit(&l->owner, memory_order_acquire) != ticket)
		__builtin_ia32_pause();
}

static inline void raw_spin_lock(struct spinlock *l)
{
	ticket_wait(l);
	if (CONFIG_LOCKDEP)
		lockdep_acquire(l->name, l, __builtin_return_address(0));
}

/*
 * A second lock of a class the caller already holds one of (two run
 * queues): the caller takes the two in a fixed order of its own, written in
 * docs/locking.md.  The checker files this one under `subclass`, so that
 * its order against other locks is still checked, and a second lock of a
 * class marked lockdep_no_nesting() taken without this is reported.
 */
static inline void raw_spin_lock_nested(struct spinlock *l, const char *subclass)
{
	ticket_wait(l);
	if (CONFIG_LOCKDEP)
		lockdep_acquire(subclass, l, __builtin_return_address(0));
}

static inline bool raw_spin_trylock(struct spinlock *l)
{
	uint32_t owner = atomic_load_explicit(&l->owner, memory_order_relaxed);
	uint32_t expect = owner;

	/* acquire on success: pairs with the release in raw_spin_unlock() */
	bool got = atomic_compare_exchange_strong_explicit(&l->next, &expect, owner + 1,
							   memory_order_acquire,
							   memory_order_relaxed);

	/* A trylock cannot deadlock: it is recorded as held but orders nothing. */
	if (CONFIG_LOCKDEP && got)
		lockdep_acquire(NULL, l, __builtin_return_address(0));
	return got;
}

static inline void raw_spin_unlock(struct spinlock *l)
{
	uint32_t owner = atomic_load_explicit(&l->owner, memory_order_relaxed);

	if (CONFIG_LOCKDEP)
		lockdep_release(l);
	/* release: pairs with the acquire in raw_spin_lock() */
	atomic_store_explicit(&l->owner, owner + 1, memory_order_release);
}

static inline bool spin_held(struct spinlock *l)
{
	return atomic_load_explicit(&l->owner, memory_order_relaxed) !=
	       atomic_load_explicit(&l->next, memory_order_relaxed);
}

#endif
