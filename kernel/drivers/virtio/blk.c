/*
 * virtio-blk: a virtio disk as a block device of the block layer
 * (include/osprey/block.h), named vda, vdb, ... in the order found.
 *
 * One request queue (queue 0) per disk, with one lock ("vblk-queue") that
 * guards the ring and nothing else: different disks never share a lock.
 * The interrupt handler takes it, so it is taken with interrupts off
 * everywhere (spin_lock_irqsave); it is never held while waiting.
 *
 * Completion (docs/virtio.md).  The submitter queues its chain (header,
 * data pages, status byte) and notifies the device; then
 *   - in a context that may sleep (a thread, with the scheduler running,
 *     interrupts on and no spinlock held) on a disk whose interrupt is
 *     routed, it sleeps: the interrupt handler acknowledges the device,
 *     reaps the used ring and wakes each submitter it completes;
 *   - anywhere else (before the scheduler starts, with interrupts off or a
 *     spinlock held, in an interrupt handler, or on a disk without an
 *     interrupt) it polls: it reaps the used ring itself under the queue's
 *     lock until its own request is back.
 * Either way whoever reaps completes whichever requests it finds, and
 * blk_submit() completes before it returns (the submitter waits inside
 * the driver), as the block layer allows.
 *
 * Waking without losing a wake-up or touching a thread that is gone:
 * complete() runs under the queue's lock; it reads the waiter before it
 * sets done (release), then calls thread_wake() (a locked compare-exchange:
 * a full barrier).  The sleeper marks itself blocked, then a full fence,
 * then reads done: one of the two sees the other.  After it has seen done,
 * the sleeper takes the queue's lock once, so that the completer has left
 * thread_wake() before the sleeper's stack and thread may go.
 *
 * Interrupt storms: an interrupt that finds nothing in the used ring is
 * counted (irq_empty; it happens legitimately when a poller reaped first,
 * or for a configuration change); VBLK_STORM of them in a row, with no
 * answer from the device meanwhile (reaped by anyone), mask the
 * line at the IOAPIC, say so once, and the disk polls from then on
 * (irq_storms).  A sleeper also looks at the ring itself every
 * VBLK_RECHECK_NS, so a lost or masked interrupt costs time, not a hang.
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
 * lock, [a] atomic.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/arch/cpu.h>
#include <osprey/arch/irq.h>
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
#define VBLK_STORM 1000		       /* empty interrupts in a row that mask the line */
#define VBLK_RECHECK_NS 500000000ull   /* a sleeper looks at the ring itself this often */

struct vblk {
	struct blkdev dev;	 /* [i] */
	struct virtio_mmio mmio; /* [i] the transport (its registers are MMIO) */
	struct virtio_mmio *m;	 /* [i] &mmio */
	struct spinlock lock;	 /* the queue's */
	struct virtq vq;	 /* [q] */
	uint32_t segs_max;	 /* [i] data descriptors per request */
	uint32_t seg_bytes_max;	 /* [i] bytes per data descriptor */
	bool failed;		 /* [q] reset after misbehaving: every request fails */
	unsigned logged;	 /* [q] lines printed about it */
	unsigned empty_run;	 /* [q] interrupts in a row that found nothing */
	_Atomic bool irq_on;	 /* [a] its interrupt is routed and not masked */
	unsigned vector;	 /* [i] once irq_on was first set */
};

/* One request on the device, on the submitter's stack. */
struct vblk_wait {
	struct vblk_req_hdr hdr __attribute__((aligned(16))); /* never crosses a page */
	uint8_t status;
	int result;	       /* [q] */
	struct thread *waiter; /* [i] the sleeping submitter, NULL when it polls */
	_Atomic bool done;     /* set under the queue's lock, read without it */
};

static int ndisks;

/* Caller holds vb->lock.  w belongs to its submitter again once done is set. */
static void complete(struct vblk_wait *w, int result, bool from_irq)
{
	struct thread *t = w->waiter;

	w->result = result;
	/* release: result and the data before done; pairs with the acquires in the waits */
	atomic_store_explicit(&w->done, true, memory_order_release);
	if (from_irq)
		virtio_count(&virtio_stat.irq_completions);
	/* t waits for our lock before it goes: see the top */
	if (t && thread_wake(t) && from_irq)
		virtio_count(&virtio_stat.irq_wakeups);
}

static void say(struct vblk *vb, const char *what, const char *why)
{
	if (vb->logged >= VBLK_LOG_MAX)
		return;
	vb->logged++;
	pr_err("virtio-blk %s: %s: %s%s\n", vb->dev.name, what, why,
	       vb->logged == VBLK_LOG_MAX ? " (further reports only counted)" : "");
}

/* arg: non-NULL when the interrupt handler drains (for the counters). */
static void drain_one(void *token, void *arg)
{
	complete(token, -EIO, arg != NULL);
}

/* Caller holds vb->lock.  Stops the device, then fails what it held. */
static void fail_disk(struct vblk *vb, bool from_irq)
{
	vmmio_reset(vb->m);
	vmmio_fail(vb->m);
	vb->failed = true;
	virtq_drain(&vb->vq, drain_one, from_irq ? vb : NULL);
}

/*
 * Caller holds vb->lock.  Completes every request the device has returned;
 * returns how many used entries it took.
 */
static unsigned reap(struct vblk *vb, bool from_irq)
{
	unsigned n = 0;

	for (;;) {
		void *token;
		uint32_t len;
		int ret = virtq_get_used(&vb->vq, &token, &len);
		const char *why;

		if (ret == -EAGAIN)
			return n;
		n++;
		vb->empty_run = 0; /* the device answered: not a storm, whoever reaps */
		if (ret == -EINVAL || ret == -EIO) {
			virtio_count(&virtio_stat.bad_used);
			trace_vblk_bad_used(vb->dev.name, ret);
			say(vb, "used ring entry refused", vb->vq.why);
			if (ret == -EIO)
				complete(token, -EIO, from_irq);
			continue;
		}
		if (ret == -ERANGE) {
			virtio_count(&virtio_stat.ring_broken);
			say(vb, "device reset", vb->vq.why);
			fail_disk(vb, from_irq);
			return n;
		}
		struct vblk_wait *w = token;
		/* read once: the device could still write it */
		uint8_t st = *(volatile uint8_t *)&w->status;
		int result = vblk_status(st, &why);

		if (result) {
			virtio_count(&virtio_stat.bad_status);
			say(vb, "request failed", why);
		}
		complete(w, result, from_irq);
	}
}

/*
 * The disk's interrupt (interrupt context, interrupts off).  The
 * acknowledgement comes before the reap: a completion the reap misses
 * raises the interrupt status, and the line, again.
 */
static void vblk_irq(void *arg)
{
	struct vblk *vb = arg;
	uint32_t isr = vmmio_read(vb->m, VMMIO_INTERRUPT_STATUS);
	bool storm = false;
	unsigned n;

	if (isr)
		vmmio_write(vb->m, VMMIO_INTERRUPT_ACK, isr);
	virtio_count(&virtio_stat.interrupts);
	uint64_t flags = spin_lock_irqsave(&vb->lock);

	n = reap(vb, true);
	if (!n && ++vb->empty_run == VBLK_STORM) {
		storm = true;
		say(vb, "interrupt masked",
		    "it kept coming with nothing in the used ring; polling");
	}
	spin_unlock_irqrestore(&vb->lock, flags);
	if (!n)
		virtio_count(&virtio_stat.irq_empty);
	if (storm) {
		virtio_count(&virtio_stat.irq_storms);
		/* relaxed: a request that still sees it on sleeps, and finds its answer by recheck */
		atomic_store_explicit(&vb->irq_on, false, memory_order_relaxed);
		irq_mask(vb->m->irq, true);
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

/* May this context sleep?  A thread, the scheduler running, interrupts on, no spinlock held. */
static bool can_sleep(void)
{
	/* preempt is this CPU's; read while preemptible it may be another's, but 0 is 0 on either */
	return sched_started() && irq_enabled() && this_cpu()->preempt == 0;
}

/* Caller holds vb->lock: w is late; reset the device (which completes w with -EIO). */
static void time_out(struct vblk *vb)
{
	virtio_count(&virtio_stat.timeouts);
	say(vb, "device reset", "a request was not completed in time");
	fail_disk(vb, false);
}

/* Waits for w, reaping meanwhile; a device that takes too long is reset. */
static void poll_for(struct vblk *vb, struct vblk_wait *w, bool may_yield)
{
	uint64_t deadline = clock_ns() + VBLK_TIMEOUT_NS;
	unsigned spins = 0;

	virtio_count(&virtio_stat.polled);
	/* acquire: pairs with the release in complete() */
	while (!atomic_load_explicit(&w->done, memory_order_acquire)) {
		uint64_t flags = spin_lock_irqsave(&vb->lock);

		reap(vb, false);
		if (!atomic_load_explicit(&w->done, memory_order_relaxed) && clock_ns() > deadline)
			time_out(vb);
		spin_unlock_irqrestore(&vb->lock, flags);
		if (++spins > 64 && may_yield)
			thread_yield();
		else
			cpu_relax();
	}
}

/*
 * Sleeps until the interrupt completes w (w->waiter is this thread).  Every
 * VBLK_RECHECK_NS it looks at the ring itself, in case the interrupt was
 * lost or masked meanwhile.
 */
static void sleep_for(struct vblk *vb, struct vblk_wait *w)
{
	uint64_t deadline = clock_ns() + VBLK_TIMEOUT_NS;
	uint64_t flags;

	for (;;) {
		thread_block_prepare();
		/* seq_cst: our BLOCKED store before the read of done; complete()'s wake pairs */
		atomic_thread_fence(memory_order_seq_cst);
		/* acquire: pairs with the release in complete() */
		if (atomic_load_explicit(&w->done, memory_order_acquire)) {
			thread_block_cancel();
			break;
		}
		virtio_count(&virtio_stat.sleeps);
		thread_block_timeout(VBLK_RECHECK_NS);
		if (atomic_load_explicit(&w->done, memory_order_acquire))
			break;
		flags = spin_lock_irqsave(&vb->lock);
		reap(vb, false);
		if (!atomic_load_explicit(&w->done, memory_order_relaxed) && clock_ns() > deadline)
			time_out(vb);
		spin_unlock_irqrestore(&vb->lock, flags);
	}
	/* the completer woke us under this lock: once we have it, it is done with w and us */
	flags = spin_lock_irqsave(&vb->lock);
	spin_unlock_irqrestore(&vb->lock, flags);
}

/* One device request of up to segs_max runs; *covered says how many bytes it took. */
static int one_request(struct vblk *vb, bool write, uint64_t sector, uint8_t *buf, uint64_t bytes,
		       uint64_t *covered)
{
	struct virtq_buf bufs[VBLK_SEGS_MAX + 2];
	struct vblk_wait w = { .hdr = { write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, 0, sector },
			       .status = 0xff };
	bool may_sleep = can_sleep();
	unsigned nout, nin;
	uint64_t flags;
	int ret = build(vb, &w, write, buf, bytes, bufs, &nout, &nin, covered);

	if (ret)
		return ret;
	/* acquire: pairs with the release that routed the interrupt (vblk_attach_irq) */
	if (may_sleep && atomic_load_explicit(&vb->irq_on, memory_order_acquire))
		w.waiter = thread_current();
	atomic_init(&w.done, false);
	for (;;) {
		flags = spin_lock_irqsave(&vb->lock);
		ret = vb->failed ? -EIO : virtq_add(&vb->vq, bufs, nout, nin, &w);
		if (ret == -ENOSPC)
			reap(vb, false);
		else if (ret == 0) {
			/* the ring's index before the doorbell */
			atomic_thread_fence(memory_order_seq_cst);
			vmmio_notify(vb->m, 0);
		}
		spin_unlock_irqrestore(&vb->lock, flags);
		if (ret != -ENOSPC)
			break;
		/* the ring is full of others' requests: their completions make room */
		if (may_sleep)
			thread_yield();
		else
			cpu_relax();
	}
	if (ret)
		return ret;
	if (w.waiter)
		sleep_for(vb, &w);
	else
		poll_for(vb, &w, may_sleep);
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

/*
 * Routes the disk's interrupt once it is registered; without one (no GSI,
 * no IOAPIC serving it) the disk stays polled.  The device may interrupt
 * from the moment avail->flags allows it, so the handler is attached first.
 */
static void vblk_attach_irq(struct vblk *vb)
{
	int ret = -ENODEV;

	if (vb->m->irq)
		ret = irq_attach(vb->m->irq, vb->m->irq_level ? IRQ_LEVEL : IRQ_EDGE, vblk_irq, vb,
				 &vb->vector);
	if (ret) {
		pr_info("virtio-blk %s: no interrupt (GSI %u: %d): completion is polled\n",
			vb->dev.name, vb->m->irq, ret);
		return;
	}
	uint64_t flags = spin_lock_irqsave(&vb->lock);

	vb->vq.avail->flags = 0; /* interrupts wanted from now on */
	spin_unlock_irqrestore(&vb->lock, flags);
	/* release: pairs with the acquire in one_request(); the handler is attached */
	atomic_store_explicit(&vb->irq_on, true, memory_order_release);
}

int virtio_blk_probe(const struct virtio_mmio *m0)
{
	uint8_t cfgb[VBLK_CONFIG_LEN];
	struct virtio_mmio m = *m0;
	struct vblk_config cfg;
	uint64_t features;
	const char *why;
	struct vblk *vb;
	uint32_t qsize;
	size_t qbytes, total;
	unsigned order = 0;
	void *mem;
	int ret;

	ret = vmmio_negotiate(&m,
			      (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
				      (1ull << VIRTIO_BLK_F_SIZE_MAX),
			      &features);
	if (ret)
		return ret;
	if (vmmio_read_config(&m, cfgb, sizeof(cfgb)))
		return -EIO;
	if (vblk_parse_config(cfgb, sizeof(cfgb), features, &cfg, &why)) {
		pr_err("virtio-blk@0x%lx: configuration refused: %s\n", m.phys, why);
		return -EINVAL;
	}
	if (ndisks == 26) {
		pr_err("virtio-blk@0x%lx: more than 26 disks (vda..vdz)\n", m.phys);
		return -ENOSPC;
	}
	if ((ret = vmmio_queue_size(&m, 0, VBLK_QUEUE_MAX, &qsize)))
		return ret;
	/* header + data + status must fit the queue */
	if (qsize < 4) {
		pr_err("virtio-blk@0x%lx: queue of %u entries is too small\n", m.phys, qsize);
		return -EINVAL;
	}
	/*
	 * One block of pages per disk: the queue's rings and records, then the
	 * driver's state.  It lives as long as the kernel, and it is not heap:
	 * the first lookup of a disk (maybe inside a test) leaks nothing.
	 */
	qbytes = ALIGN_UP(vmmio_queue_bytes(qsize), (size_t)64);
	total = qbytes + sizeof(*vb);
	while (((size_t)PAGE_SIZE << order) < total)
		order++;
	mem = page_alloc(order, MM_ZERO);
	if (!mem)
		return -ENOMEM;
	vb = (struct vblk *)((char *)mem + qbytes);
	vb->mmio = m;
	vb->m = &vb->mmio;
	spin_init(&vb->lock, "vblk-queue");
	vmmio_queue_start(vb->m, 0, qsize, mem, &vb->vq, false);
	vb->segs_max = MIN((uint32_t)VBLK_SEGS_MAX, qsize - 2u);
	if (cfg.seg_max)
		vb->segs_max = MIN(vb->segs_max, cfg.seg_max);
	vb->seg_bytes_max = cfg.size_max ? ALIGN_DOWN(cfg.size_max, (uint32_t)BLK_SECTOR) :
					   1u << 22;
	if (vb->segs_max < 2) {
		pr_err("virtio-blk@0x%lx: seg_max %u is too small\n", m.phys, cfg.seg_max);
		ret = -EINVAL;
		goto out_free;
	}
	vb->dev.name[0] = 'v';
	vb->dev.name[1] = 'd';
	vb->dev.name[2] = (char)('a' + ndisks);
	vb->dev.block_size = BLK_SECTOR;
	vb->dev.nblocks = cfg.capacity;
	vb->dev.size = cfg.capacity * BLK_SECTOR;
	vb->dev.readonly = cfg.readonly;
	vb->dev.ops = &vblk_ops;
	vb->dev.priv = vb;
	vmmio_driver_ok(vb->m);
	ret = blk_register(&vb->dev);
	if (ret)
		goto out_free;
	ndisks++;
	virtio_count(&virtio_stat.blk_disks);
	pr_info("virtio-blk %s: %lu sectors%s, queue %u, mmio 0x%lx\n", vb->dev.name, cfg.capacity,
		cfg.readonly ? ", read-only" : "", vb->vq.size, m.phys);
	vblk_attach_irq(vb);
	return 0;

out_free:
	/* the device had the queue's addresses: stop it before the pages go */
	vmmio_reset(&m);
	page_free(mem, order);
	return ret;
}

int virtio_blk_gsi(struct blkdev *dev, uint32_t *gsi)
{
	struct vblk *vb = dev->priv;

	/* acquire: pairs with the release in vblk_attach_irq() */
	if (dev->ops != &vblk_ops || !atomic_load_explicit(&vb->irq_on, memory_order_acquire))
		return -ENODEV;
	*gsi = vb->m->irq;
	return 0;
}
