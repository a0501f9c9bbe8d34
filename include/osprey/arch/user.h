/*
 * Ring 3: what the Linux ABI (kernel/linux/) needs from the CPU.
 *
 * An application thread is a kernel thread with a struct user_state.  Its
 * user registers live in a struct trap_frame at the very top of its kernel
 * stack (user_frame()): SYSCALL and every interrupt or exception from ring 3
 * build it there, and the way back to ring 3 restores it.  The SYSCALL path
 * returns with SYSRET when the frame allows (tf->vector == VEC_SYSCALL, a
 * canonical lower-half rip); anything else (signal return, a new thread)
 * goes back through IRETQ, which restores every register.
 *
 * While a CPU runs kernel code, GS holds its struct cpu; the user's GS base
 * is parked in MSR_KERNEL_GS_BASE (SWAPGS on every entry from and exit to
 * ring 3), so nothing the application does to GS can reach the kernel.
 *
 * The kernel is built without SSE, so the application's FPU/SSE registers
 * stay in the CPU while it is in the kernel; they are saved (FXSAVE) when
 * the thread is switched out, and loaded (FXRSTOR) when it is switched in
 * unless the CPU's registers still hold exactly that image: the thread
 * last ran here and no other application thread has run here since (a
 * thread that blocks and wakes on an otherwise idle CPU).  The FS and GS
 * base MSRs are written only when they change.
 */
#ifndef OSPREY_ARCH_USER_H
#define OSPREY_ARCH_USER_H

#include <osprey/arch/layout.h>
#include <osprey/arch/trap.h>
#include <osprey/kernel.h>

#define USER_CS 0x2b
#define USER_DS 0x23
/* tf->vector of a frame built by SYSCALL: the fast SYSRET exit is allowed. */
#define VEC_SYSCALL 0x100
/* The lowest address that is not canonical in the lower half. */
#define USER_CANONICAL_END 0x0000800000000000ull

#define RFLAGS_IF 0x200ull
/* The flags an application may set: CF PF AF ZF SF TF DF OF AC ID (not IOPL, NT, VM...). */
#define RFLAGS_USER_MASK 0x254dd5ull

struct user_state {
	uint8_t fpu[512] __attribute__((aligned(16))); /* [t] FXSAVE area while switched out */
	uint64_t fs_base;			       /* [t] */
	uint64_t gs_base;			       /* [t] */
	/*
	 * [t] the CPU whose FPU registers were last loaded from or saved into
	 * fpu (-1: none): with that CPU's fpu_owner, says whether they still
	 * match the image.
	 */
	int fpu_cpu;
};

/* The ring-3 register frame of a thread whose kernel stack ends at top. */
static inline struct trap_frame *user_frame(uintptr_t kstack_top)
{
	return (struct trap_frame *)kstack_top - 1;
}

/* Hooks of the Linux ABI, called by the trap path (set once by arch_user_init). */
struct user_ops {
	/* A system call: tf is the ring-3 frame; the result goes into tf->rax. */
	void (*syscall)(struct trap_frame *tf);
	/*
	 * An exception in ring 3 that the page-fault path did not resolve: the
	 * vector and, for a page fault, the address.
	 */
	void (*fault)(struct trap_frame *tf, uint64_t addr);
	/* Last thing before ring 3, interrupts off: signals, rescheduling. */
	void (*exit_work)(struct trap_frame *tf);
};

/* Installs the hooks; the CPUs' SYSCALL MSRs are set at CPU bring-up. */
void arch_user_init(const struct user_ops *ops);
/* SYSCALL MSRs, FPU and SSE on for this CPU (arch_cpu_init, arch_cpu_init_ap). */
void arch_user_cpu_init(void);
/* A clean FPU state (FCW 0x37f, MXCSR 0x1f80), as a new process starts with. */
void arch_user_state_init(struct user_state *u);
/*
 * The context-switch hook (sched.c), interrupts off: saves prev's user
 * state, loads next's (either may be NULL: a kernel thread), and points
 * the CPU's ring-0 stack at next_stack_top.
 */
void arch_user_switch(struct user_state *prev, struct user_state *next, uintptr_t next_stack_top);
/* The running thread's live FPU/SSE registers to or from a 512-byte FXSAVE image (signals). */
void arch_fpu_save(void *image);
/* Loads an image that came from the application: reserved MXCSR bits are cleared first. */
void arch_fpu_restore(void *image);
/* The running thread's FS or GS base (arch_prctl). */
void arch_user_set_fs(struct user_state *u, uint64_t base);
void arch_user_set_gs(struct user_state *u, uint64_t base);
/*
 * Leaves for ring 3 with the registers in tf (which must be the thread's
 * user_frame()); the first entry of a new thread, and after execve.
 */
void arch_user_enter(struct trap_frame *tf) __noreturn;

/*
 * Copies between kernel and application memory.  A fault that the page
 * fault path cannot resolve ends the copy: the return value is the number
 * of bytes NOT copied (0: all done).  The caller checks the range first
 * (user_range_ok).
 */
size_t arch_copy_user(void *dst, const void *src, size_t n);
/* Copies a NUL-terminated string of at most max bytes with NUL; its length, -EFAULT or -ENAMETOOLONG. */
long arch_strncpy_user(char *dst, const char *src, size_t max);
/* Stores n zero bytes; the bytes not cleared. */
size_t arch_clear_user(void *dst, size_t n);

static inline bool user_range_ok(uintptr_t addr, size_t n)
{
	return addr <= USER_CANONICAL_END && n <= USER_CANONICAL_END - addr;
}

#endif
