/*
 * Local APIC: x2APIC mode (registers as MSRs) when the CPU has it, else
 * xAPIC (registers through MMIO); its timer in TSC-deadline mode when the
 * CPU has it, else one-shot mode calibrated against the TSC.  The 8259
 * PICs are masked.  `--apic=xapic` and `--timer=oneshot` choose the
 * fallbacks on a CPU that has both (tests cover each path).  The timer is
 * armed only when something needs it: a time slice ending while another
 * thread waits, or a sleeper's deadline (tickless).
 */
#include <osprey/arch/apic.h>
#include <osprey/arch/cpu.h>
#include <osprey/cmdline.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/time.h>

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_X2APIC (1u << 10)
#define APIC_BASE_ENABLE (1u << 11)
#define MSR_X2APIC_FIRST 0x800 /* + register offset / 16 */
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_ID 0x20
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_BUSY (1u << 12)
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define CALIBRATE_NS 200000

static volatile uint32_t *regs; /* xAPIC: the MMIO page */
static bool x2apic, deadline;
static bool ready;
static uint64_t hz; /* one-shot: timer counts per second, divide-by-1 */

static uint32_t rd(uint32_t reg)
{
	return x2apic ? (uint32_t)rdmsr(MSR_X2APIC_FIRST + reg / 16) : regs[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(MSR_X2APIC_FIRST + reg / 16, v);
	else
		regs[reg / 4] = v;
}

/* Both APs and the BSP: this CPU's APIC in the chosen mode, the timer masked. */
static void enable_this_cpu(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

	wrmsr(MSR_APIC_BASE, base);
	if (x2apic)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC); /* xAPIC first, then x2APIC */
	wr(APIC_SVR, 0x100 | VEC_SPURIOUS);
	wr(APIC_TIMER_DIV, 0xb); /* divide by 1 */
	wr(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
}

/* Unmasks this CPU's timer in its mode; it fires only once armed. */
static void timer_unmask(void)
{
	wr(APIC_LVT_TIMER, VEC_TIMER | (deadline ? LVT_TSC_DEADLINE : 0));
	/*
	 * The SDM: the MMIO write that selects TSC-deadline mode must be
	 * ordered before the first WRMSR of the deadline (MFENCE).
	 */
	if (deadline)
		__asm__ volatile("mfence" ::: "memory");
	else
		wr(APIC_TIMER_INIT, 0);
}

/* The one-shot count's rate, measured against the TSC clock. */
static int calibrate(void)
{
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
	return hz ? 0 : -ENODEV;
}

int lapic_init(void)
{
	uint32_t ecx = cpuid(1, 0).ecx;
	int err;

	if (ready)
		return 0;
	/* Mask both 8259s: every interrupt comes through the local APIC. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	x2apic = (ecx & CPUID1_ECX_X2APIC) && boot_options.apic != APIC_XAPIC;
	deadline = (ecx & CPUID1_ECX_TSC_DEADLINE) && boot_options.timer != TIMER_ONESHOT;
	if (!x2apic) {
		void *va;

		if (mmu_map_direct(rdmsr(MSR_APIC_BASE) & ~0xfffull, 4096, true, &va))
			return -ENOMEM;
		regs = va;
	}
	enable_this_cpu();
	if (deadline)
		(void)tsc_hz(); /* measured now, not in the first arming */
	else if ((err = calibrate()))
		return err;
	timer_unmask();
	ready = true;
	if (deadline)
		pr_info("apic: %s\n", lapic_mode());
	else
		pr_info("apic: %s, timer %llu kHz\n", lapic_mode(),
			(unsigned long long)(hz / 1000));
	return 0;
}

/* An application processor's own local APIC: the mode and calibration are the BSP's. */
void lapic_init_ap(void)
{
	enable_this_cpu();
	timer_unmask();
}

void lapic_timer_oneshot(uint64_t ns)
{
	uint64_t count;

	if (!ready)
		return;
	if (ns > 2000000000ull)
		ns = 2000000000ull; /* re-armed on expiry; keeps ns * hz in 64 bits */
	if (deadline) {
		/* 0 disarms; a deadline already past fires at once */
		wrmsr(MSR_TSC_DEADLINE, ns ? rdtsc() + ns * tsc_hz() / 1000000000ull + 1 : 0);
		return;
	}
	if (!ns) {
		wr(APIC_TIMER_INIT, 0);
		return;
	}
	count = ns * hz / 1000000000ull;
	if (count < 1)
		count = 1;
	if (count > 0xffffffffull)
		count = 0xffffffffull;
	wr(APIC_TIMER_INIT, (uint32_t)count);
}

void lapic_eoi(void)
{
	if (ready)
		wr(APIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	if (!ready)
		return 0;
	return x2apic ? rd(APIC_ID) : rd(APIC_ID) >> 24;
}

const char *lapic_mode(void)
{
	static const char *const names[2][2] = { { "xapic, one-shot", "xapic, tsc-deadline" },
						 { "x2apic, one-shot", "x2apic, tsc-deadline" } };

	return ready ? names[x2apic][deadline] : "off";
}

static void icr(uint32_t apic, uint32_t low)
{
	if (x2apic) {
		/*
		 * A WRMSR to the x2APIC does not wait for earlier stores: fence
		 * so that what the IPI announces is visible before it lands.
		 */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(MSR_X2APIC_FIRST + APIC_ICR_LO / 16, (uint64_t)apic << 32 | low);
		return;
	}
	for (int i = 0; i < 1000000 && (rd(APIC_ICR_LO) & ICR_BUSY); i++)
		cpu_relax();
	wr(APIC_ICR_HI, apic << 24);
	wr(APIC_ICR_LO, low);
}

bool lapic_can_reach(uint32_t apic)
{
	return x2apic || apic < 0xff;
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
