/*
 * bench/blk: the loops both sides run, written once (as bench/fs/pattern.h):
 * Osprey through the block layer (kernel/drivers/block/bench.c), Linux
 * through /dev/vda opened with O_DIRECT (bench/blk/linux.c).
 *
 * The disk is the image mk/blk.mk builds with mktestdisk: sector i starts
 * with "OSPREY-SECTOR %08d\n".  One untimed pass of 64 KiB reads checks
 * every sector's header (and runs each side's code once, so that TCG has
 * translated it); then BLK_ROUNDS timed passes over the whole disk in 4 KiB
 * requests and as many in 64 KiB requests.  Best round of each, printed as
 *   BLK read4k_us N     microseconds per 4 KiB request
 *   BLK read64k_us N    microseconds per 64 KiB request
 *   BLKMIBS read4k N    MiB/s in 4 KiB requests
 *   BLKMIBS read64k N   MiB/s in 64 KiB requests
 * (µs: lower is better; MiB/s: higher is better).
 *
 * The includer defines, before including this file:
 *   BLK_PREAD(buf, len, off)  read len bytes at byte offset off into buf:
 *                             0, or negative on an error or short read
 *   BLK_NOW()                 a monotonic clock in ns (uint64_t)
 *   BLK_PRINT(...)            printf-like; %llu is all this file uses
 */
#ifndef BENCH_BLK_PATTERN_H
#define BENCH_BLK_PATTERN_H

#include <stdint.h>

#define BLK_ROUNDS 5
#define BLK_SMALL 4096
#define BLK_BIG 65536
#define BLK_SECTOR_BYTES 512

/* 0 when sec holds sector lba's header as mktestdisk wrote it. */
static int blk_check_sector(const unsigned char *sec, uint64_t lba)
{
	static const char head[] = "OSPREY-SECTOR ";
	uint64_t v = lba;

	for (unsigned i = 0; i < sizeof(head) - 1; i++)
		if (sec[i] != (unsigned char)head[i])
			return -1;
	for (int i = 7; i >= 0; i--, v /= 10)
		if (sec[sizeof(head) - 1 + (unsigned)i] != '0' + v % 10)
			return -1;
	return sec[sizeof(head) - 1 + 8] == '\n' ? 0 : -1;
}

/* One pass over size bytes in chunk-byte requests; check: every sector's header. */
static int blk_pass(unsigned char *buf, uint64_t size, uint32_t chunk, int check)
{
	for (uint64_t off = 0; off < size; off += chunk) {
		if (BLK_PREAD(buf, chunk, off) < 0) {
			BLK_PRINT("blk: read of %llu bytes at %llu failed\n",
				  (unsigned long long)chunk, (unsigned long long)off);
			return -1;
		}
		for (uint32_t s = 0; check && s < chunk / BLK_SECTOR_BYTES; s++) {
			uint64_t lba = off / BLK_SECTOR_BYTES + s;

			if (blk_check_sector(buf + s * BLK_SECTOR_BYTES, lba)) {
				BLK_PRINT("blk: sector %llu does not hold what the host wrote\n",
					  (unsigned long long)lba);
				return -1;
			}
		}
	}
	return 0;
}

/* Best of BLK_ROUNDS passes, in ns; 0 on an error. */
static uint64_t blk_best(unsigned char *buf, uint64_t size, uint32_t chunk)
{
	uint64_t best = ~0ull;

	for (int r = 0; r < BLK_ROUNDS; r++) {
		uint64_t t0 = BLK_NOW();

		if (blk_pass(buf, size, chunk, 0))
			return 0;
		uint64_t d = BLK_NOW() - t0;

		best = d < best ? d : best;
	}
	return best ? best : 1;
}

/* Prints v / 100 with two decimals. */
static void blk_report(const char *key, const char *name, uint64_t centi)
{
	BLK_PRINT("%s %s %llu.%02llu\n", key, name, (unsigned long long)(centi / 100),
		  (unsigned long long)(centi % 100));
}

/* buf: BLK_BIG bytes (aligned to 4 KiB for O_DIRECT); size: the disk's bytes. */
static int blk_run_all(unsigned char *buf, uint64_t size)
{
	static const uint32_t chunks[2] = { BLK_SMALL, BLK_BIG };
	static const char *const us_names[2] = { "read4k_us", "read64k_us" };
	static const char *const mibs_names[2] = { "read4k", "read64k" };

	size -= size % BLK_BIG;
	if (size == 0) {
		BLK_PRINT("blk: the disk is smaller than %llu bytes\n",
			  (unsigned long long)BLK_BIG);
		return -1;
	}
	if (blk_pass(buf, size, BLK_BIG, 1))
		return -1;
	BLK_PRINT("blk: %llu bytes checked\n", (unsigned long long)size);
	for (int i = 0; i < 2; i++) {
		uint64_t ns = blk_best(buf, size, chunks[i]);
		uint64_t n = size / chunks[i];

		if (!ns)
			return -1;
		/* centi-µs per request = ns / n / 10 */
		blk_report("BLK", us_names[i], ns / n / 10);
		/* centi-MiB/s = KiB * 100 * 1e9 / ns / 1024, in integers (the kernel has no
		 * floating point); exact enough up to 100 GiB. */
		blk_report("BLKMIBS", mibs_names[i], (size >> 10) * 100000000000ull / ns >> 10);
	}
	return 0;
}

#endif
