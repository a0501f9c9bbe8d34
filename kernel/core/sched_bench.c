/*
 * --bench=sched: thread switch and wake-up costs in the guest, the same
 * measurements as bench/sched/linux.c makes with pthreads on the Linux
 * guest.  Prints "SCHED <name> <ns>", best of ROUNDS rounds:
 *   pingpong  one round trip: wake the other thread through a semaphore and
 *             sleep on one until it answers (two wake-ups, two switches);
 *   yield     one switch: two threads yielding to each other.
 */
#include <string.h>

#include <osprey/log.h>
#include <osprey/sched.h>
#include <osprey/sync.h>
#include <osprey/time.h>

#define ROUNDS 7
#define TRIPS 20000

static struct semaphore ping, pong;
static volatile int stop;

static void answer(void *arg)
{
	(void)arg;
	for (;;) {
		sem_down(&ping);
		if (stop)
			return;
		sem_up(&pong);
	}
}

static void yielder(void *arg)
{
	(void)arg;
	while (!stop)
		thread_yield();
}

static void report(const char *name, uint64_t ns, uint64_t n)
{
	uint64_t centi = ns * 100 / n;

	kprintf("SCHED %s %llu.%02llu\n", name, (unsigned long long)(centi / 100),
		(unsigned long long)(centi % 100));
}

int sched_bench(const char *name)
{
	struct thread *t;
	uint64_t best = ~0ull;

	if (strcmp(name, "sched") != 0)
		return -ENOENT;
	sem_init(&ping, 0, "ping");
	sem_init(&pong, 0, "pong");
	stop = 0;
	if (thread_create("answer", answer, NULL, &t))
		return -ENOMEM;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = clock_ns();

		for (int i = 0; i < TRIPS; i++) {
			sem_up(&ping);
			sem_down(&pong);
		}
		uint64_t d = clock_ns() - t0;

		best = d < best ? d : best;
	}
	stop = 1;
	sem_up(&ping);
	thread_join(t);
	report("pingpong", best, TRIPS);

	best = ~0ull;
	stop = 0;
	if (thread_create("yielder", yielder, NULL, &t))
		return -ENOMEM;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = clock_ns();

		for (int i = 0; i < TRIPS; i++)
			thread_yield();
		uint64_t d = clock_ns() - t0;

		best = d < best ? d : best;
	}
	stop = 1;
	thread_join(t);
	/* Each of our yields is two switches: to the yielder and back. */
	report("switch", best, 2 * TRIPS);
	return 0;
}
