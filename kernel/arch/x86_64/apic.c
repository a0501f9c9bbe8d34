/*
 * Local APIC: enabled, its timer calibrated against the TSC, the legacy
 * 8259 PICs masked.  One-shot mode (QEMU's TCG CPUs lack TSC-deadline);
 * the timer is armed only when something needs it: a time slice ending
 * while another thread waits, or a sleeper's deadline (tickless).
 */
#include <osprey/arch/apic.h>
#include <osprey/arch/cpu.h>
#include <osprey/mm.h>
#include <osprey/time.h>

#define MSR_APIC_BASE 0x1b
#define APIC_ID 0x20
#define APIC_EOI 0xb0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_BUSY (1u << 12)
#define APIC_SVR 0xf0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define CALIBRATE_NS 200000

static volatile uint32_t *regs;
static uint64_t hz; /* timer counts per second, divide-by-1 */

static uint32_t rd(uint32_t reg)
{
	return regs[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
	regs[reg / 4] = v;
}

int lapic_init(void)
{
	void *va;
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (regs)
		return 0;
	/* Mask both 8259s: every interrupt comes through the local APIC. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	if (mmu_map_direct(base & ~0xfffull, 4096, true, &va))
		return -ENOMEM;
	wrmsr(MSR_APIC_BASE, base | (1u << 11)); /* global enable */
	regs = va;
	wr(APIC_SVR, 0x100 | VEC_SPURIOUS);
	wr(APIC_TIMER_DIV, 0xb); /* divide by 1 */
	wr(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	/*
	 * The clock's first reading may first finish measuring the TSC rate
	 * (up to 1.5 ms, kernel/arch/x86_64/tsc.c): not while the count runs.
	 */
	(void)clock_ns();
	wr(APIC_TIMER_INIT, 0xffffffff);
	uint64_t t0 = clock_ns();

	while (clock_ns() - t0 < CALIBRATE_NS)
		cpu_relax();
	uint32_t used = 0xffffffff - rd(APIC_TIMER_CUR);
	uint64_t dt = clock_ns() - t0;

	wr(APIC_TIMER_INIT, 0);
	hz = dt ? (uint64_t)used * 1000000000ull / dt : 0;
	if (!hz)
		return -ENODEV;
	wr(APIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
	return 0;
}

void lapic_timer_oneshot(uint64_t ns)
{
	uint64_t count;

	if (!regs)
		return;
	if (!ns) {
		wr(APIC_TIMER_INIT, 0);
		return;
	}
	if (ns > 2000000000ull)
		ns = 2000000000ull; /* re-armed on expiry; keeps ns * hz in 64 bits */
	count = ns * hz / 1000000000ull;
	if (count < 1)
		count = 1;
	if (count > 0xffffffffull)
		count = 0xffffffffull;
	wr(APIC_TIMER_INIT, (uint32_t)count);
}

void lapic_eoi(void)
{
	if (regs)
		wr(APIC_EOI, 0);
}

uint64_t lapic_timer_hz(void)
{
	return hz;
}

/* An application processor's own local APIC: the calibration is the BSP's. */
void lapic_init_ap(void)
{
	wr(APIC_SVR, 0x100 | VEC_SPURIOUS);
	wr(APIC_TIMER_DIV, 0xb);
	wr(APIC_LVT_TIMER, VEC_TIMER);
	wr(APIC_TIMER_INIT, 0);
}

uint32_t lapic_id(void)
{
	return regs ? rd(APIC_ID) >> 24 : 0;
}

static void icr(uint32_t apic, uint32_t low)
{
	for (int i = 0; i < 1000000 && (rd(APIC_ICR_LO) & ICR_BUSY); i++)
		cpu_relax();
	wr(APIC_ICR_HI, apic << 24);
	wr(APIC_ICR_LO, low);
}

void lapic_send_ipi(uint32_t apic, uint8_t vector)
{
	icr(apic, 0x4000 | vector); /* fixed delivery, assert */
}

void lapic_send_init(uint32_t apic)
{
	icr(apic, 0x4500);
}

void lapic_send_startup(uint32_t apic, uint8_t page)
{
	icr(apic, 0x4600 | page);
}
