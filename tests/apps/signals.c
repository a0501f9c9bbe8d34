/*
 * Signals: sigaction handlers for SIGUSR1 sent by raise, kill(getpid()),
 * pthread_kill and sigqueue; sigprocmask blocking, sigpending, delivery on
 * unblock; SA_SIGINFO with si_signo, si_code and si_value; SA_RESETHAND;
 * sigsuspend; sigwait for a signal sent by another thread; alarm(); a
 * SIGSEGV handler that siglongjmps out of a write through NULL; a handler
 * on an alternate stack (sigaltstack); SIGPIPE ignored.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "apps.h"

static volatile sig_atomic_t usr1, usr2, alrm;
static volatile int last_signo, last_code, last_value;
static volatile uintptr_t last_addr;

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2++;
}

static void on_alrm(int sig)
{
	(void)sig;
	alrm++;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	last_signo = sig == si->si_signo ? si->si_signo : -1;
	last_code = si->si_code;
	last_value = si->si_value.sival_int;
	usr1++;
}

static const char *code_name(int code)
{
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_TKILL:
		return "SI_TKILL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SEGV_MAPERR:
		return "SEGV_MAPERR";
	default:
		return "other";
	}
}

static sigjmp_buf segv_jump;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	last_signo = sig;
	last_code = si->si_code;
	last_addr = (uintptr_t)si->si_addr;
	siglongjmp(segv_jump, 1);
}

static char *alt_base;
static size_t alt_size;
static volatile int on_alt;

static void on_alt_handler(int sig)
{
	char local;
	stack_t now;

	(void)sig;
	on_alt = (&local >= alt_base && &local < alt_base + alt_size) ? 1 : 2;
	if (sigaltstack(NULL, &now) == 0 && (now.ss_flags & SS_ONSTACK))
		on_alt |= 4;
}

static void *send_usr2(void *arg)
{
	(void)arg;
	usleep(20000);
	kill(getpid(), SIGUSR2);
	return NULL;
}

static void install(int sig, void (*h)(int), int flags)
{
	struct sigaction sa = { .sa_handler = h, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL)) {
		printf("FAIL: sigaction %d: %s\n", sig, errno_name(errno));
		apps_status = 1;
	}
}

int main(void)
{
	struct sigaction sa, old;
	sigset_t set, pending, none;
	pthread_t t;
	int sig = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&none);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;

	/* Three ways to send SIGUSR1 to ourselves. */
	install(SIGUSR1, on_usr1, 0);
	CHECK("raise(SIGUSR1) returns 0", raise(SIGUSR1) == 0);
	printf("handler ran after raise: %d\n", (int)usr1);
	CHECK("kill(getpid(), SIGUSR1)", kill(getpid(), SIGUSR1) == 0);
	printf("handler ran after kill: %d\n", (int)usr1);
	CHECK("pthread_kill(self, SIGUSR1)", pthread_kill(pthread_self(), SIGUSR1) == 0);
	printf("handler ran after pthread_kill: %d\n", (int)usr1);
	CHECK("kill(getpid(), 0) probes", kill(getpid(), 0) == 0);
	EXPECT_ERRNO("kill with signal 999", kill(getpid(), 999), EINVAL);

	/* The old action comes back from sigaction. */
	memset(&old, 0, sizeof(old));
	install(SIGUSR1, on_usr1, SA_RESTART);
	CHECK("sigaction returns the old handler", sigaction(SIGUSR1, NULL, &old) == 0 &&
							   old.sa_handler == on_usr1 &&
							   (old.sa_flags & SA_RESTART));

	/* Blocked: pending, not delivered; delivered once unblocked. */
	install(SIGUSR2, on_usr2, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK("block SIGUSR2", sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	raise(SIGUSR2);
	raise(SIGUSR2); /* standard signals do not queue */
	printf("delivered while blocked: %d\n", (int)usr2);
	CHECK("sigpending shows SIGUSR2",
	      sigpending(&pending) == 0 && sigismember(&pending, SIGUSR2) == 1);
	CHECK("unblock SIGUSR2", sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
	printf("delivered after unblock: %d\n", (int)usr2);
	CHECK("nothing pending now",
	      sigpending(&pending) == 0 && sigismember(&pending, SIGUSR2) == 0);
	CHECK("SIGKILL cannot be caught", sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL);

	/* SA_SIGINFO */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	kill(getpid(), SIGUSR1);
	printf("SA_SIGINFO kill: si_signo %s, si_code %s\n",
	       last_signo == SIGUSR1 ? "SIGUSR1" : "wrong", code_name(last_code));
	raise(SIGUSR1);
	printf("SA_SIGINFO raise: si_signo %s, si_code %s\n",
	       last_signo == SIGUSR1 ? "SIGUSR1" : "wrong", code_name(last_code));
	{
		union sigval v = { .sival_int = 4242 };

		CHECK("sigqueue", sigqueue(getpid(), SIGUSR1, v) == 0);
		printf("SA_SIGINFO sigqueue: si_code %s, si_value %d\n", code_name(last_code),
		       last_value);
	}

	/* SA_RESETHAND: one delivery, then the default action is back. */
	install(SIGUSR2, on_usr2, SA_RESETHAND);
	raise(SIGUSR2);
	CHECK("SA_RESETHAND resets to SIG_DFL",
	      sigaction(SIGUSR2, NULL, &old) == 0 && old.sa_handler == SIG_DFL);
	printf("SIGUSR2 handled in all: %d\n", (int)usr2);

	/* sigsuspend: blocked, raised, then delivered inside sigsuspend. */
	install(SIGUSR1, on_usr1, 0);
	usr1 = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	EXPECT_ERRNO("sigsuspend returns", sigsuspend(&none), EINTR);
	printf("delivered in sigsuspend: %d\n", (int)usr1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	/* sigwait for a signal another thread sends to the process. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&t, NULL, send_usr2, NULL); /* inherits the mask */
	CHECK("sigwait", sigwait(&set, &sig) == 0);
	printf("sigwait got: %s\n", sig == SIGUSR2 ? "SIGUSR2" : "other");
	pthread_join(t, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	/* alarm */
	install(SIGALRM, on_alrm, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	CHECK("alarm(1) had none pending", alarm(1) == 0);
	sigsuspend(&none);
	printf("SIGALRM delivered: %d\n", (int)alrm);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	/* SIGSEGV from a write through NULL, and out with siglongjmp. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	last_signo = 0;
	if (sigsetjmp(segv_jump, 1) == 0) {
		*(volatile int *)(uintptr_t)0 = 1;
		printf("FAIL: the write through NULL did not fault\n");
		apps_status = 1;
	}
	printf("SIGSEGV caught: %s, si_code %s, si_addr is NULL: %s\n",
	       last_signo == SIGSEGV ? "yes" : "no",
	       last_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other", last_addr == 0 ? "yes" : "no");
	if (sigsetjmp(segv_jump, 1) == 0)
		*(volatile int *)(uintptr_t)0x1000 = 1;
	printf("second SIGSEGV (mask restored by siglongjmp): si_addr 0x1000: %s\n",
	       last_addr == 0x1000 ? "yes" : "no");

	/* sigaltstack */
	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	{
		stack_t ss = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0 }, cur;

		CHECK("sigaltstack", sigaltstack(&ss, NULL) == 0);
		CHECK("sigaltstack reads back",
		      sigaltstack(NULL, &cur) == 0 && cur.ss_sp == alt_base &&
			      cur.ss_size == alt_size && !(cur.ss_flags & SS_ONSTACK));
	}
	install(SIGUSR2, on_alt_handler, SA_ONSTACK);
	raise(SIGUSR2);
	printf("handler ran on the alternate stack: %s, SS_ONSTACK inside: %s\n",
	       (on_alt & 3) == 1 ? "yes" : "no", (on_alt & 4) ? "yes" : "no");
	install(SIGUSR2, on_alt_handler, 0);
	on_alt = 0;
	raise(SIGUSR2);
	printf("without SA_ONSTACK, on the normal stack: %s\n", (on_alt & 3) == 2 ? "yes" : "no");

	/* SIGPIPE ignored: EPIPE instead of death. */
	{
		int fds[2];

		install(SIGPIPE, SIG_IGN, 0);
		CHECK("pipe", pipe(fds) == 0);
		close(fds[0]);
		EXPECT_ERRNO("write to a pipe without reader", write(fds[1], "x", 1), EPIPE);
		close(fds[1]);
	}
	printf("signals: done\n");
	return apps_status;
}
