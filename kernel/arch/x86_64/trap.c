/*
 * What happens when the CPU raises an exception.  Until interrupts and the
 * application exist, every exception in the kernel is fatal: it is reported
 * with its name, the faulting address, the registers and a backtrace with
 * function names, and the machine stops with the panic status.
 */
#include <osprey/arch/apic.h>
#include <osprey/arch/cpu.h>
#include <osprey/arch/irq.h>
#include <osprey/arch/trap.h>
#include <osprey/arch/user.h>
#include <osprey/kernel.h>
#include <osprey/ksyms.h>
#include <osprey/log.h>
#include <osprey/lockdep.h>
#include <osprey/mm.h>
#include <osprey/panic.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/smp.h>
#include <osprey/vm.h>
#include <osprey/trace.h>

TRACEPOINT(trap_entry, "vector=%lu rip=0x%lx", uint64_t, uint64_t);

static const char *const exception_names[32] = {
	[0] = "division error",
	[1] = "debug",
	[2] = "non-maskable interrupt",
	[3] = "breakpoint",
	[4] = "overflow",
	[5] = "bound range exceeded",
	[6] = "invalid opcode",
	[7] = "device not available",
	[8] = "double fault",
	[9] = "coprocessor segment overrun",
	[10] = "invalid TSS",
	[11] = "segment not present",
	[12] = "stack-segment fault",
	[13] = "general protection fault",
	[14] = "page fault",
	[16] = "x87 floating-point error",
	[17] = "alignment check",
	[18] = "machine check",
	[19] = "SIMD floating-point error",
	[20] = "virtualization exception",
	[21] = "control protection",
	[28] = "hypervisor injection",
	[29] = "VMM communication",
	[30] = "security exception",
};

void dump_registers(const struct trap_frame *tf)
{
	kprintf("rip %016llx cs %04llx rflags %08llx\n", (unsigned long long)tf->rip,
		(unsigned long long)tf->cs, (unsigned long long)tf->rflags);
	kprintf("rsp %016llx ss %04llx err %llx\n", (unsigned long long)tf->rsp,
		(unsigned long long)tf->ss, (unsigned long long)tf->error);
	kprintf("rax %016llx rbx %016llx rcx %016llx\n", (unsigned long long)tf->rax,
		(unsigned long long)tf->rbx, (unsigned long long)tf->rcx);
	kprintf("rdx %016llx rsi %016llx rdi %016llx\n", (unsigned long long)tf->rdx,
		(unsigned long long)tf->rsi, (unsigned long long)tf->rdi);
	kprintf("rbp %016llx r8  %016llx r9  %016llx\n", (unsigned long long)tf->rbp,
		(unsigned long long)tf->r8, (unsigned long long)tf->r9);
	kprintf("r10 %016llx r11 %016llx r12 %016llx\n", (unsigned long long)tf->r10,
		(unsigned long long)tf->r11, (unsigned long long)tf->r12);
	kprintf("r13 %016llx r14 %016llx r15 %016llx\n", (unsigned long long)tf->r13,
		(unsigned long long)tf->r14, (unsigned long long)tf->r15);
	kprintf("cr2 %016llx cr3 %016llx\n", (unsigned long long)read_cr2(),
		(unsigned long long)read_cr3());
}

/*
 * A page fault in the lower half with an address space active: the
 * application's memory (or the kernel touching it).  Returns true when the
 * page is there now and the instruction can run again.
 */
static bool user_fault(struct trap_frame *tf)
{
	struct address_space *as = this_cpu()->as;
	uint64_t addr = read_cr2();

	if (!as || addr >= USER_TOP)
		return false;
	return vm_fault(as, addr, tf->error & 2, tf->error & 16) == 0;
}

/*
 * A double fault whose fault address is a kernel stack's guard page: the
 * stack overflowed, and pushing the page-fault frame faulted again.
 */
static void stack_overflow_check(struct trap_frame *tf)
{
	uint64_t addr = read_cr2();
	struct kstack *s = kstack_find(addr, true);

	if (!s || addr >= s->base)
		return;
	panic_begin("stack overflow on the kernel stack of '%s' (guard page 0x%lx touched at "
		    "0x%llx)",
		    s->name, (unsigned long)s->guard, (unsigned long long)addr);
	dump_registers(tf);
	backtrace_print_trap(tf);
	panic_end();
}

bool arch_user_fixup(struct trap_frame *tf);
void arch_user_fault(struct trap_frame *tf, uint64_t addr);

void trap_handler(struct trap_frame *tf)
{
	trace_trap_entry(tf->vector, tf->rip);
	if (tf->vector == VEC_TIMER || tf->vector == VEC_RESCHED || tf->vector == VEC_CALL) {
		lapic_eoi();
		lockdep_irq_enter();
		if (tf->vector == VEC_TIMER)
			sched_timer_irq();
		else if (tf->vector == VEC_CALL)
			smp_call_handler();
		else
			sched_ipi();
		lockdep_irq_exit();
		/* Back in the interrupted thread's context: it may be preempted here. */
		sched_preempt_check();
		return;
	}
	if (tf->vector >= VEC_DEVICE_FIRST && tf->vector <= VEC_DEVICE_LAST) {
		lockdep_irq_enter();
		irq_dispatch((unsigned)tf->vector);
		lockdep_irq_exit();
		/*
		 * After the handler, which has acknowledged its device: a
		 * level-triggered line still high at the EOI is delivered again.
		 */
		lapic_eoi();
		sched_preempt_check();
		return;
	}
	if (tf->vector == VEC_SPURIOUS)
		return; /* no EOI for a spurious interrupt */
	if (tf->vector == VEC_PF && user_fault(tf))
		return;
	if (tf->cs & 3) {
		/* The application's own fault: a signal, never a kernel panic. */
		arch_user_fault(tf, tf->vector == VEC_PF ? read_cr2() : 0);
		return;
	}
	if (tf->vector == VEC_PF && arch_user_fixup(tf))
		return; /* a copy from or to application memory: -EFAULT */
	if (tf->vector == VEC_DF)
		stack_overflow_check(tf);
	const char *name = tf->vector < 32 ? exception_names[tf->vector] : NULL;
	uintptr_t off = 0;
	const char *fn = ksym_lookup(tf->rip, &off);
	char where[96];

	if (!name)
		name = tf->vector < 32 ? "reserved exception" : "unexpected interrupt";
	if (fn)
		format_snprintf(where, sizeof(where), "%s+0x%lx", fn, (unsigned long)off);
	else
		format_snprintf(where, sizeof(where), "0x%llx", (unsigned long long)tf->rip);

	if (tf->vector == VEC_PF)
		panic_begin("%s at %s: %s address 0x%llx (%s, %s mode)", name, where,
			    tf->error & 2  ? "writing" :
			    tf->error & 16 ? "executing" :
					     "reading",
			    (unsigned long long)read_cr2(),
			    tf->error & 1 ? "protection violation" : "not present",
			    tf->error & 4 ? "user" : "kernel");
	else
		panic_begin("%s (vector %llu) at %s", name, (unsigned long long)tf->vector, where);
	dump_registers(tf);
	backtrace_print_trap(tf);
	panic_end();
}
