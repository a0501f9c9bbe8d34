/*
 * Ring 3 support (include/osprey/arch/user.h): the SYSCALL MSRs, the FPU
 * and SSE switch, FS/GS bases, and the C half of the entry and exit paths
 * in entry.S.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/arch/user.h>
#include <osprey/percpu.h>

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_SCE 0x1

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

/* Flags SYSCALL clears: TF, IF, DF, IOPL, NT, AC (Linux's choice too). */
#define SYSCALL_FMASK 0x47700ull

void syscall_entry(void);
void arch_syscall(struct trap_frame *tf);
void arch_user_exit_work(struct trap_frame *tf);
void arch_set_rsp0(uint64_t top);

static const struct user_ops *ops;

void arch_user_init(const struct user_ops *o)
{
	ops = o;
}

static uint64_t read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static void write_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

void arch_user_cpu_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* SYSRET: CS = 0x18 + 16 | 3 (user code), SS = 0x18 + 8 | 3 (user data). */
	wrmsr(MSR_STAR, (0x18ull << 48) | (0x08ull << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, SYSCALL_FMASK);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit");
}

void arch_user_state_init(struct user_state *u)
{
	memset(u, 0, sizeof(*u));
	/* The FXSAVE image of a reset FPU: FCW 0x37f, MXCSR 0x1f80 (all masked). */
	u->fpu[0] = 0x7f;
	u->fpu[1] = 0x03;
	u->fpu[24] = 0x80;
	u->fpu[25] = 0x1f;
	u->fpu_cpu = -1;
}

/*
 * Called with interrupts off, on prev's stack.  The kernel never touches
 * the FPU, so prev's registers are still live here.
 */
void arch_user_switch(struct user_state *prev, struct user_state *next, uintptr_t next_stack_top)
{
	struct cpu *c = this_cpu();

	/*
	 * The registers equal prev's image after the save; they stay so until
	 * another state is loaded here, which resets fpu_owner.  A state that
	 * ran elsewhere meanwhile has another fpu_cpu (or was freed and made
	 * again, with -1), so a stale fpu_owner never matches it.
	 */
	if (prev) {
		__asm__ volatile("fxsave64 %0" : "=m"(prev->fpu));
		prev->fpu_cpu = (int)c->id;
		c->fpu_owner = prev;
	}
	if (!next)
		return;
	if (c->fpu_owner != next || next->fpu_cpu != (int)c->id) {
		__asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
		next->fpu_cpu = (int)c->id;
		c->fpu_owner = next;
	}
	/* CR4.FSGSBASE is off: the bases change only through arch_user_set_fs/gs. */
	if (c->user_fs != next->fs_base) {
		wrmsr(MSR_FS_BASE, next->fs_base);
		c->user_fs = next->fs_base;
	}
	if (c->user_gs != next->gs_base) {
		wrmsr(MSR_KERNEL_GS_BASE, next->gs_base);
		c->user_gs = next->gs_base;
	}
	c->kstack_top = next_stack_top;
	arch_set_rsp0(next_stack_top);
}

void arch_fpu_save(void *image)
{
	__asm__ volatile("fxsave64 (%0)" : : "r"(image) : "memory");
}

void arch_fpu_restore(void *image)
{
	uint32_t mxcsr;

	/* MXCSR at byte 24: a reserved bit set would make FXRSTOR fault in ring 0. */
	memcpy(&mxcsr, (char *)image + 24, 4);
	mxcsr &= 0xffff;
	memcpy((char *)image + 24, &mxcsr, 4);
	__asm__ volatile("fxrstor64 (%0)" : : "r"(image) : "memory");
}

void arch_user_set_fs(struct user_state *u, uint64_t base)
{
	u->fs_base = base;
	wrmsr(MSR_FS_BASE, base);
	this_cpu()->user_fs = base;
}

void arch_user_set_gs(struct user_state *u, uint64_t base)
{
	u->gs_base = base;
	wrmsr(MSR_KERNEL_GS_BASE, base); /* SWAPGS on the way out loads it */
	this_cpu()->user_gs = base;
}

void arch_syscall(struct trap_frame *tf)
{
	ops->syscall(tf);
}

/*
 * Interrupts off.  The hook may enable them (to reschedule) but returns
 * with them off.  The frame is then made safe for IRETQ/SYSRET whatever
 * the application put into it through rt_sigreturn.
 */
void arch_user_exit_work(struct trap_frame *tf)
{
	for (;;) {
		ops->exit_work(tf);
		tf->cs = USER_CS;
		tf->ss = USER_DS;
		tf->rflags = (tf->rflags & RFLAGS_USER_MASK) | RFLAGS_IF | 2;
		if (tf->rip < USER_CANONICAL_END)
			return;
		/* IRETQ to a non-canonical rip faults in ring 0: make it the application's fault. */
		tf->vector = VEC_GP;
		tf->error = 0;
		ops->fault(tf, 0);
	}
}

extern const uint64_t user_fixups[], user_fixups_end[];

/* A kernel-mode fault in a copy routine: resume at its fixup. */
bool arch_user_fixup(struct trap_frame *tf)
{
	for (const uint64_t *f = user_fixups; f < user_fixups_end; f += 3) {
		if (tf->rip >= f[0] && tf->rip < f[1]) {
			tf->rip = f[2];
			return true;
		}
	}
	return false;
}

/* An exception in ring 3 that the page-fault path did not resolve. */
void arch_user_fault(struct trap_frame *tf, uint64_t addr)
{
	ops->fault(tf, addr);
}
