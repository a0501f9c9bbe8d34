/*
 * Bringing up the application processors, and calling every CPU.
 *
 * smp_init() runs once, when the scheduler starts (the first thread): the
 * CPUs come from the ACPI MADT, else the MP table.  For each, the BSP makes
 * an idle thread (its stack is the AP's first stack), copies the trampoline
 * (trampoline.S) below 1 MiB, and sends INIT and STARTUP IPIs; the AP comes
 * up in ap_entry(), sets up its descriptor tables, per-CPU data, local APIC
 * and run queue, says so, and idles until given work.  A program that never
 * makes a thread never pays for this.
 *
 * smp_call_all(fn, arg) runs fn on every other CPU and waits for all of
 * them: the TLB shoot-down and the RCU-style grace period use it.  Callers
 * must have interrupts on (a CPU that waits with them off cannot answer).
 */
#include <string.h>

#include <osprey/acpi.h>
#include <osprey/arch/apic.h>
#include <osprey/arch/cpu.h>
#include <osprey/arch/trap.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/smp.h>
#include <osprey/time.h>
#include <osprey/trace.h>

#define TRAMPOLINE_PA 0x8000

struct tramp_params {
	uint64_t cr3, stack, entry, arg;
};

struct ap_boot {
	unsigned cpu;
	struct thread *idle;
	struct cpu *percpu;
	void *tables;
	_Atomic int up;
};

extern const char trampoline_start[], trampoline_end[], trampoline_params[];

static struct spinlock call_lock = SPINLOCK_INIT("smp-call");
static void (*call_fn)(void *);
static void *call_arg;
static _Atomic unsigned call_pending;

void ap_entry(struct ap_boot *b);

void ap_entry(struct ap_boot *b)
{
	/* Nothing per-CPU works before these two. */
	arch_cpu_init_ap(b->tables);
	percpu_init_ap(b->percpu);
	lapic_init_ap();
	this_cpu()->apic_id = lapic_id();
	trace_ap_init();
	sched_init_ap(b->cpu, b->idle);
	/* release: pairs with the acquire in start_ap(); b lives on the BSP's stack */
	atomic_store_explicit(&b->up, 1, memory_order_release);
	sched_idle();
}

static bool wait_up(struct ap_boot *b, uint64_t ns)
{
	uint64_t end = clock_ns() + ns;

	while (clock_ns() < end)
		if (atomic_load_explicit(&b->up, memory_order_acquire))
			return true;
	return false;
}

static int start_ap(uint32_t apic, unsigned cpu)
{
	struct tramp_params *p =
		phys_to_virt(TRAMPOLINE_PA + (uint64_t)(trampoline_params - trampoline_start));
	struct ap_boot b = { cpu, NULL, NULL, NULL, 0 };

	b.idle = sched_alloc_idle(cpu);
	b.percpu = percpu_alloc(cpu);
	b.tables = arch_cpu_tables_alloc(cpu);
	if (!b.idle || !b.percpu || !b.tables) {
		/* What was made stays (a few KiB): this CPU is simply not used. */
		pr_err("smp: no memory to start CPU %u\n", cpu);
		return -ENOMEM;
	}
	p->cr3 = kernel_root_phys();
	p->stack = b.idle->stack->top - 8;
	p->entry = (uint64_t)ap_entry;
	p->arg = (uint64_t)&b;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lapic_send_init(apic);
	/* The 10 ms wait after INIT is for old hardware; a hypervisor needs none. */
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_HYPERVISOR))
		delay_ns(10000000);
	lapic_send_startup(apic, TRAMPOLINE_PA >> 12);
	if (!wait_up(&b, 1000000)) {
		lapic_send_startup(apic, TRAMPOLINE_PA >> 12);
		if (!wait_up(&b, 200000000)) {
			pr_err("smp: CPU with APIC id %u did not start\n", apic);
			sched_free_idle(b.idle);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

void smp_init(void)
{
	uint32_t ids[CONFIG_MAX_CPUS];
	unsigned n = 0;
	uint32_t me = lapic_id();

	this_cpu()->apic_id = me;
	if (acpi_cpu_ids(ids, CONFIG_MAX_CPUS, &n) || n <= 1)
		return;
	if (n > CONFIG_MAX_CPUS) {
		pr_warn("smp: %u CPUs, using the first %u (CONFIG_MAX_CPUS)\n", n, CONFIG_MAX_CPUS);
		n = CONFIG_MAX_CPUS;
	}
	memcpy(phys_to_virt(TRAMPOLINE_PA), trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	if (mmu_identity_map(TRAMPOLINE_PA)) {
		pr_err("smp: no memory to start the other CPUs\n");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		if (ids[i] == me)
			continue;
		if (!lapic_can_reach(ids[i])) {
			pr_warn("smp: CPU with APIC ID %u needs x2APIC mode: left off\n", ids[i]);
			continue;
		}
		if (start_ap(ids[i], nr_cpus) == 0)
			__atomic_store_n(&nr_cpus, nr_cpus + 1, __ATOMIC_RELEASE);
	}
	mmu_identity_unmap();
	pr_info("smp: %u CPUs online\n", nr_cpus);
}

void smp_call_handler(void)
{
	call_fn(call_arg);
	/* release: the caller sees what fn did once pending reaches 0 */
	atomic_fetch_sub_explicit(&call_pending, 1, memory_order_release);
}

void smp_call_all(void (*fn)(void *), void *arg)
{
	unsigned n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE);

	if (n <= 1)
		return;
	preempt_disable();
	raw_spin_lock(&call_lock);
	call_fn = fn;
	call_arg = arg;
	atomic_store_explicit(&call_pending, n - 1, memory_order_release);
	for (unsigned i = 0; i < n; i++)
		if (i != cpu_id())
			lapic_send_ipi(cpus[i]->apic_id, VEC_CALL);
	/* acquire: pairs with the release in smp_call_handler() */
	while (atomic_load_explicit(&call_pending, memory_order_acquire))
		cpu_relax();
	raw_spin_unlock(&call_lock);
	preempt_enable();
}

void smp_send_resched(unsigned cpu)
{
	lapic_send_ipi(cpus[cpu]->apic_id, VEC_RESCHED);
}
