/*
 * What the files of the Linux ABI (kernel/linux/) share.
 *
 * A process is one address space, one descriptor table and the signal
 * actions; its threads are kernel threads with user state (struct lthread,
 * reached from thread_current()->ustate).  There is one process for now;
 * fork and exec come with a later issue.
 *
 * System call handlers are named sys_NAME, take their arguments as long
 * (the registers rdi, rsi, rdx, r10, r8, r9 in order) and return the
 * result or a negative errno, as Linux's do.  syscalls.def lists them.
 */
#ifndef LINUX_INTERNAL_H
#define LINUX_INTERNAL_H

#include <osprey/arch/trap.h>
#include <osprey/arch/user.h>
#include <osprey/kernel.h>
#include <osprey/list.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/spinlock.h>
#include <osprey/sync.h>
#include <osprey/vfs.h>
#include <osprey/vm.h>

#include "elf.h"

#define LINUX_NSIG 64
#define LINUX_PAGE 4096ul

/* errno values the VFS and kernel headers do not define (Linux's numbers). */
#define ESRCH 3
#define ENOEXEC 8
#define ECHILD 10
#define ENOTTY 25
#define EDOM 33
#define EOVERFLOW 75
/*
 * What a system call that a signal interrupted returns on its way to
 * signal_exit_work(), which turns it into EINTR or a restart (signal.c);
 * ERESTARTSYS (include/osprey/kernel.h) is the first of them.
 */
#define ERESTARTNOINTR 513	  /* restart, whatever the handler says */
#define ERESTARTNOHAND 514	  /* EINTR if a handler runs, else restart */
#define ERESTART_RESTARTBLOCK 516 /* unused: no restart_syscall yet */

/* An area the process mapped (mm.c), for placement and mremap. */
struct region {
	uintptr_t start, end;
	int prot; /* PROT_* */
};

/* What a pending signal carries into its siginfo. */
struct ksiginfo {
	int32_t code;	/* SI_USER, SI_TKILL, SI_QUEUE, SI_KERNEL */
	int32_t pid;	/* the sender */
	uint64_t value; /* sigqueue's si_value */
};

struct k_sigaction {
	uint64_t handler; /* SIG_DFL 0, SIG_IGN 1, or an address */
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/*
 * Lock legend:
 *   lock     [l]: the thread list, signal actions and shared pending set.
 *   mm_lock  [m]: brk and mmap placement (a sleeping lock: the work under it
 *            maps and copies memory); above as->lock.
 */
struct process {
	struct spinlock lock;
	struct mutex mm_lock;
	struct address_space *as; /* [i] */
	struct fdtable *files;	  /* [i] */
	int pid;		  /* [i] */
	uintptr_t brk_start;	  /* [m] end of the program's data, page aligned */
	uintptr_t brk;		  /* [m] the current break (byte granular) */
	uintptr_t mmap_base;	  /* [m] mappings go below this, top down */
	uintptr_t stack_top;	  /* [i] */
	uint64_t stack_size;	  /* [i] reserved below stack_top */
	/* [i] What exec laid out, for /proc/self (maps, cmdline, environ, auxv, stat). */
	struct elf_info elf; /* the program's headers */
	uint64_t load_bias;  /* added to its addresses (static-PIE) */
	uintptr_t vvar_base; /* the vDSO's data page; the image follows it */
	uintptr_t arg_start, arg_end, env_start, env_end; /* the strings on the stack */
	uintptr_t auxv_start;				  /* the auxiliary vector on the stack */
	size_t auxv_len;				  /* its bytes */
	struct region *regions;				  /* [m] sorted */
	int nregions, rcap;				  /* [m] */
	struct k_sigaction actions[LINUX_NSIG];		  /* [l] index signo - 1 */
	uint64_t pending;				  /* [l] signals sent to the process */
	struct ksiginfo info[LINUX_NSIG];		  /* [l] of each pending signal */
	struct thread *itimer;		     /* [l] the alarm/setitimer thread, made on first use */
	uint64_t itimer_at, itimer_every;    /* [l] clock_ns() deadline (0: off), interval */
	struct list threads;		     /* [l] struct lthread.link */
	int nthreads;			     /* [l] */
	uint64_t exited_cpu_ns;		     /* [l] CPU time of its threads that exited */
	_Atomic bool exiting;		     /* [a] exit_group ran */
	int exit_status;		     /* [l] the VM's exit status */
	struct waitq exited;		     /* the last thread is gone */
	char exe[256];			     /* [i] the program's path */
	uint64_t rlim_cur[16], rlim_max[16]; /* [l] getrlimit/setrlimit */
	uint64_t start_ns;		     /* [i] */
};

/* An application thread.  Lock legend: [t] only its own thread; [l] proc->lock. */
struct lthread {
	struct user_state us;		  /* first: thread->ustate points here */
	struct thread *t;		  /* [i] */
	struct process *proc;		  /* [i] */
	int tid;			  /* [i] */
	uintptr_t clear_child_tid;	  /* [t] set_tid_address / CLONE_CHILD_CLEARTID */
	uint64_t sigmask;		  /* [l] blocked signals */
	uint64_t pending;		  /* [l] signals sent to this thread */
	struct ksiginfo info[LINUX_NSIG]; /* [l] of each pending signal */
	bool sigwaiting;     /* [a] in a wait a signal ends: signal_send wakes it (signal.c) */
	uint64_t syscall_nr; /* [t] the system call in progress: what a restart makes again */
	struct {
		uintptr_t sp;
		int flags;
		size_t size;
	} altstack;		 /* [t] */
	uintptr_t robust_list;	 /* [t] */
	struct cpumask affinity; /* [l] sched_setaffinity's mask, as the program gave it */
	bool affinity_changed;	 /* [l] set by another thread: apply on the way back to ring 3 */
	struct list link;	 /* [l] in proc->threads */
	struct trap_frame start; /* [i] clone: the registers it starts with */
};

static inline struct lthread *lthread_current(void)
{
	return container_of(thread_current()->ustate, struct lthread, us);
}

static inline struct process *proc_current(void)
{
	return lthread_current()->proc;
}

/* The running thread's ring-3 registers. */
static inline struct trap_frame *user_regs(void)
{
	return user_frame(thread_current()->stack->top);
}

/* Copies from and to the application; 0 or -EFAULT. */
int copy_from_user(void *dst, uintptr_t src, size_t n);
int copy_to_user(uintptr_t dst, const void *src, size_t n);
/* A path or other string from the application: 0, -EFAULT or -ENAMETOOLONG. */
int strncpy_from_user(char *dst, uintptr_t src, size_t size);

/* process.c */
extern struct process *linux_proc;
void linux_exit_group(int status) __noreturn;
void linux_thread_exit(int status) __noreturn;
int lthread_create(struct process *p, struct lthread **out);
int lthread_start(struct lthread *lt);
/* Thread tid of p, or NULL.  Caller holds p->lock. */
struct lthread *lthread_find(struct process *p, int tid);
/*
 * The CPU time of p (its threads now on the list, and those that exited)
 * or of its thread tid (0: the caller), in ns; -EINVAL for no such thread.
 * Caller does not hold p->lock.
 */
uint64_t proc_cpu_ns(struct process *p);
int lthread_cpu_ns(struct process *p, int tid, uint64_t *ns);
/* The caller moves to the CPUs another thread set for it (sched_setaffinity). */
void lthread_affinity_work(struct lthread *lt);
/* The program's file name, without its folders (thread names, /proc comm). */
const char *linux_exe_name(const struct process *p);

/* exec.c: loads path into p's address space and builds its stack; the start registers into tf. */
int linux_exec(struct process *p, const char *path, char *const argv[], char *const envp[],
	       struct trap_frame *tf);

/* mm.c */
int linux_mm_init(struct process *p, uintptr_t brk_start);

/* procself.c: registers /proc/PID (include/osprey/procfs.h); argv and envp as exec gets them. */
void linux_procfs_init(char *const argv[], char *const envp[]);

/* signal.c */
void signal_fault(struct trap_frame *tf, uint64_t addr);
void signal_exit_work(struct trap_frame *tf);
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TKILL (-6)
/* Sends sig to thread lt, or to the process when lt is NULL, with its siginfo. */
/*
 * Sends sig to thread tid of p (0: to the process, any thread may take it);
 * sig 0 only checks that the thread exists.  -ESRCH: no such thread.
 */
int signal_send(struct process *p, int tid, int sig, const struct ksiginfo *info);

/*
 * Sleeps until a signal in want (0: any the thread does not block) is
 * pending, or ns pass (0: no limit); false on time-out.  What nanosleep and
 * the signal waits use: a signal ends such a sleep.
 */
bool signal_sleep(struct lthread *lt, uint64_t want, uint64_t ns);
/*
 * Whether a signal is pending that lt will act on when it returns to ring
 * 3: not blocked (by its mask, nor by also_blocked), and with a handler or
 * a default action that ends the program.  Atomic loads only: it is the
 * stop test of waits, run with the thread marked asleep.  signal_stop(lt)
 * is the same with nothing more blocked, in the shape stop tests take.
 */
bool signal_interrupts(struct lthread *lt, uint64_t also_blocked);
bool signal_stop(void *lt);
/*
 * Around a wait that signal_interrupts() may end: between the two,
 * signal_send wakes lt instead of only kicking it.  The wait must ask its
 * stop test after marking itself BLOCKED (thread_block_prepare and a
 * seq_cst fence), so that no signal is lost.
 */
void signal_wait_begin(struct lthread *lt);
void signal_wait_end(struct lthread *lt);
/* Lets the VFS's waits (pipes, the console) be interrupted; before the program starts. */
void signal_init(void);

/* syscall.c */
void linux_syscall(struct trap_frame *tf);
extern bool linux_strace;
extern uint64_t linux_enosys_count;

/* The handlers (syscalls.def), all with the same shape. */
#define SC(nr, name, args, status, note) long sys_##name();
#include "syscalls.def"
#undef SC

#endif
