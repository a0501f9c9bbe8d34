/* The register frame that kernel/arch/x86_64/vectors.S builds for every vector. */
#ifndef OSPREY_ARCH_TRAP_H
#define OSPREY_ARCH_TRAP_H

#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

_Static_assert(sizeof(struct trap_frame) == 22 * 8, "vectors.S and struct trap_frame disagree");

enum {
	VEC_DE = 0,
	VEC_DB = 1,
	VEC_NMI = 2,
	VEC_BP = 3,
	VEC_UD = 6,
	VEC_DF = 8,
	VEC_GP = 13,
	VEC_PF = 14,
	VEC_MC = 18,
};

void arch_cpu_init(void);
void *arch_cpu_tables_alloc(unsigned cpu);
void arch_cpu_init_ap(void *tables);
void trap_handler(struct trap_frame *tf);

/* Prints "backtrace:" and one line per frame, starting at rip, then rbp's chain. */
void backtrace_print(uint64_t rip, uint64_t rbp);
/* The same for an exception, from its register frame. */
void backtrace_print_trap(const struct trap_frame *tf);
/* Writes the frames' return addresses into pcs; returns how many. */
int backtrace_collect(uint64_t rbp, uintptr_t *pcs, int max);
void backtrace_print_pcs(const uintptr_t *pcs, int n);
void dump_registers(const struct trap_frame *tf);

#endif
