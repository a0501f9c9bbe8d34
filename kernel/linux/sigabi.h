/*
 * The Linux x86-64 signal ABI that kernel/linux/signal.c (delivery,
 * rt_sigreturn, waits) and sys_signal.c (actions, masks, sending) share:
 * signal numbers and flags, siginfo, the sigcontext and the rt_sigframe a
 * handler gets.  Only those two files include it.
 */
#ifndef OSPREY_LINUX_SIGABI_H
#define OSPREY_LINUX_SIGABI_H

#include "internal.h"

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGPIPE 13
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGWINCH 28
#define SIGSYS 31

#define SA_SIGINFO 0x4
#define SA_RESTART 0x10000000
#define SA_ONSTACK 0x08000000
#define SA_RESTORER 0x04000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

#define SEGV_MAPERR 1
#define SEGV_ACCERR 2

#define SIG_DFL 0
#define SIG_IGN 1

#define BIT(sig) (1ull << ((sig)-1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))

struct linux_siginfo {
	int32_t signo, errno_, code, pad;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
		} kill;
		uint64_t addr;
		uint8_t bytes[112];
	};
};

struct linux_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved[8];
};

struct linux_ucontext {
	uint64_t flags;
	uint64_t link;
	struct {
		uint64_t sp;
		int32_t flags;
		int32_t pad;
		uint64_t size;
	} stack;
	struct linux_sigcontext mc;
	uint64_t sigmask;
};

struct rt_sigframe {
	uint64_t pretcode;
	struct linux_ucontext uc;
	struct linux_siginfo info;
};

static_assert(sizeof(struct linux_siginfo) == 128, "siginfo layout");
static_assert(sizeof(struct linux_sigcontext) == 256, "sigcontext layout");
static_assert(offsetof(struct rt_sigframe, uc.mc) == 48, "rt_sigframe layout");

/* Is sp on lt's alternate signal stack? */
static inline bool on_altstack(const struct lthread *lt, uint64_t sp)
{
	return lt->altstack.size && sp > lt->altstack.sp &&
	       sp - lt->altstack.sp <= lt->altstack.size;
}

#endif
