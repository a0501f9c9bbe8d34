/*
 * The TSC clock and its calibration.
 *
 * Sources of the TSC rate, best first:
 *   1. kvmclock (KVM): the hypervisor publishes tsc_to_system_mul/shift.
 *   2. CPUID 0x15 (crystal ratio; crystal from ECX or leaf 0x16), or the
 *      hypervisor timing leaf 0x40000010 (TSC kHz in EAX).
 *   3. The PIT, a 1193182 Hz counter that QEMU drives from the host clock.
 *      time_early_init() starts it and takes a first (PIT, TSC) sample at
 *      the very start of boot; the second is taken when the clock is first
 *      used (clock_ready()), waiting only if fewer than MIN_PIT_TICKS have
 *      passed.  Boot itself never waits for the window: it overlaps with
 *      the rest of boot and with whatever runs before the first reading
 *      of the time (under TCG boot alone takes about as long).  Each
 *      sample keeps the tightest of four bracketed reads, so a host
 *      preempting the vCPU cannot skew it.  The 16-bit counter wraps after
 *      54.9 ms; a first use later than that is seen in the counter's OUT
 *      pin, and the measurement starts over.
 * The clock reads rdtsc and scales with a 32.32 fixed-point multiplier.
 *
 * hz and source are written once, before mult, which is published with a
 * release store: a reader that sees mult (acquire) sees them too.  The
 * calibrating CPU is chosen by compare-and-swap on `calibrating`, not by a
 * lock, so that no per-CPU state is needed (a panic may read the clock).
 * Before time_init() there is no rate: the clock reads 0, as ever.
 */
#include <osprey/arch/cpu.h>
#include <osprey/arch/layout.h>
#include <osprey/boot.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/time.h>

#define MIN_PIT_TICKS 1800 /* ~1.5 ms: ±2 µs of read jitter stays under 0.3% */

#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_GATE 0x61

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

static uint64_t hz;		 /* written once, before mult */
static enum clock_source source; /* written once, before mult */
static uint64_t mult;		 /* ns = ticks * mult >> 32; 0 until calibrated */
static bool pit_pending;	 /* time_init() chose the PIT; set before any other CPU runs */
static bool calibrating;	 /* a CPU has taken on the PIT measurement */

/* A PIT reading and the TSC at the moment of its latch. */
struct pit_sample {
	uint64_t tsc;
	uint32_t ticks;
};

static struct pit_sample pit_first;

static void pit_program(void)
{
	/* Channel 2, gate on, speaker off; mode 0, count 0xffff, counting down. */
	outb(PIT_GATE, (uint8_t)((inb(PIT_GATE) & ~0x02) | 0x01));
	outb(PIT_CMD, 0xb0);
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
}

uint32_t pit_elapsed(void)
{
	outb(PIT_CMD, 0x80); /* latch channel 2 */
	uint32_t lo = inb(PIT_CH2);
	uint32_t hi = inb(PIT_CH2);

	return 0xffff - (lo | hi << 8);
}

/* Channel 2's OUT pin (read-back status): in mode 0 it rises when the count wraps. */
static bool pit_wrapped(void)
{
	outb(PIT_CMD, 0xe8); /* read back: status only, channel 2 */
	return inb(PIT_CH2) & 0x80;
}

/*
 * Brackets the latch with two TSC reads and keeps the tightest of a few
 * tries: if the host deschedules the vCPU in the middle of one, its bracket
 * is wide and another wins.  The latch is taken to be in the middle.
 */
static struct pit_sample pit_sample(void)
{
	struct pit_sample best = { 0, 0 };
	uint64_t width = ~0ull;

	for (int i = 0; i < 4; i++) {
		uint64_t t0 = rdtsc();
		uint32_t ticks = pit_elapsed();
		uint64_t t1 = rdtsc();

		if (t1 - t0 < width) {
			width = t1 - t0;
			best.tsc = t0 + width / 2;
			best.ticks = ticks;
		}
	}
	return best;
}

void time_early_init(void)
{
	pit_program();
	/* The count loads on the PIT's next clock edge: wait until it runs. */
	for (int i = 0; i < 1000; i++) {
		uint32_t e = pit_elapsed();

		if (e > 0 && e < 0x8000)
			break;
	}
	pit_first = pit_sample();
}

static uint64_t from_kvmclock(void)
{
	struct cpuid_regs r = cpuid(0x40000000, 0);

	if (r.ebx != 0x4b4d564b || r.ecx != 0x564b4d56 || r.edx != 0x4d) /* "KVMKVMKVM" */
		return 0;
	if (!(cpuid(0x40000001, 0).eax & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	static struct pvclock pv __attribute__((aligned(64)));

	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys(&pv) | 1);
	uint32_t mul = __atomic_load_n(&pv.tsc_to_system_mul, __ATOMIC_ACQUIRE);
	int shift = pv.tsc_shift;

	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	if (!mul)
		return 0;
	/* ns = (ticks << shift) * mul >> 32, so hz = (1e9 << 32) / mul >> shift. */
	uint64_t v = (1000000000ull << 32) / mul;

	return shift >= 0 ? v >> shift : v << -shift;
}

static uint64_t from_cpuid(void)
{
	uint32_t max = cpuid(0, 0).eax;

	if (max >= 0x15) {
		struct cpuid_regs r = cpuid(0x15, 0);
		uint64_t crystal = r.ecx;

		if (!crystal && max >= 0x16)
			crystal = (uint64_t)(cpuid(0x16, 0).eax & 0xffff) * 1000000 * r.eax / r.ebx;
		if (r.eax && r.ebx && crystal)
			return crystal * r.ebx / r.eax;
	}
	if (cpuid(1, 0).ecx & CPUID1_ECX_HYPERVISOR) {
		uint32_t hmax = cpuid(0x40000000, 0).eax;

		if (hmax >= 0x40000010 && hmax < 0x40000100) {
			uint32_t khz = cpuid(0x40000010, 0).eax;

			if (khz)
				return (uint64_t)khz * 1000;
		}
	}
	return 0;
}

static uint64_t from_pit(void)
{
	while (pit_elapsed() < pit_first.ticks + MIN_PIT_TICKS)
		cpu_relax();
	struct pit_sample last = pit_sample();
	uint32_t ticks = last.ticks - pit_first.ticks;

	if (!ticks || last.ticks < pit_first.ticks)
		return 0;
	return (last.tsc - pit_first.tsc) * PIT_HZ / ticks;
}

/* Once, by the CPU that measured the rate. */
static void publish(uint64_t rate, enum clock_source src)
{
	if (!rate) {
		pr_warn("time: cannot measure the TSC; assuming 1 GHz\n");
		rate = 1000000000;
		src = CLOCK_SRC_NONE;
	}
	hz = rate;
	source = src;
	/* release: pairs with the acquire in clock_ready() */
	__atomic_store_n(&mult, (1000000000ull << 32) / rate, __ATOMIC_RELEASE);
}

/*
 * The clock boot phase: a rate the hypervisor tells, else the PIT, measured
 * on first use.  Boot is single-threaded here.
 */
void time_init(void)
{
	uint64_t rate;

	if ((rate = from_kvmclock()))
		publish(rate, CLOCK_SRC_KVMCLOCK);
	else if ((rate = from_cpuid()))
		publish(rate, CLOCK_SRC_CPUID);
	else
		pit_pending = true;
}

/*
 * The PIT measurement, by the first CPU to get here; others wait for it.
 * Before the clock boot phase there is no rate yet: 0, as ever.
 */
static __attribute__((noinline)) uint64_t calibrate(void)
{
	bool expect = false;
	uint64_t m;

	if (!pit_pending)
		return 0;
	/* relaxed: the mult it publishes carries the ordering */
	if (__atomic_compare_exchange_n(&calibrating, &expect, true, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED)) {
		if (pit_wrapped()) /* the window is lost: open a new one */
			time_early_init();
		publish(from_pit(), CLOCK_SRC_PIT);
	}
	/* acquire: pairs with the release in publish() */
	while (!(m = __atomic_load_n(&mult, __ATOMIC_ACQUIRE)))
		cpu_relax();
	return m;
}

/* The multiplier, measuring the rate first if that is still to do. */
static inline uint64_t clock_ready(void)
{
	/* acquire: pairs with the release in publish(), so hz and source are set */
	uint64_t m = __atomic_load_n(&mult, __ATOMIC_ACQUIRE);

	return __builtin_expect(m != 0, 1) ? m : calibrate();
}

void pit_start(void)
{
	clock_ready(); /* a calibration still waiting for its window needs the PIT */
	pit_program();
}

uint64_t tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * clock_ready()) >> 32);
}

uint64_t clock_ns(void)
{
	return tsc_to_ns(rdtsc() - boot_info.tsc0);
}

uint64_t tsc_hz(void)
{
	clock_ready();
	return hz;
}

enum clock_source clock_source(void)
{
	clock_ready();
	return source;
}

const char *clock_source_name(void)
{
	static const char *const names[] = { "none", "kvmclock", "cpuid", "pit" };

	return names[clock_source()];
}

void delay_ns(uint64_t ns)
{
	uint64_t end = clock_ns() + ns;

	while (clock_ns() < end)
		cpu_relax();
}
