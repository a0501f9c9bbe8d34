/*
 * --bench=sched: thread switch and wake-up costs in the guest, the same
 * measurements as bench/sched/linux.c makes with pthreads on the Linux
 * guest.  Prints "SCHED <name> <ns>", best of ROUNDS rounds:
 *   pingpong  one round trip: wake the other thread through a semaphore and
 *             sleep on one until it answers (two wake-ups, two switches);
 *   switch    one switch: two threads yielding to each other;
 *   pingpong_2cpu  the round trip with the other thread on another CPU
 *             (every wake-up crosses by IPI), when there are two CPUs.
 * The same-CPU figures pin both threads to one CPU; the measuring thread
 * stays pinned throughout, so that the balancer cannot take either figure
 * to another CPU.
 */
#include <string.h>

#include <osprey/log.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/sync.h>
#include <osprey/time.h>

#define ROUNDS 7
#define TRIPS 20000
#define CROSS_TRIPS 1000
#define CROSS_ROUNDS 3

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

/* Best round of TRIPS round trips with the answering thread on cpu; 0 if it cannot start. */
static uint64_t pingpong(int cpu, int trips, int rounds)
{
	struct thread *t;
	uint64_t best = ~0ull;

	sem_init(&ping, 0, "ping");
	sem_init(&pong, 0, "pong");
	stop = 0;
	if (thread_create_on(cpu, "answer", answer, NULL, &t))
		return 0;
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = clock_ns();

		for (int i = 0; i < trips; i++) {
			sem_up(&ping);
			sem_down(&pong);
		}
		uint64_t d = clock_ns() - t0;

		best = d < best ? d : best;
	}
	stop = 1;
	sem_up(&ping);
	thread_join(t);
	return best;
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
	thread_set_affinity(thread_current(), (int)cpu_id());
	best = pingpong((int)cpu_id(), TRIPS, ROUNDS);
	if (!best)
		return -ENOMEM;
	report("pingpong", best, TRIPS);

	best = ~0ull;
	stop = 0;
	if (thread_create_on((int)cpu_id(), "yielder", yielder, NULL, &t))
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
	if (nr_cpus >= 2) {
		/* Fewer: a cross-CPU round trip costs tens of microseconds under TCG. */
		best = pingpong((int)(cpu_id() + 1) % (int)nr_cpus, CROSS_TRIPS, CROSS_ROUNDS);
		if (best)
			report("pingpong_2cpu", best, CROSS_TRIPS);
	}
	thread_set_affinity(thread_current(), -1);
	return 0;
}
