/*
 * virtio devices (kernel/drivers/virtio, docs/virtio.md): the virtio-mmio
 * transport (virtio 1.x, register layout version 2) and the virtio-blk
 * driver, which registers each disk with the block layer as vda, vdb, ...
 *
 * Counters say what was refused or went wrong; every one of them comes with
 * a line on the console (the first few times per device).
 */
#ifndef OSPREY_VIRTIO_H
#define OSPREY_VIRTIO_H

#include <osprey/kernel.h>

struct virtio_counts {
	uint64_t devices;	 /* virtio devices found (any type, any version) */
	uint64_t legacy_refused; /* version 1 (legacy) transports refused */
	uint64_t init_failed;	 /* modern devices whose set-up failed (features, queue, config) */
	uint64_t blk_disks;	 /* virtio-blk disks registered */
	uint64_t bad_used;	 /* used-ring entries refused (bad id, not in flight, bad length) */
	uint64_t ring_broken;	 /* queues whose used index ran ahead (device reset) */
	uint64_t bad_status;	 /* requests with a failed or invalid status byte */
	uint64_t timeouts;	 /* requests the device did not complete in time (device reset) */
	/* Completion (docs/virtio.md) */
	uint64_t interrupts;	  /* interrupts the disks' handler took */
	uint64_t irq_empty;	  /* of those, with nothing in the used ring (see irq_storms) */
	uint64_t irq_storms;	  /* interrupt lines masked after a run of empty interrupts */
	uint64_t irq_completions; /* requests the interrupt handler completed */
	uint64_t irq_wakeups;	  /* of those, whose submitter it woke from its sleep */
	uint64_t sleeps;	  /* times a submitter slept waiting for its request */
	uint64_t polled;	  /* requests whose submitter polled instead (docs/virtio.md) */
};

/*
 * Finds the virtio-mmio devices (the microvm window, and any the command
 * line names) and starts a driver for each one it knows.  Once, by the
 * first caller, however many CPUs call together (the others wait until it
 * is done); later calls return at once.  Not called at boot: the block
 * layer calls it on the first lookup of a device it does not know
 * (blk_open()).  Does not sleep; takes "virtio-probe" (docs/locking.md).
 */
void virtio_init(void);
void virtio_counts(struct virtio_counts *c);

struct blkdev;
/* The GSI a virtio disk interrupts on (for tests); -ENODEV when it is polled or not virtio. */
int virtio_blk_gsi(struct blkdev *dev, uint32_t *gsi);

#endif
