/*
 * Device interrupts: the IOAPICs and the device vectors.
 *
 * The IOAPICs come from the ACPI MADT (QEMU's microvm has two: GSIs 0..23
 * at 0xfec00000 and, with ACPI, 24..47 at 0xfec10000, where its virtio-mmio
 * transports interrupt); without a MADT entry, the standard one at
 * 0xfec00000 serving GSIs from 0 is assumed (Firecracker, microvm without
 * ACPI).  Each is asked how many pins it has (its version register), so a
 * table's claim is checked against the chip.  They are found on the first
 * irq_attach(), not at boot: the default image attaches nothing.
 *
 * A redirection entry: the vector, fixed delivery, physical destination
 * (the attaching CPU's APIC id), active high, edge or level.  With a
 * level-triggered entry the IOAPIC waits for the end-of-interrupt (the
 * local APIC broadcasts it) before it delivers again, and delivers again
 * if the line is still high then: trap.c sends the EOI after the handler,
 * which has acknowledged its device by then.
 *
 * Vectors: one per attached GSI, from VEC_DEVICE_FIRST up (apic.h owns the
 * numbers), never given back.  A handler is published with release before
 * its entry is unmasked; irq_dispatch() loads it with acquire.
 *
 * Locks: "ioapic-find" makes the discovery happen once (thread context,
 * above the memory locks: it maps the registers); "ioapic" guards the
 * register window (select, then read or write) and the vector counter; a
 * leaf taken with interrupts off, since irq_mask() may run in a handler.
 */
#include <osprey/acpi.h>
#include <osprey/arch/apic.h>
#include <osprey/arch/cpu.h>
#include <osprey/arch/irq.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>

#define IOAPIC_MAX 8
#define IOAPIC_DEFAULT 0xfec00000u
#define IOREGSEL 0 /* in 32-bit words */
#define IOWIN 4	   /* at byte 0x10 */
#define IOAPIC_VER 1
#define IOREDTBL(pin) (0x10 + 2 * (pin))
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)
#define NVEC (VEC_DEVICE_LAST - VEC_DEVICE_FIRST + 1)

struct ioapic {
	volatile uint32_t *regs; /* [i] mapped uncached */
	uint32_t phys;		 /* [i] */
	uint32_t gsi_base;	 /* [i] */
	uint32_t pins;		 /* [i] from its version register */
};

static struct ioapic ioapics[IOAPIC_MAX]; /* [i] once found */
static unsigned nioapics;		  /* [i] once found */
static _Atomic bool found;		  /* [a] ioapics[] is filled */
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");
static unsigned next_vector = VEC_DEVICE_FIRST; /* [l] */

static struct {
	void (*_Atomic fn)(void *arg); /* [a] set once, with release */
	void *arg;		       /* [i] before fn */
	uint32_t gsi;		       /* [i] before fn */
	_Atomic uint64_t count;	       /* [a] relaxed */
} vectors[NVEC];

/* Caller holds ioapic_lock. */
static uint32_t io_read(const struct ioapic *io, uint32_t reg)
{
	io->regs[IOREGSEL] = reg;
	return io->regs[IOWIN];
}

/* Caller holds ioapic_lock. */
static void io_write(const struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->regs[IOREGSEL] = reg;
	io->regs[IOWIN] = v;
}

static void add_ioapic(uint32_t phys, uint32_t gsi_base)
{
	struct ioapic *io = &ioapics[nioapics];
	void *va;

	if (nioapics == IOAPIC_MAX || mmu_map_direct(phys, 4096, true, &va))
		return;
	io->regs = va;
	io->phys = phys;
	io->gsi_base = gsi_base;
	uint64_t flags = spin_lock_irqsave(&ioapic_lock);
	uint32_t ver = io_read(io, IOAPIC_VER);

	spin_unlock_irqrestore(&ioapic_lock, flags);
	if (ver == 0xffffffffu) {
		pr_err("ioapic@0x%x: nothing answers there\n", phys);
		return;
	}
	io->pins = ((ver >> 16) & 0xff) + 1;
	nioapics++;
}

static void find_ioapics(void)
{
	static struct spinlock find_lock = SPINLOCK_INIT("ioapic-find");
	struct acpi_ioapic tab[IOAPIC_MAX];
	unsigned n;

	/* acquire: pairs with the release below, so ioapics[] is seen whole */
	if (atomic_load_explicit(&found, memory_order_acquire))
		return;
	spin_lock(&find_lock);
	/* relaxed: find_lock orders it against the store below */
	if (!atomic_load_explicit(&found, memory_order_relaxed)) {
		if (acpi_ioapics(tab, IOAPIC_MAX, &n) == 0) {
			for (unsigned i = 0; i < MIN(n, (unsigned)IOAPIC_MAX); i++)
				add_ioapic(tab[i].address, tab[i].gsi_base);
		} else {
			add_ioapic(IOAPIC_DEFAULT, 0);
		}
		/* release: pairs with the acquire above */
		atomic_store_explicit(&found, true, memory_order_release);
	}
	spin_unlock(&find_lock);
}

static const struct ioapic *serving(uint32_t gsi, uint32_t *pin)
{
	for (unsigned i = 0; i < nioapics; i++) {
		const struct ioapic *io = &ioapics[i];

		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

int irq_attach(uint32_t gsi, enum irq_trigger trig, void (*fn)(void *arg), void *arg,
	       unsigned *vector)
{
	const struct ioapic *io;
	uint32_t pin, dest;
	uint64_t flags;
	int ret;

	if ((ret = lapic_init()))
		return ret;
	find_ioapics();
	io = serving(gsi, &pin);
	dest = lapic_id();
	if (!io || dest > 0xff)
		return -ENODEV;
	flags = spin_lock_irqsave(&ioapic_lock);
	if (!(io_read(io, IOREDTBL(pin)) & RTE_MASKED)) {
		ret = -EBUSY;
	} else if (next_vector > VEC_DEVICE_LAST) {
		ret = -ENOSPC;
	} else {
		unsigned v = next_vector++;

		vectors[v - VEC_DEVICE_FIRST].arg = arg;
		vectors[v - VEC_DEVICE_FIRST].gsi = gsi;
		/* release: arg and gsi before fn; pairs with the acquire in irq_dispatch() */
		atomic_store_explicit(&vectors[v - VEC_DEVICE_FIRST].fn, fn, memory_order_release);
		io_write(io, IOREDTBL(pin) + 1, dest << 24);
		io_write(io, IOREDTBL(pin), v | (trig == IRQ_LEVEL ? RTE_LEVEL : 0));
		*vector = v;
	}
	spin_unlock_irqrestore(&ioapic_lock, flags);
	return ret;
}

void irq_mask(uint32_t gsi, bool masked)
{
	const struct ioapic *io;
	uint32_t pin;

	/* acquire: pairs with find_ioapics()' release */
	if (!atomic_load_explicit(&found, memory_order_acquire) || !(io = serving(gsi, &pin)))
		return;
	uint64_t flags = spin_lock_irqsave(&ioapic_lock);
	uint32_t lo = io_read(io, IOREDTBL(pin));

	io_write(io, IOREDTBL(pin), masked ? lo | RTE_MASKED : lo & ~RTE_MASKED);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

uint64_t irq_count(unsigned vector)
{
	if (vector < VEC_DEVICE_FIRST || vector > VEC_DEVICE_LAST)
		return 0;
	/* relaxed: statistics */
	return atomic_load_explicit(&vectors[vector - VEC_DEVICE_FIRST].count,
				    memory_order_relaxed);
}

void irq_dispatch(unsigned vector)
{
	/* acquire: pairs with the release in irq_attach() */
	void (*fn)(void *) =
		atomic_load_explicit(&vectors[vector - VEC_DEVICE_FIRST].fn, memory_order_acquire);

	if (WARN_ONCE(!fn))
		return; /* a vector nobody attached: nothing routes to it */
	/* relaxed: a statistic */
	atomic_fetch_add_explicit(&vectors[vector - VEC_DEVICE_FIRST].count, 1,
				  memory_order_relaxed);
	fn(vectors[vector - VEC_DEVICE_FIRST].arg);
}
