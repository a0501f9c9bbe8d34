/*
 * rofs images on the host: random trees written with rofs_image_write(),
 * then every file, link, directory, mode and size read back through the
 * reader and compared; duplicate names and bad trees refused; damaged
 * images refused at open or reported as -EIO, never read out of bounds
 * (ASan watches).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/test.h>

#include "../../kernel/fs/rofs_image.h"

static uint64_t seed = 12345;

static uint32_t rnd(uint32_t n)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(seed >> 33) % n;
}

static struct rofs_wnode *gen(int depth, int index)
{
	struct rofs_wnode *n = calloc(1, sizeof(*n));
	uint32_t k = depth == 0 ? 0 : depth > 3 ? 1 + rnd(2) : rnd(3);
	char name[64];

	/* unique within a directory: the index is part of the name */
	snprintf(name, sizeof(name), "%.*s%d", (int)rnd(20), "abcdefghijklmnopqrstuvwxyz", index);
	n->name = depth ? strdup(name) : NULL;
	n->mtime = rnd(1u << 30);
	if (k == 0) {
		n->mode = ROFS_S_IFDIR | (rnd(0777) | 0100);
		n->nkids = rnd(9);
		n->kids = calloc(n->nkids + 1, sizeof(*n->kids));
		for (uint32_t i = 0; i < n->nkids; i++)
			n->kids[i] = gen(depth + 1, (int)(n->nkids - i));
	} else {
		char *d;

		n->mode = (k == 1 ? ROFS_S_IFREG : ROFS_S_IFLNK) | rnd(07777);
		n->size = k == 1 ? rnd(3000) : 1 + rnd(100);
		d = malloc(n->size + 1);
		for (uint64_t i = 0; i < n->size; i++)
			d[i] = k == 1 ? (char)rnd(256) : (char)('a' + rnd(26));
		n->data = d;
	}
	return n;
}

static void free_tree(struct rofs_wnode *n)
{
	for (uint32_t i = 0; i < n->nkids; i++)
		free_tree(n->kids[i]);
	free(n->kids);
	free((void *)n->data);
	free((void *)n->name);
	free(n);
}

static int compare(struct test_ctx *t, const struct rofs_image *img, uint32_t ino,
		   const struct rofs_wnode *n, uint32_t parent)
{
	struct rofs_inode ri;
	int bad = 0;

	if (rofs_image_inode(img, ino, &ri))
		return 1;
	bad |= ri.mode != n->mode || ri.mtime != n->mtime;
	if ((n->mode & ROFS_S_IFMT) != ROFS_S_IFDIR) {
		char *buf = malloc(n->size + 1);
		size_t done = 0;

		bad |= ri.size != n->size;
		bad |= rofs_image_read(img, &ri, 0, buf, n->size + 1, &done) != 0;
		bad |= done != n->size || (n->size && memcmp(buf, n->data, n->size));
		if (n->size > 2) { /* a read from the middle */
			bad |= rofs_image_read(img, &ri, 1, buf, 1, &done) != 0 || done != 1 ||
			       buf[0] != ((const char *)n->data)[1];
		}
		free(buf);
		return bad;
	}
	bad |= ri.size != n->nkids || ri.parent != parent;
	for (uint32_t i = 0; i < n->nkids; i++) {
		const struct rofs_wnode *k = n->kids[i];
		uint32_t kino, len;
		char name[ROFS_NAME_MAX + 1];

		/* found by binary search, and listed in sorted order */
		bad |= rofs_image_lookup(img, &ri, k->name, strlen(k->name), &kino) != 0;
		bad |= rofs_image_dirent(img, &ri, i, &kino, name, &len) != 0;
		bad |= len != strlen(k->name) || memcmp(name, k->name, len) != 0 || name[len];
		if (i) {
			char pn[ROFS_NAME_MAX + 1];
			uint32_t pl, pi;

			rofs_image_dirent(img, &ri, i - 1, &pi, pn, &pl);
			int c = memcmp(pn, name, pl < len ? pl : len);

			bad |= c > 0 || (c == 0 && pl >= len);
		}
		bad |= compare(t, img, kino, k, ino);
	}
	uint32_t x;

	bad |= rofs_image_lookup(img, &ri, "~absent", 7, &x) != -2;
	char nm[ROFS_NAME_MAX + 1];

	bad |= rofs_image_dirent(img, &ri, n->nkids, &x, nm, &x) != -2;
	return bad;
}

/* An image read through a function, as the kernel reads through the page cache. */
struct reader {
	const uint8_t *buf;
	uint64_t size;	/* what the device holds */
	uint64_t calls; /* reads asked for */
	bool outside;	/* a read reached past the device */
};

static int read_fn(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct reader *r = ctx;

	r->calls++;
	if (off > r->size || len > r->size - off) {
		r->outside = true;
		return -5;
	}
	memcpy(buf, r->buf + off, len);
	return 0;
}

TEST(rofs, random_trees_round_trip)
{
	for (int round = 0; round < 60; round++) {
		struct rofs_wnode *root = gen(0, 0);
		const char *why = NULL;
		struct rofs_image img;
		uint64_t size, size2;
		uint8_t *buf;

		EXPECT_EQ(t, rofs_image_write(root, NULL, 0, &size, &why), 0);
		buf = malloc(size);
		EXPECT_EQ(t, rofs_image_write(root, buf, size - 1, &size2, &why), -28);
		EXPECT_EQ(t, rofs_image_write(root, buf, size, &size2, &why), 0);
		EXPECT_EQ(t, size, size2);
		EXPECT_EQ(t, rofs_image_open(&img, buf, size, &why), 0);
		EXPECT_EQ(t, compare(t, &img, 0, root, 0), 0);
		/* the same through a read function: every read inside the device */
		struct reader r = { buf, size, 0, false };

		EXPECT_EQ(t, rofs_image_open_read(&img, read_fn, &r, size, &why), 0);
		EXPECT_EQ(t, compare(t, &img, 0, root, 0), 0);
		EXPECT_GT(t, r.calls, 0);
		EXPECT_FALSE(t, r.outside);
		/* every truncation is refused at open */
		EXPECT_EQ(t, rofs_image_open(&img, buf, size - 1 - rnd((uint32_t)size - 1), &why),
			  -22);
		EXPECT_TRUE(t, why != NULL);
		free(buf);
		free_tree(root);
	}
}

TEST(rofs, bad_trees_refused)
{
	struct rofs_wnode a = { .name = "same", .mode = ROFS_S_IFREG | 0644 };
	struct rofs_wnode b = { .name = "same", .mode = ROFS_S_IFDIR | 0755 };
	struct rofs_wnode c = { .name = "x/y", .mode = ROFS_S_IFREG | 0644 };
	struct rofs_wnode d = { .name = "..", .mode = ROFS_S_IFREG | 0644 };
	struct rofs_wnode e = { .name = "dev", .mode = 0020000 | 0644 };
	struct rofs_wnode *kids[1];
	struct rofs_wnode *dup[] = { &a, &b };
	struct rofs_wnode root = { .mode = ROFS_S_IFDIR | 0755, .kids = dup, .nkids = 2 };
	const char *why = NULL;
	uint64_t size;

	EXPECT_EQ(t, rofs_image_write(&root, NULL, 0, &size, &why), -17);
	EXPECT_STREQ(t, why, "same");
	root.kids = kids;
	root.nkids = 1;
	kids[0] = &c;
	EXPECT_EQ(t, rofs_image_write(&root, NULL, 0, &size, &why), -22);
	kids[0] = &d;
	EXPECT_EQ(t, rofs_image_write(&root, NULL, 0, &size, &why), -22);
	kids[0] = &e;
	EXPECT_EQ(t, rofs_image_write(&root, NULL, 0, &size, &why), -22);
	EXPECT_STREQ(t, why, "dev");
	EXPECT_EQ(t, rofs_image_write(&a, NULL, 0, &size, &why), -22);
}

TEST(rofs, damaged_images)
{
	struct rofs_wnode f = { .name = "f", .mode = ROFS_S_IFREG | 0644, .data = "abc", .size = 3 };
	struct rofs_wnode *kids[] = { &f };
	struct rofs_wnode root = { .mode = ROFS_S_IFDIR | 0755, .kids = kids, .nkids = 1 };
	const char *why = NULL;
	struct rofs_image img;
	struct rofs_inode ri;
	uint8_t buf[512];
	uint64_t size;

	EXPECT_EQ(t, rofs_image_write(&root, buf, sizeof(buf), &size, &why), 0);
	EXPECT_EQ(t, rofs_image_open(&img, buf, 10, &why), -22);
	EXPECT_STREQ(t, why, "truncated: shorter than the superblock");
	buf[3] ^= 0x20;
	EXPECT_EQ(t, rofs_image_open(&img, buf, size, &why), -22);
	EXPECT_STREQ(t, why, "bad magic: not an rofs image");
	buf[3] ^= 0x20;
	buf[8] = 9; /* version */
	EXPECT_EQ(t, rofs_image_open(&img, buf, size, &why), -22);
	buf[8] = 1;
	memset(buf + 12, 0xff, 4); /* ninodes */
	EXPECT_EQ(t, rofs_image_open(&img, buf, size, &why), -22);
	EXPECT_STREQ(t, why, "the inode table lies outside the image");
	buf[12] = 2;
	memset(buf + 13, 0, 3);
	/* the file's bytes moved past the end: -EIO when used, not a stray read */
	EXPECT_EQ(t, rofs_image_open(&img, buf, size, &why), 0);
	memcpy(&ri, buf + 64 + 32, sizeof(ri));
	ri.off = size - 1;
	memcpy(buf + 64 + 32, &ri, sizeof(ri));
	EXPECT_EQ(t, rofs_image_inode(&img, 1, &ri), -5);
	EXPECT_EQ(t, rofs_image_inode(&img, 2, &ri), -5);
	/* the root made a file */
	buf[64 + 1] = 0x80;
	EXPECT_EQ(t, rofs_image_open(&img, buf, size, &why), -22);
	EXPECT_STREQ(t, why, "the root is not a valid directory");
}

/* Through a read function: a failing device is an error, never a stray read. */
TEST(rofs, damaged_images_through_reads)
{
	struct rofs_wnode f = { .name = "f", .mode = ROFS_S_IFREG | 0644, .data = "abc", .size = 3 };
	struct rofs_wnode *kids[] = { &f };
	struct rofs_wnode root = { .mode = ROFS_S_IFDIR | 0755, .kids = kids, .nkids = 1 };
	const char *why = NULL;
	struct rofs_image img;
	struct rofs_inode ri;
	uint8_t buf[512];
	uint64_t size;
	size_t done;
	uint32_t ino;

	EXPECT_EQ(t, rofs_image_write(&root, buf, sizeof(buf), &size, &why), 0);
	struct reader r = { buf, size, 0, false };

	/* a device shorter than the image says: refused at open */
	EXPECT_EQ(t, rofs_image_open_read(&img, read_fn, &r, size - 1, &why), -22);
	EXPECT_STREQ(t, why, "truncated: shorter than the size its superblock gives");
	EXPECT_EQ(t, rofs_image_open_read(&img, read_fn, &r, size, &why), 0);
	EXPECT_EQ(t, rofs_image_lookup(&img, &(struct rofs_inode){ 0 }, "f", 1, &ino), -2);
	EXPECT_EQ(t, rofs_image_inode(&img, 0, &ri), 0);
	EXPECT_EQ(t, rofs_image_lookup(&img, &ri, "f", 1, &ino), 0);
	EXPECT_EQ(t, rofs_image_lookup(&img, &ri, "", 0, &ino), -2);
	/* the file's bytes moved past the end: -EIO, the device never asked */
	memcpy(&ri, buf + 64 + 32, sizeof(ri));
	ri.off = size - 1;
	EXPECT_EQ(t, rofs_image_read(&img, &ri, 0, buf, 3, &done), -5);
	/* the device fails a read: its error comes back */
	r.size = 0;
	EXPECT_EQ(t, rofs_image_inode(&img, 1, &ri), -5);
	EXPECT_TRUE(t, r.outside);
	r.outside = false;
	r.size = size;
	EXPECT_EQ(t, rofs_image_inode(&img, 1, &ri), 0);
	EXPECT_EQ(t, rofs_image_read(&img, &ri, 1, buf + 400, 5, &done), 0);
	EXPECT_EQ(t, done, 2);
	EXPECT_EQ(t, memcmp(buf + 400, "bc", 2), 0);
	EXPECT_FALSE(t, r.outside);
}
