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

static inline void raw_spin_lock(struct spinlock *l)
{
	uint32_t ticket = atomic_fetch_add_explicit(&l->next, 1, memory_order_relaxed);

	/* acquire: pairs with the release in raw_spin_unlock() */
	while (atomic_load_explicit(&l->owner, memory_order_acquire) != ticket)
		__builtin_ia32_pause();
}

static inline bool raw_spin_trylock(struct spinlock *l)
{
	uint32_t owner = atomic_load_explicit(&l->owner, memory_order_relaxed);
	uint32_t expect = owner;

	/* acquire on success: pairs with the release in raw_spin_unlock() */
	return atomic_compare_exchange_strong_explicit(&l->next, &expect, owner + 1,
						       memory_order_acquire, memory_order_relaxed);
}

static inline void raw_spin_unlock(struct spinlock *l)
{
	uint32_t owner = atomic_load_explicit(&l->owner, memory_order_relaxed);

	/* release: pairs with the acquire in raw_spin_lock() */
	atomic_store_explicit(&l->owner, owner + 1, memory_order_release);
}

static inline bool spin_held(struct spinlock *l)
{
	return atomic_load_explicit(&l->owner, memory_order_relaxed) !=
	       atomic_load_explicit(&l->next, memory_order_relaxed);
}

#endif
