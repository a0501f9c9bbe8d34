/*
 * Ring 3 entry and exit (include/osprey/arch/user.h has the contract).
 *
 * syscall_entry: the CPU arrives here from SYSCALL with interrupts off
 * (MSR_FMASK clears IF), rcx = the user's rip, r11 = its rflags, and the
 * user's rsp and GS still loaded.  It switches to the thread's kernel stack
 * (cpu->kstack_top) and builds the same struct trap_frame that an
 * interrupt from ring 3 builds there, so the rest of the kernel sees one
 * frame format.
 *
 * user_exit: the one way back to ring 3, with rsp at the frame.  It runs the
 * exit work with interrupts off, then leaves by SYSRET when the frame came
 * from SYSCALL and its rip is canonical (SYSRET to a non-canonical address
 * would fault in ring 0), and by IRETQ otherwise.
 *
 * The copy routines below may fault on an application address; the trap
 * handler then resumes at the routine's fixup (user_fixups[]).
 */
#include "regs.inc"
#include <osprey/arch/layout.h>

#define USER_CS 0x2b
#define USER_DS 0x23
#define VEC_SYSCALL 0x100
#define TF_VECTOR (15 * 8)
#define TF_RIP (17 * 8)
#define TF_RFLAGS (19 * 8)
#define TF_RSP (20 * 8)

	.text
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:PERCPU_USER_RSP
	movq %gs:PERCPU_KSTACK_TOP, %rsp
	pushq $USER_DS
	pushq %gs:PERCPU_USER_RSP
	pushq %r11
	pushq $USER_CS
	pushq %rcx
	pushq $0
	pushq $VEC_SYSCALL
	PUSH_REGS
	xorl %ebp, %ebp		/* backtraces end here, not in user memory */
	movq %rsp, %rdi
	sti
	call arch_syscall
	/* fall through */

	.globl user_exit
user_exit:
	cli
	movq %rsp, %rdi
	call arch_user_exit_work
	cmpq $VEC_SYSCALL, TF_VECTOR(%rsp)
	jne 1f
	movq TF_RIP(%rsp), %rcx
	movabsq $0x0000800000000000, %r11
	cmpq %r11, %rcx
	jae 1f
	POP_REGS
	/* rsp now at the vector: rip at 16, rflags at 32, rsp at 40 */
	movq 16(%rsp), %rcx
	movq 32(%rsp), %r11
	swapgs
	movq 40(%rsp), %rsp
	sysretq
1:	POP_REGS
	addq $16, %rsp
	swapgs
	iretq

	/* arch_user_enter(tf): tf is the thread's user frame at its stack top. */
	.globl arch_user_enter
arch_user_enter:
	movq %rdi, %rsp
	xorl %ebp, %ebp
	jmp user_exit

/* size_t arch_copy_user(void *dst, const void *src, size_t n): bytes not copied. */
	.globl arch_copy_user
arch_copy_user:
	movq %rdx, %rcx
copy_start:
	rep movsb
copy_end:
	movq %rcx, %rax
	ret

/* size_t arch_clear_user(void *dst, size_t n): bytes not cleared. */
	.globl arch_clear_user
arch_clear_user:
	movq %rsi, %rcx
	xorl %eax, %eax
clear_start:
	rep stosb
clear_end:
	movq %rcx, %rax
	ret

/* long arch_strncpy_user(char *dst, const char *src, size_t max) */
	.globl arch_strncpy_user
arch_strncpy_user:
	xorl %eax, %eax
1:	cmpq %rdx, %rax
	jae 3f
strn_start:
	movb (%rsi,%rax), %cl
strn_end:
	movb %cl, (%rdi,%rax)
	testb %cl, %cl
	jz 2f
	incq %rax
	jmp 1b
2:	ret
3:	movq $-36, %rax		/* -ENAMETOOLONG */
	ret
strn_fault:
	movq $-14, %rax		/* -EFAULT */
	ret

	.section .rodata
	.balign 8
	.globl user_fixups, user_fixups_end
user_fixups:
	.quad copy_start, copy_end, copy_end
	.quad clear_start, clear_end, clear_end
	.quad strn_start, strn_end, strn_fault
user_fixups_end:
