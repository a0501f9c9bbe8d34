/*
 * Path walking: one component at a time from the start directory, "." in
 * place, ".." through the file system (which crosses mounts) but never
 * above the root, "//" as "/", symlinks spliced into the path in place.
 *
 * The scratch buffer holds the path still to walk.  A symlink's target
 * replaces the link's name: the rest of the path moves to the end of the
 * buffer, the target is read in front of it, and the two are joined, so no
 * allocation and no recursion is needed and the loop limit is one counter.
 * Input is untrusted (it comes from applications): every length is checked
 * against the buffer.
 */
#include <stdint.h>
#include <string.h>

#include "walk.h"

#define ENOENT 2
#define ENOTDIR 20
#define ENAMETOOLONG 36
#define ELOOP 40

int vfs_walk_path(const struct walk_ops *ops, void *ctx, void *root, void *start, const char *path,
		  int flags, char *buf, struct walk_result *res)
{
	size_t plen = strnlen(path, WALK_PATH_MAX);
	bool want_dir = false;
	unsigned links = 0;
	void *cur, *next;
	char *p = buf;
	int ret;

	if (plen == WALK_PATH_MAX)
		return -ENAMETOOLONG;
	if (plen == 0)
		return -ENOENT;
	memcpy(buf, path, plen + 1);
	res->len = 0;
	res->name[0] = 0;
	res->slash = false;
	cur = buf[0] == '/' ? root : start;
	ops->get(ctx, cur);

	for (;;) {
		char *e, *q;
		size_t len;
		bool last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		for (e = p; *e && *e != '/'; e++)
			;
		len = (size_t)(e - p);
		if (len > WALK_NAME_MAX) {
			ret = -ENAMETOOLONG;
			goto out_put;
		}
		for (q = e; *q == '/'; q++)
			;
		last = !*q;
		if (ops->kind(ctx, cur) != WALK_DIR) {
			ret = -ENOTDIR;
			goto out_put;
		}
		if (last && (flags & WALK_PARENT)) {
			memcpy(res->name, p, len);
			res->name[len] = 0;
			res->len = len;
			res->slash = e != q;
			res->node = cur;
			return 0;
		}
		if (len == 1 && p[0] == '.') {
			p = q;
			want_dir = true;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.' && cur == root) {
			p = q;
			want_dir = true;
			continue;
		}
		ret = ops->lookup(ctx, cur, p, len, &next);
		if (ret)
			goto out_put;
		if (ops->kind(ctx, next) == WALK_LNK &&
		    (!last || (flags & WALK_FOLLOW) || e != q)) {
			size_t rem = strlen(e), room, tlen;
			char *tail;

			if (++links > WALK_SYMLOOP_MAX) {
				ops->put(ctx, next);
				ret = -ELOOP;
				goto out_put;
			}
			/* The rest of the path (from the slash after the link's name) to the end. */
			tail = buf + WALK_PATH_MAX - rem - 1;
			memmove(tail, e, rem + 1);
			room = (size_t)(tail - buf);
			ret = ops->readlink(ctx, next, buf, room, &tlen);
			ops->put(ctx, next);
			if (ret)
				goto out_put;
			if (tlen >= room) {
				ret = -ENAMETOOLONG;
				goto out_put;
			}
			if (tlen == 0) {
				ret = -ENOENT;
				goto out_put;
			}
			memmove(buf + tlen, tail, rem + 1);
			if (buf[0] == '/') {
				ops->put(ctx, cur);
				cur = root;
				ops->get(ctx, cur);
			}
			p = buf;
			want_dir = false;
			continue;
		}
		ops->put(ctx, cur);
		cur = next;
		want_dir = e != q;
		p = q;
	}
	/* The path named a directory it ended at ("/", "a/.", "a/"). */
	if (want_dir && ops->kind(ctx, cur) != WALK_DIR) {
		ret = -ENOTDIR;
		goto out_put;
	}
	res->node = cur;
	return 0;

out_put:
	ops->put(ctx, cur);
	return ret;
}
