/*
 * The file systems inside the guest: devfs, procfs, rofs (an image built
 * in memory with the same writer `osprey image` uses), mounts, and pipes.
 */
#include <string.h>

#include <osprey/block.h>
#include <osprey/boot.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/test.h>
#include <osprey/vfs.h>

#include "../../kernel/fs/rofs_image.h"

#define AT VFS_AT_FDCWD

static struct fdtable *table(struct test_ctx *t)
{
	struct fdtable *ft = NULL;

	EXPECT_EQ(t, vfs_fdtable_create(&ft), 0);
	return ft;
}

static int read_all(struct fdtable *ft, const char *path, char *buf, size_t size, size_t *len)
{
	int fd, ret = vfs_open(ft, AT, path, O_RDONLY, 0, &fd);
	size_t done;

	*len = 0;
	if (ret)
		return ret;
	do {
		ret = vfs_read(ft, fd, buf + *len, size - 1 - *len, &done);
		*len += done;
	} while (!ret && done && *len < size - 1);
	buf[*len] = 0;
	vfs_close(ft, fd);
	return ret;
}

TEST(fs_devfs, devices)
{
	struct fdtable *ft = table(t);
	uint8_t a[64], b[64];
	struct vfs_stat st;
	size_t done;
	int fd;

	EXPECT_EQ(t, vfs_open(ft, AT, "/dev/null", O_RDWR, 0, &fd), 0);
	EXPECT_EQ(t, vfs_write(ft, fd, "abc", 3, &done), 0);
	EXPECT_EQ(t, done, 3);
	EXPECT_EQ(t, vfs_read(ft, fd, a, sizeof(a), &done), 0);
	EXPECT_EQ(t, done, 0);
	EXPECT_EQ(t, vfs_fstat(ft, fd, &st), 0);
	EXPECT_EQ(t, st.mode & S_IFMT, S_IFCHR);
	EXPECT_EQ(t, st.rdev, (1 << 8) | 3);
	vfs_close(ft, fd);
	memset(a, 0xff, sizeof(a));
	EXPECT_EQ(t, vfs_open(ft, AT, "/dev/zero", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_read(ft, fd, a, sizeof(a), &done), 0);
	EXPECT_EQ(t, done, sizeof(a));
	EXPECT_EQ(t, a[0] | a[63], 0);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_open(ft, AT, "/dev/full", O_WRONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_write(ft, fd, "x", 1, &done), -ENOSPC);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_open(ft, AT, "/dev/urandom", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_read(ft, fd, a, sizeof(a), &done), 0);
	EXPECT_EQ(t, vfs_read(ft, fd, b, sizeof(b), &done), 0);
	EXPECT_NE(t, memcmp(a, b, sizeof(a)), 0);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_open(ft, AT, "/dev/random", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_read(ft, fd, a, 3, &done), 0);
	EXPECT_EQ(t, done, 3);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_open(ft, AT, "/dev/console", O_WRONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_write(ft, fd, "devfs: console write\n", 21, &done), 0);
	EXPECT_EQ(t, done, 21);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/dev/tty", true, &st), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/dev/sda", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/dev/x", 0755), -EROFS);
	vfs_fdtable_destroy(ft);
}

TEST(fs_procfs, files)
{
	struct fdtable *ft = table(t);
	char *buf = kmalloc(4096);
	size_t len;
	int fd;

	EXPECT_EQ(t, read_all(ft, "/proc/meminfo", buf, 4096, &len), 0);
	EXPECT_EQ(t, strncmp(buf, "MemTotal:       ", 16), 0);
	EXPECT_TRUE(t, strstr(buf, " kB\nMemFree:") != NULL);
	EXPECT_TRUE(t, strstr(buf, "\nMemAvailable:") != NULL);
	EXPECT_EQ(t, read_all(ft, "/proc/uptime", buf, 4096, &len), 0);
	EXPECT_TRUE(t, strchr(buf, '.') != NULL && buf[len - 1] == '\n');
	EXPECT_EQ(t, read_all(ft, "/proc/mounts", buf, 4096, &len), 0);
	EXPECT_TRUE(t, strstr(buf, "ramfs /tmp ramfs rw 0 0\n") != NULL);
	EXPECT_TRUE(t, strstr(buf, "devfs /dev devfs rw 0 0\n") != NULL);
	EXPECT_TRUE(t, strstr(buf, "procfs /proc procfs ro 0 0\n") != NULL);
	EXPECT_EQ(t, read_all(ft, "/proc/cpuinfo", buf, 4096, &len), 0);
	EXPECT_EQ(t, strncmp(buf, "processor\t: 0\n", 14), 0);
	EXPECT_TRUE(t, strstr(buf, "\nflags\t\t: fpu ") != NULL);
	EXPECT_TRUE(t, strstr(buf, "\nmodel name\t: ") != NULL);
	EXPECT_TRUE(t, strstr(buf, " sse2") != NULL);
	EXPECT_EQ(t, read_all(ft, "/proc/stat", buf, 4096, &len), 0);
	EXPECT_EQ(t, strncmp(buf, "cpu  ", 5), 0);
	EXPECT_TRUE(t, strstr(buf, "\ncpu0 ") != NULL);
	EXPECT_TRUE(t, nr_cpus < 2 || strstr(buf, "\ncpu1 ") != NULL);
	EXPECT_TRUE(t, strstr(buf, "\nctxt ") != NULL && strstr(buf, "\nprocs_running ") != NULL);
	EXPECT_EQ(t, vfs_open(ft, AT, "/proc/meminfo", O_WRONLY, 0, &fd), -EROFS);
	EXPECT_EQ(t, vfs_open(ft, AT, "/proc/x", O_WRONLY | O_CREAT, 0644, &fd), -EROFS);
	kfree(buf);
	vfs_fdtable_destroy(ft);
}

TEST(fs_mount, ramfs_mount_and_umount)
{
	struct fdtable *ft = table(t);
	struct vfs_stat st;
	int fd;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/mnt", 0755), 0);
	EXPECT_EQ(t, vfs_mount("/tmp/mnt", "ramfs", NULL, 0), 0);
	EXPECT_EQ(t, vfs_mount("/tmp/mnt", "ramfs", NULL, 0), 0); /* stacked on top */
	EXPECT_EQ(t, vfs_mount("/tmp/mnt", "nofs", NULL, 0), -ENODEV);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/mnt/f", O_WRONLY | O_CREAT, 0644, &fd), 0);
	EXPECT_EQ(t, vfs_umount("/tmp/mnt"), -EBUSY); /* a file is open */
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/mnt/sub", 0755), 0);
	EXPECT_EQ(t, vfs_chdir(ft, "/tmp/mnt/sub"), 0);
	EXPECT_EQ(t, vfs_umount("/tmp/mnt"), -EBUSY); /* a working directory is inside */
	EXPECT_EQ(t, vfs_chdir(ft, "/"), 0);
	EXPECT_EQ(t, vfs_rename(ft, AT, "/tmp/mnt/f", AT, "/tmp/g"), -EXDEV);
	EXPECT_EQ(t, vfs_umount("/tmp/mnt"), 0); /* frees the file too */
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/mnt/f", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_umount("/tmp/mnt"), 0);
	EXPECT_EQ(t, vfs_umount("/tmp/mnt"), -EINVAL);
	EXPECT_EQ(t, vfs_umount("/"), -EBUSY);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/mnt"), 0);
	vfs_fdtable_destroy(ft);
}

TEST(fs_pipe, ring_and_ends)
{
	struct fdtable *ft = table(t);
	char *big = kmalloc(65536 + 5000); /* heap, not .bss: a 4 MiB guest runs this too */
	char buf[16];
	struct vfs_stat st;
	uint64_t pos;
	size_t done;
	int fds[2];

	EXPECT_EQ(t, vfs_pipe(ft, O_NONBLOCK, fds), 0); /* blocking: pipe_block_test.c */
	EXPECT_EQ(t, vfs_read(ft, fds[0], buf, sizeof(buf), &done), -EAGAIN);
	EXPECT_EQ(t, vfs_write(ft, fds[1], "ping", 4, &done), 0);
	EXPECT_EQ(t, vfs_read(ft, fds[0], buf, sizeof(buf), &done), 0);
	EXPECT_EQ(t, done, 4);
	EXPECT_EQ(t, memcmp(buf, "ping", 4), 0);
	EXPECT_EQ(t, vfs_write(ft, fds[0], "x", 1, &done), -EBADF);
	EXPECT_EQ(t, vfs_lseek(ft, fds[0], 0, SEEK_SET, &pos), -ESPIPE);
	EXPECT_EQ(t, vfs_pread(ft, fds[0], buf, 1, 0, &done), -ESPIPE);
	EXPECT_EQ(t, vfs_fstat(ft, fds[0], &st), 0);
	EXPECT_EQ(t, st.mode & S_IFMT, S_IFIFO);
	/* a full ring takes what fits, then -EAGAIN; wrapping keeps the order */
	EXPECT_TRUE(t, big != NULL);
	if (!big)
		goto out;
	for (size_t i = 0; i < 65536 + 5000; i++)
		big[i] = (char)i;
	EXPECT_EQ(t, vfs_write(ft, fds[1], big, 65536 + 5000, &done), 0);
	EXPECT_EQ(t, done, 65536);
	EXPECT_EQ(t, vfs_write(ft, fds[1], big, 1, &done), -EAGAIN);
	EXPECT_EQ(t, vfs_read(ft, fds[0], buf, 10, &done), 0);
	EXPECT_EQ(t, vfs_write(ft, fds[1], big + 65536, 10, &done), 0);
	EXPECT_EQ(t, done, 10);
	bool ok = true;

	for (size_t i = 10; i < 65546; i++) {
		char c;

		ok &= vfs_read(ft, fds[0], &c, 1, &done) == 0 && done == 1 && c == big[i];
	}
	EXPECT_TRUE(t, ok);
	/* the write end closed: end of file; the read end closed: EPIPE */
	EXPECT_EQ(t, vfs_close(ft, fds[1]), 0);
	EXPECT_EQ(t, vfs_read(ft, fds[0], buf, 1, &done), 0);
	EXPECT_EQ(t, done, 0);
	EXPECT_EQ(t, vfs_pipe(ft, O_CLOEXEC, fds), 0);
	int flags;

	EXPECT_EQ(t, vfs_get_fd_flags(ft, fds[1], &flags), 0);
	EXPECT_EQ(t, flags, VFS_FD_CLOEXEC);
	EXPECT_EQ(t, vfs_close(ft, fds[0]), 0);
	EXPECT_EQ(t, vfs_write(ft, fds[1], "x", 1, &done), -EPIPE);
	EXPECT_EQ(t, vfs_pipe(ft, 0x1, fds), -EINVAL);
out:
	kfree(big);
	vfs_fdtable_destroy(ft);
}

static uint8_t *build_image(struct test_ctx *t, uint64_t *size)
{
	static char big[10000];
	static struct rofs_wnode hostname = {
		.name = "hostname", .mode = ROFS_S_IFREG | 0644, .data = "osprey\n", .size = 7
	};
	static struct rofs_wnode empty = { .name = "empty", .mode = ROFS_S_IFREG | 0600 };
	static struct rofs_wnode *etc_kids[] = { &hostname, &empty };
	static struct rofs_wnode etc = {
		.name = "etc", .mode = ROFS_S_IFDIR | 0755, .kids = etc_kids, .nkids = 2
	};
	static struct rofs_wnode link = {
		.name = "link", .mode = ROFS_S_IFLNK | 0777, .data = "etc/hostname", .size = 12
	};
	static struct rofs_wnode up = {
		.name = "up", .mode = ROFS_S_IFLNK | 0777, .data = "../../..", .size = 8
	};
	static struct rofs_wnode bigf = {
		.name = "big", .mode = ROFS_S_IFREG | 0444, .data = big, .size = sizeof(big)
	};
	static struct rofs_wnode *root_kids[] = { &link, &etc, &bigf, &up };
	static struct rofs_wnode root = { .mode = ROFS_S_IFDIR | 0755,
					  .kids = root_kids,
					  .nkids = 4 };
	const char *why = NULL;
	uint8_t *img;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	EXPECT_EQ(t, rofs_image_write(&root, NULL, 0, size, &why), 0);
	img = kmalloc(*size);
	EXPECT_EQ(t, rofs_image_write(&root, img, *size, size, &why), 0);
	return img;
}

/* Mounts rofs from the image in memory at img, as the RAM block device name. */
static int mount_image(struct test_ctx *t, const char *path, const char *name, uint8_t *img,
		       uint64_t size, struct blkdev **dev)
{
	EXPECT_EQ(t, blk_ram_create(name, img, size, true, dev), 0);
	return vfs_mount(path, "rofs", name, strlen(name));
}

TEST(fs_rofs, mount_and_read)
{
	struct fdtable *ft = table(t);
	char *buf = kmalloc(16384);
	struct pagecache_stats before, after;
	struct blkdev *dev;
	struct vfs_stat st;
	uint64_t size;
	uint8_t *img = build_image(t, &size);
	size_t len;
	int fd;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/img", 0755), 0);
	EXPECT_EQ(t, vfs_mount("/tmp/img", "rofs", "nodev", 5), -ENODEV);
	EXPECT_EQ(t, vfs_mount("/tmp/img", "rofs", "x", 0), -EINVAL);
	EXPECT_EQ(t, vfs_mount("/tmp/img", "rofs", "0123456789abcdef", 16), -EINVAL);
	if (!boot_info.initrd_size)
		EXPECT_EQ(t, vfs_mount("/tmp/img", "rofs", NULL, 0), -ENODEV); /* the initrd */
	EXPECT_EQ(t, mount_image(t, "/tmp/img", "test-img", img, size, &dev), 0);
	EXPECT_EQ(t, blk_ram_destroy(dev), -EBUSY); /* the mount holds it */
	EXPECT_EQ(t, read_all(ft, "/tmp/img/etc/hostname", buf, 16384, &len), 0);
	EXPECT_STREQ(t, buf, "osprey\n");
	EXPECT_EQ(t, read_all(ft, "/tmp/img/link", buf, 16384, &len), 0);
	EXPECT_STREQ(t, buf, "osprey\n");
	EXPECT_EQ(t, read_all(ft, "/tmp/img/big", buf, 16384, &len), 0);
	EXPECT_EQ(t, len, 10000);
	EXPECT_EQ(t, (uint8_t)buf[9999], (uint8_t)(9999 * 7));
	/* the second read of a file is served by the page cache: hits, no miss */
	pagecache_stats(&before);
	EXPECT_EQ(t, read_all(ft, "/tmp/img/big", buf, 16384, &len), 0);
	pagecache_stats(&after);
	EXPECT_EQ(t, len, 10000);
	EXPECT_EQ(t, (uint8_t)buf[4321], (uint8_t)(4321 * 7));
	EXPECT_EQ(t, after.misses, before.misses);
	EXPECT_GE(t, after.hits, before.hits + 3); /* 10000 bytes span 3 or 4 pages */
	EXPECT_EQ(t, read_all(ft, "/tmp/img/etc/empty", buf, 16384, &len), 0);
	EXPECT_EQ(t, len, 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/img/etc/empty", true, &st), 0);
	EXPECT_EQ(t, st.mode, S_IFREG | 0600);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/img/big", true, &st), 0);
	EXPECT_EQ(t, st.size, 10000);
	EXPECT_EQ(t, vfs_readlink(ft, AT, "/tmp/img/link", buf, 100, &len), 0);
	EXPECT_EQ(t, len, 12);
	/* ".." from the image's root crosses back into /tmp */
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/img/etc/../../img/up", false, &st), 0);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/img/up/tmp", true, &st), 0);
	EXPECT_TRUE(t, S_ISDIR(st.mode));
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/img/etc/nothere", true, &st), -ENOENT);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/img/big/x", true, &st), -ENOTDIR);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/img/big", O_RDWR, 0, &fd), -EROFS);
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/img/new", O_RDWR | O_CREAT, 0644, &fd), -EROFS);
	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/img/d", 0755), -EROFS);
	EXPECT_EQ(t, vfs_unlink(ft, AT, "/tmp/img/big"), -EROFS);
	/* directory entries come sorted */
	EXPECT_EQ(t, vfs_open(ft, AT, "/tmp/img", O_RDONLY, 0, &fd), 0);
	EXPECT_EQ(t, vfs_getdents(ft, fd, buf, 16384, &len), 0);
	const char *want[] = { ".", "..", "big", "etc", "link", "up" };
	size_t at = 0;

	for (size_t i = 0; i < 6; i++) {
		struct vfs_dirent *d = (struct vfs_dirent *)(buf + at);

		EXPECT_TRUE(t, at < len);
		EXPECT_STREQ(t, d->name, want[i]);
		at += d->reclen;
	}
	EXPECT_EQ(t, at, len);
	vfs_close(ft, fd);
	EXPECT_EQ(t, vfs_umount("/tmp/img"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/img"), 0);
	EXPECT_EQ(t, blk_ram_destroy(dev), 0);
	kfree(img);
	kfree(buf);
	vfs_fdtable_destroy(ft);
}

TEST(fs_rofs, corrupt_images_refused)
{
	uint64_t size;
	uint8_t *img = build_image(t, &size);
	struct fdtable *ft = table(t);
	struct blkdev *dev;

	EXPECT_EQ(t, vfs_mkdir(ft, AT, "/tmp/bad", 0755), 0);
	/* truncated */
	EXPECT_EQ(t, mount_image(t, "/tmp/bad", "bad-img", img, size - 1, &dev), -EINVAL);
	EXPECT_EQ(t, blk_ram_destroy(dev), 0);
	EXPECT_EQ(t, mount_image(t, "/tmp/bad", "bad-img", img, 10, &dev), -EINVAL);
	EXPECT_EQ(t, blk_ram_destroy(dev), 0);
	img[0] ^= 1;
	/* bad magic */
	EXPECT_EQ(t, mount_image(t, "/tmp/bad", "bad-img", img, size, &dev), -EINVAL);
	EXPECT_EQ(t, blk_ram_destroy(dev), 0);
	img[0] ^= 1;
	/* an inode pointing outside the image: mounts, then the read fails cleanly */
	struct rofs_inode ri;

	memcpy(&ri, img + 64 + sizeof(ri), sizeof(ri)); /* inode 1: the first kid, "big" */
	ri.off = size;
	memcpy(img + 64 + sizeof(ri), &ri, sizeof(ri));
	EXPECT_EQ(t, mount_image(t, "/tmp/bad", "bad-img", img, size, &dev), 0);
	struct vfs_stat st;

	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/bad/big", true, &st), -EIO);
	EXPECT_EQ(t, vfs_stat(ft, AT, "/tmp/bad/big", true, &st), -EIO); /* EIO is not cached */
	EXPECT_EQ(t, vfs_umount("/tmp/bad"), 0);
	EXPECT_EQ(t, vfs_rmdir(ft, AT, "/tmp/bad"), 0);
	EXPECT_EQ(t, blk_ram_destroy(dev), 0);
	kfree(img);
	vfs_fdtable_destroy(ft);
}

/* With an initrd the root is the image (check-fs boots one built from modules/). */
TEST(fs_root, image_or_ramfs)
{
	struct fdtable *ft = table(t);
	char *buf = kmalloc(4096);
	size_t len;

	EXPECT_EQ(t, read_all(ft, "/proc/mounts", buf, 4096, &len), 0);
	if (boot_info.initrd_size) {
		EXPECT_EQ(t, strncmp(buf, "rootfs / rofs ro 0 0\n", 21), 0);
		EXPECT_EQ(t, read_all(ft, "/etc/hostname", buf, 4096, &len), 0);
		EXPECT_STREQ(t, buf, "osprey\n");
		EXPECT_EQ(t, vfs_mkdir(ft, AT, "/newdir", 0755), -EROFS);
	} else {
		EXPECT_EQ(t, strncmp(buf, "ramfs / ramfs rw 0 0\n", 21), 0);
	}
	kfree(buf);
	vfs_fdtable_destroy(ft);
}
