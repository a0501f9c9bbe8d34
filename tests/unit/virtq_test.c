/*
 * kernel/drivers/virtio/virtq.c and blk_check.c on the host: chains go
 * into the rings as the spec lays them out, and every used-ring entry a
 * device could write is checked (bad id, a chain not in flight, a length
 * past the chain's buffers, an index that runs ahead), as is what a
 * virtio-blk device says about itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/test.h>

#include "../../kernel/drivers/virtio/vblk.h"
#include "../../kernel/drivers/virtio/virtq.h"

struct rig {
	struct virtq q;
	void *mem;
	struct virtq_slot *slots;
	uint16_t *free;
};

static int rig_init(struct rig *r, uint32_t size)
{
	struct virtq_layout l;

	if (virtq_layout(size, &l))
		return -EINVAL;
	r->mem = aligned_alloc(4096, (l.total + 4095) & ~(size_t)4095);
	r->slots = calloc(size, sizeof(*r->slots));
	r->free = calloc(2 * (size_t)size, sizeof(*r->free));
	return virtq_init(&r->q, size, r->mem, r->slots, r->free);
}

static void rig_free(struct rig *r)
{
	free(r->mem);
	free(r->slots);
	free(r->free);
}

/* The device's side: returns chain head id with len. */
static void device_use(struct virtq *q, uint32_t id, uint32_t len)
{
	struct virtq_used_elem *e = &q->used->ring[q->used->idx & (q->size - 1)];

	e->id = id;
	e->len = len;
	q->used->idx++;
}

TEST(virtq, layout_and_sizes)
{
	struct virtq_layout l;

	EXPECT_EQ(t, virtq_layout(0, &l), -EINVAL);
	EXPECT_EQ(t, virtq_layout(3, &l), -EINVAL);
	EXPECT_EQ(t, virtq_layout(65536, &l), -EINVAL);
	EXPECT_EQ(t, virtq_layout(32768, &l), 0);
	EXPECT_EQ(t, virtq_layout(256, &l), 0);
	EXPECT_EQ(t, l.avail, 16 * 256);
	EXPECT_EQ(t, l.used % 4, 0);
	EXPECT_GE(t, l.used, l.avail + 6 + 2 * 256);
	EXPECT_EQ(t, l.total, l.used + 6 + 8 * 256);
}

TEST(virtq, chain_goes_into_the_rings)
{
	struct rig r;
	struct virtq_buf b[3] = { { 0x1000, 16 }, { 0x2000, 4096 }, { 0x3000, 1 } };
	int token;
	void *got;
	uint32_t len;

	EXPECT_EQ(t, rig_init(&r, 8), 0);
	EXPECT_EQ(t, virtq_add(&r.q, b, 1, 2, &token), 0);
	EXPECT_EQ(t, r.q.avail->idx, 1);
	uint16_t head = r.q.avail->ring[0];
	struct virtq_desc *d = &r.q.desc[head];

	EXPECT_EQ(t, d->addr, 0x1000);
	EXPECT_EQ(t, d->len, 16);
	EXPECT_EQ(t, d->flags, VIRTQ_DESC_F_NEXT);
	d = &r.q.desc[d->next];
	EXPECT_EQ(t, d->addr, 0x2000);
	EXPECT_EQ(t, d->flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	d = &r.q.desc[d->next];
	EXPECT_EQ(t, d->addr, 0x3000);
	EXPECT_EQ(t, d->flags, VIRTQ_DESC_F_WRITE);
	EXPECT_EQ(t, r.q.nfree, 5);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), -EAGAIN);
	device_use(&r.q, head, 4097);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), 0);
	EXPECT_TRUE(t, got == &token);
	EXPECT_EQ(t, len, 4097);
	EXPECT_EQ(t, r.q.nfree, 8);
	EXPECT_FALSE(t, virtq_busy(&r.q));
	rig_free(&r);
}

TEST(virtq, full_queue_and_bad_chains)
{
	struct rig r;
	struct virtq_buf b[5] = { { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 1 }, { 5, 1 } };
	struct virtq_buf zero = { 1, 0 };
	struct virtq_buf huge[2] = { { 1, 0xffffffffu }, { 2, 2 } };

	EXPECT_EQ(t, rig_init(&r, 4), 0);
	EXPECT_EQ(t, virtq_add(&r.q, b, 0, 0, NULL), -EINVAL);
	EXPECT_EQ(t, virtq_add(&r.q, b, 5, 0, NULL), -EINVAL);
	EXPECT_EQ(t, virtq_add(&r.q, &zero, 1, 0, NULL), -EINVAL);
	EXPECT_EQ(t, virtq_add(&r.q, huge, 0, 2, NULL), -EINVAL);
	EXPECT_EQ(t, virtq_add(&r.q, b, 3, 0, NULL), 0);
	EXPECT_EQ(t, virtq_add(&r.q, b, 2, 0, NULL), -ENOSPC);
	EXPECT_EQ(t, virtq_add(&r.q, b, 1, 0, NULL), 0);
	rig_free(&r);
}

TEST(virtq, device_lies_are_refused)
{
	struct rig r;
	struct virtq_buf b[2] = { { 0x1000, 16 }, { 0x2000, 512 } };
	int a, c;
	void *got;
	uint32_t len;

	EXPECT_EQ(t, rig_init(&r, 8), 0);
	EXPECT_EQ(t, virtq_add(&r.q, b, 1, 1, &a), 0);
	EXPECT_EQ(t, virtq_add(&r.q, b, 1, 1, &c), 0);
	uint16_t ha = r.q.avail->ring[0], hc = r.q.avail->ring[1];

	/* an id past the queue, then one that is not a head in flight */
	device_use(&r.q, 8, 0);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), -EINVAL);
	EXPECT_EQ(t, r.q.err.bad_id, 1);
	device_use(&r.q, r.q.desc[ha].next, 0);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), -EINVAL);
	EXPECT_EQ(t, r.q.err.not_inflight, 1);
	/* a length past the chain's writable bytes: that request fails, its chain comes back */
	device_use(&r.q, ha, 513);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), -EIO);
	EXPECT_TRUE(t, got == &a);
	EXPECT_EQ(t, r.q.err.bad_len, 1);
	/* the same id again: no longer in flight */
	device_use(&r.q, ha, 1);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), -EINVAL);
	EXPECT_EQ(t, r.q.err.not_inflight, 2);
	/* the good one still completes */
	device_use(&r.q, hc, 1);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), 0);
	EXPECT_TRUE(t, got == &c);
	EXPECT_EQ(t, r.q.nfree, 8);
	rig_free(&r);
}

TEST(virtq, index_running_ahead_breaks_the_queue)
{
	struct rig r;
	struct virtq_buf b = { 0x1000, 16 };
	int a;
	void *got;
	uint32_t len;
	unsigned drained = 0;

	EXPECT_EQ(t, rig_init(&r, 8), 0);
	EXPECT_EQ(t, virtq_add(&r.q, &b, 0, 1, &a), 0);
	r.q.used->idx = 2; /* two used entries, one request in flight */
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), -ERANGE);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), -ERANGE);
	EXPECT_EQ(t, virtq_add(&r.q, &b, 0, 1, &a), -EIO);
	EXPECT_EQ(t, r.q.err.idx_ran_ahead, 1);
	/* after the device's reset the queue starts again, the request given back */
	for (uint32_t i = 0; i < r.q.size; i++)
		drained += r.q.slots[i].inflight;
	EXPECT_EQ(t, drained, 1);
	virtq_drain(&r.q, NULL, NULL);
	EXPECT_EQ(t, r.q.nfree, 8);
	EXPECT_EQ(t, virtq_add(&r.q, &b, 0, 1, &a), 0);
	rig_free(&r);
}

TEST(virtq, free_list_ignores_scribbled_descriptors)
{
	struct rig r;
	struct virtq_buf b[3] = { { 1, 1 }, { 2, 1 }, { 3, 1 } };
	void *got;
	uint32_t len;

	EXPECT_EQ(t, rig_init(&r, 4), 0);
	EXPECT_EQ(t, virtq_add(&r.q, b, 3, 0, NULL), 0);
	uint16_t head = r.q.avail->ring[0];

	for (int i = 0; i < 4; i++)
		r.q.desc[i].next = head; /* the device rewrote every link */
	device_use(&r.q, head, 0);
	EXPECT_EQ(t, virtq_get_used(&r.q, &got, &len), 0);
	/* each descriptor once on the free list */
	unsigned seen = 0;

	for (int i = 0; i < r.q.nfree; i++)
		seen |= 1u << r.q.free[i];
	EXPECT_EQ(t, r.q.nfree, 4);
	EXPECT_EQ(t, seen, 0xf);
	rig_free(&r);
}

TEST(vblk, config_is_checked)
{
	uint8_t cfg[VBLK_CONFIG_LEN] = { 0 };
	struct vblk_config c;
	const char *why = NULL;
	uint64_t cap = 2048, seg = 1ull << VIRTIO_BLK_F_SEG_MAX, ro = 1ull << VIRTIO_BLK_F_RO;
	uint32_t v;

	EXPECT_EQ(t, vblk_parse_config(cfg, sizeof(cfg), 0, &c, &why), -EINVAL);
	EXPECT_STREQ(t, why, "capacity is 0 sectors");
	memcpy(cfg, &cap, 8);
	EXPECT_EQ(t, vblk_parse_config(cfg, sizeof(cfg) - 1, 0, &c, &why), -EINVAL);
	EXPECT_EQ(t, vblk_parse_config(cfg, sizeof(cfg), ro, &c, &why), 0);
	EXPECT_EQ(t, c.capacity, 2048);
	EXPECT_TRUE(t, c.readonly);
	EXPECT_EQ(t, c.seg_max, 0);
	/* seg_max counts only when negotiated, and 0 is no answer */
	EXPECT_EQ(t, vblk_parse_config(cfg, sizeof(cfg), seg, &c, &why), -EINVAL);
	v = 126;
	memcpy(cfg + VBLK_CFG_SEG_MAX, &v, 4);
	EXPECT_EQ(t, vblk_parse_config(cfg, sizeof(cfg), seg, &c, &why), 0);
	EXPECT_EQ(t, c.seg_max, 126);
	EXPECT_FALSE(t, c.readonly);
	v = 100;
	memcpy(cfg + VBLK_CFG_SIZE_MAX, &v, 4);
	EXPECT_EQ(t, vblk_parse_config(cfg, sizeof(cfg), 1ull << VIRTIO_BLK_F_SIZE_MAX, &c, &why),
		  -EINVAL);
	cap = VBLK_MAX_CAPACITY + 1;
	memcpy(cfg, &cap, 8);
	EXPECT_EQ(t, vblk_parse_config(cfg, sizeof(cfg), 0, &c, &why), -EINVAL);
}

TEST(vblk, status_byte_is_checked)
{
	const char *why = NULL;

	EXPECT_EQ(t, vblk_status(VIRTIO_BLK_S_OK, &why), 0);
	EXPECT_EQ(t, vblk_status(VIRTIO_BLK_S_IOERR, &why), -EIO);
	EXPECT_EQ(t, vblk_status(VIRTIO_BLK_S_UNSUPP, &why), -EIO);
	EXPECT_EQ(t, vblk_status(0xff, &why), -EIO);
	EXPECT_STREQ(t, why, "device left an invalid status byte");
}
