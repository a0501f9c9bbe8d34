/*
 * rofs: Osprey's read-only image format, shared by the kernel
 * (kernel/fs/rofs.c mounts it) and the host tool (`osprey image` writes
 * it).  docs/files.md describes it; kernel/fs/rofs_image.c reads and
 * writes it, portable, so the host tests and the fuzz target use that code.
 *
 * Layout, all integers little-endian, every offset from the image's start:
 *
 *	struct rofs_super                 at 0
 *	struct rofs_inode[ninodes]        at inode_off (inode 0 is the root)
 *	struct rofs_dirent[]              each directory's entries, sorted by
 *	                                  name (bytewise, then shorter first),
 *	                                  so lookup is a binary search
 *	names, file bytes, link targets   anywhere inside the image
 *
 * Nothing is trusted: a reader checks every offset and length against the
 * image's size before use.
 */
#ifndef OSPREY_UAPI_ROFS_H
#define OSPREY_UAPI_ROFS_H

#include <stdint.h>

#define ROFS_MAGIC "OSPREYFS"
#define ROFS_VERSION 1
#define ROFS_NAME_MAX 255

/* File types in rofs_inode.mode: Linux's S_IF* values. */
#define ROFS_S_IFMT 0170000
#define ROFS_S_IFDIR 0040000
#define ROFS_S_IFREG 0100000
#define ROFS_S_IFLNK 0120000

struct rofs_super {
	char magic[8];	    /* ROFS_MAGIC, not NUL-terminated */
	uint32_t version;   /* ROFS_VERSION */
	uint32_t ninodes;   /* >= 1 */
	uint64_t size;	    /* bytes in the image */
	uint64_t inode_off; /* the inode table, 8-aligned */
	uint8_t reserved[32];
};

struct rofs_inode {
	uint32_t mode;	 /* type and permission bits */
	uint32_t parent; /* directories: the parent's inode (the root's own for the root) */
	uint64_t size;	 /* files, links: bytes; directories: entries */
	uint64_t off;	 /* the bytes, the target, or the rofs_dirent array */
	uint64_t mtime;	 /* seconds since the epoch */
};

struct rofs_dirent {
	uint32_t ino;
	uint32_t name_len; /* 1 .. ROFS_NAME_MAX */
	uint64_t name_off;
};

_Static_assert(sizeof(struct rofs_super) == 64, "rofs_super is 64 bytes");
_Static_assert(sizeof(struct rofs_inode) == 32, "rofs_inode is 32 bytes");
_Static_assert(sizeof(struct rofs_dirent) == 16, "rofs_dirent is 16 bytes");

#endif
