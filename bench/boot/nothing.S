/*
 * nothing: the smallest PVH kernel, the floor of the boot benchmark.
 *
 * QEMU finds the PVH note (name "Xen", type 18 = XEN_ELFNOTE_PHYS32_ENTRY),
 * loads the ELF and jumps to the note's address in 32-bit protected mode
 * with paging off.  We write "Hi" to COM1 and leave through isa-debug-exit
 * (port 0x501): writing 0 makes QEMU exit with status (0 << 1) | 1 = 1.
 */
	.section .note.pvh, "a", @note
	.balign 4
	.long 4			/* name size: "Xen\0" */
	.long 4			/* descriptor size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.text
	.code32
	.globl pvh_start
pvh_start:
	movw $0x3f8, %dx
	movb $'H', %al
	outb %al, %dx
	movb $'i', %al
	outb %al, %dx
	movb $'\n', %al
	outb %al, %dx
	movw $0x501, %dx
	xorl %eax, %eax
	outb %al, %dx
	/* Without isa-debug-exit: stop here. */
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
