/*
 * The block layer: the registry of block devices and the checks every
 * request passes before a driver sees it (include/osprey/block.h).
 *
 * Invariants: a registered device has a name, a block size that is a power
 * of two from 512 to 4096 (so a page holds whole blocks), at least one
 * block, and size <= nblocks * block_size; a request handed to a driver
 * lies inside its device.  Nothing here trusts the caller's numbers: every
 * sum is overflow-checked.
 *
 * Locks: "blkdevs" guards the list and the user counts; a leaf, never held
 * while calling a driver.  Requests take no lock here: a driver that needs
 * one keeps its own.
 *
 * Called by: the page cache (kernel/mm/pagecache.c), rofs (mounting reads
 * the superblock with blk_read_bytes), the drivers (register).  Calls the
 * virtio probe on the first lookup of an unknown name (blk_open()).
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/trace.h>
#include <osprey/virtio.h>

TRACEPOINT(blk_refused, "dev=%s op=%d lba=%lu count=%u ret=%d", const char *, int, uint64_t,
	   uint32_t, int);

static struct spinlock blkdevs_lock = SPINLOCK_INIT("blkdevs");
static struct blkdev *blkdevs; /* [r] */
static uint32_t next_id = 1;   /* [r] */

static bool good_geometry(const struct blkdev *dev)
{
	uint64_t bytes;
	size_t len = strnlen(dev->name, BLK_NAME_MAX);

	return len > 0 && len < BLK_NAME_MAX && dev->ops && dev->ops->submit &&
	       dev->block_size >= BLK_SECTOR && dev->block_size <= BLK_MAX_BS &&
	       (dev->block_size & (dev->block_size - 1)) == 0 && dev->nblocks > 0 &&
	       !__builtin_mul_overflow(dev->nblocks, (uint64_t)dev->block_size, &bytes) &&
	       dev->size <= bytes && dev->size > bytes - dev->block_size;
}

/* Caller holds blkdevs_lock. */
static struct blkdev *find(const char *name)
{
	for (struct blkdev *d = blkdevs; d; d = d->next)
		if (strncmp(d->name, name, BLK_NAME_MAX) == 0)
			return d;
	return NULL;
}

int blk_register(struct blkdev *dev)
{
	int ret = 0;

	if (!good_geometry(dev))
		return -EINVAL;
	spin_lock(&blkdevs_lock);
	if (find(dev->name)) {
		ret = -EEXIST;
	} else {
		dev->id = next_id++;
		dev->users = 0;
		dev->next = blkdevs;
		blkdevs = dev;
	}
	spin_unlock(&blkdevs_lock);
	return ret;
}

int blk_unregister(struct blkdev *dev)
{
	struct blkdev **pp;
	int ret = -ENOENT;

	spin_lock(&blkdevs_lock);
	for (pp = &blkdevs; *pp; pp = &(*pp)->next) {
		if (*pp != dev)
			continue;
		if (dev->users) {
			ret = -EBUSY;
		} else {
			*pp = dev->next;
			ret = 0;
		}
		break;
	}
	spin_unlock(&blkdevs_lock);
	return ret;
}

static struct blkdev *open_registered(const char *name)
{
	struct blkdev *d;

	spin_lock(&blkdevs_lock);
	d = find(name);
	if (d)
		d->users++;
	spin_unlock(&blkdevs_lock);
	return d;
}

/*
 * The disks are found on the first lookup of a name the registry does not
 * have, not at boot (docs/virtio.md: the virtio probe costs ~1 ms under
 * TCG): virtio_init() probes once, whoever asks, and later calls return at
 * once.  A name that is registered already ("initrd", RAM devices) never
 * starts the probe.
 */
int blk_open(const char *name, struct blkdev **out)
{
	struct blkdev *d = open_registered(name);

	if (!d) {
		virtio_init();
		d = open_registered(name);
	}
	if (!d)
		return -ENODEV;
	*out = d;
	return 0;
}

void blk_close(struct blkdev *dev)
{
	spin_lock(&blkdevs_lock);
	WARN_ONCE(dev->users == 0);
	if (dev->users)
		dev->users--;
	spin_unlock(&blkdevs_lock);
}

static void count(_Atomic uint64_t *c, uint64_t n)
{
	/* relaxed: statistics, ordering nothing */
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static int refuse(struct blkdev *dev, const struct blk_request *r, int ret)
{
	count(&dev->stat.refused, 1);
	trace_blk_refused(dev->name, (int)r->op, r->lba, r->count, ret);
	return ret;
}

int blk_submit(struct blkdev *dev, struct blk_request *r)
{
	uint64_t end;

	if ((r->op != BLK_READ && r->op != BLK_WRITE) || r->count == 0 || !r->buf || !r->done)
		return refuse(dev, r, -EINVAL);
	if (__builtin_add_overflow(r->lba, (uint64_t)r->count, &end) || end > dev->nblocks)
		return refuse(dev, r, -EIO);
	if (r->op == BLK_WRITE && dev->readonly)
		return refuse(dev, r, -EROFS);
	r->status = -EIO; /* until the driver says otherwise */
	dev->ops->submit(dev, r);
	return 0;
}

struct sync_wait {
	_Atomic bool done;
};

static void sync_done(struct blk_request *r)
{
	struct sync_wait *w = r->priv;

	/* release: the data and status are written before done is seen; pairs with the acquire below */
	atomic_store_explicit(&w->done, true, memory_order_release);
}

static int transfer(struct blkdev *dev, enum blk_op op, uint64_t lba, uint32_t count_, void *buf)
{
	struct sync_wait w = { false };
	struct blk_request r = {
		.op = op, .lba = lba, .count = count_, .buf = buf, .done = sync_done, .priv = &w
	};
	int ret = blk_submit(dev, &r);

	if (ret)
		return ret;
	/*
	 * Every driver today completes before submit returns.  An interrupt-
	 * driven one (virtio-blk) will need this wait to sleep on a wait queue
	 * that done wakes, instead of spinning.
	 */
	while (!atomic_load_explicit(&w.done, memory_order_acquire))
		__builtin_ia32_pause();
	if (r.status) {
		count(&dev->stat.errors, 1);
		return r.status;
	}
	if (op == BLK_READ) {
		count(&dev->stat.reads, 1);
		count(&dev->stat.blocks_read, count_);
	} else {
		count(&dev->stat.writes, 1);
		count(&dev->stat.blocks_written, count_);
	}
	return 0;
}

int blk_read(struct blkdev *dev, uint64_t lba, uint32_t count_, void *buf)
{
	return transfer(dev, BLK_READ, lba, count_, buf);
}

int blk_write(struct blkdev *dev, uint64_t lba, uint32_t count_, const void *buf)
{
	/* the driver only reads buf for a write */
	return transfer(dev, BLK_WRITE, lba, count_, (void *)buf);
}

int blk_read_bytes(struct blkdev *dev, uint64_t off, void *buf, size_t len)
{
	uint8_t stack[BLK_SECTOR];
	uint32_t bs = dev->block_size;
	uint8_t *bounce = bs <= sizeof(stack) ? stack : NULL;
	uint8_t *out = buf;
	uint64_t end;
	int ret = 0;

	if (__builtin_add_overflow(off, (uint64_t)len, &end) || end > dev->size)
		return -EIO;
	while (len) {
		uint64_t lba = off / bs;
		uint32_t in = (uint32_t)(off % bs);
		size_t n;

		if (in == 0 && len >= bs) {
			/* whole blocks straight into the caller's buffer */
			uint64_t blocks = MIN(len / bs, (uint64_t)UINT32_MAX);

			ret = blk_read(dev, lba, (uint32_t)blocks, out);
			n = (size_t)(blocks * bs);
		} else {
			if (!bounce && !(bounce = kmalloc(bs))) {
				ret = -ENOMEM;
				break;
			}
			n = MIN(len, (size_t)(bs - in));
			ret = blk_read(dev, lba, 1, bounce);
			if (!ret)
				memcpy(out, bounce + in, n);
		}
		if (ret)
			break;
		out += n;
		off += n;
		len -= n;
	}
	if (bounce != stack)
		kfree(bounce);
	return ret;
}

void blk_counts(struct blkdev *dev, struct blk_counts *c)
{
	c->reads = atomic_load_explicit(&dev->stat.reads, memory_order_relaxed);
	c->writes = atomic_load_explicit(&dev->stat.writes, memory_order_relaxed);
	c->blocks_read = atomic_load_explicit(&dev->stat.blocks_read, memory_order_relaxed);
	c->blocks_written = atomic_load_explicit(&dev->stat.blocks_written, memory_order_relaxed);
	c->refused = atomic_load_explicit(&dev->stat.refused, memory_order_relaxed);
	c->errors = atomic_load_explicit(&dev->stat.errors, memory_order_relaxed);
}
