/*
 * bench/sched on the Linux guest: the measurements of Osprey's
 * --bench=sched (kernel/core/sched_bench.c) with pthreads, built static and
 * run as /init.  Prints "SCHED <name> <ns>", best of ROUNDS, under the names
 * Osprey uses: pingpong and switch with both threads pinned to CPU 0, and
 * pingpong_2cpu with the answering thread pinned to CPU 1 when the guest has
 * two CPUs (mk/sched.mk boots it with as many as Osprey gets).
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

/*
 * The CPUs we may run on, counted before main() pins itself to CPU 0.  Not
 * sysconf(_SC_NPROCESSORS_ONLN): without /sys and /proc (none is mounted in
 * the guest's initramfs) glibc counts this same affinity mask, so after the
 * pinning it says 1 and the cross-CPU figure would never run.
 */
static int cpus_allowed(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

static void report(const char *name, uint64_t ns, uint64_t n)
{
	printf("SCHED %s %.2f\n", name, (double)ns / (double)n);
}

int main(void)
{
	int cpus = cpus_allowed();
	pthread_t t;
	uint64_t best;

	pin(pthread_self(), 0);
	report("pingpong", pingpong(0, TRIPS, ROUNDS), TRIPS);

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
	if (cpus >= 2)
		report("pingpong_2cpu", pingpong(1, CROSS_TRIPS, CROSS_ROUNDS), CROSS_TRIPS);
	fflush(stdout);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
