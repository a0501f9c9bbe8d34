/*
 * The lock-order checker (CONFIG_LOCKDEP, on in `make MODE=debug`).
 *
 * Locks are grouped in classes by name (every run queue's lock is "rq").
 * Taking lock B while holding A records the edge A -> B with both call
 * sites; taking B while holding A when the graph already leads from B to A
 * is an inversion, a deadlock waiting for the right interleaving, and is
 * reported with both locks and all four call sites.  Two locks of one
 * class are not ordered by the graph; a class can ask that they never nest
 * but through raw_spin_lock_nested() (run queues do).  Blocking with a
 * spinlock held or interrupts off, and unlocking a mutex one does not own,
 * are reported too.  Reports are counted and never stop the kernel.
 */
#ifndef OSPREY_LOCKDEP_H
#define OSPREY_LOCKDEP_H

#include <stdbool.h>
#include <stdint.h>

struct lockdep_counts {
	uint64_t inversions;
	uint64_t sleep_in_atomic;
	uint64_t bad_unlock;
	uint64_t classes;
	uint64_t edges;
	uint64_t nesting; /* a second lock of a lockdep_no_nesting() class, unannotated */
};

void lockdep_counts(struct lockdep_counts *c);
/*
 * Locks of class `name` are never nested but through raw_spin_lock_nested()
 * (which says in what order): taking a second one plainly while holding
 * one is reported.  Other classes may nest within themselves unchecked.
 */
void lockdep_no_nesting(const char *name);
/* Called by everything that may block: reports a spinlock held or interrupts off. */
void might_sleep(void *site);
void lockdep_bad_unlock(const char *name, void *site);
/* Mutexes are held across sleeps, so they are tracked per thread. */
void lockdep_mutex_acquire(const char *name, const void *lock, void *site);
void lockdep_mutex_release(const void *lock);
/*
 * The order graph by class name (tests check where a lock sits): whether
 * `taken` was ever taken while `held` was held, and how many classes were
 * taken while `held` was.  Always false and 0 without CONFIG_LOCKDEP.
 */
bool lockdep_edge_seen(const char *held, const char *taken);
unsigned lockdep_edges_from(const char *held);
/* The names of the two locks of the last inversion reported. */
void lockdep_last_inversion(const char **held, const char **taken);
/* Entering and leaving an interrupt handler: its locks are tracked apart. */
void lockdep_irq_enter(void);
void lockdep_irq_exit(void);

#endif
