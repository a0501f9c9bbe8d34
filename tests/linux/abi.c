/*
 * tests/linux/abi.c: the Linux ABI from a program's side.  Built static
 * with musl and with glibc, run in the guest by `make check-linux` (and
 * runnable on the host, where it must pass too).  Prints one PASS or FAIL
 * line per check and exits 0 only when all pass.
 *
 * Usage: abi ARG1 ARG2   (the runner passes "one" "two words" and HOME=/home/osprey)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failed;

static void check(int ok, const char *name)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", name);
	failed += !ok;
}

static sigjmp_buf jb;
static volatile sig_atomic_t got_sig, got_code;
static volatile void *got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	siglongjmp(jb, 1);
}

static void on_usr1(int sig)
{
	got_sig = sig;
}

static volatile int on_alt;
static char altstack[65536];

static void on_usr2(int sig)
{
	char here;

	(void)sig;
	on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
}

static int fault_at(volatile char *p, int write)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	got_sig = 0;
	if (!sigsetjmp(jb, 1)) {
		if (write)
			*p = 1;
		else
			(void)*p;
	}
	signal(SIGSEGV, SIG_DFL);
	return got_sig == SIGSEGV && got_addr == (void *)p;
}

static void *thread_fn(void *arg)
{
	return (void *)((intptr_t)arg * 2);
}

static volatile int spin_cpu = -1, spin_stop;

static void *spinner(void *arg)
{
	(void)arg;
	while (!spin_stop)
		spin_cpu = sched_getcpu();
	return NULL;
}

static void *report_cpu(void *arg)
{
	cpu_set_t m;

	*(int *)arg = sched_getaffinity(0, sizeof(m), &m) == 0 && CPU_COUNT(&m) == 1 ?
			      sched_getcpu() :
			      -1;
	return NULL;
}

/* Does t, spinning, reach cpu within 2 s after its mask is set to cpu alone? */
static int moves_to(pthread_t t, int cpu)
{
	cpu_set_t m;
	struct timespec ms = { 0, 1000000 };

	CPU_ZERO(&m);
	CPU_SET(cpu, &m);
	if (pthread_setaffinity_np(t, sizeof(m), &m))
		return 0;
	for (int i = 0; i < 2000; i++) {
		/* a few readings in a row: it stays there */
		int stays = spin_cpu == cpu;

		nanosleep(&ms, NULL);
		if (stays && spin_cpu == cpu)
			return 1;
	}
	return 0;
}

/*
 * FUTEX_WAIT_BITSET's deadline is absolute, on CLOCK_REALTIME with
 * FUTEX_CLOCK_REALTIME (what sem_timedwait and pthread_cond_timedwait
 * use): it ends no earlier than the deadline and not long after, and one
 * already past ends at once.
 */
static void futex_realtime_deadline(void)
{
	int word = 0;
	struct timespec at, t0, t1;
	const int bitset_rt = 9 | 128 | 256; /* WAIT_BITSET | PRIVATE | CLOCK_REALTIME */

	clock_gettime(CLOCK_REALTIME, &at);
	at.tv_nsec += 20000000;
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long r = syscall(SYS_futex, &word, bitset_rt, 0, &at, NULL, -1);
	int e = errno;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	long waited = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	check(r == -1 && e == ETIMEDOUT && waited < 2000000000L &&
		      (now.tv_sec > at.tv_sec ||
		       (now.tv_sec == at.tv_sec && now.tv_nsec >= at.tv_nsec)),
	      "futex_realtime_deadline");
	at.tv_sec -= 10;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = syscall(SYS_futex, &word, bitset_rt, 0, &at, NULL, -1);
	e = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	check(r == -1 && e == ETIMEDOUT && waited < 100000000L, "futex_realtime_deadline_past");
}

/*
 * Each thread's SSE registers are its own across switches: two threads on
 * one CPU yield to each other between steps of a computation held in
 * registers, and sleep now and then (a thread that wakes on a CPU nobody
 * else used keeps its registers without a reload).
 */
/* A system call with x kept in %xmm8 across it: the kernel must give it back. */
static double syscall_keeping(double x, long nr, long a0, long a1)
{
	register double r __asm__("xmm8") = x;
	register long rdi __asm__("rdi") = a0, rsi __asm__("rsi") = a1;

	__asm__ volatile("syscall"
			 : "+a"(nr), "+x"(r), "+r"(rdi), "+r"(rsi)
			 :
			 : "rcx", "r11", "memory");
	return r;
}

static void *fpu_worker(void *arg)
{
	double seed = *(double *)arg, x = seed;
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 400; i++) {
		x = syscall_keeping(x * 1.0001 + seed, SYS_sched_yield, 0, 0);
		if (i % 100 == 0)
			x = syscall_keeping(x, SYS_nanosleep, (long)&ms, 0);
	}
	*(double *)arg = x;
	return NULL;
}

static double fpu_expected(double seed)
{
	double x = seed;

	for (int i = 0; i < 400; i++)
		x = x * 1.0001 + seed;
	return x;
}

static void fpu_switches(void)
{
	double v[2] = { 3.0, 7.0 };
	pthread_t t[2];
	cpu_set_t one, all;

	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one); /* the threads inherit it: both on this CPU */
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, fpu_worker, &v[i]);
	sched_setaffinity(0, sizeof(all), &all);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	check(v[0] == fpu_expected(3.0) && v[1] == fpu_expected(7.0), "fpu_state_per_thread");
}

/* sched_setaffinity moves the caller, a new thread inherits it, another thread is moved. */
static void affinity(void)
{
	cpu_set_t all, one, got;
	int last = -1, child = -2;
	pthread_t t;

	check(sched_getaffinity(0, sizeof(all), &all) == 0 && CPU_COUNT(&all) >= 1, "getaffinity");
	for (int i = 0; i < CPU_SETSIZE; i++)
		last = CPU_ISSET(i, &all) ? i : last;
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	check(sched_setaffinity(0, sizeof(one), &one) == 0 && sched_getcpu() == last,
	      "setaffinity_moves_caller");
	check(sched_getaffinity(0, sizeof(got), &got) == 0 && CPU_EQUAL(&got, &one),
	      "getaffinity_reports_mask");
	pthread_create(&t, NULL, report_cpu, &child);
	pthread_join(t, NULL);
	check(child == last, "new_thread_inherits_affinity");
	CPU_ZERO(&one);
	CPU_SET(CPU_SETSIZE - 1, &one);
	check(sched_setaffinity(0, sizeof(one), &one) == -1 && errno == EINVAL,
	      "setaffinity_no_cpu_einval");
	check(sched_setaffinity(0, sizeof(all), &all) == 0, "setaffinity_all");
	if (CPU_COUNT(&all) < 2) {
		printf("SKIP affinity_moves_other_thread: one CPU\n");
		return;
	}
	spin_stop = 0;
	pthread_create(&t, NULL, spinner, NULL);
	check(moves_to(t, 0) && moves_to(t, last) && moves_to(t, 0),
	      "setaffinity_moves_running_thread");
	spin_stop = 1;
	pthread_join(t, NULL);
}

/* CPU time: the CPU-time clocks, getrusage and times count time on a CPU, not wall time. */
#define MS 1000000ll

static long long ns_of(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts))
		return -1;
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static long long rusage_ns(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return -1;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ll +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ll;
}

static long times_ticks(void)
{
	struct tms t;

	return times(&t) == (clock_t)-1 ? -1 : (long)(t.tms_utime + t.tms_stime);
}

/*
 * The time this thread has waited for a CPU while runnable, where the
 * system tells (Linux's /proc/thread-self/schedstat, second field); 0
 * where it does not (Osprey: in the guest a vCPU the host deschedules still
 * counts as running, so a spinning thread never waits there).  On a busy
 * host, wall time the thread spent waiting is not CPU time it could get.
 */
static long long run_wait_ns(void)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	unsigned long long run = 0, wait = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return (long long)wait;
}

static void spin_for(long long ns)
{
	long long t0 = ns_of(CLOCK_MONOTONIC);

	while (ns_of(CLOCK_MONOTONIC) - t0 < ns)
		;
}

static volatile int cpu_spinners, cpu_stop;

/* Spins until cpu_stop; the time it waited for a CPU meanwhile in *arg, when asked. */
static void *cpu_spinner(void *arg)
{
	long long w0 = run_wait_ns();

	__atomic_fetch_add(&cpu_spinners, 1, __ATOMIC_SEQ_CST);
	while (!cpu_stop)
		;
	if (arg)
		*(long long *)arg = run_wait_ns() - w0;
	return NULL;
}

static void *cpu_sleeper(void *arg)
{
	struct timespec req = { 0, 50 * MS };
	long long c0 = ns_of(CLOCK_THREAD_CPUTIME_ID);

	nanosleep(&req, NULL);
	*(long long *)arg = ns_of(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

/* Process CPU time over ~100 ms of wall time with two threads spinning, each on its CPU. */
static int two_spinners_outrun_the_clock(int cpu0, int cpu1)
{
	struct timespec req = { 0, 100 * MS };
	pthread_t t[2];
	cpu_set_t m;
	long long w0, c0, w1, c1, c2, waited[2] = { 0, 0 };

	cpu_spinners = cpu_stop = 0;
	for (int i = 0; i < 2; i++) {
		pthread_create(&t[i], NULL, cpu_spinner, &waited[i]);
		CPU_ZERO(&m);
		CPU_SET(i ? cpu1 : cpu0, &m);
		pthread_setaffinity_np(t[i], sizeof(m), &m);
	}
	while (cpu_spinners < 2)
		sched_yield();
	w0 = ns_of(CLOCK_MONOTONIC);
	c0 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
	nanosleep(&req, NULL);
	c1 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
	w1 = ns_of(CLOCK_MONOTONIC);
	cpu_stop = 1;
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	c2 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
	printf("cputime: two spinners, process CPU %lld us in %lld us (waited for a CPU %lld us)\n",
	       (c1 - c0) / 1000, (w1 - w0) / 1000, (waited[0] + waited[1]) / 1000);
	/* Exited threads' time stays counted: the process clock does not go back. */
	if (c2 < c1)
		return 0;
	if (c1 - c0 > (w1 - w0) * 6 / 5)
		return 1;
	/* A busy host did not give two CPUs at once: nothing to compare (the caller skips). */
	return waited[0] + waited[1] > (w1 - w0) * 2 / 5 ? -1 : 0;
}

static void cputime(void)
{
	struct timespec res, res2;
	long long best = 0, gained = 0, slept = -1, r0, r1, rt0, rt1, c0, c1;
	long k0, k1;
	clockid_t cid;
	pthread_t t;
	cpu_set_t m;

	check(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res) == 0 && res.tv_sec == 0 &&
		      res.tv_nsec == 1 && clock_getres(CLOCK_THREAD_CPUTIME_ID, &res2) == 0 &&
		      res2.tv_sec == 0 && res2.tv_nsec == 1,
	      "cputime_resolution_1ns");
	/*
	 * A spinning thread's clock follows the wall clock.  The best of up to
	 * ten: on the host (not in the guest, where a descheduled vCPU's time
	 * still counts) other work may take the CPU for a while.
	 */
	r0 = rusage_ns(RUSAGE_SELF);
	rt0 = rusage_ns(RUSAGE_THREAD);
	k0 = times_ticks();
	for (int i = 0; i < 10 && (best < 30 * MS || gained < 30 * MS); i++) {
		long long wait0 = run_wait_ns();

		c0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
		spin_for(50 * MS);
		c1 = ns_of(CLOCK_THREAD_CPUTIME_ID);
		gained += c1 - c0;
		/* the time the host kept it waiting for a CPU did not count: add it back */
		c1 += run_wait_ns() - wait0;
		best = c1 - c0 > best ? c1 - c0 : best;
	}
	r1 = rusage_ns(RUSAGE_SELF);
	rt1 = rusage_ns(RUSAGE_THREAD);
	k1 = times_ticks();
	printf("cputime: spinning 50 ms, thread CPU %lld us\n", best / 1000);
	check(best >= 30 * MS, "thread_cputime_counts_spinning");
	/* As much as the clock gained, give or take how each rounds. */
	check(r0 >= 0 && gained >= 30 * MS && r1 - r0 >= gained / 2, "getrusage_self_grows");
	check(rt0 >= 0 && gained >= 30 * MS && rt1 - rt0 >= gained / 2, "getrusage_thread_grows");
	check(k0 >= 0 && k1 > k0, "times_grows");
	/* A sleeping thread's does not (the monotonic clock would give 50 ms). */
	pthread_create(&t, NULL, cpu_sleeper, &slept);
	pthread_join(t, NULL);
	printf("cputime: sleeping 50 ms, thread CPU %lld us\n", slept / 1000);
	check(slept >= 0 && slept < 10 * MS, "thread_cputime_not_sleeping");
	/* Another thread's clock (pthread_getcpuclockid): it spins while this one sleeps. */
	cpu_spinners = cpu_stop = 0;
	pthread_create(&t, NULL, cpu_spinner, NULL);
	while (cpu_spinners < 1)
		sched_yield();
	check(pthread_getcpuclockid(t, &cid) == 0 && clock_getres(cid, &res) == 0, "getcpuclockid");
	c0 = ns_of(cid);
	struct timespec req = { 0, 50 * MS };
	nanosleep(&req, NULL);
	c1 = ns_of(cid);
	cpu_stop = 1;
	pthread_join(t, NULL);
	printf("cputime: another thread's clock %lld us while sleeping 50 ms\n", (c1 - c0) / 1000);
	check(c0 >= 0 && c1 - c0 >= 10 * MS, "other_thread_cpuclock_advances");
	check(clock_getcpuclockid(0, &cid) == 0 && ns_of(cid) >= 0, "process_cpuclock");
	check(ns_of(CLOCK_PROCESS_CPUTIME_ID) >= best, "process_cputime_includes_threads");
	/* Two CPUs' worth of time in one wall-clock interval. */
	if (sched_getaffinity(0, sizeof(m), &m) || CPU_COUNT(&m) < 2) {
		printf("SKIP process_cputime_two_cpus: one CPU\n");
		return;
	}
	int cpu0 = -1, cpu1 = -1, ok = 0;
	for (int i = 0; i < CPU_SETSIZE && cpu1 < 0; i++) {
		if (CPU_ISSET(i, &m)) {
			cpu1 = cpu0 >= 0 ? i : -1;
			cpu0 = cpu0 >= 0 ? cpu0 : i;
		}
	}
	for (int i = 0; i < 5 && ok <= 0; i++)
		ok = two_spinners_outrun_the_clock(cpu0, cpu1);
	if (ok < 0)
		printf("SKIP process_cputime_two_cpus: the host kept the threads waiting for a CPU\n");
	else
		check(ok, "process_cputime_two_cpus");
}

int main(int argc, char **argv)
{
	check(argc == 3 && !strcmp(argv[1], "one") && !strcmp(argv[2], "two words"), "argv");
	check(getenv("HOME") && !strcmp(getenv("HOME"), "/home/osprey"), "environment");
	check(getauxval(AT_PAGESZ) == 4096, "auxv_pagesz");
	check(getauxval(AT_RANDOM) != 0, "auxv_random");
	check(getauxval(AT_SYSINFO_EHDR) != 0, "auxv_vdso");
	check(((uintptr_t)__builtin_frame_address(0) & 0xf) == 0, "stack_aligned");

	struct utsname u;
	check(uname(&u) == 0 && !strcmp(u.sysname, "Linux") && !strcmp(u.machine, "x86_64"),
	      "uname");

	/* Memory: brk, mmap, mprotect to PROT_NONE faults, munmap faults. */
	/* The raw call: musl's sbrk() refuses to move the break. */
	char *b0 = (char *)syscall(SYS_brk, 0), *b1 = b0;
	check((char *)syscall(SYS_brk, b0 + (1 << 20)) == b0 + (1 << 20), "brk_grows");
	memset(b1, 0x5a, 1 << 20);
	check(b1[(1 << 20) - 1] == 0x5a, "brk_memory");
	size_t len = 16 * 4096;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(m != MAP_FAILED && m[0] == 0 && m[len - 1] == 0, "mmap_zeroed");
	memset(m, 7, len);
	check(mprotect(m + 4096, 4096, PROT_NONE) == 0, "mprotect_none");
	check(fault_at(m + 4096, 0), "prot_none_read_faults");
	check(mprotect(m + 4096, 4096, PROT_READ) == 0 && m[4096] == 7, "prot_restored_keeps_data");
	check(fault_at(m + 4096, 1) && got_code == SEGV_ACCERR, "readonly_write_faults");
	check(munmap(m + 8192, 4096) == 0, "munmap");
	check(fault_at(m + 8192, 0) && got_code == SEGV_MAPERR, "unmapped_faults");
	char *r = mremap(m, 4096, 8 * 4096, MREMAP_MAYMOVE);
	check(r != MAP_FAILED && r[0] == 7 && r[8 * 4096 - 1] == 0, "mremap_grows");
	check(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 12345, 0) == MAP_FAILED && errno == EBADF,
	      "mmap_bad_fd");
	check(munmap((void *)1, 4096) == -1 && errno == EINVAL, "munmap_unaligned");

	/* Errors come back as errno, not crashes. */
	check(syscall(SYS_write, 1, (void *)8, 10) == -1 && errno == EFAULT,
	      "write_bad_pointer_efault");
	check(syscall(SYS_getppid) >= 0, "getppid");
	check(syscall(999) == -1 && errno == ENOSYS, "unknown_syscall_enosys");
	/* Osprey: no processes yet, a clear ENOSYS.  Linux: a child that leaves at once. */
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	check(child == -1 ? errno == ENOSYS : child > 0, "fork_enosys_or_child");

	/* Time. */
	struct timespec t0, t1, res, req = { 0, 2000000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 2000000,
	      "nanosleep_sleeps");
	/* A handled signal ends a sleep early: EINTR and the time left. */
	struct sigaction alrm = { 0 };
	struct timespec longer = { 5, 0 }, left = { 0, 0 };
	alrm.sa_handler = on_usr1;
	sigaction(SIGALRM, &alrm, NULL);
	alarm(1);
	check(nanosleep(&longer, &left) == -1 && errno == EINTR && left.tv_sec >= 3,
	      "nanosleep_ended_by_signal");
	check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0,
	      "clock_getres");
	check(clock_gettime(12345, &t0) == -1 && errno == EINVAL, "clock_bad_id");
	cputime();

	/* Limits and identity. */
	struct rlimit rl;
	check(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 3, "getrlimit");
	check(getpid() == getpid() && getuid() == 0 && gettid() == getpid(), "ids");

	/* Signals: a handler, a blocked signal delivered on unblock, an alternate stack. */
	sigset_t set, old;
	signal(SIGUSR1, on_usr1);
	got_sig = 0;
	raise(SIGUSR1);
	check(got_sig == SIGUSR1, "signal_handler");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	got_sig = 0;
	raise(SIGUSR1);
	int blocked_ok = got_sig == 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	check(blocked_ok && got_sig == SIGUSR1, "signal_blocked_then_delivered");
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { 0 };
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_ONSTACK;
	check(sigaltstack(&ss, NULL) == 0 && sigaction(SIGUSR2, &sa, NULL) == 0, "sigaltstack");
	raise(SIGUSR2);
	check(on_alt, "handler_on_altstack");
	signal(SIGPIPE, SIG_IGN);
	check(raise(SIGPIPE) == 0, "ignored_signal");

	/* Threads. */
	pthread_t th[8];
	intptr_t sum = 0;
	for (intptr_t i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, thread_fn, (void *)i);
	for (int i = 0; i < 8; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		sum += (intptr_t)ret;
	}
	check(sum == 56, "threads_join");
	affinity();

	/* Floating point survives system calls and signals. */
	volatile double x = 1.0;
	for (int i = 0; i < 20; i++) {
		x *= 1.5;
		raise(SIGUSR1);
	}
	check(x > 3325.25 && x < 3325.26, "fpu_state_kept");
	futex_realtime_deadline();
	fpu_switches();

	printf("%s\n", failed ? "SOME FAILED" : "ALL PASSED");
	return failed ? 1 : 0;
}
