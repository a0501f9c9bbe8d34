/*
 * Reading and writing rofs images (include/uapi/osprey/rofs.h), portable:
 * the kernel's rofs (kernel/fs/rofs.c), `osprey image`, the host unit tests
 * and the fuzz target all use this code.  No allocation, no kernel header.
 * The reader works on an image in memory or through a read function (the
 * kernel reads its images through the page cache); either way it checks
 * every range against the image's size before it reads a byte.
 */
#ifndef OSPREY_FS_ROFS_IMAGE_H
#define OSPREY_FS_ROFS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <uapi/osprey/rofs.h>

/*
 * Reads bytes [off, off + len) of the image into buf; the reader has
 * checked the range against the image's size first.  0 or a negative errno
 * (passed on to the caller).
 */
typedef int rofs_read_fn(void *ctx, uint64_t off, void *buf, size_t len);

struct rofs_image {
	const uint8_t *base; /* the image in memory, or NULL: through read */
	rofs_read_fn *read;  /* may be changed after opening (rofs: uncached, then cached) */
	void *ctx;
	uint64_t size;
	uint32_t ninodes;
	uint64_t inode_off;
};

/*
 * Checks the header and that the inode table and the root lie inside the
 * image: O(1), nothing else is read until used.  -EINVAL with *why (or
 * the read function's error, with *why saying the header was unreadable).
 */
int rofs_image_open(struct rofs_image *img, const void *base, uint64_t size, const char **why);
/* The same for an image read through read (a block device: kernel/fs/rofs.c). */
int rofs_image_open_read(struct rofs_image *img, rofs_read_fn *read, void *ctx, uint64_t size,
			 const char **why);
/* Inode ino, its extent checked against the image; -EIO if corrupt. */
int rofs_image_inode(const struct rofs_image *img, uint32_t ino, struct rofs_inode *out);
/*
 * The index-th entry of directory dir, its name copied to name
 * (ROFS_NAME_MAX + 1 bytes, NUL-terminated); -ENOENT past the end, -EIO
 * if corrupt.
 */
int rofs_image_dirent(const struct rofs_image *img, const struct rofs_inode *dir, uint64_t index,
		      uint32_t *ino, char *name, uint32_t *len);
/* Binary search of dir for name; -ENOENT if absent. */
int rofs_image_lookup(const struct rofs_image *img, const struct rofs_inode *dir, const char *name,
		      size_t len, uint32_t *ino);
/* Bytes of a file or link target from off; *done 0 at the end. */
int rofs_image_read(const struct rofs_image *img, const struct rofs_inode *ri, uint64_t off,
		    void *buf, size_t n, size_t *done);

/*
 * The writer's tree: the caller builds it, rofs_image_write() sorts each
 * directory's kids and fills the fields marked [w].
 */
struct rofs_wnode {
	const char *name; /* NULL for the root */
	uint32_t mode;	  /* ROFS_S_IF* | permissions */
	uint64_t mtime;
	const void *data; /* files: the bytes; links: the target */
	uint64_t size;
	struct rofs_wnode **kids; /* directories */
	uint32_t nkids;
	uint32_t ino;	   /* [w] */
	uint64_t off;	   /* [w] */
	uint64_t name_off; /* [w] */
};

/*
 * Lays out the tree; with buf (cap bytes) also writes it.  *size: the
 * image's bytes.  -EEXIST for two kids with one name (*why names it),
 * -EINVAL for a bad name or type, -ENOSPC if cap is too small.
 */
int rofs_image_write(struct rofs_wnode *root, uint8_t *buf, uint64_t cap, uint64_t *size,
		     const char **why);

#endif
