/*
 * rofs images: the bounded reader and the writer (rofs_image.h).
 *
 * The reader trusts nothing: the image comes from whoever starts the VM.
 * Opening checks the header only (boot must not scan the image); each later
 * access checks the inode, entry, name or byte range it touches, with
 * overflow-checked arithmetic, and reports -EIO for anything outside.
 */
#include <stdbool.h>
#include <string.h>

#include "rofs_image.h"

#define ENOENT 2
#define EIO 5
#define EEXIST 17
#define EINVAL 22
#define ENOSPC 28

static bool in_image(const struct rofs_image *img, uint64_t off, uint64_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) && end <= img->size;
}

/* The one place the reader touches the image: bounds first, always. */
static int fetch(const struct rofs_image *img, uint64_t off, void *buf, size_t len)
{
	if (!in_image(img, off, len))
		return -EIO;
	if (img->base) {
		memcpy(buf, img->base + off, len);
		return 0;
	}
	return len ? img->read(img->ctx, off, buf, len) : 0;
}

static int open_image(struct rofs_image *img, uint64_t size, const char **why)
{
	struct rofs_super sb;
	uint64_t table;
	struct rofs_inode root;
	int ret;

	if (size < sizeof(sb)) {
		*why = "truncated: shorter than the superblock";
		return -EINVAL;
	}
	img->size = size;
	ret = fetch(img, 0, &sb, sizeof(sb));
	if (ret) {
		*why = "the superblock could not be read";
		return ret;
	}
	if (memcmp(sb.magic, ROFS_MAGIC, 8) != 0) {
		*why = "bad magic: not an rofs image";
		return -EINVAL;
	}
	if (sb.version != ROFS_VERSION) {
		*why = "unsupported version";
		return -EINVAL;
	}
	if (sb.size > size) {
		*why = "truncated: shorter than the size its superblock gives";
		return -EINVAL;
	}
	img->size = sb.size;
	img->ninodes = sb.ninodes;
	img->inode_off = sb.inode_off;
	if (sb.ninodes == 0 || (sb.inode_off & 7) || sb.inode_off < sizeof(sb) ||
	    __builtin_mul_overflow((uint64_t)sb.ninodes, sizeof(struct rofs_inode), &table) ||
	    !in_image(img, sb.inode_off, table)) {
		*why = "the inode table lies outside the image";
		return -EINVAL;
	}
	if (rofs_image_inode(img, 0, &root) || (root.mode & ROFS_S_IFMT) != ROFS_S_IFDIR) {
		*why = "the root is not a valid directory";
		return -EINVAL;
	}
	return 0;
}

int rofs_image_open(struct rofs_image *img, const void *base, uint64_t size, const char **why)
{
	img->base = base;
	img->read = NULL;
	img->ctx = NULL;
	return open_image(img, size, why);
}

int rofs_image_open_read(struct rofs_image *img, rofs_read_fn *read, void *ctx, uint64_t size,
			 const char **why)
{
	img->base = NULL;
	img->read = read;
	img->ctx = ctx;
	return open_image(img, size, why);
}

int rofs_image_inode(const struct rofs_image *img, uint32_t ino, struct rofs_inode *out)
{
	uint64_t bytes;
	int ret;

	if (ino >= img->ninodes)
		return -EIO;
	/* the table was checked against the image at open; fetch checks again */
	ret = fetch(img, img->inode_off + (uint64_t)ino * sizeof(*out), out, sizeof(*out));
	if (ret)
		return ret;
	switch (out->mode & ROFS_S_IFMT) {
	case ROFS_S_IFDIR:
		if (out->parent >= img->ninodes ||
		    __builtin_mul_overflow(out->size, sizeof(struct rofs_dirent), &bytes))
			return -EIO;
		break;
	case ROFS_S_IFREG:
	case ROFS_S_IFLNK:
		bytes = out->size;
		break;
	default:
		return -EIO;
	}
	return in_image(img, out->off, bytes) ? 0 : -EIO;
}

/* Entry index of dir (index < dir->size), checked but for its name's bytes. */
static int entry(const struct rofs_image *img, const struct rofs_inode *dir, uint64_t index,
		 struct rofs_dirent *d)
{
	/* rofs_image_inode() checked the whole array against the image; fetch checks again */
	int ret = fetch(img, dir->off + index * sizeof(*d), d, sizeof(*d));

	if (ret)
		return ret;
	if (d->ino >= img->ninodes || d->name_len == 0 || d->name_len > ROFS_NAME_MAX ||
	    !in_image(img, d->name_off, d->name_len))
		return -EIO;
	return 0;
}

int rofs_image_dirent(const struct rofs_image *img, const struct rofs_inode *dir, uint64_t index,
		      uint32_t *ino, char *name, uint32_t *len)
{
	struct rofs_dirent d;
	int ret;

	if (index >= dir->size)
		return -ENOENT;
	ret = entry(img, dir, index, &d);
	if (!ret)
		ret = fetch(img, d.name_off, name, d.name_len);
	if (ret)
		return ret;
	name[d.name_len] = 0;
	*ino = d.ino;
	*len = d.name_len;
	return 0;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int rofs_image_lookup(const struct rofs_image *img, const struct rofs_inode *dir, const char *name,
		      size_t len, uint32_t *ino)
{
	uint64_t lo = 0, hi = dir->size;

	if (len == 0 || len > ROFS_NAME_MAX)
		return -ENOENT; /* no entry has such a name */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		char n[ROFS_NAME_MAX];
		struct rofs_dirent d;
		uint32_t k;
		int c, ret = entry(img, dir, mid, &d);

		if (ret)
			return ret;
		/* only the shorter name's length of bytes decides the order */
		k = d.name_len < len ? d.name_len : (uint32_t)len;
		ret = fetch(img, d.name_off, n, k);
		if (ret)
			return ret;
		c = name_cmp(name, len, n, d.name_len);
		if (c == 0) {
			*ino = d.ino;
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

int rofs_image_read(const struct rofs_image *img, const struct rofs_inode *ri, uint64_t off,
		    void *buf, size_t n, size_t *done)
{
	*done = 0;
	if ((ri->mode & ROFS_S_IFMT) == ROFS_S_IFDIR)
		return -EINVAL;
	if (!in_image(img, ri->off, ri->size))
		return -EIO;
	if (off >= ri->size)
		return 0;
	size_t want = n < ri->size - off ? n : (size_t)(ri->size - off);
	int ret = fetch(img, ri->off + off, buf, want);

	if (!ret)
		*done = want;
	return ret;
}

/* The writer. */

struct layout {
	uint64_t next; /* bytes laid out so far */
	uint32_t ninodes;
	uint8_t *buf;
	uint64_t cap;
	const char **why;
};

static bool is_dir(const struct rofs_wnode *n)
{
	return (n->mode & ROFS_S_IFMT) == ROFS_S_IFDIR;
}

static int kid_cmp(const struct rofs_wnode *a, const struct rofs_wnode *b)
{
	return name_cmp(a->name, strlen(a->name), b->name, strlen(b->name));
}

/* Numbers the tree depth-first and sorts each directory (Shell sort: no allocation). */
static int number(struct rofs_wnode *n, struct layout *l)
{
	uint32_t type = n->mode & ROFS_S_IFMT;

	if (type != ROFS_S_IFDIR && type != ROFS_S_IFREG && type != ROFS_S_IFLNK) {
		*l->why = n->name ? n->name : "/";
		return -EINVAL;
	}
	n->ino = l->ninodes++;
	if (!is_dir(n))
		return 0;
	for (uint32_t gap = n->nkids / 2; gap; gap /= 2)
		for (uint32_t i = gap; i < n->nkids; i++)
			for (uint32_t j = i; j >= gap && kid_cmp(n->kids[j - gap], n->kids[j]) > 0;
			     j -= gap) {
				struct rofs_wnode *t = n->kids[j];

				n->kids[j] = n->kids[j - gap];
				n->kids[j - gap] = t;
			}
	for (uint32_t i = 0; i < n->nkids; i++) {
		size_t len = strlen(n->kids[i]->name);

		if (len == 0 || len > ROFS_NAME_MAX || strchr(n->kids[i]->name, '/') ||
		    (n->kids[i]->name[0] == '.' &&
		     (len == 1 || (len == 2 && n->kids[i]->name[1] == '.')))) {
			*l->why = n->kids[i]->name;
			return -EINVAL;
		}
		if (i && kid_cmp(n->kids[i - 1], n->kids[i]) == 0) {
			*l->why = n->kids[i]->name;
			return -EEXIST;
		}
		int ret = number(n->kids[i], l);

		if (ret)
			return ret;
	}
	return 0;
}

/* Places entry arrays, names and bytes after the inode table. */
static void place(struct rofs_wnode *n, struct layout *l)
{
	if (is_dir(n)) {
		n->off = l->next;
		l->next += (uint64_t)n->nkids * sizeof(struct rofs_dirent);
		for (uint32_t i = 0; i < n->nkids; i++) {
			n->kids[i]->name_off = l->next;
			l->next += strlen(n->kids[i]->name);
		}
		l->next = (l->next + 7) & ~7ull;
		for (uint32_t i = 0; i < n->nkids; i++)
			place(n->kids[i], l);
	} else {
		n->off = l->next;
		l->next = (l->next + n->size + 7) & ~7ull;
	}
}

static void emit(const struct rofs_wnode *n, uint32_t parent, const struct layout *l,
		 uint64_t inode_off)
{
	struct rofs_inode ri = {
		.mode = n->mode, .parent = parent, .off = n->off, .mtime = n->mtime
	};

	ri.size = is_dir(n) ? n->nkids : n->size;
	memcpy(l->buf + inode_off + (uint64_t)n->ino * sizeof(ri), &ri, sizeof(ri));
	if (!is_dir(n)) {
		if (n->size)
			memcpy(l->buf + n->off, n->data, n->size);
		return;
	}
	for (uint32_t i = 0; i < n->nkids; i++) {
		const struct rofs_wnode *k = n->kids[i];
		struct rofs_dirent d = { .ino = k->ino,
					 .name_len = (uint32_t)strlen(k->name),
					 .name_off = k->name_off };

		memcpy(l->buf + n->off + i * sizeof(d), &d, sizeof(d));
		memcpy(l->buf + k->name_off, k->name, d.name_len);
		emit(k, n->ino, l, inode_off);
	}
}

int rofs_image_write(struct rofs_wnode *root, uint8_t *buf, uint64_t cap, uint64_t *size,
		     const char **why)
{
	struct layout l = { .buf = buf, .cap = cap, .why = why };
	struct rofs_super sb;
	int ret;

	if (!is_dir(root)) {
		*why = "the root is not a directory";
		return -EINVAL;
	}
	ret = number(root, &l);
	if (ret)
		return ret;
	l.next = sizeof(sb) + (uint64_t)l.ninodes * sizeof(struct rofs_inode);
	place(root, &l);
	*size = l.next;
	if (!buf)
		return 0;
	if (cap < l.next) {
		*why = "the buffer is too small";
		return -ENOSPC;
	}
	memset(buf, 0, l.next);
	memset(&sb, 0, sizeof(sb));
	memcpy(sb.magic, ROFS_MAGIC, 8);
	sb.version = ROFS_VERSION;
	sb.ninodes = l.ninodes;
	sb.size = l.next;
	sb.inode_off = sizeof(sb);
	memcpy(buf, &sb, sizeof(sb));
	emit(root, 0, &l, sizeof(sb));
	return 0;
}
