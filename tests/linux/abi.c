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
	fpu_switches();

	printf("%s\n", failed ? "SOME FAILED" : "ALL PASSED");
	return failed ? 1 : 0;
}
