/*
 * Backtraces by the frame-pointer chain (the kernel is built with
 * -fno-omit-frame-pointer).  Every frame is checked before it is read: it
 * must be 8-byte aligned, lie inside one known kernel stack, and move
 * towards that stack's top, so a corrupt chain ends the walk instead of
 * faulting inside the panic path.
 */
#include <osprey/arch/layout.h>
#include <osprey/arch/trap.h>
#include <osprey/kernel.h>
#include <osprey/ksyms.h>
#include <osprey/log.h>
#include <osprey/mm.h>

#define MAX_FRAMES 32

extern const char boot_stack_bottom[], boot_stack_top[];
uintptr_t ist_stack_bottom(int i);

/* Finds the known stack holding addr. */
static bool stack_bounds(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	if (addr >= (uintptr_t)boot_stack_bottom && addr < (uintptr_t)boot_stack_top) {
		*lo = (uintptr_t)boot_stack_bottom;
		*hi = (uintptr_t)boot_stack_top;
		return true;
	}
	struct kstack *ks = kstack_find(addr, false);

	if (ks) {
		*lo = ks->base;
		*hi = ks->top;
		return true;
	}
	for (int i = 0; i < 3 * CONFIG_MAX_CPUS; i++) {
		uintptr_t b = ist_stack_bottom(i);

		if (!b)
			continue;
		if (addr >= b && addr < b + IST_STACK_SIZE) {
			*lo = b;
			*hi = b + IST_STACK_SIZE;
			return true;
		}
	}
	return false;
}

int backtrace_collect(uint64_t rbp, uintptr_t *pcs, int max)
{
	uintptr_t lo, hi;
	int n = 0;

	if (!stack_bounds(rbp, &lo, &hi))
		return 0;
	while (n < max && rbp % 8 == 0 && rbp >= lo && rbp + 16 <= hi) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t next = frame[0];

		if (!frame[1])
			break;
		pcs[n++] = frame[1];
		if (next <= rbp)
			break;
		rbp = next;
	}
	return n;
}

static void print_frame(int i, uintptr_t pc)
{
	uintptr_t off;
	const char *name = ksym_lookup(pc, &off);

	if (name)
		kprintf("  #%d 0x%lx %s+0x%lx\n", i, (unsigned long)pc, name, (unsigned long)off);
	else
		kprintf("  #%d 0x%lx ?\n", i, (unsigned long)pc);
}

void backtrace_print_pcs(const uintptr_t *pcs, int n)
{
	for (int i = 0; i < n; i++)
		print_frame(i, pcs[i]);
}

static void print_chain(int first, uint64_t rbp)
{
	uintptr_t pcs[MAX_FRAMES];
	int n = backtrace_collect(rbp, pcs, MAX_FRAMES);

	for (int i = 0; i < n; i++)
		print_frame(first + i, pcs[i]);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	kprintf("backtrace:\n");
	print_frame(0, rip);
	print_chain(1, rbp);
}

/*
 * A fault at a function's first instruction, or in code that is no function
 * at all (a jump into data), comes before any frame was pushed: the caller's
 * return address is then on top of the stack, and rbp is still the caller's.
 */
void backtrace_print_trap(const struct trap_frame *tf)
{
	uintptr_t off, lo, hi;
	const char *fn = ksym_lookup(tf->rip, &off);
	int next = 1;

	kprintf("backtrace:\n");
	print_frame(0, tf->rip);
	if ((!fn || off == 0) && tf->rsp % 8 == 0 && stack_bounds(tf->rsp, &lo, &hi) &&
	    tf->rsp + 8 <= hi)
		print_frame(next++, *(const uint64_t *)tf->rsp);
	print_chain(next, tf->rbp);
}
