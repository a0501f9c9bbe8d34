/*
 * --bench=blk: the whole of the disk "vda" (osprey run --disk FILE) read
 * sequentially through the block layer, in 4 KiB and in 64 KiB requests
 * (blk_read: the driver, no cache).  bench/blk/pattern.h has the loops,
 * shared with the Linux guest's program (bench/blk/linux.c, /dev/vda with
 * O_DIRECT); mk/blk.mk runs both and builds the disk.
 *
 * It runs in the boot thread with the scheduler started, as a thread of a
 * program would: each request sleeps until the disk's interrupt completes
 * it (or polls, where the driver decides it cannot sleep).  The completion
 * counters go out after the figures, to show which it was.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/sched.h>
#include <osprey/time.h>
#include <osprey/virtio.h>

static struct blkdev *bench_dev;

/* The pattern reads whole 4 KiB or 64 KiB chunks: always whole blocks. */
static int bench_pread(void *buf, uint32_t len, uint64_t off)
{
	uint32_t bs = bench_dev->block_size;

	return blk_read(bench_dev, off / bs, len / bs, buf);
}

#define BLK_PREAD(buf, len, off) bench_pread(buf, len, off)
#define BLK_NOW() clock_ns()
#define BLK_PRINT(...) kprintf(__VA_ARGS__)
#include "../../../bench/blk/pattern.h"

int blk_bench(const char *name)
{
	struct virtio_counts c;
	unsigned char *buf;
	int ret;

	if (strcmp(name, "blk") != 0)
		return -ENOENT;
	if (!sched_started() && (ret = sched_start()))
		return ret;
	ret = blk_open("vda", &bench_dev);
	if (ret) {
		kprintf("blk: no disk vda (%d): osprey run --disk FILE\n", ret);
		return ret;
	}
	buf = kmalloc(BLK_BIG);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = blk_run_all(buf, bench_dev->size) ? -EIO : 0;
	virtio_counts(&c);
	kprintf("blk: interrupts %llu, completed by the interrupt %llu, sleeps %llu, polled %llu\n",
		(unsigned long long)c.interrupts, (unsigned long long)c.irq_completions,
		(unsigned long long)c.sleeps, (unsigned long long)c.polled);
	kfree(buf);
out_close:
	blk_close(bench_dev);
	return ret;
}
