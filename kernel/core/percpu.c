/*
 * Per-CPU data: the boot CPU's struct cpu is static; the SMP issue
 * allocates one per application processor and points its GS base at it.
 */
#include <osprey/arch/cpu.h>
#include <osprey/arch/layout.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>

#define MSR_GS_BASE 0xc0000101

static_assert(offsetof(struct cpu, kstack_top) == PERCPU_KSTACK_TOP, "layout.h");
static_assert(offsetof(struct cpu, user_rsp) == PERCPU_USER_RSP, "layout.h");

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

/* An application processor's struct cpu: made by the BSP, installed by the AP. */
struct cpu *percpu_alloc(unsigned id)
{
	struct cpu *c = kzalloc(sizeof(*c));

	if (c) {
		c->self = c;
		c->id = id;
		mm_debug_ignore(c);
	}
	return c;
}

void percpu_init_ap(struct cpu *c)
{
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	/* release: whoever finds it in cpus[] sees it initialised */
	__atomic_store_n(&cpus[c->id], c, __ATOMIC_RELEASE);
}
