/*
 * The path walker (kernel/fs/walk.c): portable, so that the host unit tests
 * drive the very code the kernel's lookup runs over a tree of their own.
 * It sees nodes only through struct walk_ops; the kernel binds it to
 * vnodes and mounts (namei.c).
 */
#ifndef OSPREY_FS_WALK_H
#define OSPREY_FS_WALK_H

#include <stdbool.h>
#include <stddef.h>

#define WALK_NAME_MAX 255
#define WALK_PATH_MAX 4096
#define WALK_SYMLOOP_MAX 40

#define WALK_FOLLOW 1 /* follow a final symlink */
#define WALK_PARENT 2 /* stop at the parent directory of the last name */

enum walk_kind { WALK_DIR, WALK_LNK, WALK_OTHER };

struct walk_ops {
	/* A child of dir (name may be ".."), with a reference; -ENOENT if none. */
	int (*lookup)(void *ctx, void *dir, const char *name, size_t len, void **out);
	enum walk_kind (*kind)(void *ctx, void *node);
	int (*readlink)(void *ctx, void *node, char *buf, size_t size, size_t *len);
	void (*get)(void *ctx, void *node);
	void (*put)(void *ctx, void *node);
};

struct walk_result {
	void *node; /* WALK_PARENT: the parent directory */
	char name[WALK_NAME_MAX + 1];
	size_t len;
	bool slash; /* the path ended with '/' */
};

/*
 * Resolves path from start (relative) or root (absolute; ".." never climbs
 * above root).  buf is WALK_PATH_MAX bytes of scratch space.  Errors:
 * ENOENT (empty path, missing name), ENOTDIR, ELOOP (more than
 * WALK_SYMLOOP_MAX links), ENAMETOOLONG; and whatever the ops return.
 */
int vfs_walk_path(const struct walk_ops *ops, void *ctx, void *root, void *start, const char *path,
		  int flags, char *buf, struct walk_result *res);

#endif
