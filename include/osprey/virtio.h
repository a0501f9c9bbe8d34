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
};

/*
 * Finds the virtio-mmio devices (the microvm window, and any the command
 * line names) and starts a driver for each one it knows.  Once; later
 * calls return at once.  Boot calls it.
 */
void virtio_init(void);
void virtio_counts(struct virtio_counts *c);

#endif
