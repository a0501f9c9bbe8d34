/*
 * Stopping the machine with a status the host can read (docs/host-guest.md):
 * the line "osprey:exit=N" on the QEMU debug console when it is there, then
 * isa-debug-exit, then ACPI S5, then the i8042 reset line (microvm,
 * Firecracker), then a triple fault.  Each step returns only if the machine
 * is still running.  --poweroff=acpi|reset skips the QEMU devices, so that
 * tests can prove the fallbacks work.
 */
#include <osprey/acpi.h>
#include <osprey/arch/cpu.h>
#include <osprey/cmdline.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/panic.h>
#include <osprey/time.h>
#include <osprey/trace.h>

#define DEBUGCON 0xe9
#define DEBUG_EXIT 0x501
#define I8042_CMD 0x64

/*
 * The digits by hand rather than through the formatter: power-off is on
 * every boot's path, and under TCG each line of code run for the first
 * time costs more than the rest of the work (the host reads 0..255).
 */
static void debugcon_status(int status)
{
	static const char prefix[] = "osprey:exit=";
	char digits[12];
	unsigned v = status < 0 ? 0u - (unsigned)status : (unsigned)status;
	int n = 0;

	if (inb(DEBUGCON) != DEBUGCON)
		return;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < sizeof(prefix) - 1; i++)
		outb(DEBUGCON, (uint8_t)prefix[i]);
	if (status < 0)
		outb(DEBUGCON, '-');
	while (n)
		outb(DEBUGCON, (uint8_t)digits[--n]);
	outb(DEBUGCON, '\n');
}

/*
 * A power-off request takes effect when the hypervisor gets round to it; give
 * it ~10 ms before concluding that it did not work.
 */
static void settle(void)
{
	uint64_t hz = tsc_hz() ? tsc_hz() : 3000000000ull;
	uint64_t end = rdtsc() + hz / 100;

	while (rdtsc() < end)
		cpu_relax();
}

void power_off(int status)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) null_idt = { 0, 0 };
	int how = boot_options.poweroff;

	irq_disable();
	mm_shutdown_report();
	trace_dump_at_exit();
	debugcon_status(status);
	if (how == POWEROFF_AUTO)
		outb(DEBUG_EXIT, (uint8_t)(status & 0x7f));
	if (how == POWEROFF_AUTO || how == POWEROFF_ACPI) {
		acpi_power_off();
		settle();
		if (how == POWEROFF_ACPI)
			kprintf("power-off: ACPI did not stop the machine; trying reset\n");
	}
	for (int i = 0; i < 100000 && (inb(I8042_CMD) & 0x02); i++)
		cpu_relax();
	outb(I8042_CMD, 0xfe);
	/* Still here: an empty IDT turns the next exception into a triple fault. */
	__asm__ volatile("lidt %0; int3" : : "m"(null_idt));
	cpu_halt_forever();
}
