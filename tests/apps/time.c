/*
 * Time: CLOCK_MONOTONIC only goes forward, nanosleep and clock_nanosleep
 * sleep at least what they were asked, gettimeofday, time() and
 * CLOCK_REALTIME agree within a second, the wall clock is plausible,
 * clock_getres, CLOCK_BOOTTIME and the process's CPU-time clock.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "apps.h"

static int64_t ns(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts))
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_test(const char *what, int ms, int how)
{
	struct timespec req = { ms / 1000, (long)(ms % 1000) * 1000000 }, rem = { 0, 0 };
	int64_t t0 = ns(CLOCK_MONOTONIC), el;
	int ret;
	char buf[96];

	if (how == 0)
		ret = nanosleep(&req, &rem);
	else if (how == 1)
		ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
	else {
		struct timespec abs;

		clock_gettime(CLOCK_MONOTONIC, &abs);
		abs.tv_nsec += req.tv_nsec;
		abs.tv_sec += req.tv_sec + abs.tv_nsec / 1000000000;
		abs.tv_nsec %= 1000000000;
		ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
	}
	el = ns(CLOCK_MONOTONIC) - t0;
	snprintf(buf, sizeof(buf), "%s %d ms returns 0", what, ms);
	CHECK(buf, ret == 0);
	snprintf(buf, sizeof(buf), "%s %d ms: elapsed >= %d ms", what, ms, ms);
	CHECK(buf, el >= (int64_t)ms * 1000000);
	snprintf(buf, sizeof(buf), "%s %d ms: elapsed < %d ms + 5 s", what, ms, ms);
	CHECK(buf, el < (int64_t)ms * 1000000 + 5000000000);
}

int main(void)
{
	struct timespec res, rt;
	struct timeval tv;
	int64_t a, b, prev;
	bool ok = true;
	volatile uint64_t spin = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	prev = ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 100000; i++) {
		int64_t now = ns(CLOCK_MONOTONIC);

		ok = ok && now >= prev;
		prev = now;
	}
	CHECK("CLOCK_MONOTONIC never goes back (100000 reads)", ok);
	a = ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 3000000; i++)
		spin += (uint64_t)i;
	b = ns(CLOCK_MONOTONIC);
	CHECK("CLOCK_MONOTONIC advances over a busy loop", b > a);

	sleep_test("nanosleep", 10, 0);
	sleep_test("nanosleep", 120, 0);
	sleep_test("clock_nanosleep", 30, 1);
	sleep_test("clock_nanosleep TIMER_ABSTIME", 30, 2);
	a = ns(CLOCK_MONOTONIC);
	CHECK("usleep 20000", usleep(20000) == 0 && ns(CLOCK_MONOTONIC) - a >= 20000000);

	CHECK("gettimeofday", gettimeofday(&tv, NULL) == 0);
	CHECK("clock_gettime CLOCK_REALTIME", clock_gettime(CLOCK_REALTIME, &rt) == 0);
	CHECK("gettimeofday and CLOCK_REALTIME within 1 s",
	      tv.tv_sec - rt.tv_sec <= 1 && rt.tv_sec - tv.tv_sec <= 1);
	CHECK("time() and CLOCK_REALTIME within 1 s",
	      time(NULL) - rt.tv_sec <= 1 && rt.tv_sec - time(NULL) <= 1);
	CHECK("wall clock after 2024-01-01", rt.tv_sec > 1704067200);
	CHECK("tv_usec < 1000000", tv.tv_usec >= 0 && tv.tv_usec < 1000000);

	CHECK("clock_getres CLOCK_MONOTONIC", clock_getres(CLOCK_MONOTONIC, &res) == 0);
	CHECK("resolution > 0 and <= 1 ms",
	      res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
	CHECK("clock_getres CLOCK_REALTIME",
	      clock_getres(CLOCK_REALTIME, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
	a = ns(CLOCK_MONOTONIC);
	b = ns(CLOCK_BOOTTIME);
	CHECK("CLOCK_BOOTTIME >= CLOCK_MONOTONIC", b >= a && a > 0);
	CHECK("CLOCK_MONOTONIC_COARSE reads", ns(CLOCK_MONOTONIC_COARSE) > 0);
	a = ns(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < 20000000; i++)
		spin += (uint64_t)i;
	b = ns(CLOCK_PROCESS_CPUTIME_ID);
	CHECK("CLOCK_PROCESS_CPUTIME_ID advances over a busy loop", a >= 0 && b > a);
	CHECK("CLOCK_THREAD_CPUTIME_ID reads", ns(CLOCK_THREAD_CPUTIME_ID) >= 0);
	EXPECT_ERRNO("clock_gettime bad clock", clock_gettime((clockid_t)12345, &rt), EINVAL);
	{
		struct timespec bad = { 0, 1000000000 };

		EXPECT_ERRNO("nanosleep tv_nsec 1e9", nanosleep(&bad, NULL), EINVAL);
	}
	printf("time: done\n");
	return apps_status;
}
