/*
 * Interrupt and exception entry.  Every vector has a 16-byte stub at
 * trap_stubs + 16 * vector that makes the stack look the same for all of
 * them (a zero where the CPU pushed no error code, then the vector) and
 * jumps to trap_common, which saves the general registers as struct
 * trap_frame (include/osprey/arch/trap.h) and calls trap_handler().
 *
 * From ring 3 (the saved CS has RPL 3) it first swaps in the kernel's GS
 * base, and leaves through user_exit (entry.S), the one way back to ring 3.
 */
#include "regs.inc"
	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	testb $3, 24(%rsp)	/* the saved CS, above vector, error and rip */
	jz 1f
	swapgs
1:	PUSH_REGS
	movq %rsp, %rdi
	cld
	call trap_handler
	testb $3, 18*8(%rsp)	/* the saved CS */
	jnz user_exit
	POP_REGS
	addq $16, %rsp
	iretq
