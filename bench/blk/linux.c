/*
 * bench/blk on the Linux guest, as /init: loads Debian's virtio modules
 * from the initramfs (virtio_ring, virtio, virtio_mmio, virtio_blk are
 * modules there), makes /dev/vda from /sys/block/vda/dev, opens it with
 * O_DIRECT so that the page cache never answers, and runs the same loops as
 * Osprey's --bench=blk (pattern.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static int disk_fd = -1;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pread_all(void *buf, uint32_t len, uint64_t off)
{
	return pread(disk_fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

#define BLK_PREAD(buf, len, off) pread_all(buf, len, off)
#define BLK_NOW() now_ns()
#define BLK_PRINT(...) printf(__VA_ARGS__)
#include "pattern.h"

static const char *const modules[] = {
	"/modules/virtio_ring.ko",
	"/modules/virtio.ko",
	"/modules/virtio_mmio.ko",
	"/modules/virtio_blk.ko",
};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

/* Loads every module, retrying those whose dependencies came later. */
static int load_modules(void)
{
	int loaded[NMODULES] = { 0 };
	unsigned left = NMODULES;

	for (int pass = 0; pass < (int)NMODULES && left; pass++) {
		for (unsigned i = 0; i < NMODULES; i++) {
			int fd;

			if (loaded[i])
				continue;
			fd = open(modules[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				printf("blk: %s: %s\n", modules[i], strerror(errno));
				return -1;
			}
			if (syscall(SYS_finit_module, fd, "", 0) == 0 || errno == EEXIST) {
				loaded[i] = 1;
				left--;
			} else if (pass == (int)NMODULES - 1) {
				printf("blk: loading %s: %s\n", modules[i], strerror(errno));
			}
			close(fd);
		}
	}
	return left ? -1 : 0;
}

/* /dev/vda from sysfs, waiting up to 5 s for the disk to appear. */
static int make_vda(void)
{
	unsigned maj, min;
	FILE *f = NULL;

	mkdir("/sys", 0755);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL)) {
		printf("blk: mount sysfs: %s\n", strerror(errno));
		return -1;
	}
	for (int i = 0; i < 500 && !(f = fopen("/sys/block/vda/dev", "r")); i++)
		usleep(10000);
	if (!f) {
		printf("blk: no /sys/block/vda: the virtio disk was not found\n");
		return -1;
	}
	if (fscanf(f, "%u:%u", &maj, &min) != 2) {
		fclose(f);
		printf("blk: cannot read /sys/block/vda/dev\n");
		return -1;
	}
	fclose(f);
	if (mknod("/dev/vda", S_IFBLK | 0600, makedev(maj, min)) && errno != EEXIST) {
		printf("blk: mknod /dev/vda: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(void)
{
	static unsigned char buf[BLK_BIG] __attribute__((aligned(4096)));
	off_t size;

	if (load_modules() == 0 && make_vda() == 0) {
		disk_fd = open("/dev/vda", O_RDONLY | O_DIRECT);
		if (disk_fd < 0)
			printf("blk: open /dev/vda: %s\n", strerror(errno));
	}
	if (disk_fd >= 0) {
		size = lseek(disk_fd, 0, SEEK_END);
		if (size <= 0)
			printf("blk: cannot tell the disk's size\n");
		else
			blk_run_all(buf, (uint64_t)size);
	}
	fflush(stdout);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
