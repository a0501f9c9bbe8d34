/* What the virtio files share: one virtio-mmio transport and the driver hooks. */
#ifndef OSPREY_VIRTIO_INTERNAL_H
#define OSPREY_VIRTIO_INTERNAL_H

#include <stdatomic.h>

#include <osprey/virtio.h>

#include "virtq.h"

/* virtio-mmio registers (virtio 1.x, section 4.2.2). */
#define VMMIO_MAGIC 0x000
#define VMMIO_VERSION 0x004
#define VMMIO_DEVICE_ID 0x008
#define VMMIO_VENDOR_ID 0x00c
#define VMMIO_DEVICE_FEATURES 0x010
#define VMMIO_DEVICE_FEATURES_SEL 0x014
#define VMMIO_DRIVER_FEATURES 0x020
#define VMMIO_DRIVER_FEATURES_SEL 0x024
#define VMMIO_QUEUE_SEL 0x030
#define VMMIO_QUEUE_NUM_MAX 0x034
#define VMMIO_QUEUE_NUM 0x038
#define VMMIO_QUEUE_READY 0x044
#define VMMIO_QUEUE_NOTIFY 0x050
#define VMMIO_INTERRUPT_STATUS 0x060
#define VMMIO_INTERRUPT_ACK 0x064
#define VMMIO_STATUS 0x070
#define VMMIO_QUEUE_DESC_LOW 0x080
#define VMMIO_QUEUE_DESC_HIGH 0x084
#define VMMIO_QUEUE_DRIVER_LOW 0x090
#define VMMIO_QUEUE_DRIVER_HIGH 0x094
#define VMMIO_QUEUE_DEVICE_LOW 0x0a0
#define VMMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VMMIO_CONFIG_GENERATION 0x0fc
#define VMMIO_CONFIG 0x100

#define VMMIO_MAGIC_VALUE 0x74726976 /* "virt" */

/* Device status bits. */
#define VSTAT_ACKNOWLEDGE 1
#define VSTAT_DRIVER 2
#define VSTAT_DRIVER_OK 4
#define VSTAT_FEATURES_OK 8
#define VSTAT_FAILED 128

struct virtio_mmio {
	uint64_t phys;		/* [i] the register window */
	volatile uint8_t *regs; /* [i] mapped uncached */
	uint32_t irq;		/* [i] the GSI, 0 when not known (then the driver polls) */
	bool irq_level;		/* [i] level-triggered (microvm's window), else edge */
	uint32_t device_id;	/* [i] */
};

uint32_t vmmio_read(struct virtio_mmio *m, uint32_t off);
void vmmio_write(struct virtio_mmio *m, uint32_t off, uint32_t val);

/* Reset, ACKNOWLEDGE, DRIVER, then features: VERSION_1 plus what wanted (device bits), FEATURES_OK. */
int vmmio_negotiate(struct virtio_mmio *m, uint64_t wanted, uint64_t *got);
/* Queue qi's size: the largest power of two <= min(QueueNumMax, max_size). */
int vmmio_queue_size(struct virtio_mmio *m, uint32_t qi, uint32_t max_size, uint32_t *size);
/* Bytes of memory a queue of size entries needs (rings and private records); 0 for a bad size. */
size_t vmmio_queue_bytes(uint32_t size);
/*
 * Sets q up over mem (vmmio_queue_bytes(size), page-aligned, the caller's
 * for as long as the device may use it), hands its addresses to the device
 * and makes it ready.  Without interrupts the device is asked not to send
 * any (VIRTQ_AVAIL_F_NO_INTERRUPT).
 */
void vmmio_queue_start(struct virtio_mmio *m, uint32_t qi, uint32_t size, void *mem,
		       struct virtq *q, bool interrupts);
/* Copies len config bytes, retrying until the config generation holds still. */
int vmmio_read_config(struct virtio_mmio *m, uint8_t *buf, size_t len);
void vmmio_driver_ok(struct virtio_mmio *m);
/* Writes 0 to status and waits for the device to read back 0. */
void vmmio_reset(struct virtio_mmio *m);
void vmmio_fail(struct virtio_mmio *m);
static inline void vmmio_notify(struct virtio_mmio *m, uint32_t qi)
{
	vmmio_write(m, VMMIO_QUEUE_NOTIFY, qi);
}

/* Physical address of a kernel virtual address (any mapping), 0 if unmapped. */
uint64_t virtio_dma_addr(const void *va);

/* The drivers: each keeps its own copy of *m. */
int virtio_blk_probe(const struct virtio_mmio *m);

/* Shared counters (relaxed atomics). */
extern struct virtio_stat {
	_Atomic uint64_t devices, legacy_refused, init_failed, blk_disks, bad_used, ring_broken,
		bad_status, timeouts, interrupts, irq_empty, irq_storms, irq_completions,
		irq_wakeups, sleeps, polled;
} virtio_stat;

static inline void virtio_count(_Atomic uint64_t *c)
{
	/* relaxed: statistics, ordering nothing */
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

#endif
