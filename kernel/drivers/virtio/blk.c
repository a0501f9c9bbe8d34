/*
 * virtio-blk: a virtio disk as a block device of the block layer
 * (include/osprey/block.h), named vda, vdb, ... in the order found.
 *
 * One request queue (queue 0) per disk, with one lock ("vblk-queue") that
 * guards the ring and nothing else: different disks never share a lock,
 * and no lock is held while waiting.
 *
 * Completion is polled (docs/virtio.md): the submitting thread queues its
 * chain (header, data pages, status byte), notifies the device, and then
 * reaps the used ring under the queue's lock until its own request is
 * back, completing whichever requests it finds (other threads' too, which
 * are polling for them meanwhile).  The interrupt is suppressed
 * (VIRTQ_AVAIL_F_NO_INTERRUPT).  So blk_submit() completes before it
 * returns, as the block layer allows.
 *
 * Trust: the header and the status byte live in the submitter's wait
 * record; the data goes straight to and from the caller's buffer, one
 * descriptor per physically contiguous run.  Each used entry is checked by
 * virtq.c (id, chain in flight, length); the status byte by
 * vblk_status(); the configuration by vblk_parse_config().  A device that
 * breaks the ring's rules or does not answer within VBLK_TIMEOUT_NS is
 * reset before any buffer it held is given back, and the disk fails every
 * later request with -EIO.
 *
 * Lock legend for struct vblk: [i] immutable after probe, [q] the queue's
 * lock.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/arch/cpu.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/time.h>
#include <osprey/trace.h>

#include "internal.h"
#include "vblk.h"

TRACEPOINT(vblk_bad_used, "dev=%s ret=%d", const char *, int);

#define VBLK_QUEUE_MAX 256	       /* descriptors per queue we ask for at most */
#define VBLK_SEGS_MAX 64	       /* data descriptors per request at most */
#define VBLK_TIMEOUT_NS 30000000000ull /* TCG under load is slow; a real disk is not this slow */
#define VBLK_LOG_MAX 8		       /* lines per disk about a misbehaving device */

struct vblk {
	struct blkdev dev;	/* [i] */
	struct virtio_mmio *m;	/* [i] */
	struct spinlock lock;	/* the queue's */
	struct virtq vq;	/* [q] */
	uint32_t segs_max;	/* [i] data descriptors per request */
	uint32_t seg_bytes_max; /* [i] bytes per data descriptor */
	bool failed;		/* [q] reset after misbehaving: every request fails */
	unsigned logged;	/* [q] lines printed about it */
};

/* One request on the device, on the submitter's stack. */
struct vblk_wait {
	struct vblk_req_hdr hdr __attribute__((aligned(16))); /* never crosses a page */
	uint8_t status;
	int result;	   /* [q] */
	_Atomic bool done; /* set under the queue's lock, read without it */
};

static int ndisks;

static void complete(struct vblk_wait *w, int result)
{
	w->result = result;
	/* release: result and the data before done; pairs with the acquire in wait_for() */
	atomic_store_explicit(&w->done, true, memory_order_release);
}

static void say(struct vblk *vb, const char *what, const char *why)
{
	if (vb->logged >= VBLK_LOG_MAX)
		return;
	vb->logged++;
	pr_err("virtio-blk %s: %s: %s%s\n", vb->dev.name, what, why,
	       vb->logged == VBLK_LOG_MAX ? " (further reports only counted)" : "");
}

static void drain_one(void *token, void *arg)
{
	(void)arg;
	complete(token, -EIO);
}

/* Caller holds vb->lock.  Stops the device, then fails what it held. */
static void fail_disk(struct vblk *vb)
{
	vmmio_reset(vb->m);
	vmmio_fail(vb->m);
	vb->failed = true;
	virtq_drain(&vb->vq, drain_one, NULL);
}

/* Caller holds vb->lock.  Completes every request the device has returned. */
static void reap(struct vblk *vb)
{
	for (;;) {
		void *token;
		uint32_t len;
		int ret = virtq_get_used(&vb->vq, &token, &len);
		const char *why;

		if (ret == -EAGAIN)
			return;
		if (ret == -EINVAL || ret == -EIO) {
			virtio_count(&virtio_stat.bad_used);
			trace_vblk_bad_used(vb->dev.name, ret);
			say(vb, "used ring entry refused", vb->vq.why);
			if (ret == -EIO)
				complete(token, -EIO);
			continue;
		}
		if (ret == -ERANGE) {
			virtio_count(&virtio_stat.ring_broken);
			say(vb, "device reset", vb->vq.why);
			fail_disk(vb);
			return;
		}
		struct vblk_wait *w = token;
		/* read once: the device could still write it */
		uint8_t st = *(volatile uint8_t *)&w->status;
		int result = vblk_status(st, &why);

		if (result) {
			virtio_count(&virtio_stat.bad_status);
			say(vb, "request failed", why);
		}
		complete(w, result);
	}
}

/*
 * Builds the chain for as much of [buf, buf + bytes) as fits in the
 * device's limits: header, data runs, status.  Returns the data bytes
 * covered (a multiple of 512, at least 512) in *covered, or -EIO when the
 * buffer is not mapped or too fragmented to make progress.
 */
static int build(struct vblk *vb, struct vblk_wait *w, bool write, uint8_t *buf, uint64_t bytes,
		 struct virtq_buf *bufs, unsigned *nout, unsigned *nin, uint64_t *covered)
{
	unsigned n = 1; /* bufs[0] is the header */
	uint64_t total = 0;

	bufs[0] = (struct virtq_buf){ virtio_dma_addr(&w->hdr), sizeof(w->hdr) };
	while (total < bytes) {
		uint8_t *p = buf + total;
		uint64_t pa = virtio_dma_addr(p);
		uint32_t len =
			(uint32_t)MIN(bytes - total, PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1)));

		if (!pa)
			return -EIO;
		struct virtq_buf *last = &bufs[n - 1];

		if (n > 1 && last->addr + last->len == pa && last->len + len <= vb->seg_bytes_max) {
			last->len += len; /* physically contiguous with the run before */
		} else if (n == vb->segs_max + 1) {
			break;
		} else {
			len = MIN(len, vb->seg_bytes_max);
			bufs[n++] = (struct virtq_buf){ pa, len };
		}
		total += len;
	}
	/* whole sectors only: trim the tail runs */
	while (total % BLK_SECTOR) {
		uint32_t cut = (uint32_t)MIN(total % BLK_SECTOR, (uint64_t)bufs[n - 1].len);

		bufs[n - 1].len -= cut;
		total -= cut;
		if (bufs[n - 1].len == 0 && --n == 1)
			break;
	}
	if (total == 0)
		return -EIO;
	bufs[n++] = (struct virtq_buf){ virtio_dma_addr(&w->status), 1 };
	if (!bufs[0].addr || !bufs[n - 1].addr)
		return -EIO;
	/* a read: the data and the status are the device's to write */
	*nout = write ? n - 1 : 1;
	*nin = write ? 1 : n - 1;
	*covered = total;
	return 0;
}

/* Waits for w, reaping meanwhile; a device that takes too long is reset. */
static void wait_for(struct vblk *vb, struct vblk_wait *w)
{
	uint64_t deadline = clock_ns() + VBLK_TIMEOUT_NS;
	unsigned spins = 0;

	/* acquire: pairs with the release in complete() */
	while (!atomic_load_explicit(&w->done, memory_order_acquire)) {
		spin_lock(&vb->lock);
		reap(vb);
		if (!atomic_load_explicit(&w->done, memory_order_relaxed) &&
		    clock_ns() > deadline) {
			virtio_count(&virtio_stat.timeouts);
			say(vb, "device reset", "a request was not completed in time");
			fail_disk(vb);
		}
		spin_unlock(&vb->lock);
		if (++spins > 64 && sched_started())
			thread_yield();
		else
			cpu_relax();
	}
}

/* One device request of up to segs_max runs; *covered says how many bytes it took. */
static int one_request(struct vblk *vb, bool write, uint64_t sector, uint8_t *buf, uint64_t bytes,
		       uint64_t *covered)
{
	struct virtq_buf bufs[VBLK_SEGS_MAX + 2];
	struct vblk_wait w = { .hdr = { write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, 0, sector },
			       .status = 0xff };
	unsigned nout, nin;
	int ret = build(vb, &w, write, buf, bytes, bufs, &nout, &nin, covered);

	if (ret)
		return ret;
	atomic_init(&w.done, false);
	for (;;) {
		spin_lock(&vb->lock);
		ret = vb->failed ? -EIO : virtq_add(&vb->vq, bufs, nout, nin, &w);
		if (ret == -ENOSPC)
			reap(vb);
		else if (ret == 0) {
			/* the ring's index before the doorbell */
			atomic_thread_fence(memory_order_seq_cst);
			vmmio_notify(vb->m, 0);
		}
		spin_unlock(&vb->lock);
		if (ret != -ENOSPC)
			break;
		if (sched_started())
			thread_yield();
		else
			cpu_relax();
	}
	if (ret)
		return ret;
	wait_for(vb, &w);
	return w.result;
}

static void vblk_submit(struct blkdev *dev, struct blk_request *r)
{
	struct vblk *vb = dev->priv;
	bool write = r->op == BLK_WRITE;
	uint64_t sector = r->lba, bytes = (uint64_t)r->count * BLK_SECTOR;
	uint8_t *buf = r->buf;
	int ret = 0;

	/* the block layer checked the range and the read-only flag */
	while (bytes && !ret) {
		uint64_t covered = 0;

		ret = one_request(vb, write, sector, buf, bytes, &covered);
		sector += covered / BLK_SECTOR;
		buf += covered;
		bytes -= covered;
	}
	r->status = ret;
	r->done(r);
}

static const struct blk_ops vblk_ops = { .submit = vblk_submit };

int virtio_blk_probe(struct virtio_mmio *m)
{
	uint8_t cfgb[VBLK_CONFIG_LEN];
	struct vblk_config cfg;
	uint64_t features;
	const char *why;
	struct vblk *vb;
	int ret;

	ret = vmmio_negotiate(m,
			      (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
				      (1ull << VIRTIO_BLK_F_SIZE_MAX),
			      &features);
	if (ret)
		return ret;
	if (vmmio_read_config(m, cfgb, sizeof(cfgb)))
		return -EIO;
	if (vblk_parse_config(cfgb, sizeof(cfgb), features, &cfg, &why)) {
		pr_err("virtio-blk@0x%lx: configuration refused: %s\n", m->phys, why);
		return -EINVAL;
	}
	if (ndisks == 26) {
		pr_err("virtio-blk@0x%lx: more than 26 disks (vda..vdz)\n", m->phys);
		return -ENOSPC;
	}
	vb = kzalloc(sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	spin_init(&vb->lock, "vblk-queue");
	ret = vmmio_queue_setup(m, 0, VBLK_QUEUE_MAX, &vb->vq);
	if (ret) {
		kfree(vb);
		return ret;
	}
	/* header + data + status must fit the queue and the device's seg_max */
	vb->segs_max = MIN((uint32_t)VBLK_SEGS_MAX, (uint32_t)vb->vq.size - 2u);
	if (cfg.seg_max)
		vb->segs_max = MIN(vb->segs_max, cfg.seg_max);
	vb->seg_bytes_max = cfg.size_max ? ALIGN_DOWN(cfg.size_max, (uint32_t)BLK_SECTOR) :
					   1u << 22;
	if (vb->vq.size < 4 || vb->segs_max < 2) {
		pr_err("virtio-blk@0x%lx: queue of %u entries (seg_max %u) is too small\n", m->phys,
		       vb->vq.size, cfg.seg_max);
		kfree(vb); /* the queue's pages stay with the failed device */
		return -EINVAL;
	}
	vb->m = m;
	vb->dev.name[0] = 'v';
	vb->dev.name[1] = 'd';
	vb->dev.name[2] = (char)('a' + ndisks);
	vb->dev.block_size = BLK_SECTOR;
	vb->dev.nblocks = cfg.capacity;
	vb->dev.size = cfg.capacity * BLK_SECTOR;
	vb->dev.readonly = cfg.readonly;
	vb->dev.ops = &vblk_ops;
	vb->dev.priv = vb;
	vmmio_driver_ok(m);
	ret = blk_register(&vb->dev);
	if (ret) {
		kfree(vb);
		return ret;
	}
	ndisks++;
	virtio_count(&virtio_stat.blk_disks);
	pr_info("virtio-blk %s: %lu sectors%s, queue %u, mmio 0x%lx\n", vb->dev.name, cfg.capacity,
		cfg.readonly ? ", read-only" : "", vb->vq.size, m->phys);
	return 0;
}
