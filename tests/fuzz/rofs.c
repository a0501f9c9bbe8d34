/*
 * libFuzzer target for the rofs image reader (kernel/fs/rofs_image.c): the
 * input is an image.  If it opens, every inode is read, every directory
 * listed and each name looked up again, every file and link read: none of
 * it may read outside the input (ASan) or misbehave (UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/fs/rofs_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rofs_image img;
	const char *why = NULL;
	uint8_t *copy = malloc(size ? size : 1);
	char buf[256];

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (rofs_image_open(&img, copy, size, &why) != 0) {
		if (!why)
			abort();
		free(copy);
		return 0;
	}
	for (uint32_t ino = 0; ino < img.ninodes && ino < 4096; ino++) {
		struct rofs_inode ri;

		if (rofs_image_inode(&img, ino, &ri))
			continue;
		if ((ri.mode & ROFS_S_IFMT) != ROFS_S_IFDIR) {
			size_t done;

			for (uint64_t off = 0; off < ri.size && off < 65536; off += sizeof(buf))
				if (rofs_image_read(&img, &ri, off, buf, sizeof(buf), &done) ||
				    !done)
					break;
			continue;
		}
		for (uint64_t i = 0; i < ri.size && i < 4096; i++) {
			const char *name;
			uint32_t len, k, again;

			if (rofs_image_dirent(&img, &ri, i, &k, &name, &len))
				break;
			if (k >= img.ninodes)
				abort();
			rofs_image_lookup(&img, &ri, name, len, &again);
		}
	}
	free(copy);
	return 0;
}
