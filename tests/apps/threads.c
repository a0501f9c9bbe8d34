/*
 * Threads: pthread_create/join with return values, a mutex-protected
 * counter incremented by N threads to the exact sum, a condition-variable
 * producer/consumer queue, pthread_once, thread-local variables (__thread)
 * and pthread keys with destructors, a barrier, and detached threads.
 *
 * usage: threads [N]   (N threads, default 8)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "apps.h"

#define MAX_THREADS 64
#define INCREMENTS 20000
#define ITEMS 5000
#define QUEUE 4

static int nthreads = 8;

static void *square(void *arg)
{
	long i = (long)arg;

	return (void *)(i * i);
}

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&counter_lock);
		counter++;
		pthread_mutex_unlock(&counter_lock);
		if (i % 1000 == 0)
			sched_yield();
	}
	return NULL;
}

/* A bounded queue: one producer, several consumers. */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static int q_items[QUEUE], q_head, q_len;
static bool q_done;

static void *produce(void *arg)
{
	(void)arg;
	for (int i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&q_lock);
		while (q_len == QUEUE)
			pthread_cond_wait(&q_not_full, &q_lock);
		q_items[(q_head + q_len++) % QUEUE] = i;
		pthread_cond_signal(&q_not_empty);
		pthread_mutex_unlock(&q_lock);
	}
	pthread_mutex_lock(&q_lock);
	q_done = true;
	pthread_cond_broadcast(&q_not_empty);
	pthread_mutex_unlock(&q_lock);
	return NULL;
}

static void *consume(void *arg)
{
	long *sum = arg;

	for (;;) {
		pthread_mutex_lock(&q_lock);
		while (!q_len && !q_done)
			pthread_cond_wait(&q_not_empty, &q_lock);
		if (!q_len && q_done) {
			pthread_mutex_unlock(&q_lock);
			return NULL;
		}
		int v = q_items[q_head];

		q_head = (q_head + 1) % QUEUE;
		q_len--;
		pthread_cond_signal(&q_not_full);
		pthread_mutex_unlock(&q_lock);
		sum[0] += v;
		sum[1]++;
	}
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void init_once(void)
{
	once_runs++;
}

static __thread int tls_value = 7;
static __thread char tls_buf[64];
static pthread_key_t key;
static int destructor_runs;
static pthread_mutex_t destructor_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t barrier;

static void destructor(void *p)
{
	pthread_mutex_lock(&destructor_lock);
	destructor_runs += *(int *)p == 1;
	pthread_mutex_unlock(&destructor_lock);
	free(p);
}

/* Each thread's TLS starts at the initial value and stays its own across a barrier. */
static void *tls_worker(void *arg)
{
	long id = (long)arg;
	int *mine = malloc(sizeof(int));
	bool ok = tls_value == 7 && tls_buf[0] == 0;

	pthread_once(&once, init_once);
	tls_value = (int)id * 10;
	tls_buf[0] = (char)('a' + id);
	*mine = 1;
	pthread_setspecific(key, mine);
	pthread_barrier_wait(&barrier); /* everyone has written their own */
	ok = ok && tls_value == (int)id * 10 && tls_buf[0] == (char)('a' + id) &&
	     pthread_getspecific(key) == mine;
	return (void *)(long)ok;
}

static volatile int detached_done;

static void *detached(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&detached_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[MAX_THREADS];
	long sum = 0, sums[MAX_THREADS][2] = { { 0 } }, got = 0, items = 0;
	bool ok = true;

	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (nthreads < 2 || nthreads > MAX_THREADS) {
		printf("usage: threads [N], 2 <= N <= %d\n", MAX_THREADS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("threads: %d\n", nthreads);

	for (long i = 0; i < nthreads; i++)
		ok = ok && pthread_create(&t[i], NULL, square, (void *)i) == 0;
	for (int i = 0; i < nthreads; i++) {
		void *r = NULL;

		ok = ok && pthread_join(t[i], &r) == 0;
		sum += (long)r;
	}
	CHECK("create and join", ok);
	printf("sum of squares from join: %ld\n", sum);

	ok = true;
	for (int i = 0; i < nthreads; i++)
		ok = ok && pthread_create(&t[i], NULL, count, NULL) == 0;
	for (int i = 0; i < nthreads; i++)
		ok = ok && pthread_join(t[i], NULL) == 0;
	printf("mutex counter: %ld (expected %ld)\n", counter, (long)nthreads * INCREMENTS);
	CHECK("counter exact", ok && counter == (long)nthreads * INCREMENTS);

	ok = pthread_create(&t[0], NULL, produce, NULL) == 0;
	for (int i = 1; i < nthreads; i++)
		ok = ok && pthread_create(&t[i], NULL, consume, sums[i]) == 0;
	for (int i = 0; i < nthreads; i++)
		ok = ok && pthread_join(t[i], NULL) == 0;
	for (int i = 1; i < nthreads; i++) {
		got += sums[i][0];
		items += sums[i][1];
	}
	printf("producer/consumer: %ld items, sum %ld\n", items, got);
	CHECK("every item consumed once",
	      ok && items == ITEMS && got == (long)ITEMS * (ITEMS + 1) / 2);

	ok = pthread_key_create(&key, destructor) == 0 &&
	     pthread_barrier_init(&barrier, NULL, (unsigned int)nthreads) == 0;
	tls_value = 1234;
	for (long i = 0; i < nthreads; i++)
		ok = ok && pthread_create(&t[i], NULL, tls_worker, (void *)i) == 0;
	for (int i = 0; i < nthreads; i++) {
		void *r = NULL;

		ok = ok && pthread_join(t[i], &r) == 0 && r == (void *)1;
	}
	CHECK("__thread and keys are per thread", ok);
	CHECK("main's __thread value kept", tls_value == 1234);
	printf("pthread_once ran: %d time(s)\n", once_runs);
	printf("key destructors ran: %d\n", destructor_runs);
	pthread_barrier_destroy(&barrier);

	for (int i = 0; i < nthreads; i++) {
		pthread_attr_t a;

		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_create(&t[i], &a, detached, NULL);
		pthread_attr_destroy(&a);
	}
	for (int spin = 0;
	     spin < 100000 && __atomic_load_n(&detached_done, __ATOMIC_SEQ_CST) < nthreads; spin++)
		usleep(100);
	CHECK("detached threads ran", detached_done == nthreads);
	printf("threads: done\n");
	return apps_status;
}
