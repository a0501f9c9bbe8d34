/*
 * Kernel thread switch.
 *
 * switch_stack(uint64_t *save, uint64_t next): pushes the callee-saved
 * registers on the current stack, stores the stack pointer in *save, loads
 * next and pops the next thread's registers; `ret` then resumes it where it
 * called switch_stack, or, for a new thread, in thread_start.
 *
 * A new thread's stack is laid out by thread_stack_init() (thread.c) as if it
 * had called switch_stack: six zero registers, then thread_start's address.
 */
	.text
	.globl switch_stack
switch_stack:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	/* First run of a thread: rbx = the thread.  Frame pointer 0 ends backtraces. */
	.globl thread_start
thread_start:
	xorl %ebp, %ebp
	movq %rbx, %rdi
	call thread_main
1:	hlt
	jmp 1b
