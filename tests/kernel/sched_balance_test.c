/*
 * Load balancing (kernel/core/balance.c): threads spread from one CPU, an
 * idle CPU steals, pinned threads stay, thread_set_affinity() moves and
 * pins, a moved thread gets its fair share, and a stress of wake-ups,
 * sleeps, creation, exit and moves loses no wake-up and leaves nothing
 * behind.  check-kernel runs them with 1, 2 and 4 CPUs; the cases that
 * need two CPUs pass at once on one.  Every case restores what it changed
 * (the balancing switches, the boot thread's affinity) and joins every
 * thread it made.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/lockdep.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/sync.h>
#include <osprey/test.h>
#include <osprey/time.h>

#define MS 1000000ull
#define MAX_SPINNERS 16

/* A CPU-bound thread that counts its loops on each CPU. */
struct spinner {
	volatile int *stop;
	int pin;	      /* the CPU it is pinned to, or -1 */
	volatile int strayed; /* pinned, but seen on another CPU */
	volatile int started;
	volatile uint64_t total; /* loops, wherever */
	volatile uint64_t runs[CONFIG_MAX_CPUS];
};

static void spin(void *arg)
{
	struct spinner *s = arg;

	s->started = 1;
	while (!*s->stop) {
		unsigned c = cpu_id();

		s->runs[c]++;
		s->total++;
		if (s->pin >= 0 && c != (unsigned)s->pin)
			s->strayed = 1;
	}
}

static void spinner_init(struct spinner *s, volatile int *stop, int pin)
{
	memset((void *)s, 0, sizeof(*s));
	s->stop = stop;
	s->pin = pin;
}

static void wait_started(struct spinner *s)
{
	while (!s->started)
		thread_sleep_ns(MS);
}

/*
 * Free pages once every CPU's caches are given back: threads are freed on
 * whichever CPU they end, and mm_free_pages_settled() settles only its
 * own CPU's magazines, so visit each CPU in turn (pinned), then let go.
 */
static uint64_t free_pages_everywhere(void)
{
	uint64_t pages = 0;

	for (unsigned c = 0; c < nr_cpus; c++) {
		thread_set_affinity(thread_current(), (int)c);
		pages = mm_free_pages_settled();
	}
	thread_set_affinity(thread_current(), -1);
	return pages;
}

static unsigned spinner_count(void)
{
	return MIN(2 * nr_cpus, MAX_SPINNERS);
}

/* Largest minus smallest number of threads per CPU. */
static unsigned spread_gap(struct thread **th, unsigned n)
{
	unsigned per[CONFIG_MAX_CPUS] = { 0 }, lo = ~0u, hi = 0;

	for (unsigned i = 0; i < n; i++)
		per[thread_cpu(th[i])]++;
	for (unsigned c = 0; c < nr_cpus; c++) {
		lo = MIN(lo, per[c]);
		hi = MAX(hi, per[c]);
	}
	return hi - lo;
}

/*
 * 2 x CPUs CPU-bound threads made on one CPU and then let go end up spread
 * evenly (within one) in bounded time, and each CPU runs some.
 */
TEST(balance, threads_spread_from_one_cpu)
{
	static struct spinner sp[MAX_SPINNERS];
	struct thread *th[MAX_SPINNERS];
	volatile int stop = 0;
	unsigned n = spinner_count();
	int home = (int)cpu_id();
	uint64_t alive = sched_threads_alive(), pages = free_pages_everywhere();

	for (unsigned i = 0; i < n; i++) {
		spinner_init(&sp[i], &stop, -1);
		EXPECT_EQ(t, thread_create_on(home, "spinner", spin, &sp[i], &th[i]), 0);
	}
	for (unsigned i = 0; i < n; i++) {
		EXPECT_EQ(t, thread_cpu(th[i]), home);
		EXPECT_EQ(t, thread_set_affinity(th[i], -1), 0);
	}
	uint64_t t0 = clock_ns(), took = 0;
	bool spread = false;

	while (!spread && clock_ns() - t0 < 3000 * MS) {
		spread = spread_gap(th, n) <= 1;
		took = clock_ns() - t0;
		thread_sleep_ns(2 * MS);
	}
	EXPECT_TRUE(t, spread);

	/* And they run where they are queued: every CPU makes progress on them. */
	uint64_t before[CONFIG_MAX_CPUS] = { 0 }, after[CONFIG_MAX_CPUS] = { 0 };

	for (unsigned i = 0; i < n; i++)
		for (unsigned c = 0; c < nr_cpus; c++)
			before[c] += sp[i].runs[c];
	thread_sleep_ns(200 * MS);
	for (unsigned i = 0; i < n; i++)
		for (unsigned c = 0; c < nr_cpus; c++)
			after[c] += sp[i].runs[c];
	for (unsigned c = 0; c < nr_cpus; c++)
		EXPECT_GT(t, after[c], before[c]);
	stop = 1;
	for (unsigned i = 0; i < n; i++)
		EXPECT_EQ(t, thread_join(th[i]), 0);
	kprintf("balance.spread: %u threads from CPU %d over %u CPUs in %llu us\n", n, home,
		nr_cpus, (unsigned long long)(took / 1000));
	EXPECT_EQ(t, sched_threads_alive(), alive);
	EXPECT_GE(t, free_pages_everywhere() + MM_CACHE_SLACK_PAGES, pages);
}

/*
 * A thread waiting behind a busy pinned thread is taken by a CPU that goes
 * idle, with the periodic balance off so that only stealing can move it.
 */
TEST(balance, idle_cpu_steals_a_waiting_thread)
{
	static struct spinner hog, victim;
	struct thread *h, *v;
	volatile int stop = 0;
	struct sched_balance_counts c0, c1;
	const unsigned busy = 1;

	if (nr_cpus < 2)
		return;
	sched_balance_periodic = false;
	EXPECT_EQ(t, thread_set_affinity(thread_current(), 0), 0);
	spinner_init(&hog, &stop, (int)busy);
	spinner_init(&victim, &stop, -1);
	EXPECT_EQ(t, thread_create_on((int)busy, "hog", spin, &hog, &h), 0);
	wait_started(&hog);
	/* Queued behind the hog (same priority: no preemption), then let go. */
	EXPECT_EQ(t, thread_create_on((int)busy, "victim", spin, &victim, &v), 0);
	sched_balance_counts(&c0);
	EXPECT_EQ(t, thread_set_affinity(v, -1), 0);

	/* Each sleep makes this CPU idle, and its idle thread looks for work. */
	uint64_t t0 = clock_ns(), elsewhere = 0;

	while (!elsewhere && clock_ns() - t0 < 3000 * MS) {
		thread_sleep_ns(MS);
		for (unsigned c = 0; c < nr_cpus; c++)
			elsewhere += c == busy ? 0 : victim.runs[c];
	}
	sched_balance_counts(&c1);
	EXPECT_GT(t, elsewhere, 0);
	EXPECT_GT(t, c1.steals, c0.steals);
	EXPECT_EQ(t, c1.pushes, c0.pushes);
	EXPECT_EQ(t, hog.strayed, 0);
	stop = 1;
	thread_join(h);
	thread_join(v);
	sched_balance_periodic = true;
	EXPECT_EQ(t, thread_set_affinity(thread_current(), -1), 0);
	kprintf("balance.steal: taken after %llu us\n",
		(unsigned long long)((clock_ns() - t0) / 1000));
}

/* Sleeps and checks, each time it wakes, that it is on its CPU. */
struct pinned_sleeper {
	int pin;
	int rounds;
	volatile int strayed;
};

static void sleep_pinned(void *arg)
{
	struct pinned_sleeper *p = arg;

	for (int i = 0; i < p->rounds; i++) {
		thread_sleep_ns(200000);
		if (cpu_id() != (unsigned)p->pin)
			p->strayed = 1;
	}
}

/* Threads pinned to one CPU stay there while the other CPUs sit idle. */
TEST(balance, pinned_threads_never_move)
{
	static struct spinner sp[MAX_SPINNERS];
	static struct pinned_sleeper ps[2];
	struct thread *th[MAX_SPINNERS], *sl[2];
	volatile int stop = 0;
	unsigned n = spinner_count();
	int pin = (int)nr_cpus - 1;

	for (unsigned i = 0; i < n; i++) {
		spinner_init(&sp[i], &stop, pin);
		EXPECT_EQ(t, thread_create_on(pin, "pinned", spin, &sp[i], &th[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		ps[i] = (struct pinned_sleeper){ pin, 20, 0 };
		EXPECT_EQ(t, thread_create_on(pin, "pinned-sleeper", sleep_pinned, &ps[i], &sl[i]),
			  0);
	}
	for (int round = 0; round < 15; round++) {
		thread_sleep_ns(10 * MS);
		for (unsigned i = 0; i < n; i++)
			EXPECT_EQ(t, thread_cpu(th[i]), pin);
	}
	for (int i = 0; i < 2; i++) {
		thread_join(sl[i]);
		EXPECT_EQ(t, ps[i].strayed, 0);
	}
	stop = 1;
	for (unsigned i = 0; i < n; i++) {
		thread_join(th[i]);
		EXPECT_EQ(t, sp[i].strayed, 0);
		EXPECT_EQ(t, sp[i].total, sp[i].runs[pin]);
	}
}

struct sleeper {
	volatile int asleep;
	volatile unsigned woke_on;
	volatile uint64_t slept;
};

static void sleep_20ms(void *arg)
{
	struct sleeper *s = arg;
	uint64_t t0 = clock_ns();

	s->asleep = 1;
	thread_sleep_ns(20 * MS);
	s->slept = clock_ns() - t0;
	s->woke_on = cpu_id();
}

/*
 * thread_set_affinity(): the caller moves itself and goes on there; a
 * sleeping thread moves with its deadline; a thread running on another
 * CPU cannot be moved from outside.
 */
TEST(balance, set_affinity_moves_and_pins)
{
	struct thread *me = thread_current();

	EXPECT_EQ(t, thread_set_affinity(me, (int)nr_cpus), -EINVAL);
	EXPECT_EQ(t, thread_set_affinity(me, -2), -EINVAL);
	for (unsigned round = 0; round < 2 * nr_cpus; round++) {
		int c = (int)(round % nr_cpus);

		EXPECT_EQ(t, thread_set_affinity(me, c), 0);
		EXPECT_EQ(t, cpu_id(), c);
		EXPECT_EQ(t, thread_cpu(me), c);
		thread_yield();
		EXPECT_EQ(t, cpu_id(), c); /* pinned: it stays */
	}
	if (nr_cpus >= 2) {
		static struct sleeper s;
		static struct spinner hog;
		volatile int stop = 0;
		struct thread *sl, *h;

		EXPECT_EQ(t, thread_set_affinity(me, 0), 0);
		s = (struct sleeper){ 0, ~0u, 0 };
		EXPECT_EQ(t, thread_create_on(0, "sleeper", sleep_20ms, &s, &sl), 0);
		while (!s.asleep)
			thread_sleep_ns(MS);
		thread_sleep_ns(2 * MS);
		EXPECT_EQ(t, thread_set_affinity(sl, 1), 0);
		EXPECT_EQ(t, thread_cpu(sl), 1);
		thread_join(sl);
		EXPECT_EQ(t, s.woke_on, 1);
		EXPECT_GE(t, s.slept, 20 * MS);

		spinner_init(&hog, &stop, 1);
		EXPECT_EQ(t, thread_create_on(1, "hog", spin, &hog, &h), 0);
		wait_started(&hog);
		EXPECT_EQ(t, thread_set_affinity(h, 0), -EBUSY);
		EXPECT_EQ(t, thread_cpu(h), 1);
		EXPECT_EQ(t, thread_set_affinity(h, -1), 0);
		EXPECT_EQ(t, thread_set_affinity(h, 1), 0); /* where it is: just pinned */
		stop = 1;
		thread_join(h);
		EXPECT_EQ(t, hog.strayed, 0);
	}
	EXPECT_EQ(t, thread_set_affinity(me, -1), 0);
}

/*
 * A mask of several CPUs: threads made on CPU 0 spread over CPUs 0 and 1
 * only (with 4 CPUs, 2 and 3 stay idle for them); a mask naming no CPU
 * that exists is refused.
 */
TEST(balance, mask_keeps_threads_within_it)
{
	static struct spinner sp[4];
	struct thread *th[4];
	struct cpumask m;
	volatile int stop = 0;
	unsigned inside = MIN(nr_cpus, 2u);

	cpumask_zero(&m);
	cpumask_set(&m, nr_cpus); /* not a CPU here */
	EXPECT_EQ(t, thread_set_affinity_mask(thread_current(), &m), -EINVAL);
	cpumask_zero(&m);
	for (unsigned c = 0; c < inside; c++)
		cpumask_set(&m, c);
	for (unsigned i = 0; i < 4; i++) {
		spinner_init(&sp[i], &stop, -1);
		EXPECT_EQ(t, thread_create_on(0, "masked", spin, &sp[i], &th[i]), 0);
		EXPECT_EQ(t, thread_set_affinity_mask(th[i], &m), 0);
	}
	uint64_t t0 = clock_ns();
	bool spread = false;

	while (!spread && clock_ns() - t0 < 3000 * MS) {
		unsigned on0 = 0;

		for (unsigned i = 0; i < 4; i++)
			on0 += thread_cpu(th[i]) == 0;
		spread = on0 == 4 / inside;
		thread_sleep_ns(2 * MS);
	}
	EXPECT_TRUE(t, spread);
	thread_sleep_ns(50 * MS);
	stop = 1;
	for (unsigned i = 0; i < 4; i++) {
		EXPECT_EQ(t, thread_join(th[i]), 0);
		for (unsigned c = inside; c < nr_cpus; c++)
			EXPECT_EQ(t, sp[i].runs[c], 0);
	}
}

/* Waits for *go, then pins itself to *go - 1 and spins. */
struct mover {
	struct spinner s;
	volatile int go;
};

static void move_then_spin(void *arg)
{
	struct mover *m = arg;

	while (!m->go && !*m->s.stop)
		;
	if (m->go)
		thread_set_affinity(thread_current(), m->go - 1);
	spin(&m->s);
}

/*
 * A thread that moves to a CPU where another has run alone for a while
 * shares it evenly: its vruntime is rebased onto the new queue, so that it
 * neither starves behind the other nor keeps the CPU until it catches up.
 */
TEST(balance, moved_thread_gets_its_share)
{
	static struct spinner a;
	static struct mover b;
	struct thread *ta, *tb;
	volatile int stop = 0;

	if (nr_cpus < 2)
		return;
	EXPECT_EQ(t, thread_set_affinity(thread_current(), 0), 0);
	spinner_init(&a, &stop, 1);
	spinner_init(&b.s, &stop, 1);
	b.go = 0;
	EXPECT_EQ(t, thread_create_on(1, "alone", spin, &a, &ta), 0);
	thread_sleep_ns(60 * MS); /* its vruntime, and its queue's, grow meanwhile */
	EXPECT_EQ(t, thread_create_on(0, "mover", move_then_spin, &b, &tb), 0);
	thread_sleep_ns(5 * MS);
	b.go = 2; /* to CPU 1 */
	while (!b.s.started)
		thread_sleep_ns(MS);
	thread_sleep_ns(10 * MS);
	uint64_t a0 = a.total, b0 = b.s.total;

	thread_sleep_ns(200 * MS);
	uint64_t da = a.total - a0, db = b.s.total - b0;

	stop = 1;
	thread_join(ta);
	thread_join(tb);
	EXPECT_EQ(t, thread_set_affinity(thread_current(), -1), 0);
	kprintf("balance.share: the thread that was there %llu%%, the one that moved in %llu%%\n",
		(unsigned long long)(da * 100 / (da + db + 1)),
		(unsigned long long)(db * 100 / (da + db + 1)));
	EXPECT_EQ(t, b.s.strayed, 0);
	EXPECT_GE(t, da * 4, da + db); /* each at least a quarter; even is a half */
	EXPECT_GE(t, db * 4, da + db);
}

/*
 * The stress: pairs of threads play ping-pong through semaphores and every
 * so often pin themselves to a random CPU and let go again; bursty threads
 * load the CPUs unevenly, so the periodic balance and idle stealing move
 * threads all the time; the boot thread makes and ends threads meanwhile.
 * Every round trip must complete (a lost wake-up hangs the case) and no
 * thread may be seen off the CPU it pinned itself to.
 */
#define STRESS_ROUNDS 1500

struct pair {
	struct semaphore ping, pong;
	volatile uint64_t count;
	volatile int strayed;
	uint32_t seed;
};

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void stress_ponger(void *arg)
{
	struct pair *p = arg;

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		sem_down(&p->ping);
		p->count++;
		sem_up(&p->pong);
	}
}

static void stress_pinger(void *arg)
{
	struct pair *p = arg;
	struct thread *me = thread_current();

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		if (i % 64 == 0) {
			int c = (int)(next_rand(&p->seed) % nr_cpus);

			thread_set_affinity(me, c);
			if (cpu_id() != (unsigned)c)
				p->strayed = 1;
		} else if (i % 64 == 32) {
			thread_set_affinity(me, -1);
		}
		sem_up(&p->ping);
		sem_down(&p->pong);
	}
	thread_set_affinity(me, -1);
}

static void bursty(void *arg)
{
	volatile int *stop = arg;

	for (int i = 0; !*stop; i++) {
		delay_ns(400000);
		if (i % 5 == 4)
			thread_yield();
		else
			thread_sleep_ns(200000 + (uint64_t)(i % 3) * 100000);
	}
}

static void short_lived(void *arg)
{
	uintptr_t n = (uintptr_t)arg;

	if (n % 3 == 0)
		thread_sleep_ns(50000 + n * 1000);
	else if (n % 3 == 1)
		thread_yield();
}

TEST(balance, stress_loses_no_wakeup)
{
	static struct pair pairs[8];
	struct thread *pinger[8], *ponger[8], *burst[MAX_SPINNERS];
	volatile int stop = 0;
	unsigned np = MIN(MAX(2u, nr_cpus), 8u), nb = MIN(nr_cpus, (unsigned)MAX_SPINNERS);
	uint64_t alive = sched_threads_alive(), pages = free_pages_everywhere();
	struct sched_balance_counts c0, c1;
	struct lockdep_counts l0, l1;
	unsigned churned = 0;

	sched_balance_counts(&c0);
	lockdep_counts(&l0);
	for (unsigned i = 0; i < nb; i++)
		EXPECT_EQ(t, thread_create("bursty", bursty, (void *)&stop, &burst[i]), 0);
	for (unsigned i = 0; i < np; i++) {
		struct pair *p = &pairs[i];

		sem_init(&p->ping, 0, "stress-ping");
		sem_init(&p->pong, 0, "stress-pong");
		p->count = 0;
		p->strayed = 0;
		p->seed = 2463534242u + i * 7919u;
		EXPECT_EQ(t, thread_create("ponger", stress_ponger, p, &ponger[i]), 0);
		EXPECT_EQ(t, thread_create("pinger", stress_pinger, p, &pinger[i]), 0);
	}
	/* Churn until the pairs are done: threads made, ended, joined or detached. */
	for (bool done = false; !done; churned += 8) {
		struct thread *sh[8];

		for (uintptr_t i = 0; i < 8; i++)
			EXPECT_EQ(t,
				  thread_create("short", short_lived, (void *)(churned + i),
						&sh[i]),
				  0);
		for (int i = 0; i < 8; i++) {
			if (i % 4 == 0)
				thread_detach(sh[i]);
			else
				thread_join(sh[i]);
		}
		done = true;
		for (unsigned i = 0; i < np; i++)
			done = done && pairs[i].count == STRESS_ROUNDS;
		thread_sleep_ns(MS);
	}
	for (unsigned i = 0; i < np; i++) {
		thread_join(pinger[i]);
		thread_join(ponger[i]);
		EXPECT_EQ(t, pairs[i].count, STRESS_ROUNDS);
		EXPECT_EQ(t, pairs[i].strayed, 0);
	}
	stop = 1;
	for (unsigned i = 0; i < nb; i++)
		thread_join(burst[i]);
	sched_balance_counts(&c1);
	lockdep_counts(&l1);
	kprintf("balance.stress: %u pairs x %d round trips, %u threads churned; moves: %llu "
		"steals, %llu pushes, %llu by affinity\n",
		np, STRESS_ROUNDS, churned, (unsigned long long)(c1.steals - c0.steals),
		(unsigned long long)(c1.pushes - c0.pushes),
		(unsigned long long)(c1.affinity - c0.affinity));
	if (nr_cpus >= 2)
		EXPECT_GT(t, c1.steals + c1.pushes, c0.steals + c0.pushes);
	EXPECT_EQ(t, l1.inversions, l0.inversions);
	EXPECT_EQ(t, l1.nesting, l0.nesting);
	EXPECT_EQ(t, l1.sleep_in_atomic, l0.sleep_in_atomic);
	/* Detached threads are freed once off their CPU: one more join reaps them. */
	thread_sleep_ns(2 * MS);
	struct thread *last;

	EXPECT_EQ(t, thread_create("last", short_lived, (void *)1, &last), 0);
	thread_join(last);
	EXPECT_EQ(t, sched_threads_alive(), alive);
	EXPECT_GE(t, free_pages_everywhere() + MM_CACHE_SLACK_PAGES, pages);
}
