/*
 * A stand-in for Firecracker's loader, so that the kernel's Linux 64-bit
 * boot entry is tested on QEMU: this PVH image enters long mode with an
 * identity map of the first 4 GiB and calls shim_main() (shim.c), which
 * loads the real kernel from the PVH module and jumps to its ELF entry with
 * %rsi pointing at a boot_params page, as Firecracker does.
 */
	.section .note.Xen, "a"
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long shim_entry

	.text
	.code32
	.globl shim_entry
shim_entry:
	movl %ebx, %esi			/* hvm_start_info, for shim_main */
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $(1 << 8), %eax		/* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG | PE */
	movl %eax, %cr0
	lgdt gdt_desc
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $stack_top, %esp
	movl %esi, %edi
	call shim_main
1:	hlt
	jmp 1b

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
gdt_desc:
	.word gdt_desc - gdt - 1
	.quad gdt

	.balign 4096
pml4:
	.quad pdpt + 3
	.fill 511, 8, 0
pdpt:
	.quad pd + 3
	.quad pd + 0x1000 + 3
	.quad pd + 0x2000 + 3
	.quad pd + 0x3000 + 3
	.fill 508, 8, 0
pd:
	.set i, 0
	.rept 2048
	.quad (i << 21) + 0x83
	.set i, i + 1
	.endr

	.bss
	.balign 16
	.skip 16384
stack_top:
