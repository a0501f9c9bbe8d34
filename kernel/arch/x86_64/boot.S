/*
 * The two ways into the kernel, and the step into its higher half.
 *
 * pvh_entry:    PVH (QEMU -kernel on pc, q35 and microvm; Firecracker).  32-bit
 *               protected mode, paging off, %ebx = physical hvm_start_info.
 *               Its address is published in the Xen ELF note below.
 * linux64_entry: the Linux 64-bit boot protocol (older Firecracker releases):
 *               long mode on, an identity map covering the kernel, %rsi =
 *               physical boot_params.  It is the ELF entry point (physical).
 *
 * Both record the TSC of the first instruction (the boot chart's zero), the
 * protocol and the boot information pointer, switch to the static boot page
 * tables below (identity, direct map and kernel image: the first 1 GiB each)
 * and jump to start64_high, which runs kmain() on the boot stack.  Nothing
 * here touches the stack before it is set up.
 *
 * They also set the FPU/SSE control bits that arch_user_cpu_init() sets
 * (CR0.MP/NE, CR4.OSFXSR/OSXMMEXCPT, EM and TS clear): under QEMU's TCG
 * these bits are part of every translated block's key, so changing them
 * half-way through boot would translate all code run again afterwards
 * (memset, the boot chart, the PIT sampling) a second time.
 */
#include <osprey/arch/layout.h>

#define PHYS(x) ((x) - KERNEL_VMA)

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

	.section .note.Xen, "a"
	.balign 4
	.long 4			/* name size */
	.long 4			/* descriptor size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long PHYS(pvh_entry)

	.section .boot.text, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	rdtsc
	movl %eax, PHYS(boot_tsc0)
	movl %edx, PHYS(boot_tsc0) + 4
	movl %ebx, PHYS(boot_info_phys)
	movl $1, PHYS(boot_protocol)

	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	andl $~(CR0_EM | CR0_TS), %eax
	orl $(CR0_PG | CR0_WP | CR0_NE | CR0_MP | CR0_PE), %eax
	movl %eax, %cr0
	lgdt PHYS(boot_gdt_desc)
	ljmp $0x08, $PHYS(start64_low)

	.code64
	.globl linux64_entry
linux64_entry:
	cli
	movq %rsi, %r8
	rdtsc
	movl %eax, boot_tsc0(%rip)
	movl %edx, boot_tsc0 + 4(%rip)
	movq %r8, boot_info_phys(%rip)
	movl $2, boot_protocol(%rip)

	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_NXE, %eax
	wrmsr
	movq %cr4, %rax
	orq $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
	movq %rax, %cr4
	movq %cr0, %rax
	andq $~(CR0_EM | CR0_TS), %rax
	orq $(CR0_NE | CR0_MP), %rax
	movq %rax, %cr0
	leaq boot_pml4(%rip), %rax
	movq %rax, %cr3
	lgdt boot_gdt_desc(%rip)
	leaq start64_low(%rip), %rax
	pushq $0x08
	pushq %rax
	lretq

start64_low:
	movabsq $start64_high, %rax
	jmp *%rax

	.text
start64_high:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call kmain
1:	cli
	hlt
	jmp 1b

	.data
	.balign 8
	.globl boot_tsc0, boot_info_phys, boot_protocol
boot_tsc0:
	.quad 0
boot_info_phys:
	.quad 0
boot_protocol:
	.long 0

	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_end:
	/* Read as 6 bytes by the 32-bit lgdt, 10 by the 64-bit one. */
boot_gdt_desc:
	.word boot_gdt_end - boot_gdt - 1
	.quad PHYS(boot_gdt)

	/*
	 * Boot page tables: PML4 slots 0 (identity), 256 (direct map) and 511
	 * (kernel image, PDPT slot 510) all reach one page directory of 2 MiB
	 * pages covering physical 0..1 GiB.  mmu_init() replaces them.
	 */
	.balign PAGE_SIZE
boot_pml4:
	.quad PHYS(boot_pdpt_low) + 3
	.fill 255, 8, 0
	.quad PHYS(boot_pdpt_low) + 3
	.fill 254, 8, 0
	.quad PHYS(boot_pdpt_high) + 3
boot_pdpt_low:
	.quad PHYS(boot_pd) + 3
	.fill 511, 8, 0
boot_pdpt_high:
	.fill 510, 8, 0
	.quad PHYS(boot_pd) + 3
	.quad 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) + 0x83
	.set i, i + 1
	.endr

	.section .bss.stack, "aw", @nobits
	.balign PAGE_SIZE
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip BOOT_STACK_SIZE
boot_stack_top:
