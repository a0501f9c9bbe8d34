/*
 * libFuzzer target for the rofs image reader (kernel/fs/rofs_image.c): the
 * input is an image.  If it opens, every inode is read, every directory
 * listed and each name looked up again, every file and link read: none of
 * it may read outside the input (ASan) or misbehave (UBSan).  It runs
 * twice: on the image in memory, and through a read function that aborts
 * on any request outside the input (what the kernel's reads through the
 * page cache would be), and both runs must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/fs/rofs_image.h"

struct device {
	const uint8_t *data;
	uint64_t size;
	uint64_t sum; /* what the run read, to compare the two runs */
};

static int device_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct device *d = ctx;

	if (off > d->size || len > d->size - off)
		abort(); /* the reader must check before it asks */
	memcpy(buf, d->data + off, len);
	return 0;
}

static void mix(uint64_t *sum, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		*sum = (*sum ^ b[i]) * 0x100000001b3ull;
}

static uint64_t walk(const struct rofs_image *img)
{
	uint64_t sum = 0xcbf29ce484222325ull;
	char buf[256];

	for (uint32_t ino = 0; ino < img->ninodes && ino < 4096; ino++) {
		struct rofs_inode ri;

		if (rofs_image_inode(img, ino, &ri))
			continue;
		mix(&sum, &ri, sizeof(ri));
		if ((ri.mode & ROFS_S_IFMT) != ROFS_S_IFDIR) {
			size_t done;

			for (uint64_t off = 0; off < ri.size && off < 65536; off += sizeof(buf)) {
				if (rofs_image_read(img, &ri, off, buf, sizeof(buf), &done) ||
				    !done)
					break;
				mix(&sum, buf, done);
			}
			continue;
		}
		for (uint64_t i = 0; i < ri.size && i < 4096; i++) {
			char name[ROFS_NAME_MAX + 1];
			uint32_t len, k, again = 0;

			if (rofs_image_dirent(img, &ri, i, &k, name, &len))
				break;
			if (k >= img->ninodes || len > ROFS_NAME_MAX || name[len])
				abort();
			mix(&sum, name, len);
			if (rofs_image_lookup(img, &ri, name, len, &again) == 0)
				mix(&sum, &again, sizeof(again));
		}
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rofs_image img;
	const char *why = NULL, *why2 = NULL;
	uint8_t *copy = malloc(size ? size : 1);
	struct device dev;
	uint64_t a;
	int ret;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	dev = (struct device){ copy, size, 0 };
	ret = rofs_image_open(&img, copy, size, &why);
	if (ret != rofs_image_open_read(&img, device_read, &dev, size, &why2))
		abort();
	if (ret != 0) {
		if (!why || !why2 || strcmp(why, why2) != 0)
			abort();
		free(copy);
		return 0;
	}
	rofs_image_open(&img, copy, size, &why);
	a = walk(&img);
	rofs_image_open_read(&img, device_read, &dev, size, &why);
	if (walk(&img) != a)
		abort();
	free(copy);
	return 0;
}
