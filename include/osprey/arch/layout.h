/*
 * The x86-64 virtual memory layout (docs/boot.md has the picture).
 * Usable from C and from assembly.
 */
#ifndef OSPREY_ARCH_LAYOUT_H
#define OSPREY_ARCH_LAYOUT_H

/* The kernel image: physical address + KERNEL_VMA (top 2 GiB, -mcmodel=kernel). */
#define KERNEL_VMA 0xffffffff80000000
/* Where the boot loader puts the image. */
#define KERNEL_PHYS 0x100000
/* Every byte of RAM at DIRECT_MAP + physical address. */
#define DIRECT_MAP 0xffff800000000000
/* Kernel virtual area: stacks and mappings (below the image). */
#define KVA_BASE 0xffffc00000000000
#define KVA_SIZE 0x0000008000000000

#define PAGE_SIZE 4096
#define PAGE_SHIFT 12

/* Boot-time kernel stack, and the IST stacks of #DF, NMI and #MC. */
#define BOOT_STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE (8 * 1024)

/* struct cpu offsets the SYSCALL entry reads through GS (percpu.c checks them). */
#define PERCPU_KSTACK_TOP 8
#define PERCPU_USER_RSP 16

#endif
