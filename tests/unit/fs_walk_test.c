/*
 * The path walker (kernel/fs/walk.c) on the host, over a tree of its own:
 * ".", "..", "//", symlinks (relative, absolute, chained, looping), the
 * name and path limits, trailing slashes, parent mode, and reference
 * balance (every get has its put, on success and on each error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/test.h>

#include "../../kernel/fs/walk.h"

struct tnode {
	const char *name;
	enum walk_kind kind;
	const char *target;
	struct tnode *parent;
	struct tnode *kids[48];
	int nkids;
};

static int refs;

static int t_lookup(void *ctx, void *dirp, const char *name, size_t len, void **out)
{
	struct tnode *dir = dirp;

	(void)ctx;
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		*out = dir->parent ? dir->parent : dir;
		refs++;
		return 0;
	}
	for (int i = 0; i < dir->nkids; i++) {
		if (strlen(dir->kids[i]->name) == len && !memcmp(dir->kids[i]->name, name, len)) {
			*out = dir->kids[i];
			refs++;
			return 0;
		}
	}
	return -2;
}

static enum walk_kind t_kind(void *ctx, void *node)
{
	(void)ctx;
	return ((struct tnode *)node)->kind;
}

static int t_readlink(void *ctx, void *node, char *buf, size_t size, size_t *len)
{
	const char *target = ((struct tnode *)node)->target;

	(void)ctx;
	*len = strlen(target);
	memcpy(buf, target, *len < size ? *len : size);
	return 0;
}

static void t_get(void *ctx, void *node)
{
	(void)ctx;
	(void)node;
	refs++;
}

static void t_put(void *ctx, void *node)
{
	(void)ctx;
	(void)node;
	refs--;
}

static const struct walk_ops tops = { t_lookup, t_kind, t_readlink, t_get, t_put };

static struct tnode root = { "", WALK_DIR, NULL, NULL, { 0 }, 0 };

static struct tnode *add(struct tnode *dir, const char *name, enum walk_kind kind,
			 const char *target)
{
	struct tnode *n = calloc(1, sizeof(*n));

	n->name = name;
	n->kind = kind;
	n->target = target;
	n->parent = dir;
	dir->kids[dir->nkids++] = n;
	return n;
}

static struct tnode *usr, *bin, *file, *chain[45];
static char names[45][8];

static void setup(void)
{
	if (usr)
		return;
	usr = add(&root, "usr", WALK_DIR, NULL);
	bin = add(usr, "bin", WALK_DIR, NULL);
	file = add(bin, "sh", WALK_OTHER, NULL);
	add(&root, "bin", WALK_LNK, "usr/bin");
	add(&root, "abs", WALK_LNK, "/usr/bin/sh");
	add(bin, "up", WALK_LNK, "../..");
	add(&root, "loop", WALK_LNK, "loop");
	add(&root, "empty", WALK_LNK, "");
	add(&root, "tofile", WALK_LNK, "usr/bin/sh");
	/* c1 -> usr, c2 -> c1, ... : chains of every length in a directory of their own */
	struct tnode *c = add(&root, "c", WALK_DIR, NULL);

	for (int i = 1; i <= 41; i++) {
		snprintf(names[i], sizeof(names[i]), "%d", i);
		snprintf(names[i + 0] + 4, 4, "%d", i - 1);
		chain[i] =
			add(c, strdup(names[i]), WALK_LNK, i == 1 ? "/usr" : strdup(names[i] + 4));
	}
}

static int walk(const char *path, int flags, struct walk_result *r)
{
	static char buf[WALK_PATH_MAX];

	setup();
	return vfs_walk_path(&tops, NULL, &root, usr, path, flags, buf, r);
}

static void *resolve(const char *path)
{
	struct walk_result r;

	if (walk(path, WALK_FOLLOW, &r))
		return NULL;
	refs--; /* the caller's reference */
	return r.node;
}

TEST(fs_walk, dots_and_slashes)
{
	setup();
	EXPECT_TRUE(t, resolve("/") == &root);
	EXPECT_TRUE(t, resolve("//") == &root);
	EXPECT_TRUE(t, resolve("/usr/bin/sh") == file);
	EXPECT_TRUE(t, resolve("//usr///bin//sh") == file);
	EXPECT_TRUE(t, resolve("/usr/./bin/../bin/./sh") == file);
	EXPECT_TRUE(t, resolve("/../../..") == &root);
	EXPECT_TRUE(t, resolve("bin/sh") == file); /* relative to /usr */
	EXPECT_TRUE(t, resolve(".") == usr);
	EXPECT_TRUE(t, resolve("..") == &root);
	EXPECT_TRUE(t, resolve("/usr/bin/") == bin);
	EXPECT_TRUE(t, resolve("/usr/bin/.") == bin);
	EXPECT_EQ(t, refs, 0);
}

TEST(fs_walk, errors)
{
	struct walk_result r;
	static char path[WALK_PATH_MAX + 16];

	EXPECT_EQ(t, walk("", 0, &r), -2);
	EXPECT_EQ(t, walk("/nope", 0, &r), -2);
	EXPECT_EQ(t, walk("/usr/bin/sh/x", 0, &r), -20);
	EXPECT_EQ(t, walk("/usr/bin/sh/", 0, &r), -20);
	EXPECT_EQ(t, walk("/usr/bin/sh/.", 0, &r), -20);
	EXPECT_EQ(t, walk("/usr/bin/sh/..", 0, &r), -20);
	memset(path, 'a', 256);
	path[256] = 0;
	EXPECT_EQ(t, walk(path, 0, &r), -36);
	path[255] = 0;
	EXPECT_EQ(t, walk(path, 0, &r), -2); /* 255 is allowed, and absent */
	memset(path, '/', WALK_PATH_MAX);
	path[WALK_PATH_MAX] = 0;
	EXPECT_EQ(t, walk(path, 0, &r), -36);
	path[WALK_PATH_MAX - 1] = 0;
	EXPECT_EQ(t, walk(path, 0, &r), 0);
	refs--;
	EXPECT_EQ(t, refs, 0);
}

TEST(fs_walk, symlinks)
{
	struct walk_result r;

	setup();
	EXPECT_TRUE(t, resolve("/bin/sh") == file);
	EXPECT_TRUE(t, resolve("/abs") == file);
	EXPECT_TRUE(t, resolve("/usr/bin/up/usr/bin/up/abs") == file);
	EXPECT_TRUE(t, resolve("/bin/") == bin);
	EXPECT_EQ(t, walk("/tofile/", WALK_FOLLOW, &r), -20);
	EXPECT_EQ(t, walk("/tofile/", 0, &r), -20); /* a trailing slash follows */
	EXPECT_EQ(t, walk("/loop", WALK_FOLLOW, &r), -40);
	EXPECT_EQ(t, walk("/loop/x", 0, &r), -40);
	EXPECT_EQ(t, walk("/empty", WALK_FOLLOW, &r), -2);
	/* without WALK_FOLLOW the last link itself */
	EXPECT_EQ(t, walk("/loop", 0, &r), 0);
	EXPECT_EQ(t, t_kind(NULL, r.node), WALK_LNK);
	refs--;
	EXPECT_TRUE(t, resolve("/c/40") == usr); /* 40 links: the limit */
	EXPECT_TRUE(t, resolve("/c/41") == NULL);
	EXPECT_EQ(t, walk("/c/41", WALK_FOLLOW, &r), -40);
	EXPECT_EQ(t, refs, 0);
}

TEST(fs_walk, parent_mode)
{
	struct walk_result r;

	EXPECT_EQ(t, walk("/usr/bin/new", WALK_PARENT, &r), 0);
	EXPECT_TRUE(t, r.node == bin);
	EXPECT_STREQ(t, r.name, "new");
	EXPECT_FALSE(t, r.slash);
	refs--;
	EXPECT_EQ(t, walk("/bin/dir//", WALK_PARENT, &r), 0); /* through a link */
	EXPECT_TRUE(t, r.node == bin);
	EXPECT_STREQ(t, r.name, "dir");
	EXPECT_TRUE(t, r.slash);
	refs--;
	EXPECT_EQ(t, walk("/", WALK_PARENT, &r), 0);
	EXPECT_TRUE(t, r.node == &root);
	EXPECT_EQ(t, r.len, 0);
	refs--;
	EXPECT_EQ(t, walk("x", WALK_PARENT, &r), 0);
	EXPECT_TRUE(t, r.node == usr);
	refs--;
	EXPECT_EQ(t, walk("/nope/x", WALK_PARENT, &r), -2);
	EXPECT_EQ(t, walk("/usr/bin/sh/x", WALK_PARENT, &r), -20);
	EXPECT_EQ(t, refs, 0);
}
