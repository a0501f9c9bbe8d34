/*
 * Signals: sending, delivery to handlers on the way back to ring 3,
 * rt_sigreturn, the calls that wait for a signal, and the default actions
 * (the calls that set actions and masks or send are in sys_signal.c).
 *
 * A fault in the application (signal_fault) becomes SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE or SIGTRAP for the faulting thread.  Without a handler the
 * process ends the way Linux ends it, with status 128 + the signal, and
 * Osprey says why on the console: the signal, the faulting address and the
 * instruction.
 *
 * The frame a handler gets is Linux's rt_sigframe: the return address (the
 * sa_restorer that libc gives, which calls rt_sigreturn), a ucontext whose
 * mcontext holds every register, the siginfo, and the FXSAVE image of the
 * FPU, which the handler may change before it returns.
 *
 * Signals are checked on every return to ring 3 (signal_exit_work).
 *
 * Interrupted waits.  A wait that a signal may end marks its thread
 * (signal_wait_begin: lt->sigwaiting), so that signal_send wakes it rather
 * than only kicking it, and stops when signal_interrupts() says a signal is
 * pending that the thread will act on: one it does not block whose action
 * is a handler or the end of the program (an ignored one, or one whose
 * default is to do nothing, never interrupts).  The waits: nanosleep,
 * sigsuspend, pause, sigtimedwait (signal_sleep), poll and select
 * (sys_poll.c), futex waits (sys_proc.c), and the reads and writes of
 * pipes and of the console (kernel/fs, through vfs_set_intr_ops).  No
 * wake-up is lost: the sender sets the pending bit, fences, then reads
 * sigwaiting; the waiter sets sigwaiting and its BLOCKED state, fences,
 * then reads the pending bits; one of the two sees the other.
 *
 * Restarting.  A call that a signal interrupted before it did anything
 * returns a restart code, as on Linux, and signal_exit_work() decides
 * (syscall_restart): if a handler is about to run, -ERESTARTSYS becomes
 * EINTR unless the handler has SA_RESTART, -ERESTARTNOHAND always becomes
 * EINTR, and -ERESTARTNOINTR is restarted; with no handler to run (the
 * signal went to another thread, or was ignored after all) every code is
 * restarted.  To restart, rax gets the call's number back and rip goes back
 * over the 2-byte SYSCALL instruction, so the program makes the call again
 * with the same arguments, after its handler if one ran.
 */
#include <string.h>

#include <osprey/cmdline.h>
#include <osprey/log.h>
#include <osprey/percpu.h>
#include <osprey/time.h>

#include "internal.h"
#include "sigabi.h"

/* One per signal: the default action and the name --strace and reports show. */
static const struct {
	const char *name;
	const char *text;
	bool ignore; /* default action: nothing */
} sigs[LINUX_NSIG + 1] = {
	[SIGHUP] = { "SIGHUP", "hangup", false },
	[SIGINT] = { "SIGINT", "interrupt", false },
	[SIGQUIT] = { "SIGQUIT", "quit", false },
	[SIGILL] = { "SIGILL", "illegal instruction", false },
	[SIGTRAP] = { "SIGTRAP", "trace/breakpoint trap", false },
	[SIGABRT] = { "SIGABRT", "aborted", false },
	[SIGBUS] = { "SIGBUS", "bus error", false },
	[SIGFPE] = { "SIGFPE", "floating point exception", false },
	[SIGKILL] = { "SIGKILL", "killed", false },
	[SIGUSR1] = { "SIGUSR1", "user defined signal 1", false },
	[SIGSEGV] = { "SIGSEGV", "segmentation fault", false },
	[12] = { "SIGUSR2", "user defined signal 2", false },
	[SIGPIPE] = { "SIGPIPE", "broken pipe", false },
	[14] = { "SIGALRM", "alarm clock", false },
	[15] = { "SIGTERM", "terminated", false },
	[16] = { "SIGSTKFLT", "stack fault", false },
	[SIGCHLD] = { "SIGCHLD", "child exited", true },
	[SIGCONT] = { "SIGCONT", "continued", true },
	[SIGSTOP] = { "SIGSTOP", "stopped", true },
	[SIGTSTP] = { "SIGTSTP", "stopped", true },
	[SIGTTIN] = { "SIGTTIN", "stopped (tty input)", true },
	[SIGTTOU] = { "SIGTTOU", "stopped (tty output)", true },
	[SIGURG] = { "SIGURG", "urgent I/O condition", true },
	[SIGXCPU] = { "SIGXCPU", "CPU time limit exceeded", false },
	[SIGXFSZ] = { "SIGXFSZ", "file size limit exceeded", false },
	[26] = { "SIGVTALRM", "virtual timer expired", false },
	[27] = { "SIGPROF", "profiling timer expired", false },
	[SIGWINCH] = { "SIGWINCH", "window changed", true },
	[29] = { "SIGIO", "I/O possible", false },
	[30] = { "SIGPWR", "power failure", false },
	[SIGSYS] = { "SIGSYS", "bad system call", false },
};

static __noreturn void die(int sig, const struct trap_frame *tf, uint64_t addr, bool fault)
{
	const char *name = sig <= LINUX_NSIG && sigs[sig].name ? sigs[sig].name :
								 "a real-time signal";

	if (fault) {
		uint8_t insn[8] = { 0 };

		copy_from_user(insn, tf->rip, sizeof(insn));
		kprintf("osprey: %s killed by %s (%s) at address 0x%llx, instruction at 0x%llx "
			"(%02x %02x %02x %02x %02x %02x %02x %02x)\n",
			proc_current()->exe, name, sigs[sig].text, (unsigned long long)addr,
			(unsigned long long)tf->rip, insn[0], insn[1], insn[2], insn[3], insn[4],
			insn[5], insn[6], insn[7]);
	} else if (sig != SIGKILL && boot_options.verbose) {
		kprintf("osprey: %s killed by %s\n", proc_current()->exe, name);
	}
	linux_exit_group(128 + sig);
}

/*
 * Marks sig pending and makes sure the target notices: a thread in a wait
 * that a signal ends (sigwaiting) is woken, a thread running on another
 * CPU is kicked into the kernel, where its way back to ring 3 takes it.
 * A standard signal already pending is not queued twice (its first
 * siginfo stays), as on Linux.
 */
int signal_send(struct process *p, int tid, int sig, const struct ksiginfo *info)
{
	struct lthread *lt = NULL;

	if (sig < 0 || sig > LINUX_NSIG)
		return -EINVAL;
	spin_lock(&p->lock);
	if (tid && !(lt = lthread_find(p, tid))) {
		spin_unlock(&p->lock);
		return -ESRCH;
	}
	if (!sig) { /* only asks whether the target exists */
		spin_unlock(&p->lock);
		return 0;
	}
	uint64_t *pending = lt ? &lt->pending : &p->pending;
	struct ksiginfo *slot = lt ? &lt->info[sig - 1] : &p->info[sig - 1];

	if (!(*pending & BIT(sig))) {
		*pending |= BIT(sig);
		*slot = *info;
	}
	/* seq_cst: the pending bit before sigwaiting is read; pairs with the waiter's fence. */
	atomic_thread_fence(memory_order_seq_cst);
	/*
	 * Under p->lock: a listed thread has not exited (lthread_exit() takes
	 * it off the list first), so its struct thread is alive.
	 * thread_wake only changes a BLOCKED thread: one marked sigwaiting
	 * (signal_wait_begin) is in a wait that asks signal_interrupts() after
	 * each wake-up and sleeps again if this signal does not end it; any
	 * other sleeper is left alone.
	 */
	for (struct list *l = p->threads.next; l != &p->threads; l = l->next) {
		struct lthread *t = list_entry(l, struct lthread, link);

		if ((lt && t != lt) || !t->t)
			continue;
		if (__atomic_load_n(&t->sigwaiting, __ATOMIC_ACQUIRE))
			thread_wake(t->t);
		else
			thread_kick(t->t);
	}
	spin_unlock(&p->lock);
	return 0;
}

/*
 * The next signal lt may take (not blocked; or, with want, one of want
 * whether blocked or not), removed from the pending sets with its info; 0
 * if none.
 */
static int dequeue_set(struct lthread *lt, uint64_t want, struct ksiginfo *info)
{
	struct process *p = lt->proc;
	uint64_t ready;
	int sig = 0;

	spin_lock(&p->lock);
	ready = (lt->pending | p->pending) & (want ? want : ~(lt->sigmask & ~UNBLOCKABLE));
	if (ready) {
		sig = __builtin_ctzll(ready) + 1;
		if (lt->pending & BIT(sig)) {
			lt->pending &= ~BIT(sig);
			*info = lt->info[sig - 1];
		} else {
			p->pending &= ~BIT(sig);
			*info = p->info[sig - 1];
		}
	}
	spin_unlock(&p->lock);
	return sig;
}

/* A signal in want is pending, blocked or not. */
static bool deliverable(struct lthread *lt, uint64_t want)
{
	uint64_t pend = __atomic_load_n(&lt->pending, __ATOMIC_RELAXED) |
			__atomic_load_n(&lt->proc->pending, __ATOMIC_RELAXED);

	return pend & want;
}

bool signal_interrupts(struct lthread *lt, uint64_t also_blocked)
{
	struct process *p = lt->proc;
	uint64_t blocked = __atomic_load_n(&lt->sigmask, __ATOMIC_RELAXED) | also_blocked;
	uint64_t ready = (__atomic_load_n(&lt->pending, __ATOMIC_RELAXED) |
			  __atomic_load_n(&p->pending, __ATOMIC_RELAXED)) &
			 ~(blocked & ~UNBLOCKABLE);

	while (ready) {
		int sig = __builtin_ctzll(ready) + 1;
		uint64_t handler = __atomic_load_n(&p->actions[sig - 1].handler, __ATOMIC_RELAXED);

		ready &= ready - 1;
		if (sig == SIGKILL)
			return true;
		if (handler == SIG_DFL ? !sigs[sig].ignore : handler != SIG_IGN)
			return true;
	}
	return false;
}

bool signal_stop(void *lt)
{
	return signal_interrupts(lt, 0);
}

void signal_wait_begin(struct lthread *lt)
{
	/* seq_cst: the mark before the waiter's loads of the pending sets; pairs with signal_send's fence. */
	__atomic_store_n(&lt->sigwaiting, true, __ATOMIC_SEQ_CST);
}

void signal_wait_end(struct lthread *lt)
{
	__atomic_store_n(&lt->sigwaiting, false, __ATOMIC_RELAXED);
}

/* The VFS's side (struct vfs_intr_ops): only application threads are interrupted. */
static bool vfs_begin(void)
{
	if (!thread_current()->ustate)
		return false;
	signal_wait_begin(lthread_current());
	return true;
}

static bool vfs_pending(void *arg)
{
	(void)arg;
	return thread_current()->ustate && signal_interrupts(lthread_current(), 0);
}

static void vfs_end(void)
{
	signal_wait_end(lthread_current());
}

static const struct vfs_intr_ops vfs_intr = { vfs_begin, vfs_pending, vfs_end };

void signal_init(void)
{
	vfs_set_intr_ops(&vfs_intr);
}

/*
 * Sleeps until a signal in want (0: any unblocked one) is pending, or ns
 * pass (0: no limit).  The BLOCKED state is set before the check, so a
 * signal_send between the check and the sleep wakes it (no lost wake-up).
 * Returns false on time-out.
 */
bool signal_sleep(struct lthread *lt, uint64_t want, uint64_t ns)
{
	uint64_t end = ns ? clock_ns() + ns : 0;

	for (;;) {
		__atomic_store_n(&lt->sigwaiting, true, __ATOMIC_RELAXED);
		thread_block_prepare();
		/* seq_cst: sigwaiting before the pending sets are read; pairs with signal_send's. */
		atomic_thread_fence(memory_order_seq_cst);
		if (want ? deliverable(lt, want) : signal_interrupts(lt, 0)) {
			thread_block_cancel();
			break;
		}
		uint64_t now = clock_ns();

		if (end && now >= end) {
			thread_block_cancel();
			__atomic_store_n(&lt->sigwaiting, false, __ATOMIC_RELAXED);
			return false;
		}
		thread_block_timeout(end ? end - now : 0);
	}
	__atomic_store_n(&lt->sigwaiting, false, __ATOMIC_RELAXED);
	return true;
}

static int deliver(struct lthread *lt, struct trap_frame *tf, int sig, const struct k_sigaction *ka,
		   const struct ksiginfo *si, uint64_t addr)
{
	uint8_t fx[512] __attribute__((aligned(16)));
	struct rt_sigframe f;
	uint64_t sp = tf->rsp - 128, fp; /* below the red zone */

	if (!(ka->flags & SA_RESTORER))
		return -EFAULT; /* nowhere to return to */
	if ((ka->flags & SA_ONSTACK) && lt->altstack.size && !(lt->altstack.flags & SS_DISABLE) &&
	    !on_altstack(lt, tf->rsp))
		sp = lt->altstack.sp + lt->altstack.size;
	fp = ALIGN_DOWN(sp - 512, 64);
	sp = ALIGN_DOWN(fp - sizeof(f), 16) - 8;

	memset(&f, 0, sizeof(f));
	f.pretcode = ka->restorer;
	f.uc.stack.sp = lt->altstack.sp;
	f.uc.stack.size = lt->altstack.size;
	f.uc.stack.flags = lt->altstack.size ? (on_altstack(lt, tf->rsp) ? SS_ONSTACK : 0) :
					       SS_DISABLE;
	f.uc.mc = (struct linux_sigcontext){
		.r8 = tf->r8,
		.r9 = tf->r9,
		.r10 = tf->r10,
		.r11 = tf->r11,
		.r12 = tf->r12,
		.r13 = tf->r13,
		.r14 = tf->r14,
		.r15 = tf->r15,
		.rdi = tf->rdi,
		.rsi = tf->rsi,
		.rbp = tf->rbp,
		.rbx = tf->rbx,
		.rdx = tf->rdx,
		.rax = tf->rax,
		.rcx = tf->rcx,
		.rsp = tf->rsp,
		.rip = tf->rip,
		.eflags = tf->rflags,
		.cs = USER_CS,
		.ss = USER_DS,
		.err = tf->vector < 32 ? tf->error : 0,
		.trapno = tf->vector < 32 ? tf->vector : 0,
		.oldmask = lt->sigmask,
		.cr2 = addr,
		.fpstate = fp,
	};
	f.uc.sigmask = lt->sigmask;
	f.info.signo = sig;
	f.info.code = si->code;
	if (si->code > 0 && si->code != SI_KERNEL) {
		f.info.addr = addr; /* a fault */
	} else {
		f.info.kill.pid = si->pid;
		f.info.kill.uid = 0;
		memcpy(f.info.bytes + 8, &si->value, sizeof(si->value));
	}
	arch_fpu_save(fx);
	if (copy_to_user(fp, fx, 512) || copy_to_user(sp, &f, sizeof(f)))
		return -EFAULT;

	spin_lock(&lt->proc->lock);
	lt->sigmask |= ka->mask | (ka->flags & SA_NODEFER ? 0 : BIT(sig));
	lt->sigmask &= ~UNBLOCKABLE;
	if (ka->flags & SA_RESETHAND)
		lt->proc->actions[sig - 1].handler = SIG_DFL;
	spin_unlock(&lt->proc->lock);

	/* The handler starts with a clean FPU, as on Linux. */
	struct user_state clean;

	arch_user_state_init(&clean);
	arch_fpu_restore(clean.fpu);
	tf->rdi = (uint64_t)sig;
	tf->rsi = sp + offsetof(struct rt_sigframe, info);
	tf->rdx = sp + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rsp = sp;
	tf->rip = ka->handler;
	tf->rflags &= ~0x400ull; /* DF clear, as the ABI requires at a call */
	tf->vector = 0;		 /* return by IRETQ: rcx and r11 are the handler's too */
	return 0;
}

/*
 * A system call that returns a restart code (see the top), on its way back
 * to ring 3: ka is the action whose handler is about to run, NULL when
 * none will.  Changes nothing for any other frame or result.
 */
static void syscall_restart(struct trap_frame *tf, const struct k_sigaction *ka)
{
	if (tf->vector != VEC_SYSCALL)
		return;
	switch ((long)tf->rax) {
	case -ERESTARTSYS:
		if (ka && !(ka->flags & SA_RESTART)) {
			tf->rax = (uint64_t)-EINTR;
			return;
		}
		break;
	case -ERESTARTNOHAND:
		if (ka) {
			tf->rax = (uint64_t)-EINTR;
			return;
		}
		break;
	case -ERESTARTNOINTR:
		break;
	default:
		return;
	}
	tf->rax = lthread_current()->syscall_nr;
	tf->rip -= 2; /* back to the SYSCALL instruction (0f 05) */
}

/* Acts on sig for the running thread; returns when the program goes on. */
static void act(struct trap_frame *tf, int sig, const struct ksiginfo *si, bool fault)
{
	uint64_t addr = fault ? si->value : 0;

	struct lthread *lt = lthread_current();
	struct k_sigaction ka;

	spin_lock(&lt->proc->lock);
	ka = lt->proc->actions[sig - 1];
	spin_unlock(&lt->proc->lock);
	if (sig == SIGKILL || sig == SIGSTOP)
		ka.handler = SIG_DFL;
	if (ka.handler == SIG_IGN && !fault)
		return;
	if (ka.handler == SIG_DFL || ka.handler == SIG_IGN) {
		if (sigs[sig].ignore && !fault)
			return;
		die(sig, tf, addr, fault);
	}
	/* The handler's frame holds the registers the call goes on with. */
	syscall_restart(tf, &ka);
	if (deliver(lt, tf, sig, &ka, si, addr))
		die(fault ? sig : SIGSEGV, tf, addr, true);
}

void signal_fault(struct trap_frame *tf, uint64_t addr)
{
	struct lthread *lt = lthread_current();
	int sig, code = 0;

	switch (tf->vector) {
	case VEC_PF:
		sig = SIGSEGV;
		code = tf->error & 1 ? SEGV_ACCERR : SEGV_MAPERR;
		break;
	case VEC_DE:
	case 16:
	case 19:
		sig = SIGFPE;
		code = 1;
		break;
	case VEC_UD:
		sig = SIGILL;
		code = 1;
		break;
	case VEC_BP:
	case VEC_DB:
		sig = SIGTRAP;
		code = 1;
		break;
	case 17:
		sig = SIGBUS;
		code = 1;
		break;
	default:
		sig = SIGSEGV;
		code = 0x80; /* SI_KERNEL: a general protection fault */
		break;
	}
	/* A blocked fault signal cannot wait: Linux kills the process. */
	if (lt->sigmask & BIT(sig))
		die(sig, tf, addr, true);
	struct ksiginfo info = { code, 0, addr };

	__asm__ volatile("sti" ::: "memory");
	act(tf, sig, &info, true);
	__asm__ volatile("cli" ::: "memory");
}

void signal_exit_work(struct trap_frame *tf)
{
	struct lthread *lt = lthread_current();

	for (;;) {
		if (this_cpu()->need_resched) {
			__asm__ volatile("sti" ::: "memory");
			schedule();
			__asm__ volatile("cli" ::: "memory");
			continue;
		}
		if (unlikely(__atomic_load_n(&lt->affinity_changed, __ATOMIC_RELAXED))) {
			__asm__ volatile("sti" ::: "memory");
			lthread_affinity_work(lt);
			__asm__ volatile("cli" ::: "memory");
			continue;
		}
		if (!(__atomic_load_n(&lt->pending, __ATOMIC_RELAXED) |
		      __atomic_load_n(&lt->proc->pending, __ATOMIC_RELAXED)))
			break;
		__asm__ volatile("sti" ::: "memory");
		struct ksiginfo info;
		int sig = dequeue_set(lt, 0, &info);

		if (sig)
			act(tf, sig, &info, false);
		__asm__ volatile("cli" ::: "memory");
		if (!sig)
			break;
	}
	/*
	 * An interrupted call for which no handler ran (the signal went to
	 * another thread, or is ignored now): it is made again.  After a
	 * handler's frame the vector is no longer VEC_SYSCALL: nothing to do.
	 */
	syscall_restart(tf, NULL);
}

long sys_rt_sigreturn(void)
{
	struct lthread *lt = lthread_current();
	struct trap_frame *tf = user_regs();
	uint8_t fx[512] __attribute__((aligned(16)));
	struct linux_ucontext uc;
	uint64_t frame = tf->rsp - 8; /* the handler's ret popped pretcode */

	if (copy_from_user(&uc, frame + offsetof(struct rt_sigframe, uc), sizeof(uc)))
		goto bad;
	if (uc.mc.fpstate) {
		if (copy_from_user(fx, uc.mc.fpstate, 512))
			goto bad;
		arch_fpu_restore(fx);
	}
	const struct linux_sigcontext *m = &uc.mc;

	tf->r8 = m->r8, tf->r9 = m->r9, tf->r10 = m->r10, tf->r11 = m->r11;
	tf->r12 = m->r12, tf->r13 = m->r13, tf->r14 = m->r14, tf->r15 = m->r15;
	tf->rdi = m->rdi, tf->rsi = m->rsi, tf->rbp = m->rbp, tf->rbx = m->rbx;
	tf->rdx = m->rdx, tf->rax = m->rax, tf->rcx = m->rcx, tf->rsp = m->rsp;
	tf->rip = m->rip;
	tf->rflags = (tf->rflags & ~RFLAGS_USER_MASK) | (m->eflags & RFLAGS_USER_MASK);
	tf->vector = 0; /* every register restored: leave by IRETQ */
	spin_lock(&lt->proc->lock);
	lt->sigmask = uc.sigmask & ~UNBLOCKABLE;
	spin_unlock(&lt->proc->lock);
	return (long)tf->rax;
bad:
	die(SIGSEGV, tf, frame, true);
}

/* Waits with mask in place for a signal it lets through, which is then taken; always EINTR. */
static long suspend(struct lthread *lt, uint64_t mask)
{
	struct trap_frame *tf = user_regs();
	struct ksiginfo info;
	uint64_t old;
	int sig;

	spin_lock(&lt->proc->lock);
	old = lt->sigmask;
	lt->sigmask = mask & ~UNBLOCKABLE;
	spin_unlock(&lt->proc->lock);
	signal_sleep(lt, 0, 0);
	sig = dequeue_set(lt, 0, &info);
	spin_lock(&lt->proc->lock);
	lt->sigmask = old;
	spin_unlock(&lt->proc->lock);
	if (sig) {
		/* The handler's frame saves the old mask: sigreturn restores it. */
		tf->rax = (uint64_t)-EINTR;
		act(tf, sig, &info, false);
	}
	return -EINTR;
}

long sys_rt_sigsuspend(long set_p, long size)
{
	uint64_t set;

	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, (uintptr_t)set_p, 8))
		return -EFAULT;
	return suspend(lthread_current(), set);
}

long sys_pause(void)
{
	return suspend(lthread_current(), lthread_current()->sigmask);
}

long sys_rt_sigtimedwait(long set_p, long info_p, long ts_p, long size)
{
	struct lthread *lt = lthread_current();
	struct ksiginfo ki;
	uint64_t set, ns = 0;
	int64_t ts[2];
	int sig;

	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, (uintptr_t)set_p, 8))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (ts_p) {
		if (copy_from_user(ts, (uintptr_t)ts_p, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
			return -EINVAL;
		ns = (uint64_t)MIN(ts[0], 1ll << 32) * 1000000000ull + (uint64_t)ts[1];
	}
	if (!set)
		return -EINVAL;
	if (!(ts_p && !ns) && !signal_sleep(lt, set, ns))
		return -EAGAIN;
	sig = dequeue_set(lt, set, &ki);
	if (!sig)
		return ts_p ? -EAGAIN : -EINTR;
	if (info_p) {
		struct linux_siginfo si;

		memset(&si, 0, sizeof(si));
		si.signo = sig;
		si.code = ki.code;
		si.kill.pid = ki.pid;
		memcpy(si.bytes + 8, &ki.value, sizeof(ki.value));
		if (copy_to_user((uintptr_t)info_p, &si, sizeof(si)))
			return -EFAULT;
	}
	return sig;
}
