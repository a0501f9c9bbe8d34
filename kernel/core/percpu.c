/*
 * Per-CPU data: the boot CPU's struct cpu is static; the SMP issue
 * allocates one per application processor and points its GS base at it.
 */
#include <osprey/arch/cpu.h>
#include <osprey/percpu.h>

#define MSR_GS_BASE 0xc0000101

static struct cpu boot_cpu;
struct cpu *cpus[CONFIG_MAX_CPUS];
unsigned nr_cpus;

void percpu_init_boot(void)
{
	boot_cpu.self = &boot_cpu;
	boot_cpu.id = 0;
	wrmsr(MSR_GS_BASE, (uint64_t)&boot_cpu);
	cpus[0] = &boot_cpu;
	nr_cpus = 1;
}
