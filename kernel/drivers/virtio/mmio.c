/*
 * The virtio-mmio transport, virtio 1.x register layout (version 2), and
 * finding the devices.
 *
 * Finding them.  QEMU's microvm puts its virtio-mmio transports at
 * 0xfeb00000, 512 bytes apart: 8 of them, or 24 when it has a second
 * IOAPIC (its default with ACPI, as `osprey run` boots it).  It names the
 * ones in use on the kernel command line (virtio_mmio.device=512@ADDR:IRQ)
 * only when ACPI is off; with ACPI it describes them in the DSDT, which
 * Osprey does not interpret.  So the kernel probes the window: each slot's
 * magic, version and device id, three 32-bit reads.  An empty transport
 * says device id 0 and is skipped.  Firecracker names its devices on the
 * command line; those words are accepted (kernel/core/cmdline.c) and probed
 * the same way.  docs/virtio.md has the reasons.
 *
 * Version 1 (legacy) transports are refused with one line and a counter:
 * QEMU makes them by default (virtio-mmio's force-legacy=true), and
 * `osprey run --disk` asks for modern ones (-global
 * virtio-mmio.force-legacy=false).
 *
 * When.  Not at boot: the probe costs ~1 ms under TCG (mapping the window,
 * 24 slots of MMIO reads, code run for the first time), so the block
 * layer runs it on the first lookup of a device it does not know
 * (blk_open(), kernel/drivers/block/block.c).  The default image, which
 * opens no disk, runs no virtio code at all.
 *
 * Locks: "virtio-probe" makes the probe happen once when several CPUs ask
 * together (virtio_init() below); it is taken above the heap's locks,
 * "blkdevs" and "ioapic".
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/cmdline.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/time.h>

#include "internal.h"
#include "vblk.h"

#define MICROVM_MMIO_BASE 0xfeb00000ull
#define MICROVM_MMIO_SLOTS 24
#define VMMIO_SLOT_SIZE 512
#define MICROVM_GSI_FIRST 24 /* slot i interrupts on GSI 24 + i (the second IOAPIC) */

struct virtio_stat virtio_stat;

uint32_t vmmio_read(struct virtio_mmio *m, uint32_t off)
{
	return *(volatile uint32_t *)(m->regs + off);
}

void vmmio_write(struct virtio_mmio *m, uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(m->regs + off) = val;
}

void vmmio_reset(struct virtio_mmio *m)
{
	uint64_t deadline = clock_ns() + 1000000000ull;

	vmmio_write(m, VMMIO_STATUS, 0);
	/* the spec: the driver waits until status reads 0 again */
	while (vmmio_read(m, VMMIO_STATUS) != 0 && clock_ns() < deadline)
		cpu_relax();
}

void vmmio_fail(struct virtio_mmio *m)
{
	vmmio_write(m, VMMIO_STATUS, vmmio_read(m, VMMIO_STATUS) | VSTAT_FAILED);
}

int vmmio_negotiate(struct virtio_mmio *m, uint64_t wanted, uint64_t *got)
{
	uint64_t dev, drv;

	vmmio_reset(m);
	vmmio_write(m, VMMIO_STATUS, VSTAT_ACKNOWLEDGE);
	vmmio_write(m, VMMIO_STATUS, VSTAT_ACKNOWLEDGE | VSTAT_DRIVER);
	vmmio_write(m, VMMIO_DEVICE_FEATURES_SEL, 0);
	dev = vmmio_read(m, VMMIO_DEVICE_FEATURES);
	vmmio_write(m, VMMIO_DEVICE_FEATURES_SEL, 1);
	dev |= (uint64_t)vmmio_read(m, VMMIO_DEVICE_FEATURES) << 32;
	if (!(dev & (1ull << 32))) {
		pr_err("virtio-mmio@0x%lx: the device does not offer VIRTIO_F_VERSION_1\n",
		       m->phys);
		return -ENODEV;
	}
	drv = (dev & wanted) | (1ull << 32);
	vmmio_write(m, VMMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_write(m, VMMIO_DRIVER_FEATURES, (uint32_t)drv);
	vmmio_write(m, VMMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_write(m, VMMIO_DRIVER_FEATURES, (uint32_t)(drv >> 32));
	vmmio_write(m, VMMIO_STATUS, VSTAT_ACKNOWLEDGE | VSTAT_DRIVER | VSTAT_FEATURES_OK);
	if (!(vmmio_read(m, VMMIO_STATUS) & VSTAT_FEATURES_OK)) {
		pr_err("virtio-mmio@0x%lx: the device refused features 0x%lx\n", m->phys, drv);
		return -ENODEV;
	}
	*got = drv;
	return 0;
}

int vmmio_queue_size(struct virtio_mmio *m, uint32_t qi, uint32_t max_size, uint32_t *size)
{
	uint32_t max, n;

	vmmio_write(m, VMMIO_QUEUE_SEL, qi);
	if (vmmio_read(m, VMMIO_QUEUE_READY) != 0) {
		pr_err("virtio-mmio@0x%lx: queue %u is already in use after a reset\n", m->phys,
		       qi);
		return -ENODEV;
	}
	max = vmmio_read(m, VMMIO_QUEUE_NUM_MAX);
	if (max == 0) {
		pr_err("virtio-mmio@0x%lx: queue %u does not exist\n", m->phys, qi);
		return -ENODEV;
	}
	/* The largest power of two within both limits (the device's need not be one). */
	n = MIN(MIN(max, max_size), (uint32_t)VIRTQ_MAX_SIZE);
	while (n & (n - 1))
		n &= n - 1;
	*size = n;
	return 0;
}

/* The rings, then the private slots and free list (8-byte aligned). */
size_t vmmio_queue_bytes(uint32_t size)
{
	struct virtq_layout l;

	if (virtq_layout(size, &l))
		return 0;
	return ALIGN_UP(l.total, (size_t)8) + sizeof(struct virtq_slot) * (size_t)size +
	       2 * sizeof(uint16_t) * (size_t)size;
}

void vmmio_queue_start(struct virtio_mmio *m, uint32_t qi, uint32_t size, void *mem,
		       struct virtq *q, bool interrupts)
{
	struct virtq_layout l;

	virtq_layout(size, &l); /* size came from vmmio_queue_size(): a power of two */
	struct virtq_slot *slots =
		(struct virtq_slot *)((char *)mem + ALIGN_UP(l.total, (size_t)8));

	virtq_init(q, size, mem, slots, (uint16_t *)(slots + size));
	/* Without an interrupt the driver polls: ask the device not to interrupt. */
	q->avail->flags = interrupts ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
	uint64_t pa = virt_to_phys(mem);

	vmmio_write(m, VMMIO_QUEUE_SEL, qi);
	vmmio_write(m, VMMIO_QUEUE_NUM, size);
	vmmio_write(m, VMMIO_QUEUE_DESC_LOW, (uint32_t)(pa + l.desc));
	vmmio_write(m, VMMIO_QUEUE_DESC_HIGH, (uint32_t)((pa + l.desc) >> 32));
	vmmio_write(m, VMMIO_QUEUE_DRIVER_LOW, (uint32_t)(pa + l.avail));
	vmmio_write(m, VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)((pa + l.avail) >> 32));
	vmmio_write(m, VMMIO_QUEUE_DEVICE_LOW, (uint32_t)(pa + l.used));
	vmmio_write(m, VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)((pa + l.used) >> 32));
	vmmio_write(m, VMMIO_QUEUE_READY, 1);
}

int vmmio_read_config(struct virtio_mmio *m, uint8_t *buf, size_t len)
{
	for (int tries = 0; tries < 100; tries++) {
		uint32_t gen = vmmio_read(m, VMMIO_CONFIG_GENERATION);

		for (size_t i = 0; i < len; i++)
			buf[i] = m->regs[VMMIO_CONFIG + i];
		if (vmmio_read(m, VMMIO_CONFIG_GENERATION) == gen)
			return 0;
	}
	pr_err("virtio-mmio@0x%lx: the configuration never held still\n", m->phys);
	return -EIO;
}

void vmmio_driver_ok(struct virtio_mmio *m)
{
	vmmio_write(m, VMMIO_STATUS,
		    VSTAT_ACKNOWLEDGE | VSTAT_DRIVER | VSTAT_FEATURES_OK | VSTAT_DRIVER_OK);
}

uint64_t virtio_dma_addr(const void *va)
{
	uintptr_t v = (uintptr_t)va;
	int level;
	uint64_t pte, mask;

	if (v >= DIRECT_MAP && v < KVA_BASE)
		return v - DIRECT_MAP;
	if (v >= KERNEL_VMA)
		return v - KERNEL_VMA;
	/* the kernel virtual area (stacks): ask the page tables */
	pte = mmu_lookup(v, &level);
	if (!(pte & PTE_P))
		return 0;
	mask = level == 3 ? (1ull << 30) - 1 : level == 2 ? (1ull << 21) - 1 : PAGE_SIZE - 1;
	return (pte & PTE_ADDR & ~mask) | (v & mask);
}

/* One transport: a modern device gets its driver; the rest are said and counted. */
static void probe_one(uint64_t phys, volatile uint8_t *regs, uint32_t irq, bool level)
{
	struct virtio_mmio m = { .phys = phys, .regs = regs, .irq = irq, .irq_level = level };
	uint32_t version;

	if (vmmio_read(&m, VMMIO_MAGIC) != VMMIO_MAGIC_VALUE)
		return;
	m.device_id = vmmio_read(&m, VMMIO_DEVICE_ID);
	if (m.device_id == 0)
		return; /* a transport with nothing plugged in */
	virtio_count(&virtio_stat.devices);
	version = vmmio_read(&m, VMMIO_VERSION);
	if (version == 1) {
		virtio_count(&virtio_stat.legacy_refused);
		pr_err("virtio-mmio@0x%lx: legacy (version 1) device %u refused: Osprey drives virtio "
		       "1.x only (QEMU: -global virtio-mmio.force-legacy=false)\n",
		       phys, m.device_id);
		return;
	}
	if (version != 2) {
		virtio_count(&virtio_stat.init_failed);
		pr_err("virtio-mmio@0x%lx: unknown transport version %u refused\n", phys, version);
		return;
	}
	if (m.device_id != VIRTIO_ID_BLOCK) {
		pr_info("virtio-mmio@0x%lx: device type %u has no driver\n", phys, m.device_id);
		return;
	}
	/* the driver keeps its own copy of m, in its device's pages (no heap) */
	if (virtio_blk_probe(&m)) {
		virtio_count(&virtio_stat.init_failed);
		vmmio_reset(&m);
		vmmio_fail(&m);
	}
}

/*
 * The devices the command line names, then the microvm window.  A window
 * slot interrupts on GSI 24 + slot (ACPI, the second IOAPIC), level-
 * triggered as microvm's DSDT says, unless the command line names it
 * (microvm without ACPI: IRQs 5.. on the first IOAPIC).  A device the
 * command line names is taken as edge-triggered, as Linux takes such an
 * IRQ (an ISA one) and as Firecracker signals it (a pulse); QEMU's
 * level-triggered line works so too, since the driver acknowledges the
 * device before it reaps (blk.c).
 */
static void probe_all(void)
{
	uint32_t window_irq[MICROVM_MMIO_SLOTS];
	bool window_level[MICROVM_MMIO_SLOTS];
	void *va;

	for (int i = 0; i < MICROVM_MMIO_SLOTS; i++) {
		window_irq[i] = MICROVM_GSI_FIRST + (uint32_t)i;
		window_level[i] = true; /* as microvm's DSDT describes them */
	}
	for (int i = 0; i < boot_options.virtio_mmio_n; i++) {
		const struct cmdline_virtio_mmio *d = &boot_options.virtio_mmio[i];

		/* the microvm window is probed below anyway, with this IRQ */
		if (d->base >= MICROVM_MMIO_BASE &&
		    d->base < MICROVM_MMIO_BASE + MICROVM_MMIO_SLOTS * VMMIO_SLOT_SIZE) {
			uint64_t slot = (d->base - MICROVM_MMIO_BASE) / VMMIO_SLOT_SIZE;

			if ((d->base - MICROVM_MMIO_BASE) % VMMIO_SLOT_SIZE == 0) {
				window_irq[slot] = d->irq;
				window_level[slot] = false;
			}
			continue;
		}
		if (d->size < VMMIO_CONFIG || mmu_map_direct(d->base, d->size, true, &va))
			continue;
		probe_one(d->base, va, d->irq, false);
	}
	if (mmu_map_direct(MICROVM_MMIO_BASE, MICROVM_MMIO_SLOTS * VMMIO_SLOT_SIZE, true, &va))
		return;
	for (int i = 0; i < MICROVM_MMIO_SLOTS; i++)
		probe_one(MICROVM_MMIO_BASE + (uint64_t)i * VMMIO_SLOT_SIZE,
			  (volatile uint8_t *)va + i * VMMIO_SLOT_SIZE, window_irq[i],
			  window_level[i]);
}

/*
 * Once, by whichever CPU asks first; the others wait on probe_lock until it
 * is done.  probed is set with release after the last disk is registered,
 * and read with acquire: a caller that sees it true sees every disk, its
 * driver state and the counters whole.  The probe takes no sleeping lock
 * and does not sleep (preemption is off under probe_lock).
 */
void virtio_init(void)
{
	static struct spinlock probe_lock = SPINLOCK_INIT("virtio-probe");
	static _Atomic bool probed;

	/* acquire: pairs with the release below */
	if (atomic_load_explicit(&probed, memory_order_acquire))
		return;
	spin_lock(&probe_lock);
	/* relaxed: probe_lock orders it against the store below */
	if (!atomic_load_explicit(&probed, memory_order_relaxed)) {
		probe_all();
		/* release: pairs with the acquire above */
		atomic_store_explicit(&probed, true, memory_order_release);
	}
	spin_unlock(&probe_lock);
}

void virtio_counts(struct virtio_counts *c)
{
	c->devices = atomic_load_explicit(&virtio_stat.devices, memory_order_relaxed);
	c->legacy_refused = atomic_load_explicit(&virtio_stat.legacy_refused, memory_order_relaxed);
	c->init_failed = atomic_load_explicit(&virtio_stat.init_failed, memory_order_relaxed);
	c->blk_disks = atomic_load_explicit(&virtio_stat.blk_disks, memory_order_relaxed);
	c->bad_used = atomic_load_explicit(&virtio_stat.bad_used, memory_order_relaxed);
	c->ring_broken = atomic_load_explicit(&virtio_stat.ring_broken, memory_order_relaxed);
	c->bad_status = atomic_load_explicit(&virtio_stat.bad_status, memory_order_relaxed);
	c->timeouts = atomic_load_explicit(&virtio_stat.timeouts, memory_order_relaxed);
	c->interrupts = atomic_load_explicit(&virtio_stat.interrupts, memory_order_relaxed);
	c->irq_empty = atomic_load_explicit(&virtio_stat.irq_empty, memory_order_relaxed);
	c->irq_storms = atomic_load_explicit(&virtio_stat.irq_storms, memory_order_relaxed);
	c->irq_completions =
		atomic_load_explicit(&virtio_stat.irq_completions, memory_order_relaxed);
	c->irq_wakeups = atomic_load_explicit(&virtio_stat.irq_wakeups, memory_order_relaxed);
	c->sleeps = atomic_load_explicit(&virtio_stat.sleeps, memory_order_relaxed);
	c->polled = atomic_load_explicit(&virtio_stat.polled, memory_order_relaxed);
}
