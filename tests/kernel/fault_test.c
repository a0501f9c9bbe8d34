/*
 * Death tests: each commits one fault on purpose.  The host runner boots
 * each alone and passes it only if the guest stops with the panic status and
 * prints every '|'-separated piece of the expected text: the exception's
 * name with the faulting function, and a backtrace naming the caller.
 */
#include <osprey/kernel.h>
#include <osprey/test.h>

#define CALLER "|backtrace:|test_run_death+"

TEST_DEATH(fault, page_fault, "page fault at test_fault_page_fault+" CALLER)
{
	int *volatile p = (int *)0x10;

	*p = 1;
}

TEST_DEATH(fault, invalid_opcode, "invalid opcode (vector 6) at test_fault_invalid_opcode+" CALLER)
{
	__asm__ volatile("ud2");
}

TEST_DEATH(fault, general_protection,
	   "general protection fault (vector 13) at test_fault_general_protection+" CALLER)
{
	/* A non-canonical address: #GP, not #PF. */
	uint64_t *volatile p = (uint64_t *)0x8000000000000000ull;

	(void)*(volatile uint64_t *)p;
}

TEST_DEATH(fault, divide_error, "division error (vector 0) at test_fault_divide_error+" CALLER)
{
	volatile unsigned zero = 0, x = 1;

	x /= zero;
	test_print("not reached: %u\n", x);
}

TEST_DEATH(fault, panic_message, "panic: deliberate 42|backtrace:|test_fault_panic_message+")
{
	panic("deliberate %d", 42);
}
