/*
 * A do-nothing PVH guest for the real-QEMU tests of `osprey run`.
 *
 * It prints "stub: CMDLINE" on the serial port, then obeys its command line:
 *   exit=N   write "osprey:exit=N" on the debug console (when the 0xe9
 *            signature is there) and N & 0x7f to isa-debug-exit
 *   crash    triple fault: QEMU (-no-reboot) stops with no guest status
 *   anything else: as exit=0
 * Entered in 32-bit protected mode, paging off, %ebx -> hvm_start_info.
 */
	.section .note.Xen, "a"
	.p2align 2
	.long 4, 4, 18			/* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.p2align 2
	.long _start

	.text
	.code32
	.globl _start
_start:
	mov $stack_top, %esp
	mov 24(%ebx), %esi		/* hvm_start_info.cmdline_paddr */
	mov $0x3f8, %dx
	mov $banner, %edi
	call puts
	test %esi, %esi
	jz 1f
	mov %esi, %edi
	call puts
1:	mov $10, %al
	out %al, %dx

	xor %ecx, %ecx			/* the status */
	mov $digits_none, %edi
	mov %edi, %ebp			/* digits end */
	test %esi, %esi
	jz report
	cmpl $0x73617263, (%esi)	/* "cras" */
	je crash
	cmpl $0x74697865, (%esi)	/* "exit" */
	jne report
	cmpb $0x3d, 4(%esi)		/* '=' */
	jne report
	lea 5(%esi), %edi
	mov %edi, %ebp
2:	movzbl (%ebp), %eax
	sub $0x30, %eax
	cmp $9, %eax
	ja 3f
	imul $10, %ecx, %ecx
	add %eax, %ecx
	inc %ebp
	jmp 2b
3:	cmp %edi, %ebp
	jne report
	mov $digits_zero, %edi		/* "exit=" alone: status 0 */
	lea 1(%edi), %ebp

report:					/* %edi..%ebp: the digits to print */
	cmp %edi, %ebp
	jne 4f
	mov $digits_zero, %edi
	lea 1(%edi), %ebp
4:	mov $0xe9, %dx
	in %dx, %al
	cmp $0xe9, %al
	jne 6f
	push %edi
	mov $exit_prefix, %edi
	call puts
	pop %edi
5:	mov (%edi), %al
	out %al, %dx
	inc %edi
	cmp %ebp, %edi
	jne 5b
	mov $10, %al
	out %al, %dx
6:	mov $0x501, %dx
	mov %ecx, %eax
	and $0x7f, %eax
	out %al, %dx
7:	hlt
	jmp 7b

crash:
	lidt null_idt
	int3
	jmp 7b

/* Write the NUL-terminated string at %edi to port %dx. */
puts:
	movb (%edi), %al
	testb %al, %al
	jz 1f
	out %al, %dx
	inc %edi
	jmp puts
1:	ret

	.data
banner:		.asciz "stub: "
exit_prefix:	.asciz "osprey:exit="
digits_zero:	.asciz "0"
digits_none:	.byte 0
	.p2align 3
null_idt:	.word 0
		.long 0

	.bss
	.p2align 4
	.skip 4096
stack_top:
