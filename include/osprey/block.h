/*
 * Block devices (kernel/drivers/block): a device is an array of nblocks
 * blocks of block_size bytes; callers read and write whole blocks.
 *
 * Requests.  A request names an operation, a first block, a count and a
 * buffer.  blk_submit() checks it against the device before the driver sees
 * it (a driver never gets a request outside its device) and hands it over;
 * the driver completes it exactly once by setting status and calling done,
 * either before submit returns (the RAM device) or later from its interrupt
 * handler (virtio-blk, a later issue: requests are asynchronous by
 * construction, the buffer stays the submitter's until done).  blk_read()
 * and blk_write() are the synchronous form: submit, then wait for done.
 *
 * Errors: -EINVAL for a request that makes no sense (no blocks, no buffer,
 * an unknown operation), -EIO for one that reaches past the device's end
 * (overflow included) or that the device failed, -EROFS for a write to a
 * read-only device.  Refused requests are counted per device.
 *
 * The registry: devices are found by name (blk_open), which counts a user;
 * blk_unregister() refuses a device in use (-EBUSY).  Each registration
 * gets an id that is never reused: the page cache keys pages by it, so a
 * new device at an old device's address never meets the old one's pages.
 *
 * Lock legend: [i] immutable once registered, [r] the registry's lock
 * ("blkdevs", a leaf: held only to walk or change the list), [a] atomic.
 */
#ifndef OSPREY_BLOCK_H
#define OSPREY_BLOCK_H

#include <osprey/kernel.h>

#define BLK_NAME_MAX 16 /* with the terminating NUL */
#define BLK_SECTOR 512	/* the smallest block size */
#define BLK_MAX_BS 4096 /* the largest: a block never spans two pages */

enum blk_op { BLK_READ = 1, BLK_WRITE = 2 };

struct blkdev;

struct blk_request {
	enum blk_op op;
	uint64_t lba;	/* first block */
	uint32_t count; /* blocks, at least 1 */
	void *buf;	/* count * block_size bytes */
	int status;	/* set by the driver before done: 0 or a negative errno */
	void (*done)(struct blk_request *r);
	void *priv; /* the submitter's */
};

struct blk_ops {
	/* r lies inside the device; complete it through r->done, now or later. */
	void (*submit)(struct blkdev *dev, struct blk_request *r);
};

struct blk_counts {
	uint64_t reads, writes; /* requests completed */
	uint64_t blocks_read, blocks_written;
	uint64_t refused; /* requests blk_submit refused */
	uint64_t errors;  /* requests the device failed */
};

struct blkdev {
	char name[BLK_NAME_MAX];   /* [i] unique among registered devices */
	uint32_t block_size;	   /* [i] a power of two, BLK_SECTOR .. BLK_MAX_BS */
	uint64_t nblocks;	   /* [i] at least 1 */
	uint64_t size;		   /* [i] bytes that hold data: nblocks * block_size, or less
				    * when the last block is partly past the medium (it reads
				    * as zeros there); what a file system may use */
	bool readonly;		   /* [i] */
	const struct blk_ops *ops; /* [i] */
	void *priv;		   /* [i] the driver's */
	uint32_t id;		   /* [i] set by blk_register, never 0, never reused */
	uint32_t users;		   /* [r] blk_open without blk_close */
	struct blkdev *next;	   /* [r] */
	struct {
		_Atomic uint64_t reads, writes, blocks_read, blocks_written, refused, errors;
	} stat; /* [a] relaxed counters */
};

/*
 * Adds dev (the driver filled name, geometry, ops): -EINVAL for a bad
 * geometry or name, -EEXIST for a name in use.
 */
int blk_register(struct blkdev *dev);
/* -EBUSY while opened, -ENOENT if not registered. */
int blk_unregister(struct blkdev *dev);
/* Finds a device by name and counts a user; -ENODEV if there is none. */
int blk_open(const char *name, struct blkdev **out);
void blk_close(struct blkdev *dev);

/* Checks r against dev and hands it to the driver; on an error, done is not called. */
int blk_submit(struct blkdev *dev, struct blk_request *r);
/* Synchronous whole-block transfers. */
int blk_read(struct blkdev *dev, uint64_t lba, uint32_t count, void *buf);
int blk_write(struct blkdev *dev, uint64_t lba, uint32_t count, const void *buf);
/*
 * Any byte range inside dev->size, uncached, through a bounce block for
 * partial blocks (on the stack for 512-byte blocks: mounting the initrd
 * allocates nothing).  -EIO outside the device.
 */
int blk_read_bytes(struct blkdev *dev, uint64_t off, void *buf, size_t len);
void blk_counts(struct blkdev *dev, struct blk_counts *c);

/*
 * The RAM device (kernel/drivers/block/ram.c): size bytes of memory at
 * base, in 512-byte blocks; the last block's bytes past size read as zeros
 * and writes there are dropped.  The memory stays the caller's.
 */
int blk_ram_create(const char *name, void *base, uint64_t size, bool readonly, struct blkdev **out);
/* Unregisters and frees; -EBUSY while opened. */
int blk_ram_destroy(struct blkdev *dev);
/*
 * The initrd the boot loader passed (PVH or the Linux boot protocol), as
 * the read-only device "initrd": registered by the first call, from static
 * storage.  Boot does not call it (rofs reads the initrd in place while
 * booting): the block layer's code runs from the first read after boot.
 * -ENODEV without an initrd.
 */
int blk_ram_initrd(struct blkdev **out);

/*
 * --bench=blk (kernel/drivers/block/bench.c): sequential reads of the disk
 * "vda"; -ENOENT for another name.
 */
int blk_bench(const char *name);

#endif
