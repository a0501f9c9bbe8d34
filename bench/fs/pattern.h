/*
 * bench/fs: the one measurement, compiled into both sides: Osprey's
 * kernel (kernel/fs/bench.c, through the VFS) and a static program on the
 * Linux guest (bench/fs/linux.c, through system calls).  The includer
 * defines FS_OPEN(path, &fd) -> 0 or < 0, FS_READ(fd, buf, n) -> bytes or
 * < 0, FS_CLOSE(fd), FS_NOW() -> ns, FS_PRINT(...).
 *
 * The files (bench/fs/gen.c makes them): FS_SMALL files /bench/small/fNN of
 * FS_SMALL_SIZE bytes, and /bench/large of FS_LARGE_SIZE bytes.  Each
 * figure is the best of FS_ROUNDS runs.
 */
#define FS_SMALL 64
#define FS_SMALL_SIZE 200
#define FS_LARGE_SIZE (4u << 20)
#define FS_CHUNK 65536
#define FS_ROUNDS 5
#define FS_PASSES 10

#ifndef FS_SIZES_ONLY /* bench/fs/gen.c needs the sizes only */

/* ns per open+read+close of one small file. */
static uint64_t fs_small(char *buf)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < FS_ROUNDS; r++) {
		uint64_t t0 = FS_NOW();

		for (int p = 0; p < FS_PASSES; p++)
			for (int i = 0; i < FS_SMALL; i++) {
				char path[32] = "/bench/small/f00";
				int fd;

				path[14] = (char)('0' + i / 10);
				path[15] = (char)('0' + i % 10);
				if (FS_OPEN(path, &fd) < 0)
					return 0;
				if (FS_READ(fd, buf, FS_CHUNK) != FS_SMALL_SIZE)
					return 0;
				FS_CLOSE(fd);
			}
		uint64_t ns = (FS_NOW() - t0) / (FS_PASSES * FS_SMALL);

		best = ns < best ? ns : best;
	}
	return best;
}

/* MiB/s reading the large file from start to end. */
static uint64_t fs_large(char *buf)
{
	uint64_t best = UINT64_MAX;

	for (int r = 0; r < FS_ROUNDS; r++) {
		uint64_t total = 0, t0 = FS_NOW();
		long n;
		int fd;

		if (FS_OPEN("/bench/large", &fd) < 0)
			return 0;
		while ((n = FS_READ(fd, buf, FS_CHUNK)) > 0)
			total += (uint64_t)n;
		FS_CLOSE(fd);
		if (total != FS_LARGE_SIZE)
			return 0;
		uint64_t ns = FS_NOW() - t0;

		best = ns < best ? ns : best;
	}
	return best ? (uint64_t)FS_LARGE_SIZE * 1000000000ull / best / (1u << 20) : 0;
}

static void fs_run_all(char *buf)
{
	FS_PRINT("FS small_open_read_close_ns %lu\n", (unsigned long)fs_small(buf));
	FS_PRINT("FS large_read_mib_s %lu\n", (unsigned long)fs_large(buf));
}
#endif
