/*
 * bench/sched on the Linux guest: the measurements of Osprey's
 * --bench=sched (kernel/core/sched_bench.c) with pthreads, built static and
 * run as /init on one CPU.  Prints "SCHED <name> <ns>", best of ROUNDS.
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 7
#define TRIPS 20000
#define CROSS_TRIPS 1000
#define CROSS_ROUNDS 3

static sem_t ping, pong;
static volatile int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *answer(void *arg)
{
	(void)arg;
	for (;;) {
		sem_wait(&ping);
		if (stop)
			return NULL;
		sem_post(&pong);
	}
}

static void *yielder(void *arg)
{
	(void)arg;
	while (!stop)
		sched_yield();
	return NULL;
}

static void pin(pthread_t t, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(t, sizeof(set), &set);
}

/* Best round of TRIPS round trips with the answering thread on cpu (we are on CPU 0). */
static uint64_t pingpong(int cpu, int trips, int rounds)
{
	pthread_t t;
	uint64_t best = ~0ull;

	sem_init(&ping, 0, 0);
	sem_init(&pong, 0, 0);
	stop = 0;
	pthread_create(&t, NULL, answer, NULL);
	pin(t, cpu);
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < trips; i++) {
			sem_post(&ping);
			sem_wait(&pong);
		}
		uint64_t d = now_ns() - t0;

		best = d < best ? d : best;
	}
	stop = 1;
	sem_post(&ping);
	pthread_join(t, NULL);
	return best;
}

static void report(const char *name, uint64_t ns, uint64_t n)
{
	printf("SCHED %s %.2f\n", name, (double)ns / (double)n);
}

int main(void)
{
	pthread_t t;
	uint64_t best;

	pin(pthread_self(), 0);
	report("pingpong", pingpong(0, TRIPS, ROUNDS), TRIPS);

	best = ~0ull;
	stop = 0;
	best = ~0ull;
	pthread_create(&t, NULL, yielder, NULL);
	pin(t, 0);
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < TRIPS; i++)
			sched_yield();
		uint64_t d = now_ns() - t0;

		best = d < best ? d : best;
	}
	stop = 1;
	pthread_join(t, NULL);
	report("switch", best, 2 * TRIPS);
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2)
		report("pingpong_2cpu", pingpong(1, CROSS_TRIPS, CROSS_ROUNDS), CROSS_TRIPS);
	fflush(stdout);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
