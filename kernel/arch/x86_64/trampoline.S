/*
 * Application processor start-up code.  smp.c copies it to TRAMPOLINE_PA
 * (below 1 MiB, page aligned), fills in the parameters at its end and sends
 * INIT and STARTUP IPIs with that page's number.  The AP starts in real mode
 * at TRAMPOLINE_PA, and goes through protected mode to long mode on the
 * kernel's page tables (with TRAMPOLINE_PA identity-mapped for the moment),
 * then jumps to ap_entry(arg) on the stack it was given.
 *
 * Everything is addressed as TRAMPOLINE_PA + (label - trampoline_start),
 * since the code runs at a different address than it was linked at.
 */
#define TRAMPOLINE_PA 0x8000
#define T(x) (TRAMPOLINE_PA + ((x) - trampoline_start))

	.section .rodata.trampoline, "a"
	.balign 16
	.globl trampoline_start, trampoline_end, trampoline_params
	.code16
trampoline_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(gdt_desc)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $T(pm32)

	.code32
pm32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4
	movl T(p_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $((1 << 8) | (1 << 11)), %eax	/* LME, NXE */
	wrmsr
	movl %cr0, %eax
	orl $((1 << 31) | (1 << 16)), %eax	/* PG, WP */
	movl %eax, %cr0
	ljmpl $0x18, $T(lm64)

	.code64
lm64:
	movq T(p_stack), %rsp
	movq T(p_arg), %rdi
	movq T(p_entry), %rax
	xorl %ebp, %ebp
	jmp *%rax

	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long T(gdt)

	.balign 8
trampoline_params:
p_cr3:
	.quad 0
p_stack:
	.quad 0
p_entry:
	.quad 0
p_arg:
	.quad 0
trampoline_end:
