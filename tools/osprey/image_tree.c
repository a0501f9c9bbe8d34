/*
 * The image's tree as `osprey image` builds it: each module's files,
 * directories and links added in dependency order, parent directories made
 * as needed (0755), then written by the same rofs writer the kernel's tests
 * use (kernel/fs/rofs_image.c).
 *
 * Two modules may put the same file at one path (same bytes, same mode);
 * different files, or a file where another module has a directory, are an
 * error naming the path, both modules and their host files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "osprey_err.h"
#include "../../kernel/fs/rofs_image.h"
#include "image.h"

struct tnode {
	struct rofs_wnode w; /* first: the writer sees only this */
	const char *module;  /* who put it here (NULL: made as a parent) */
	char *host;	     /* files: the host path */
	uint32_t cap;	     /* room in w.kids */
};

struct image_tree {
	struct tnode root;
	char *cmdline;
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

static int add_entry(struct image_tree *t, const struct module *m, const struct manifest_entry *e,
		     char *err, size_t errlen)
{
	uint32_t mode = e->kind == ENTRY_DIR  ? ROFS_S_IFDIR :
			e->kind == ENTRY_LINK ? ROFS_S_IFLNK :
						ROFS_S_IFREG;
	struct tnode *dir = &t->root, *n;
	const char *p = e->path;
	char host[2200] = "";
	char *data = NULL;
	uint64_t size = 0;
	int perm = e->mode, ret;

	if (e->kind == ENTRY_FILE) {
		snprintf(host, sizeof(host), "%s/%s", m->dir, e->host);
		ret = read_host(host, &data, &size, &perm);
		if (ret)
			return osprey_fail(err, errlen, "%s/manifest:%d: cannot read %s: %s",
					   m->dir, e->line, host, strerror(-ret));
	} else if (e->kind == ENTRY_LINK) {
		data = strdup(e->target);
		size = strlen(e->target);
		perm = 0777;
	} else if (perm < 0) {
		perm = 0755;
	}
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
			return osprey_fail(err, errlen, "%s/manifest:%d: bad image path '%s'",
					   m->dir, e->line, e->path);
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
				"path conflict at %.*s: module '%s' needs a directory there, module '%s' put %s (%s)",
				(int)(p + len - e->path), e->path, m->name, n->module,
				kind_name(n->w.mode), n->host ? n->host : "");
		}
		dir = n;
		p = end;
	}
	if (n && (n->w.mode & ROFS_S_IFMT) == mode && mode == ROFS_S_IFDIR) {
		if (e->mode >= 0)
			n->w.mode = mode | (uint32_t)perm;
		if (!n->module)
			n->module = m->name;
		return 0;
	}
	if (n) {
		bool same = n->w.mode == (mode | (uint32_t)perm) && n->w.size == size &&
			    (!size || !memcmp(n->w.data, data, size));

		free(data);
		if (same)
			return 0;
		return osprey_fail(
			err, errlen,
			"path conflict at %s: module '%s' puts %s there (%s), module '%s' put a different %s (%s)",
			e->path, m->name, kind_name(mode),
			host[0]	  ? host :
			e->target ? e->target :
				    "",
			n->module ? n->module : "(a parent directory)", kind_name(n->w.mode) + 2,
			n->host	  ? n->host :
			n->w.data ? (const char *)n->w.data :
				    "");
	}
	n = new_child(dir, p, strcspn(p, "/"));
	if (!n) {
		free(data);
		return -ENOMEM;
	}
	n->w.mode = mode | (uint32_t)perm;
	n->w.data = data;
	n->w.size = size;
	n->module = m->name;
	n->host = host[0] ? strdup(host) : NULL;
	return 0;
}

int image_tree_add(struct image_tree *t, const struct module *m, char *err, size_t errlen)
{
	for (int i = 0; i < m->nentries; i++) {
		int ret = add_entry(t, m, &m->entries[i], err, errlen);

		if (ret)
			return ret;
	}
	if (m->cmdline) {
		free(t->cmdline);
		t->cmdline = strdup(m->cmdline);
	}
	return 0;
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
			c->module = "(cmdline)";
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
	f = fopen(out, "wb");
	ret = f ? 0 : -errno;
	if (f && fwrite(buf, 1, *size, f) != *size)
		ret = -EIO;
	if (f && fclose(f) && !ret)
		ret = -errno;
	free(buf);
	if (ret)
		return osprey_fail(err, errlen, "cannot write %s: %s", out, strerror(-ret));
	return 0;
}
