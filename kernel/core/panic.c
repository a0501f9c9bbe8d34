/*
 * panic(): the end of the road.  A panic inside a panic (a fault while
 * printing the backtrace, say) skips straight to power-off, so a broken
 * report never loops.
 */
#include <stdarg.h>

#include <osprey/arch/cpu.h>
#include <osprey/arch/trap.h>
#include <osprey/log.h>
#include <osprey/panic.h>

static int panicking;

static void vbegin(const char *fmt, va_list ap)
{
	irq_disable();
	if (panicking++) {
		serial_write("panic: recursive panic\n", 23);
		power_off(PANIC_STATUS);
	}
	kprintf("panic: ");
	kvprintf(fmt, ap);
	kprintf("\n");
}

void panic_begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbegin(fmt, ap);
	va_end(ap);
}

void panic_end(void)
{
	power_off(PANIC_STATUS);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbegin(fmt, ap);
	va_end(ap);
	/* Start at our caller: its return address and its saved frame pointer. */
	backtrace_print((uint64_t)__builtin_return_address(0),
			*(uint64_t *)__builtin_frame_address(0));
	panic_end();
}
