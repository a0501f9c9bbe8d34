/*
 * bench/fs's files: gen DIR writes DIR/bench-fs/ (a module: the small
 * files, the large one, and a manifest that puts them under /bench, plus
 * base's directories) for `osprey image`; the Linux guest's initramfs takes
 * the same files.  The bytes are a fixed pattern, so runs compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <stdint.h>

#define FS_SIZES_ONLY
#include "pattern.h"

static int put(const char *path, uint64_t size, unsigned seed)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	for (uint64_t i = 0; i < size; i++)
		fputc((int)((i * 131 + seed) & 0xff), f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	char path[4096];
	FILE *m;

	if (argc != 2) {
		fprintf(stderr, "usage: gen DIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench-fs", argv[1]);
	mkdir(argv[1], 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bench-fs/small", argv[1]);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bench-fs/manifest", argv[1]);
	m = fopen(path, "w");
	if (!m)
		return 1;
	fprintf(m, "name: bench-fs\nversion: 1\ndir: /tmp 1777\ndir: /dev\ndir: /proc\n");
	for (int i = 0; i < FS_SMALL; i++) {
		snprintf(path, sizeof(path), "%s/bench-fs/small/f%02d", argv[1], i);
		if (put(path, FS_SMALL_SIZE, (unsigned)i))
			return 1;
		fprintf(m, "file: small/f%02d /bench/small/f%02d 0644\n", i, i);
	}
	snprintf(path, sizeof(path), "%s/bench-fs/large", argv[1]);
	if (put(path, FS_LARGE_SIZE, 7))
		return 1;
	fprintf(m, "file: large /bench/large 0644\n");
	return fclose(m) ? 1 : 0;
}
