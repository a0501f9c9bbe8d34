/*
 * `osprey image --list FILE`: every path in an image, read back through the
 * kernel's own reader (kernel/fs/rofs_image.c), so what it shows is what the
 * guest will see.  One line per path, depth first, each directory's entries
 * in the image's (sorted) order:
 *
 *	d 0755        5 /
 *	d 0755        3 /bin                  (a directory: its number of entries)
 *	f 0755   812344 /bin/hello            (a file: its bytes)
 *	l 0777        9 /usr/share/latest -> hello.txt
 *
 * The image is untrusted like any other: a corrupt one is an error naming
 * the path where reading stopped, never a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osprey_err.h"
#include "../../kernel/fs/rofs_image.h"
#include "image.h"

#define LIST_MAX_DEPTH 256
#define LIST_MAX_BYTES (1ull << 32) /* an image bigger than 4 GiB is not ours */

static char type_char(uint32_t mode)
{
	switch (mode & ROFS_S_IFMT) {
	case ROFS_S_IFDIR:
		return 'd';
	case ROFS_S_IFLNK:
		return 'l';
	default:
		return 'f';
	}
}

static int list_dir(const struct rofs_image *img, const struct rofs_inode *dir, char *path,
		    size_t plen, int depth, FILE *out, char *err, size_t errlen)
{
	if (depth > LIST_MAX_DEPTH)
		return osprey_fail(err, errlen, "%s: directories nested too deep", path);
	for (uint64_t i = 0;; i++) {
		struct rofs_inode ri;
		char name[ROFS_NAME_MAX + 1];
		uint32_t ino, len;
		int ret = rofs_image_dirent(img, dir, i, &ino, name, &len);

		if (ret == -ENOENT)
			return 0;
		if (ret || rofs_image_inode(img, ino, &ri))
			return osprey_fail(err, errlen, "corrupt directory entry %llu of %s",
					   (unsigned long long)i, plen ? path : "/");
		if (plen + 1 + len >= 4096)
			return osprey_fail(err, errlen, "a path under %s is too long", path);
		path[plen] = '/';
		memcpy(path + plen + 1, name, len);
		path[plen + 1 + len] = 0;
		fprintf(out, "%c %04o %8llu %s", type_char(ri.mode), ri.mode & 07777,
			(unsigned long long)ri.size, path);
		if ((ri.mode & ROFS_S_IFMT) == ROFS_S_IFLNK) {
			char target[4096];
			size_t done = 0;

			if (ri.size >= sizeof(target) ||
			    rofs_image_read(img, &ri, 0, target, (size_t)ri.size, &done) ||
			    done != ri.size)
				return osprey_fail(err, errlen, "%s: corrupt link", path);
			fprintf(out, " -> %.*s", (int)done, target);
		}
		fputc('\n', out);
		if ((ri.mode & ROFS_S_IFMT) == ROFS_S_IFDIR) {
			ret = list_dir(img, &ri, path, plen + 1 + len, depth + 1, out, err, errlen);
			if (ret)
				return ret;
		}
		path[plen] = 0;
	}
}

int image_list(const char *file, FILE *out, char *err, size_t errlen)
{
	struct rofs_image img;
	struct rofs_inode root;
	const char *why = "";
	char path[4096] = "";
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	FILE *f = fopen(file, "rb");
	int ret;

	if (!f)
		return osprey_fail(err, errlen, "%s: %s", file, strerror(errno));
	for (;;) {
		if (n == cap) {
			uint8_t *nb = cap < LIST_MAX_BYTES ? realloc(buf, cap ? cap * 2 : 65536) :
							     NULL;

			if (!nb) {
				fclose(f);
				free(buf);
				return osprey_fail(err, errlen, "%s: too big to read", file);
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		size_t k = fread(buf + n, 1, cap - n, f);

		if (!k)
			break;
		n += k;
	}
	fclose(f);
	ret = rofs_image_open(&img, buf, n, &why);
	if (ret)
		ret = osprey_fail(err, errlen, "%s: not an image: %s", file, why);
	else if (rofs_image_inode(&img, 0, &root))
		ret = osprey_fail(err, errlen, "%s: corrupt root directory", file);
	else {
		fprintf(out, "d %04o %8llu /\n", root.mode & 07777, (unsigned long long)root.size);
		ret = list_dir(&img, &root, path, 0, 0, out, err, errlen);
	}
	free(buf);
	return ret;
}
