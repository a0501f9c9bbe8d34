/*
 * The image's tree as `osprey image` and `osprey run PROGRAM` build it: each
 * module's files, directories and links added in dependency order, then
 * (for a program) the program and the --add host files and folders; parent
 * directories made as needed (0755); then written by the same rofs writer
 * the kernel's tests use (kernel/fs/rofs_image.c).
 *
 * Two contributors may put the same file at one path (same bytes, same
 * mode); different files, or a file where another has a directory, are an
 * error naming the path, both contributors ("module 'base'", "--add
 * data:/srv") and their host files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "osprey_err.h"
#include "../../kernel/fs/rofs_image.h"
#include "image.h"

/* Folders nested deeper than this in an --add are refused (a loop through a bind mount). */
#define IMAGE_MAX_DEPTH 64

/* How place() treats the mode of a directory that is already there. */
enum dir_mode { DIR_SET, DIR_KEEP };

struct tnode {
	struct rofs_wnode w; /* first: the writer sees only this */
	const char *who;     /* who put it here (NULL: made as a parent); owned by the tree */
	char *host;	     /* files: the host path */
	uint32_t cap;	     /* room in w.kids */
};

struct image_tree {
	struct tnode root;
	char *cmdline;
	char **whos; /* the strings tnode.who points at */
	size_t nwhos, capwhos;
};

int image_tree_new(struct image_tree **out)
{
	struct image_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->root.w.mode = ROFS_S_IFDIR | 0755;
	*out = t;
	return 0;
}

static void node_free(struct tnode *n, bool self)
{
	for (uint32_t i = 0; i < n->w.nkids; i++)
		node_free((struct tnode *)n->w.kids[i], true);
	free(n->w.kids);
	free((void *)n->w.data);
	free((void *)n->w.name);
	free(n->host);
	if (self)
		free(n);
}

void image_tree_free(struct image_tree *t)
{
	if (!t)
		return;
	node_free(&t->root, false);
	free(t->cmdline);
	for (size_t i = 0; i < t->nwhos; i++)
		free(t->whos[i]);
	free(t->whos);
	free(t);
}

static struct tnode *child(struct tnode *dir, const char *name, size_t len)
{
	for (uint32_t i = 0; i < dir->w.nkids; i++) {
		const char *k = dir->w.kids[i]->name;

		if (strlen(k) == len && !memcmp(k, name, len))
			return (struct tnode *)dir->w.kids[i];
	}
	return NULL;
}

static struct tnode *new_child(struct tnode *dir, const char *name, size_t len)
{
	struct tnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (dir->w.nkids == dir->cap) {
		uint32_t cap = dir->cap ? dir->cap * 2 : 8;
		struct rofs_wnode **kids = realloc(dir->w.kids, cap * sizeof(*kids));

		if (!kids) {
			free(n);
			return NULL;
		}
		dir->w.kids = kids;
		dir->cap = cap;
	}
	n->w.name = strndup(name, len);
	dir->w.kids[dir->w.nkids++] = &n->w;
	return n;
}

static int read_host(const char *path, char **data, uint64_t *size, int *mode)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*data = buf;
	*size = (uint64_t)st.st_size;
	if (*mode < 0)
		*mode = (int)(st.st_mode & 07777);
	return 0;
}

static const char *kind_name(uint32_t mode)
{
	switch (mode & ROFS_S_IFMT) {
	case ROFS_S_IFDIR:
		return "a directory";
	case ROFS_S_IFLNK:
		return "a link";
	default:
		return "a file";
	}
}

/* A copy of who, kept until the tree is freed (nodes point at it). */
static const char *keep_who(struct image_tree *t, const char *who)
{
	char **v;

	if (t->nwhos == t->capwhos) {
		size_t cap = t->capwhos ? t->capwhos * 2 : 16;

		v = realloc(t->whos, cap * sizeof(*v));
		if (!v)
			return NULL;
		t->whos = v;
		t->capwhos = cap;
	}
	t->whos[t->nwhos] = strdup(who);
	return t->whos[t->nwhos] ? t->whos[t->nwhos++] : NULL;
}

/*
 * Put one file, directory or link at path.  `who` is how errors name the
 * one who put it ("module 'base'", "--add data:/srv"), `where` how they
 * name the line that asked for it; data (owned, freed here on error) and
 * size are a file's bytes or a link's target, host the host file (or NULL).
 * A directory that is already there takes perm only with DIR_SET.
 */
static int place(struct image_tree *t, const char *who, const char *where, const char *path,
		 uint32_t type, int perm, enum dir_mode dm, char *data, uint64_t size,
		 const char *host, char *err, size_t errlen)
{
	struct tnode *dir = &t->root, *n;
	const char *p = path;
	for (;;) {
		const char *end;
		size_t len;

		while (*p == '/')
			p++;
		for (end = p; *end && *end != '/'; end++)
			;
		len = (size_t)(end - p);
		if (!len) { /* the path named a directory ("/" or "a/") */
			n = dir;
			break;
		}
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.') ||
		    len > ROFS_NAME_MAX) {
			free(data);
			return osprey_fail(err, errlen, "%s: bad image path '%s'", where, path);
		}
		n = child(dir, p, len);
		while (*end == '/')
			end++;
		if (!*end)
			break;
		if (!n) {
			n = new_child(dir, p, len);
			if (!n) {
				free(data);
				return -ENOMEM;
			}
			n->w.mode = ROFS_S_IFDIR | 0755;
		} else if ((n->w.mode & ROFS_S_IFMT) != ROFS_S_IFDIR) {
			free(data);
			return osprey_fail(
				err, errlen,
				"path conflict at %.*s: %s needs a directory there, %s put %s (%s)",
				(int)(p + len - path), path, who, n->who, kind_name(n->w.mode),
				n->host ? n->host : "");
		}
		dir = n;
		p = end;
	}
	if (n && (n->w.mode & ROFS_S_IFMT) == type && type == ROFS_S_IFDIR) {
		if (dm == DIR_SET)
			n->w.mode = type | (uint32_t)perm;
		if (!n->who)
			n->who = who;
		return 0;
	}
	if (n) {
		bool same = n->w.mode == (type | (uint32_t)perm) && n->w.size == size &&
			    (!size || !memcmp(n->w.data, data, size));
		const char *mine = host ? host : type == ROFS_S_IFLNK ? data : "";

		if (same) {
			free(data);
			return 0;
		}
		osprey_fail(err, errlen,
			    "path conflict at %s: %s puts %s there (%s), %s put a different %s (%s)",
			    path, who, kind_name(type), mine ? mine : "",
			    n->who ? n->who : "a parent directory", kind_name(n->w.mode) + 2,
			    n->host   ? n->host :
			    n->w.data ? (const char *)n->w.data :
					"");
		free(data);
		return -EINVAL;
	}
	n = new_child(dir, p, strcspn(p, "/"));
	if (!n) {
		free(data);
		return -ENOMEM;
	}
	n->w.mode = type | (uint32_t)perm;
	n->w.data = data;
	n->w.size = size;
	n->who = who;
	n->host = host ? strdup(host) : NULL;
	return 0;
}

static int add_entry(struct image_tree *t, const struct module *m, const char *who,
		     const struct manifest_entry *e, char *err, size_t errlen)
{
	char host[2200] = "", where[1100];
	char *data = NULL;
	uint64_t size = 0;
	int perm = e->mode, ret;

	snprintf(where, sizeof(where), "%s/manifest:%d", m->dir, e->line);
	if (e->kind == ENTRY_FILE) {
		snprintf(host, sizeof(host), "%s/%s", m->dir, e->host);
		ret = read_host(host, &data, &size, &perm);
		if (ret)
			return osprey_fail(err, errlen, "%s: cannot read %s: %s", where, host,
					   strerror(-ret));
		return place(t, who, where, e->path, ROFS_S_IFREG, perm, DIR_SET, data, size, host,
			     err, errlen);
	}
	if (e->kind == ENTRY_LINK) {
		data = strdup(e->target);
		if (!data)
			return -ENOMEM;
		return place(t, who, where, e->path, ROFS_S_IFLNK, 0777, DIR_SET, data,
			     strlen(e->target), NULL, err, errlen);
	}
	return place(t, who, where, e->path, ROFS_S_IFDIR, perm < 0 ? 0755 : perm,
		     perm < 0 ? DIR_KEEP : DIR_SET, NULL, 0, NULL, err, errlen);
}

int image_tree_add(struct image_tree *t, const struct module *m, char *err, size_t errlen)
{
	char buf[96];
	const char *who;

	snprintf(buf, sizeof(buf), "module '%s'", m->name);
	who = keep_who(t, buf);
	if (!who)
		return -ENOMEM;
	for (int i = 0; i < m->nentries; i++) {
		int ret = add_entry(t, m, who, &m->entries[i], err, errlen);

		if (ret)
			return ret;
	}
	if (m->cmdline) {
		free(t->cmdline);
		t->cmdline = strdup(m->cmdline);
	}
	return 0;
}

static int add_host(struct image_tree *t, const char *who, const char *host, const char *path,
		    int perm, bool follow, int depth, char *err, size_t errlen);

/* a, sep and b in a new string (asprintf is not in the fuzz build's C library profile). */
static char *join(const char *a, const char *sep, const char *b)
{
	size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, sep, b);
	return s;
}

/* Every entry of the host folder host, under path in the image. */
static int add_host_dir(struct image_tree *t, const char *who, const char *host, const char *path,
			int depth, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d = opendir(host);
	int ret = 0;

	if (!d)
		return osprey_fail(err, errlen, "%s: %s: %s", who, host, strerror(errno));
	while (!ret && (errno = 0, de = readdir(d))) {
		char *h, *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		h = join(host, "/", de->d_name);
		p = join(path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
		ret = h && p ? add_host(t, who, h, p, -1, false, depth + 1, err, errlen) : -ENOMEM;
		free(h);
		free(p);
	}
	if (!ret && errno)
		ret = osprey_fail(err, errlen, "%s: %s: %s", who, host, strerror(errno));
	closedir(d);
	return ret;
}

/* One host file, link or folder (recursively) at path; see image_tree_add_host(). */
static int add_host(struct image_tree *t, const char *who, const char *host, const char *path,
		    int perm, bool follow, int depth, char *err, size_t errlen)
{
	struct stat st;
	char *data = NULL;
	uint64_t size = 0;
	int ret;

	if ((follow ? stat(host, &st) : lstat(host, &st)) < 0)
		return osprey_fail(err, errlen, "%s: %s: %s", who, host, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		ret = read_host(host, &data, &size, &perm);
		if (ret)
			return osprey_fail(err, errlen, "%s: cannot read %s: %s", who, host,
					   strerror(-ret));
		return place(t, who, who, path, ROFS_S_IFREG, perm, DIR_SET, data, size, host, err,
			     errlen);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(host, target, sizeof(target));

		if (n <= 0 || n == (ssize_t)sizeof(target))
			return osprey_fail(err, errlen, "%s: cannot read the link %s: %s", who,
					   host, n < 0 ? strerror(errno) : "bad target length");
		data = strndup(target, (size_t)n);
		if (!data)
			return -ENOMEM;
		return place(t, who, who, path, ROFS_S_IFLNK, 0777, DIR_SET, data, (uint64_t)n,
			     host, err, errlen);
	}
	if (!S_ISDIR(st.st_mode))
		return osprey_fail(err, errlen,
				   "%s: %s is not a regular file, folder or symbolic link", who,
				   host);
	if (depth > IMAGE_MAX_DEPTH)
		return osprey_fail(err, errlen, "%s: %s: more than %d levels of folders", who, host,
				   IMAGE_MAX_DEPTH);
	/* A new directory takes the host folder's permissions; one already there keeps its own. */
	ret = place(t, who, who, path, ROFS_S_IFDIR, perm >= 0 ? perm : (int)(st.st_mode & 07777),
		    perm >= 0 ? DIR_SET : DIR_KEEP, NULL, 0, NULL, err, errlen);
	if (ret)
		return ret;
	return add_host_dir(t, who, host, path, depth, err, errlen);
}

int image_tree_add_host(struct image_tree *t, const char *who, const char *host, const char *path,
			int mode, char *err, size_t errlen)
{
	const char *w = keep_who(t, who);

	if (!w)
		return -ENOMEM;
	if (path[0] != '/')
		return osprey_fail(err, errlen, "%s: image path '%s' is not absolute", who, path);
	return add_host(t, w, host, path, mode, true, 0, err, errlen);
}

/*
 * Write a new file beside out and rename it over out, so that a guest
 * booting the old image (another `osprey run` at the same time) never reads
 * a half-written one.
 */
static int write_atomic(const char *out, const uint8_t *buf, uint64_t size)
{
	char *tmp;
	FILE *f;
	int fd, ret = 0;

	tmp = join(out, ".", "XXXXXX");
	if (!tmp)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		ret = -errno;
		close(fd);
		goto out_remove;
	}
	if (fchmod(fd, 0644) || fwrite(buf, 1, size, f) != size)
		ret = errno ? -errno : -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, out))
		ret = -errno;
out_remove:
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

int image_tree_write(struct image_tree *t, const char *out, uint64_t *size, char *err,
		     size_t errlen)
{
	const char *why = NULL;
	uint8_t *buf;
	FILE *f;
	int ret;

	/* The default command line goes into the image as /etc/cmdline. */
	if (t->cmdline) {
		struct tnode *etc = child(&t->root, "etc", 3);

		if (!etc) {
			etc = new_child(&t->root, "etc", 3);
			if (!etc)
				return -ENOMEM;
			etc->w.mode = ROFS_S_IFDIR | 0755;
		}
		if (!child(etc, "cmdline", 7)) {
			struct tnode *c = new_child(etc, "cmdline", 7);

			if (!c)
				return -ENOMEM;
			c->w.mode = ROFS_S_IFREG | 0644;
			c->w.data = strdup(t->cmdline);
			c->w.size = strlen(t->cmdline);
			c->who = "the modules' default command line";
		}
	}
	ret = rofs_image_write(&t->root.w, NULL, 0, size, &why);
	if (ret)
		return osprey_fail(err, errlen, "cannot lay out the image: %s (%s)", strerror(-ret),
				   why);
	buf = malloc(*size);
	if (!buf)
		return -ENOMEM;
	ret = rofs_image_write(&t->root.w, buf, *size, size, &why);
	if (ret) {
		free(buf);
		return osprey_fail(err, errlen, "cannot write the image: %s (%s)", strerror(-ret),
				   why);
	}
	/* The same image already there (osprey run --image): leave it, and its mtime, alone. */
	f = fopen(out, "rb");
	if (f) {
		uint8_t *old = malloc(*size + 1);
		size_t n = old ? fread(old, 1, *size + 1, f) : 0;
		bool same = n == *size && !memcmp(old, buf, *size);

		free(old);
		fclose(f);
		if (same) {
			free(buf);
			return 0;
		}
	}
	ret = write_atomic(out, buf, *size);
	free(buf);
	if (ret)
		return osprey_fail(err, errlen, "cannot write %s: %s", out, strerror(-ret));
	return 0;
}
