/*
 * virtio-blk inside the guest, on a disk the host built with known
 * contents: sector i starts with "OSPREY-SECTOR %08d\n" and goes on with
 * bytes (i * 7 + j) & 0xff (mk/tests.mk, check-kernel's disk runs).
 *
 * The runs that attach such a disk say so with
 * --env=OSPREY_TEST_DISK=rw:SECTORS or ro:SECTORS; without it (every other
 * boot of check-kernel) these tests have no disk to look at and pass
 * without checking anything, saying so.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/cmdline.h>
#include <osprey/format.h>
#include <osprey/log.h>
#include <osprey/arch/cpu.h>
#include <osprey/arch/irq.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/test.h>
#include <osprey/time.h>
#include <osprey/virtio.h>

#define DISK_ENV "OSPREY_TEST_DISK="

struct test_disk {
	bool rw;
	uint64_t sectors;
};

/* The disk the host attached, from the environment; false when none. */
static bool test_disk(struct test_disk *d)
{
	for (int i = 0; i < boot_options.envc; i++) {
		const char *e = boot_options.envp[i];

		if (strncmp(e, DISK_ENV, strlen(DISK_ENV)) != 0)
			continue;
		e += strlen(DISK_ENV);
		d->rw = e[0] == 'r' && e[1] == 'w';
		d->sectors = 0;
		for (e += 3; *e >= '0' && *e <= '9'; e++)
			d->sectors = d->sectors * 10 + (uint64_t)(*e - '0');
		return true;
	}
	test_print("  (no test disk attached: nothing to check)\n");
	return false;
}

/* 0 when buf holds sector lba as the host wrote it. */
static int check_sector(const uint8_t *buf, uint64_t lba)
{
	char head[32];
	size_t n = (size_t)format_snprintf(head, sizeof(head), "OSPREY-SECTOR %08lu\n", lba);

	if (memcmp(buf, head, n) != 0)
		return -1;
	for (size_t j = 0; j < BLK_SECTOR - n; j++)
		if (buf[n + j] != (uint8_t)((lba * 7 + j) & 0xff))
			return -1;
	return 0;
}

static struct blkdev *open_vda(struct test_ctx *t)
{
	struct blkdev *dev = NULL;

	EXPECT_EQ(t, blk_open("vda", &dev), 0);
	return dev;
}

TEST(virtio, device_found)
{
	struct test_disk d;
	struct virtio_counts c;
	struct blkdev *dev;

	if (!test_disk(&d))
		return;
	/* the first lookup finds the disks (not boot) */
	dev = open_vda(t);
	virtio_counts(&c);
	EXPECT_EQ(t, c.blk_disks, 1);
	EXPECT_EQ(t, c.legacy_refused, 0);
	EXPECT_EQ(t, c.init_failed, 0);
	if (!dev)
		return;
	EXPECT_EQ(t, dev->block_size, BLK_SECTOR);
	EXPECT_EQ(t, dev->readonly, !d.rw);
	blk_close(dev);
}

TEST(virtio, capacity_is_the_image_size)
{
	struct test_disk d;
	struct blkdev *dev;

	if (!test_disk(&d) || !(dev = open_vda(t)))
		return;
	EXPECT_EQ(t, dev->nblocks, d.sectors);
	EXPECT_EQ(t, dev->size, d.sectors * BLK_SECTOR);
	blk_close(dev);
}

TEST(virtio, reads_known_sectors)
{
	static const uint64_t which[] = { 0, 1, 7, 777, 1023 };
	uint8_t one[BLK_SECTOR]; /* on the stack: a kernel-virtual-area buffer */
	struct test_disk d;
	struct blkdev *dev;

	if (!test_disk(&d) || !(dev = open_vda(t)))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(which); i++) {
		uint64_t lba = which[i] % d.sectors;

		memset(one, 0, sizeof(one));
		EXPECT_EQ(t, blk_read(dev, lba, 1, one), 0);
		EXPECT_EQ(t, check_sector(one, lba), 0);
	}
	EXPECT_EQ(t, blk_read(dev, d.sectors - 1, 1, one), 0);
	EXPECT_EQ(t, check_sector(one, d.sectors - 1), 0);

	/* 300 sectors into a heap buffer at an odd offset: many runs, several requests */
	uint8_t *big = kmalloc(301 * BLK_SECTOR);

	EXPECT_TRUE(t, big != NULL);
	if (big) {
		uint8_t *p = big + 100;

		EXPECT_EQ(t, blk_read(dev, 5, 300, p), 0);
		for (uint64_t s = 0; s < 300; s++)
			EXPECT_EQ(t, check_sector(p + s * BLK_SECTOR, 5 + s), 0);
		kfree(big);
	}
	/* bytes through the block layer's bounce path */
	char head[8];

	EXPECT_EQ(t, blk_read_bytes(dev, 3 * BLK_SECTOR + 6, head, 6), 0);
	EXPECT_EQ(t, memcmp(head, "-SECTO", 6), 0);
	blk_close(dev);
}

TEST(virtio, out_of_range_is_refused)
{
	uint8_t buf[2 * BLK_SECTOR];
	struct test_disk d;
	struct blkdev *dev;
	struct blk_counts before, after;

	if (!test_disk(&d) || !(dev = open_vda(t)))
		return;
	blk_counts(dev, &before);
	EXPECT_EQ(t, blk_read(dev, d.sectors, 1, buf), -EIO);
	EXPECT_EQ(t, blk_read(dev, d.sectors - 1, 2, buf), -EIO);
	EXPECT_EQ(t, blk_read(dev, UINT64_MAX, 2, buf), -EIO);
	EXPECT_EQ(t, blk_read(dev, 0, 0, buf), -EINVAL);
	blk_counts(dev, &after);
	EXPECT_EQ(t, after.refused - before.refused, 4);
	EXPECT_EQ(t, after.errors, before.errors);
	blk_close(dev);
}

TEST(virtio, writes_read_back_or_are_refused)
{
	uint8_t old[4 * BLK_SECTOR], buf[4 * BLK_SECTOR], back[4 * BLK_SECTOR];
	const uint64_t lba = 900;
	struct test_disk d;
	struct blkdev *dev;

	if (!test_disk(&d) || !(dev = open_vda(t)))
		return;
	EXPECT_EQ(t, blk_read(dev, lba, 4, old), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 5);
	if (!d.rw) {
		EXPECT_EQ(t, blk_write(dev, lba, 4, buf), -EROFS);
		EXPECT_EQ(t, blk_read(dev, lba, 4, back), 0);
		EXPECT_EQ(t, memcmp(back, old, sizeof(old)), 0);
		blk_close(dev);
		return;
	}
	EXPECT_EQ(t, blk_write(dev, lba, 4, buf), 0);
	memset(back, 0, sizeof(back));
	EXPECT_EQ(t, blk_read(dev, lba, 4, back), 0);
	EXPECT_EQ(t, memcmp(back, buf, sizeof(buf)), 0);
	/* put the host's contents back, and see them */
	EXPECT_EQ(t, blk_write(dev, lba, 4, old), 0);
	EXPECT_EQ(t, blk_read(dev, lba, 4, back), 0);
	for (int s = 0; s < 4; s++)
		EXPECT_EQ(t, check_sector(back + s * BLK_SECTOR, lba + (uint64_t)s), 0);
	blk_close(dev);
}

#define READERS 4
#define READS 40

struct reader {
	struct blkdev *dev;
	uint64_t sectors;
	unsigned seed;
	int bad;
};

static void reader(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[2 * BLK_SECTOR];
	uint32_t x = r->seed * 2654435761u + 1;

	for (int i = 0; i < READS; i++) {
		x = x * 1103515245u + 12345u;
		uint64_t lba = (x >> 8) % (r->sectors - 1);

		if (blk_read(r->dev, lba, 2, buf) || check_sector(buf, lba) ||
		    check_sector(buf + BLK_SECTOR, lba + 1))
			r->bad++;
	}
}

TEST(virtio, concurrent_readers)
{
	struct reader rs[READERS];
	struct thread *th[READERS];
	struct test_disk d;
	struct blkdev *dev;
	struct virtio_counts c;

	if (!test_disk(&d) || !(dev = open_vda(t)))
		return;
	for (int i = 0; i < READERS; i++) {
		rs[i] = (struct reader){ .dev = dev, .sectors = d.sectors, .seed = (unsigned)i };
		EXPECT_EQ(t, thread_create("vblk-reader", reader, &rs[i], &th[i]), 0);
	}
	for (int i = 0; i < READERS; i++) {
		EXPECT_EQ(t, thread_join(th[i]), 0);
		EXPECT_EQ(t, rs[i].bad, 0);
	}
	virtio_counts(&c);
	EXPECT_EQ(t, c.bad_used, 0);
	EXPECT_EQ(t, c.bad_status, 0);
	EXPECT_EQ(t, c.timeouts, 0);
	EXPECT_EQ(t, c.ring_broken, 0);
	blk_close(dev);
}

#define IRQ_READS 20

/* What the completion tests share: the disk, a sector, the counters before and after. */
struct counted {
	struct test_disk d;
	struct blkdev *dev;
	struct virtio_counts a, b;
	uint8_t buf[BLK_SECTOR];
};

/* Opens the test disk and reads the counters; false without a disk. */
static bool open_counted(struct test_ctx *t, struct counted *c)
{
	if (!test_disk(&c->d) || !(c->dev = open_vda(t)))
		return false;
	virtio_counts(&c->a);
	return true;
}

/*
 * From a thread (which may sleep): each request is completed by the
 * interrupt handler, which wakes the submitter; nothing polls.
 */
TEST(virtio, completes_by_interrupt)
{
	struct counted c;

	if (!open_counted(t, &c))
		return;
	for (uint64_t i = 0; i < IRQ_READS; i++) {
		uint64_t lba = (i * 37) % c.d.sectors;

		EXPECT_EQ(t, blk_read(c.dev, lba, 1, c.buf), 0);
		EXPECT_EQ(t, check_sector(c.buf, lba), 0);
	}
	virtio_counts(&c.b);
	EXPECT_GE(t, c.b.interrupts - c.a.interrupts, 1);
	EXPECT_EQ(t, c.b.irq_completions - c.a.irq_completions, IRQ_READS);
	EXPECT_EQ(t, c.b.polled - c.a.polled, 0);
	EXPECT_EQ(t, c.b.irq_storms, 0);
	test_print("  %lu interrupts (%lu empty), %lu sleeps for %d reads\n",
		   c.b.interrupts - c.a.interrupts, c.b.irq_empty - c.a.irq_empty,
		   c.b.sleeps - c.a.sleeps, IRQ_READS);
	blk_close(c.dev);
}

struct unmasker {
	uint32_t gsi;
};

static void unmask_later(void *arg)
{
	struct unmasker *u = arg;

	thread_sleep_ns(20000000);
	irq_mask(u->gsi, false);
}

/*
 * The submitter sleeps and the interrupt wakes it: the line is held masked
 * at the IOAPIC for 20 ms, so the request cannot complete before the
 * submitter has gone to sleep; when another thread unmasks it, the
 * (level-triggered, still raised) interrupt comes in, completes the request
 * and wakes the sleeper, well before its own look at the ring (0.5 s).
 */
TEST(virtio, a_sleeper_is_woken_by_the_interrupt)
{
	struct unmasker u;
	struct thread *th;
	struct counted c;

	if (!open_counted(t, &c))
		return;
	EXPECT_EQ(t, virtio_blk_gsi(c.dev, &u.gsi), 0);
	irq_mask(u.gsi, true);
	EXPECT_EQ(t, thread_create("vblk-unmask", unmask_later, &u, &th), 0);
	EXPECT_EQ(t, blk_read(c.dev, 11, 1, c.buf), 0);
	EXPECT_EQ(t, thread_join(th), 0);
	virtio_counts(&c.b);
	EXPECT_EQ(t, check_sector(c.buf, 11), 0);
	EXPECT_GE(t, c.b.sleeps - c.a.sleeps, 1);
	EXPECT_EQ(t, c.b.irq_wakeups - c.a.irq_wakeups, 1);
	EXPECT_EQ(t, c.b.irq_completions - c.a.irq_completions, 1);
	EXPECT_EQ(t, c.b.polled - c.a.polled, 0);
	blk_close(c.dev);
}

/* With interrupts off the submitter cannot sleep: it polls, and still gets its data. */
TEST(virtio, polls_where_it_cannot_sleep)
{
	struct counted c;

	if (!open_counted(t, &c))
		return;
	uint64_t flags = irq_save();
	int ret = blk_read(c.dev, 3, 1, c.buf);

	irq_restore(flags);
	virtio_counts(&c.b);
	EXPECT_EQ(t, ret, 0);
	EXPECT_EQ(t, check_sector(c.buf, 3), 0);
	EXPECT_EQ(t, c.b.polled - c.a.polled, 1);
	EXPECT_EQ(t, c.b.sleeps - c.a.sleeps, 0);
	blk_close(c.dev);
}

struct opener {
	_Atomic int *go;
	int ret;
};

static void opener(void *arg)
{
	struct opener *o = arg;
	struct blkdev *dev;

	/* acquire: pairs with the release that starts them all */
	while (!atomic_load_explicit(o->go, memory_order_acquire))
		cpu_relax();
	o->ret = blk_open("vda", &dev);
	if (!o->ret)
		blk_close(dev);
}

/*
 * Last in this file, so that it runs first (the tests of a file run from
 * the last one up) and, in check-kernel's disk runs ('virtio*'), makes the
 * first lookup of a disk: one thread per CPU asks at once, and the probe
 * runs once (a second probe would find the device again, as vdb).
 */
TEST(virtio, first_lookup_probes_once)
{
	enum { MAX_OPENERS = 8 };
	struct opener os[MAX_OPENERS];
	struct thread *th[MAX_OPENERS];
	_Atomic int go = 0;
	struct virtio_counts c;
	struct test_disk d;
	unsigned n = MIN(nr_cpus, (unsigned)MAX_OPENERS);

	if (!test_disk(&d))
		return;
	for (unsigned i = 0; i < n; i++) {
		os[i] = (struct opener){ .go = &go, .ret = -1 };
		EXPECT_EQ(t, thread_create_on((int)i, "vblk-open", opener, &os[i], &th[i]), 0);
	}
	uint64_t t0 = clock_ns();

	/* release: pairs with the openers' acquire */
	atomic_store_explicit(&go, 1, memory_order_release);
	for (unsigned i = 0; i < n; i++) {
		EXPECT_EQ(t, thread_join(th[i]), 0);
		EXPECT_EQ(t, os[i].ret, 0);
	}
	test_print("  %u openers at once: %lu us (the probe, when this is the first lookup)\n", n,
		   (clock_ns() - t0) / 1000);
	virtio_counts(&c);
	EXPECT_EQ(t, c.devices, 1);
	EXPECT_EQ(t, c.blk_disks, 1);
}
