/*
 * virtio-blk formats and the checks of what the device says about itself,
 * without any architecture dependency (blk_check.c; host unit tests and the
 * fuzz target run them too).
 */
#ifndef OSPREY_VBLK_H
#define OSPREY_VBLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_ID_BLOCK 2

/* Feature bits (virtio 1.x: bit 32 is VIRTIO_F_VERSION_1). */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5

/* Request types and status values. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* The device-readable header in front of every request. */
struct vblk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector; /* in 512-byte units, whatever the block size */
};

/* The first bytes of the configuration space that the driver reads. */
#define VBLK_CONFIG_LEN 24
#define VBLK_CFG_CAPACITY 0
#define VBLK_CFG_SIZE_MAX 8
#define VBLK_CFG_SEG_MAX 12

/* The largest disk we accept: 2^48 sectors (128 PiB); more is a broken device. */
#define VBLK_MAX_CAPACITY (1ull << 48)

struct vblk_config {
	uint64_t capacity; /* 512-byte sectors, 1 .. VBLK_MAX_CAPACITY */
	uint32_t seg_max;  /* data buffers per request: 0 when the device set no limit */
	uint32_t size_max; /* bytes per buffer: 0 when the device set no limit */
	bool readonly;
};

/*
 * Reads the configuration bytes cfg[0..len) under the negotiated features.
 * -EINVAL with *why set for a capacity of 0 or beyond VBLK_MAX_CAPACITY, a
 * negotiated seg_max of 0, a size_max below 512, or too few bytes.
 */
int vblk_parse_config(const uint8_t *cfg, size_t len, uint64_t features, struct vblk_config *out,
		      const char **why);

/* The status byte the device wrote: 0, or -EIO with *why for a failure or a value no device may write. */
int vblk_status(uint8_t status, const char **why);

#endif
