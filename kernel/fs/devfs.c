/*
 * devfs: /dev with the devices every Linux program may open: null, zero,
 * full, console and tty (the serial console: output, and input through
 * console.c), random and urandom.
 *
 * The nodes are static and live forever (their reference count never
 * reaches zero), so lookups cost no allocation.  One instance only.
 *
 * random and urandom read RDRAND when CPUID says the CPU has it (RDSEED,
 * when present, seeds the fallback); otherwise a 64-bit generator
 * (xorshift-multiply over a 256-bit state) seeded from the TSC and the
 * clock.  The fallback is not cryptographic: documented in docs/files.md,
 * until virtio-rng arrives.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/log.h>
#include <osprey/time.h>

#include "internal.h"

#define MKDEV(ma, mi) (((uint64_t)(ma) << 8) | (mi))

enum dev_kind { DEV_NULL, DEV_ZERO, DEV_FULL, DEV_CONSOLE, DEV_RANDOM };

struct devfs_node {
	struct vnode v;
	const char *name;
	enum dev_kind kind;
	uint64_t rdev;
};

static const struct vnode_ops devfs_dir_ops, devfs_dev_ops;
static struct vnode devfs_root;
static struct devfs_node devs[] = {
	{ .name = "null", .kind = DEV_NULL, .rdev = MKDEV(1, 3) },
	{ .name = "zero", .kind = DEV_ZERO, .rdev = MKDEV(1, 5) },
	{ .name = "full", .kind = DEV_FULL, .rdev = MKDEV(1, 7) },
	{ .name = "random", .kind = DEV_RANDOM, .rdev = MKDEV(1, 8) },
	{ .name = "urandom", .kind = DEV_RANDOM, .rdev = MKDEV(1, 9) },
	{ .name = "tty", .kind = DEV_CONSOLE, .rdev = MKDEV(5, 0) },
	{ .name = "console", .kind = DEV_CONSOLE, .rdev = MKDEV(5, 1) },
};

static struct spinlock rng_lock = SPINLOCK_INIT("devfs-rng");
static uint64_t rng_state[4]; /* [rng_lock] */
static bool rng_seeded;	      /* [rng_lock] */
static int has_rdrand = -1;   /* [rng_lock] -1: not asked yet */

static bool rdrand64(uint64_t *v)
{
	for (int i = 0; i < 10; i++) {
		unsigned char ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

static bool rdseed64(uint64_t *v)
{
	for (int i = 0; i < 10; i++) {
		unsigned char ok;

		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Caller holds rng_lock. */
static void rng_seed(void)
{
	bool rdseed = cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ebx & (1u << 18));

	for (int i = 0; i < 4; i++) {
		uint64_t s = 0;

		if (!rdseed || !rdseed64(&s))
			s = rdtsc() ^ clock_ns() ^ ((uint64_t)i << 56);
		rng_state[i] = mix64(s + 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1));
	}
	rng_seeded = true;
}

/* xoshiro-style step over the 256-bit state.  Caller holds rng_lock. */
static uint64_t rng_next(void)
{
	uint64_t *s = rng_state, r = mix64(s[0] + s[3]), t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return r;
}

void devfs_random_fill(uint8_t *buf, size_t n)
{
	vfs_spin_lock(&rng_lock);
	if (has_rdrand < 0)
		has_rdrand = (cpuid(1, 0).ecx & CPUID1_ECX_RDRAND) != 0;
	if (!rng_seeded)
		rng_seed();
	while (n) {
		uint64_t v;
		size_t k = MIN(n, sizeof(v));

		if (!has_rdrand || !rdrand64(&v))
			v = rng_next();
		memcpy(buf, &v, k);
		buf += k;
		n -= k;
	}
	vfs_spin_unlock(&rng_lock);
}

static int devfs_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	(void)dir;
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		if (strlen(devs[i].name) == len && memcmp(devs[i].name, name, len) == 0) {
			*out = &devs[i].v;
			vfs_vnode_get(*out);
			return 0;
		}
	}
	return -ENOENT;
}

static int devfs_readdir(struct vnode *dir, uint64_t index, char *name, size_t size, uint64_t *ino,
			 uint8_t *type)
{
	(void)dir;
	if (index >= ARRAY_SIZE(devs) || strlen(devs[index].name) >= size)
		return -ENOENT;
	memcpy(name, devs[index].name, strlen(devs[index].name) + 1);
	*ino = devs[index].v.ino;
	*type = DT_CHR;
	return 0;
}

static int devfs_read(struct vnode *vp, void *buf, size_t n, uint64_t off, size_t *done)
{
	struct devfs_node *d = container_of(vp, struct devfs_node, v);

	(void)off;
	switch (d->kind) {
	case DEV_CONSOLE:
		return console_read(buf, n, done);
	case DEV_NULL:
		*done = 0;
		return 0;
	case DEV_ZERO:
	case DEV_FULL:
		memset(buf, 0, n);
		break;
	case DEV_RANDOM:
		devfs_random_fill(buf, n);
		break;
	}
	*done = n;
	return 0;
}

static int devfs_write(struct vnode *vp, const void *buf, size_t n, uint64_t off, size_t *done)
{
	struct devfs_node *d = container_of(vp, struct devfs_node, v);

	(void)off;
	if (d->kind == DEV_FULL)
		return -ENOSPC;
	if (d->kind == DEV_CONSOLE)
		serial_write(buf, n);
	*done = n;
	return 0;
}

/* Only the console can make a reader wait; the rest are always ready. */
static int devfs_poll(struct vnode *vp, int events)
{
	struct devfs_node *d = container_of(vp, struct devfs_node, v);

	if (d->kind == DEV_CONSOLE)
		return console_poll(events);
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static const struct vnode_ops devfs_dir_ops = {
	.lookup = devfs_lookup,
	.readdir = devfs_readdir,
};

static const struct vnode_ops devfs_dev_ops = {
	.read = devfs_read,
	.write = devfs_write,
	.poll = devfs_poll,
};

static int devfs_mount(struct vfs_mount *m, const void *data, size_t len, struct vnode **root)
{
	(void)data;
	(void)len;
	if (devfs_root.mount)
		return -EBUSY;
	vfs_vnode_init(&devfs_root, &devfs_dir_ops, m, S_IFDIR | 0755, 1);
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		vfs_vnode_init(&devs[i].v, &devfs_dev_ops, m, S_IFCHR | 0666, i + 2);
		devs[i].v.rdev = devs[i].rdev;
	}
	vfs_vnode_get(&devfs_root); /* the static root's own reference stays forever */
	*root = &devfs_root;
	return 0;
}

static void devfs_unmount(struct vfs_mount *m)
{
	(void)m;
	devfs_root.mount = NULL;
}

const struct vfs_fstype devfs_type = {
	.name = "devfs",
	.mount = devfs_mount,
	.unmount = devfs_unmount,
	.cache_names = true,
};
