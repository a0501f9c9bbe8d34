/*
 * The block layer inside the guest: every request is checked against its
 * device before a driver sees it, the registry finds devices by name and
 * refuses to drop one in use, the RAM device reads what its memory holds
 * (zeros past the end of its last block), and the initrd is a device.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/boot.h>
#include <osprey/mm.h>
#include <osprey/test.h>

/* A driver that counts what reaches it: refused requests must not. */
static unsigned reached;

static void counting_submit(struct blkdev *dev, struct blk_request *r)
{
	(void)dev;
	reached++;
	memset(r->buf, 0x5a, (size_t)r->count * dev->block_size);
	r->status = 0;
	r->done(r);
}

static const struct blk_ops counting_ops = { .submit = counting_submit };

TEST(blk, requests_are_bounds_checked)
{
	struct blkdev dev = { .name = "bounds",
			      .block_size = 1024,
			      .nblocks = 4,
			      .size = 4096,
			      .ops = &counting_ops };
	uint8_t *buf = kmalloc(8192);
	struct blk_counts c;

	EXPECT_EQ(t, blk_register(&dev), 0);
	reached = 0;
	EXPECT_EQ(t, blk_read(&dev, 0, 4, buf), 0);
	EXPECT_EQ(t, blk_read(&dev, 3, 1, buf), 0);
	EXPECT_EQ(t, reached, 2);
	/* out of range: -EIO, and the driver never sees it */
	EXPECT_EQ(t, blk_read(&dev, 3, 2, buf), -EIO);
	EXPECT_EQ(t, blk_read(&dev, 4, 1, buf), -EIO);
	EXPECT_EQ(t, blk_read(&dev, UINT64_MAX, 2, buf), -EIO); /* lba + count overflows */
	EXPECT_EQ(t, blk_read(&dev, UINT64_MAX - 1, 1, buf), -EIO);
	/* nonsense: -EINVAL */
	EXPECT_EQ(t, blk_read(&dev, 0, 0, buf), -EINVAL);
	EXPECT_EQ(t, blk_read(&dev, 0, 1, NULL), -EINVAL);
	struct blk_request r = { .op = 7, .lba = 0, .count = 1, .buf = buf, .done = NULL };

	EXPECT_EQ(t, blk_submit(&dev, &r), -EINVAL);
	EXPECT_EQ(t, reached, 2);
	/* byte ranges: inside the size or -EIO */
	EXPECT_EQ(t, blk_read_bytes(&dev, 4000, buf, 96), 0);
	EXPECT_EQ(t, blk_read_bytes(&dev, 4000, buf, 97), -EIO);
	EXPECT_EQ(t, blk_read_bytes(&dev, UINT64_MAX, buf, 2), -EIO);
	EXPECT_EQ(t, blk_read_bytes(&dev, 1000, buf, 0), 0);
	blk_counts(&dev, &c);
	EXPECT_EQ(t, c.refused, 7);
	EXPECT_GE(t, c.reads, 3);
	EXPECT_EQ(t, blk_unregister(&dev), 0);
	EXPECT_EQ(t, blk_unregister(&dev), -ENOENT);
	kfree(buf);
}

TEST(blk, registry)
{
	struct blkdev a = {
		.name = "reg-a", .block_size = 512, .nblocks = 1, .size = 512, .ops = &counting_ops
	};
	struct blkdev b = a, bad = a, *found;

	EXPECT_EQ(t, blk_register(&a), 0);
	EXPECT_EQ(t, blk_register(&b), -EEXIST); /* same name */
	memcpy(b.name, "reg-b", 6);
	EXPECT_EQ(t, blk_register(&b), 0);
	EXPECT_GT(t, b.id, a.id); /* ids only grow */
	EXPECT_EQ(t, blk_open("reg-a", &found), 0);
	EXPECT_TRUE(t, found == &a);
	EXPECT_EQ(t, blk_open("reg-c", &found), -ENODEV);
	EXPECT_EQ(t, blk_unregister(&a), -EBUSY);
	blk_close(&a);
	EXPECT_EQ(t, blk_unregister(&a), 0);
	EXPECT_EQ(t, blk_unregister(&b), 0);
	EXPECT_EQ(t, blk_open("reg-a", &found), -ENODEV);
	/* geometries that cannot be */
	memcpy(bad.name, "bad", 4);
	bad.block_size = 768;
	EXPECT_EQ(t, blk_register(&bad), -EINVAL);
	bad.block_size = 8192;
	EXPECT_EQ(t, blk_register(&bad), -EINVAL);
	bad.block_size = 512;
	bad.nblocks = 0;
	EXPECT_EQ(t, blk_register(&bad), -EINVAL);
	bad.nblocks = 2;
	bad.size = 512; /* the last block would hold nothing */
	EXPECT_EQ(t, blk_register(&bad), -EINVAL);
	bad.size = 1025;
	EXPECT_EQ(t, blk_register(&bad), -EINVAL);
	bad.size = 1000;
	bad.nblocks = UINT64_MAX;
	EXPECT_EQ(t, blk_register(&bad), -EINVAL);
	bad.nblocks = 2;
	bad.name[0] = 0;
	EXPECT_EQ(t, blk_register(&bad), -EINVAL);
	memset(bad.name, 'x', sizeof(bad.name));
	EXPECT_EQ(t, blk_register(&bad), -EINVAL);
}

TEST(blk, ram_device)
{
	uint8_t *mem = kmalloc(1000), *buf = kmalloc(1024);
	struct blkdev *dev, *ro;

	for (int i = 0; i < 1000; i++)
		mem[i] = (uint8_t)(i * 13);
	EXPECT_EQ(t, blk_ram_create("ram-t", mem, 1000, false, &dev), 0);
	EXPECT_EQ(t, dev->block_size, 512);
	EXPECT_EQ(t, dev->nblocks, 2);
	EXPECT_EQ(t, dev->size, 1000);
	/* the last block: the memory's 488 bytes, then zeros */
	memset(buf, 0xff, 1024);
	EXPECT_EQ(t, blk_read(dev, 0, 2, buf), 0);
	EXPECT_EQ(t, memcmp(buf, mem, 1000), 0);
	bool zeros = true;

	for (int i = 1000; i < 1024; i++)
		zeros &= buf[i] == 0;
	EXPECT_TRUE(t, zeros);
	EXPECT_EQ(t, blk_read(dev, 2, 1, buf), -EIO);
	/* a write lands in memory; past the end it is dropped */
	memset(buf, 0x11, 1024);
	EXPECT_EQ(t, blk_write(dev, 1, 1, buf), 0);
	EXPECT_EQ(t, mem[512], 0x11);
	EXPECT_EQ(t, mem[999], 0x11);
	EXPECT_EQ(t, mem[511], (uint8_t)(511 * 13));
	EXPECT_EQ(t, blk_read_bytes(dev, 510, buf, 4), 0);
	EXPECT_EQ(t, buf[0], (uint8_t)(510 * 13));
	EXPECT_EQ(t, buf[2], 0x11);
	/* read-only: writes refused */
	EXPECT_EQ(t, blk_ram_create("ram-ro", mem, 1000, true, &ro), 0);
	EXPECT_EQ(t, blk_write(ro, 0, 1, buf), -EROFS);
	EXPECT_EQ(t, blk_ram_create("ram-ro", mem, 10, true, &ro), -EEXIST);
	EXPECT_EQ(t, blk_ram_create("ram-0", mem, 0, true, &ro), -EINVAL);
	EXPECT_EQ(t, blk_open("ram-ro", &ro), 0);
	EXPECT_EQ(t, blk_ram_destroy(ro), -EBUSY);
	blk_close(ro);
	EXPECT_EQ(t, blk_ram_destroy(ro), 0);
	EXPECT_EQ(t, blk_ram_destroy(dev), 0);
	kfree(buf);
	kfree(mem);
}

TEST(blk, initrd_is_a_device)
{
	struct blkdev *dev;
	uint8_t magic[8];

	if (!boot_info.initrd_size) {
		EXPECT_EQ(t, blk_ram_initrd(&dev), -ENODEV);
		EXPECT_EQ(t, blk_open("initrd", &dev), -ENODEV);
		return;
	}
	EXPECT_EQ(t, blk_ram_initrd(&dev), 0); /* registered by the first call (or read) */
	EXPECT_EQ(t, blk_open("initrd", &dev), 0);
	EXPECT_TRUE(t, dev->readonly);
	EXPECT_EQ(t, dev->size, boot_info.initrd_size);
	EXPECT_EQ(t, blk_read_bytes(dev, 0, magic, 8), 0);
	EXPECT_EQ(t, memcmp(magic, phys_to_virt(boot_info.initrd_base), 8), 0);
	EXPECT_EQ(t, blk_ram_destroy(dev), -EINVAL); /* static: never destroyed */
	blk_close(dev);
}
