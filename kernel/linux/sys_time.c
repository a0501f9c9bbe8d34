/*
 * Time system calls.  The clocks are the vDSO's (kernel/linux/vdso.c), so
 * a program gets the same answer with or without a system call.  Sleeps
 * are the scheduler's timed sleeps (sub-millisecond expiry).
 */
#include <osprey/time.h>
#include <osprey/vdso.h>

#include "internal.h"

#define TIMER_ABSTIME 1
#define NSEC 1000000000ll

struct ts {
	int64_t sec, nsec;
};

long sys_clock_gettime(long clock, long tp)
{
	struct ts t;
	int err = time_clock_get((int)clock, &t.sec, &t.nsec);

	if (err)
		return err;
	return copy_to_user((uintptr_t)tp, &t, sizeof(t));
}

long sys_clock_getres(long clock, long tp)
{
	struct ts t;
	int err = time_clock_getres((int)clock, &t.sec, &t.nsec);

	if (err || !tp)
		return err;
	return copy_to_user((uintptr_t)tp, &t, sizeof(t));
}

long sys_gettimeofday(long tv, long tz)
{
	struct ts t;
	int64_t v[2];

	if (tv) {
		time_clock_get(0, &t.sec, &t.nsec);
		v[0] = t.sec;
		v[1] = t.nsec / 1000;
		if (copy_to_user((uintptr_t)tv, v, sizeof(v)))
			return -EFAULT;
	}
	if (tz) {
		int32_t z[2] = { 0, 0 }; /* UTC */

		if (copy_to_user((uintptr_t)tz, z, sizeof(z)))
			return -EFAULT;
	}
	return 0;
}

long sys_time(long tp)
{
	struct ts t;

	time_clock_get(0, &t.sec, &t.nsec);
	if (tp && copy_to_user((uintptr_t)tp, &t.sec, sizeof(t.sec)))
		return -EFAULT;
	return (long)t.sec;
}

static int read_ts(long p, struct ts *t)
{
	if (copy_from_user(t, (uintptr_t)p, sizeof(*t)))
		return -EFAULT;
	if (t->sec < 0 || t->nsec < 0 || t->nsec >= NSEC)
		return -EINVAL;
	if (t->sec > (1ll << 32))
		t->sec = 1ll << 32; /* 136 years: no overflow in ns below */
	return 0;
}

static void sleep_until(int clock, int64_t deadline_ns)
{
	for (;;) {
		struct ts now;

		time_clock_get(clock, &now.sec, &now.nsec);
		int64_t left = deadline_ns - (now.sec * NSEC + now.nsec);

		if (left <= 0)
			return;
		thread_sleep_ns((uint64_t)left);
	}
}

long sys_clock_nanosleep(long clock, long flags, long req, long rem)
{
	struct ts t, now;
	int err;

	(void)rem; /* sleeps are not interrupted by signals yet: nothing remains */
	if (clock != 0 && clock != 1 && clock != 7)
		return clock == 2 || clock == 3 ? -ENOTSUP : -EINVAL;
	err = read_ts(req, &t);
	if (err)
		return err;
	if (flags & TIMER_ABSTIME) {
		sleep_until((int)clock, t.sec * NSEC + t.nsec);
		return 0;
	}
	time_clock_get((int)clock, &now.sec, &now.nsec);
	sleep_until((int)clock, now.sec * NSEC + now.nsec + t.sec * NSEC + t.nsec);
	return 0;
}

long sys_nanosleep(long req, long rem)
{
	return sys_clock_nanosleep(1, 0, req, rem);
}
