/*
 * The RAM block device: memory seen as 512-byte blocks.  Two uses: the
 * initrd the boot loader placed (the device "initrd", read-only, from
 * static storage so that boot allocates nothing), and images a test or a
 * caller builds in memory (blk_ram_create).
 *
 * The memory need not be a whole number of blocks: the last block's bytes
 * past the end read as zeros and writes to them are dropped, and the
 * device's size says where the data ends.  Requests complete before submit
 * returns; the block layer has already checked them against the device.
 *
 * No lock on requests: the memory is the caller's, and concurrent writes
 * to one block race exactly as they would on a disk.  "blk-initrd" makes
 * the initrd's registration happen once; it is taken before "blkdevs".
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/boot.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>

struct blk_ram {
	struct blkdev dev;
	uint8_t *base; /* [i] */
	bool is_static;
};

static void ram_submit(struct blkdev *dev, struct blk_request *r)
{
	struct blk_ram *rd = dev->priv;
	uint64_t off = r->lba * BLK_SECTOR;
	uint64_t len = (uint64_t)r->count * BLK_SECTOR;
	/* blk_submit checked lba + count <= nblocks, so only the tail can lie past size */
	uint64_t have = off < dev->size ? MIN(len, dev->size - off) : 0;

	if (r->op == BLK_READ) {
		memcpy(r->buf, rd->base + off, have);
		memset((uint8_t *)r->buf + have, 0, len - have);
	} else {
		memcpy(rd->base + off, r->buf, have);
	}
	r->status = 0;
	r->done(r);
}

static const struct blk_ops ram_ops = { .submit = ram_submit };

static int setup(struct blk_ram *rd, const char *name, void *base, uint64_t size, bool readonly)
{
	size_t len = strnlen(name, BLK_NAME_MAX);

	if (len == 0 || len >= BLK_NAME_MAX || size == 0 || (!base && size))
		return -EINVAL;
	memcpy(rd->dev.name, name, len + 1);
	rd->dev.block_size = BLK_SECTOR;
	rd->dev.nblocks = size / BLK_SECTOR + (size % BLK_SECTOR != 0);
	rd->dev.size = size;
	rd->dev.readonly = readonly;
	rd->dev.ops = &ram_ops;
	rd->dev.priv = rd;
	rd->base = base;
	return blk_register(&rd->dev);
}

int blk_ram_create(const char *name, void *base, uint64_t size, bool readonly, struct blkdev **out)
{
	struct blk_ram *rd = kzalloc(sizeof(*rd));
	int ret;

	if (!rd)
		return -ENOMEM;
	ret = setup(rd, name, base, size, readonly);
	if (ret) {
		kfree(rd);
		return ret;
	}
	*out = &rd->dev;
	return 0;
}

int blk_ram_destroy(struct blkdev *dev)
{
	struct blk_ram *rd = dev->priv;
	int ret;

	if (dev->ops != &ram_ops || rd->is_static)
		return -EINVAL;
	ret = blk_unregister(dev);
	if (!ret)
		kfree(rd);
	return ret;
}

int blk_ram_initrd(struct blkdev **out)
{
	static struct spinlock initrd_lock = SPINLOCK_INIT("blk-initrd");
	static struct blk_ram initrd = { .is_static = true };
	int ret = 0;

	if (!boot_info.initrd_size)
		return -ENODEV;
	/* Registered by the first caller; the lock makes the others wait for it. */
	spin_lock(&initrd_lock);
	if (!initrd.dev.id)
		ret = setup(&initrd, "initrd", phys_to_virt(boot_info.initrd_base),
			    boot_info.initrd_size, true);
	spin_unlock(&initrd_lock);
	if (!ret)
		*out = &initrd.dev;
	return ret;
}
