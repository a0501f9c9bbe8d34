/*
 * The checks of what a virtio-blk device reports: its configuration space
 * and the status byte of each request (vblk.h).  Portable: the driver, the
 * host unit tests and the fuzz target share them.
 */
#include <string.h>

#include "vblk.h"

/* Portable: the kernel's numbers, without the kernel's header. */
#define EIO 5
#define EINVAL 22

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v)); /* little-endian, as virtio 1.x and the host */
	return v;
}

int vblk_parse_config(const uint8_t *cfg, size_t len, uint64_t features, struct vblk_config *out,
		      const char **why)
{
	uint64_t cap;

	if (len < VBLK_CONFIG_LEN) {
		*why = "configuration space too short";
		return -EINVAL;
	}
	memcpy(&cap, cfg + VBLK_CFG_CAPACITY, sizeof(cap));
	if (cap == 0) {
		*why = "capacity is 0 sectors";
		return -EINVAL;
	}
	if (cap > VBLK_MAX_CAPACITY) {
		*why = "capacity beyond 2^48 sectors";
		return -EINVAL;
	}
	out->capacity = cap;
	out->seg_max = 0;
	out->size_max = 0;
	if (features & (1ull << VIRTIO_BLK_F_SEG_MAX)) {
		out->seg_max = get32(cfg + VBLK_CFG_SEG_MAX);
		if (out->seg_max == 0) {
			*why = "seg_max is 0";
			return -EINVAL;
		}
	}
	if (features & (1ull << VIRTIO_BLK_F_SIZE_MAX)) {
		out->size_max = get32(cfg + VBLK_CFG_SIZE_MAX);
		if (out->size_max < 512) {
			*why = "size_max below 512 bytes";
			return -EINVAL;
		}
	}
	out->readonly = (features & (1ull << VIRTIO_BLK_F_RO)) != 0;
	return 0;
}

int vblk_status(uint8_t status, const char **why)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return 0;
	case VIRTIO_BLK_S_IOERR:
		*why = "device reported an I/O error";
		return -EIO;
	case VIRTIO_BLK_S_UNSUPP:
		*why = "device does not support the request";
		return -EIO;
	default:
		*why = "device left an invalid status byte";
		return -EIO;
	}
}
