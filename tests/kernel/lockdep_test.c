/*
 * The lock-order checker (debug builds, CONFIG_LOCKDEP): each test commits
 * the mistake on purpose, on one CPU where it cannot actually deadlock, and
 * checks that it was reported.  Release builds have no checker: the cases
 * pass there without checking anything.
 */
#include <osprey/lockdep.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/spinlock.h>
#include <osprey/sync.h>
#include <osprey/test.h>

TEST(lockdep, catches_ab_ba_spinlocks)
{
	static struct spinlock a = SPINLOCK_INIT("lockdep-test-a");
	static struct spinlock b = SPINLOCK_INIT("lockdep-test-b");
	struct lockdep_counts before, after;
	const char *held = NULL, *taken = NULL;

	if (!CONFIG_LOCKDEP)
		return;
	lockdep_counts(&before);
	preempt_disable();
	raw_spin_lock(&a); /* a, then b: records a -> b */
	raw_spin_lock(&b);
	raw_spin_unlock(&b);
	raw_spin_unlock(&a);
	raw_spin_lock(&b); /* b, then a: the inversion */
	raw_spin_lock(&a);
	raw_spin_unlock(&a);
	raw_spin_unlock(&b);
	preempt_enable();
	lockdep_counts(&after);
	EXPECT_EQ(t, after.inversions, before.inversions + 1);
	lockdep_last_inversion(&held, &taken);
	EXPECT_STREQ(t, held, "lockdep-test-b");
	EXPECT_STREQ(t, taken, "lockdep-test-a");
}

/*
 * A class marked lockdep_no_nesting() (run queues are): a second lock of it
 * taken plainly is reported; taken with raw_spin_lock_nested() it is not,
 * and its order against other locks is checked under the subclass.
 */
static const char nest_class[] = "lockdep-test-nest";
static const char nest_sub[] = "lockdep-test-nest-2";

TEST(lockdep, catches_unannotated_nesting)
{
	static struct spinlock a = SPINLOCK_INIT(nest_class);
	static struct spinlock b = SPINLOCK_INIT(nest_class);
	static struct spinlock leaf = SPINLOCK_INIT("lockdep-test-leaf");
	struct lockdep_counts before, mid, after;
	const char *held = NULL, *taken = NULL;

	if (!CONFIG_LOCKDEP)
		return;
	lockdep_no_nesting(nest_class);
	lockdep_counts(&before);
	preempt_disable();
	raw_spin_lock(&a); /* two of the class, annotated: fine */
	raw_spin_lock_nested(&b, nest_sub);
	raw_spin_lock(&leaf); /* records nest-2 -> leaf */
	raw_spin_unlock(&leaf);
	raw_spin_unlock(&b);
	raw_spin_unlock(&a);
	lockdep_counts(&mid);
	raw_spin_lock(&a); /* the same without the annotation */
	raw_spin_lock(&b);
	raw_spin_unlock(&b);
	raw_spin_unlock(&a);
	raw_spin_lock(&leaf); /* leaf -> nest-2: an inversion under the subclass */
	raw_spin_lock_nested(&b, nest_sub);
	raw_spin_unlock(&b);
	raw_spin_unlock(&leaf);
	preempt_enable();
	lockdep_counts(&after);
	EXPECT_EQ(t, mid.nesting, before.nesting);
	EXPECT_EQ(t, mid.inversions, before.inversions);
	EXPECT_EQ(t, after.nesting, before.nesting + 1);
	EXPECT_EQ(t, after.inversions, before.inversions + 1);
	lockdep_last_inversion(&held, &taken);
	EXPECT_STREQ(t, held, "lockdep-test-leaf");
	EXPECT_STREQ(t, taken, nest_sub);
}

TEST(lockdep, catches_ab_ba_mutexes)
{
	static struct mutex a, b;
	struct lockdep_counts before, after;

	if (!CONFIG_LOCKDEP)
		return;
	mutex_init(&a, "lockdep-mutex-a");
	mutex_init(&b, "lockdep-mutex-b");
	lockdep_counts(&before);
	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);
	mutex_lock(&b);
	mutex_lock(&a);
	mutex_unlock(&a);
	mutex_unlock(&b);
	lockdep_counts(&after);
	EXPECT_EQ(t, after.inversions, before.inversions + 1);
}

TEST(lockdep, catches_sleeping_with_a_spinlock)
{
	static struct spinlock s = SPINLOCK_INIT("lockdep-test-held");
	struct lockdep_counts before, after;

	if (!CONFIG_LOCKDEP)
		return;
	lockdep_counts(&before);
	preempt_disable();
	raw_spin_lock(&s);
	might_sleep(__builtin_return_address(0)); /* what thread_sleep_ns() would do */
	raw_spin_unlock(&s);
	preempt_enable();
	lockdep_counts(&after);
	EXPECT_EQ(t, after.sleep_in_atomic, before.sleep_in_atomic + 1);
}

TEST(lockdep, catches_unlock_by_non_owner)
{
	static struct mutex m;
	struct lockdep_counts before, after;

	mutex_init(&m, "lockdep-not-mine");
	lockdep_counts(&before);
	EXPECT_EQ(t, mutex_unlock(&m), -EPERM);
	lockdep_counts(&after);
	if (CONFIG_LOCKDEP)
		EXPECT_EQ(t, after.bad_unlock, before.bad_unlock + 1);
}

TEST(lockdep, kernel_runs_clean)
{
	struct lockdep_counts c;

	/* Boot and the scheduler's start-up took their locks in order. */
	if (!CONFIG_LOCKDEP)
		return;
	lockdep_counts(&c);
	EXPECT_GT(t, c.classes, 2);
	EXPECT_EQ(t, c.inversions, 0); /* it runs before the tests that make some */
}
