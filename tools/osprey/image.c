/*
 * `osprey image`: reads module manifests, orders the modules by their
 * requirements, and writes the rofs image (image_tree.c).
 *
 * A manifest (modules/NAME/manifest) is untrusted text, one "key: value"
 * per line, '#' comments and blank lines ignored:
 *
 *	name: NAME                  required; the folder's name
 *	version: VERSION
 *	requires: A B ...           other modules, by name (repeatable)
 *	file: HOST PATH [MODE]      a host file (relative to the folder) at PATH
 *	dir: PATH [MODE]            a directory
 *	link: PATH TARGET           a symbolic link
 *	cmdline: ARGS...            the default command line (the last module's wins)
 *
 * Every error names the file and line.  Resolution is a depth-first walk
 * from the modules asked for: a module comes after everything it requires
 * (topological order); a cycle is reported with its whole path
 * ("a -> b -> c -> a"), a missing module by name with the module that
 * required it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "osprey_err.h"
#include "image.h"
#include "osprey.h"

struct resolver {
	const char *modules_dir;
	struct module *mods[IMAGE_MAX_MODULES]; /* loaded, by first use */
	int nmods;
	struct module *order[IMAGE_MAX_MODULES]; /* dependencies first */
	int norder;
	const char *stack[IMAGE_MAX_MODULES]; /* the path being resolved */
	int depth;
	char *err;
	size_t errlen;
};

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* Splits s into up to max words at blanks; returns the count, or max + 1 if more. */
static int split(char *s, char **words, int max)
{
	int n = 0;

	for (char *w = strtok(s, " \t"); w; w = strtok(NULL, " \t")) {
		if (n == max)
			return max + 1;
		words[n++] = w;
	}
	return n;
}

static int parse_mode(const char *s, int *mode)
{
	char *end;
	long v = strtol(s, &end, 8);

	if (!*s || *end || v < 0 || v > 07777)
		return -EINVAL;
	*mode = (int)v;
	return 0;
}

static int add_entry(struct module *m, const char *file, int line, enum entry_kind kind, char **w,
		     int n, char *err, size_t errlen)
{
	struct manifest_entry *e;
	int want = kind == ENTRY_DIR ? 1 : 2;

	if (n < want || n > want + (kind != ENTRY_LINK))
		return osprey_fail(err, errlen, "%s:%d: expected %s", file, line,
				   kind == ENTRY_FILE ? "file: HOST PATH [MODE]" :
				   kind == ENTRY_DIR  ? "dir: PATH [MODE]" :
							"link: PATH TARGET");
	if (m->nentries == IMAGE_MAX_ENTRIES)
		return osprey_fail(err, errlen, "%s:%d: more than %d entries", file, line,
				   IMAGE_MAX_ENTRIES);
	e = &m->entries[m->nentries];
	e->kind = kind;
	e->line = line;
	e->mode = -1;
	e->path = strdup(kind == ENTRY_FILE ? w[1] : w[0]);
	e->host = kind == ENTRY_FILE ? strdup(w[0]) : NULL;
	e->target = kind == ENTRY_LINK ? strdup(w[1]) : NULL;
	m->nentries++; /* counted now, so that an error below still frees the strings */
	if (!e->path || (kind == ENTRY_FILE && !e->host) || (kind == ENTRY_LINK && !e->target))
		return -ENOMEM;
	if (e->path[0] != '/')
		return osprey_fail(err, errlen, "%s:%d: image path '%s' is not absolute", file,
				   line, e->path);
	if (n > want && parse_mode(w[want], &e->mode))
		return osprey_fail(err, errlen, "%s:%d: bad mode '%s' (octal, up to 7777)", file,
				   line, w[want]);
	return 0;
}

static int parse_line(struct module *m, const char *file, int line, char *s, char *err,
		      size_t errlen)
{
	char *colon = strchr(s, ':'), *key, *val, *w[IMAGE_MAX_REQUIRES + 1];
	int n;

	if (!colon)
		return osprey_fail(err, errlen, "%s:%d: expected 'key: value'", file, line);
	*colon = 0;
	key = trim(s);
	val = trim(colon + 1);
	if (!strcmp(key, "name") || !strcmp(key, "version")) {
		char *dst = key[0] == 'n' ? m->name : m->version;
		size_t size = key[0] == 'n' ? sizeof(m->name) : sizeof(m->version);

		if (!*val || strlen(val) >= size || strpbrk(val, " \t/"))
			return osprey_fail(err, errlen, "%s:%d: bad %s '%s'", file, line, key, val);
		memcpy(dst, val, strlen(val) + 1);
		return 0;
	}
	if (!strcmp(key, "cmdline")) {
		free(m->cmdline);
		m->cmdline = strdup(val);
		return 0;
	}
	if (!strcmp(key, "requires")) {
		n = split(val, w, IMAGE_MAX_REQUIRES);
		if (m->nrequires + n > IMAGE_MAX_REQUIRES)
			return osprey_fail(err, errlen, "%s:%d: more than %d requirements", file,
					   line, IMAGE_MAX_REQUIRES);
		for (int i = 0; i < n; i++)
		m->requires[m->nrequires++] = strdup(w[i]);
		return 0;
	}
	n = split(val, w, 3);
	if (!strcmp(key, "file"))
		return add_entry(m, file, line, ENTRY_FILE, w, n, err, errlen);
	if (!strcmp(key, "dir"))
		return add_entry(m, file, line, ENTRY_DIR, w, n, err, errlen);
	if (!strcmp(key, "link"))
		return add_entry(m, file, line, ENTRY_LINK, w, n, err, errlen);
	return osprey_fail(err, errlen, "%s:%d: unknown key '%s'", file, line, key);
}

void image_module_free(struct module *m)
{
	for (int i = 0; i < m->nrequires; i++)
		free(m->requires[i]);
	for (int i = 0; i < m->nentries; i++) {
		free(m->entries[i].host);
		free(m->entries[i].path);
		free(m->entries[i].target);
	}
	free(m->cmdline);
	free(m);
}

/* Loads modules_dir/name/manifest; -ENOENT if there is no such module. */
int image_manifest_parse(struct module *m, const char *text, size_t len, const char *file,
			 char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	char buf[4096];
	int line = 0, ret;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *s;

		line++;
		if (n >= sizeof(buf))
			return osprey_fail(err, errlen, "%s:%d: line too long", file, line);
		memcpy(buf, p, n);
		buf[n] = 0;
		if (strlen(buf) != n)
			return osprey_fail(err, errlen, "%s:%d: a NUL byte in the line", file,
					   line);
		p += n + 1;
		s = trim(buf);
		if (!*s || *s == '#')
			continue;
		ret = parse_line(m, file, line, s, err, errlen);
		if (ret)
			return ret;
		if (!m->name_line && m->name[0])
			m->name_line = line;
	}
	if (!m->name[0])
		return osprey_fail(err, errlen, "%s: no 'name:' line", file);
	return 0;
}

/* Loads modules_dir/name/manifest; -ENOENT if there is no such module. */
static int manifest_load(const char *modules_dir, const char *name, struct module **out, char *err,
			 size_t errlen)
{
	char file[1200], *text;
	struct module *m;
	size_t len;
	int ret;
	FILE *f;

	if (strlen(name) >= sizeof(m->name) || strchr(name, '/') || name[0] == '.')
		return osprey_fail(err, errlen, "bad module name '%s'", name);
	m = calloc(1, sizeof(*m));
	text = malloc(IMAGE_MANIFEST_MAX + 1);
	if (!m || !text) {
		free(m);
		free(text);
		return -ENOMEM;
	}
	snprintf(m->dir, sizeof(m->dir), "%s/%s", modules_dir, name);
	snprintf(file, sizeof(file), "%s/manifest", m->dir);
	f = fopen(file, "r");
	if (!f) {
		free(m);
		free(text);
		return -ENOENT;
	}
	len = fread(text, 1, IMAGE_MANIFEST_MAX + 1, f);
	fclose(f);
	if (len > IMAGE_MANIFEST_MAX)
		ret = osprey_fail(err, errlen, "%s: larger than %d bytes", file,
				  IMAGE_MANIFEST_MAX);
	else
		ret = image_manifest_parse(m, text, len, file, err, errlen);
	free(text);
	if (!ret && strcmp(m->name, name))
		ret = osprey_fail(err, errlen, "%s:%d: name '%s' is not its folder's name '%s'",
				  file, m->name_line, m->name, name);
	if (ret) {
		image_module_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

static int resolve(struct resolver *r, const char *name, const char *required_by)
{
	struct module *m = NULL;
	int ret;

	for (int i = 0; i < r->nmods; i++)
		if (!strcmp(r->mods[i]->name, name))
			m = r->mods[i];
	if (!m) {
		if (r->nmods == IMAGE_MAX_MODULES)
			return osprey_fail(r->err, r->errlen, "more than %d modules",
					   IMAGE_MAX_MODULES);
		ret = manifest_load(r->modules_dir, name, &m, r->err, r->errlen);
		if (ret == -ENOENT && required_by)
			return osprey_fail(
				r->err, r->errlen,
				"module '%s' not found (required by '%s'; looked in %s/%s)", name,
				required_by, r->modules_dir, name);
		if (ret == -ENOENT)
			return osprey_fail(r->err, r->errlen,
					   "module '%s' not found (looked in %s/%s)", name,
					   r->modules_dir, name);
		if (ret)
			return ret;
		r->mods[r->nmods++] = m;
	}
	if (m->state == 2)
		return 0;
	if (m->state == 1) {
		size_t n = 0;
		int from = 0;

		while (strcmp(r->stack[from], name))
			from++;
		n += (size_t)snprintf(r->err, r->errlen, "dependency cycle: ");
		for (int i = from; i < r->depth && n < r->errlen; i++)
			n += (size_t)snprintf(r->err + n, r->errlen - n, "%s -> ", r->stack[i]);
		if (n < r->errlen)
			snprintf(r->err + n, r->errlen - n, "%s", name);
		return -ELOOP;
	}
	m->state = 1;
	r->stack[r->depth++] = m->name;
	for (int i = 0; i < m->nrequires; i++) {
		ret = resolve(r, m->requires[i], m -> name);
		if (ret)
			return ret;
	}
	r->depth--;
	m->state = 2;
	r->order[r->norder++] = m;
	return 0;
}

static void print_tree(struct resolver *r, const char *name, int depth, char *seen)
{
	for (int i = 0; i < r->nmods; i++) {
		struct module *m = r->mods[i];

		if (strcmp(m->name, name))
			continue;
		printf("%*s%s %s%s\n", depth * 2, "", m->name, m->version[0] ? m->version : "-",
		       seen[i] && m->nrequires ? " (see above)" : "");
		if (seen[i])
			return;
		seen[i] = 1;
		for (int k = 0; k < m->nrequires; k++)
			print_tree(r, m->requires[k], depth + 1, seen);
		return;
	}
}

static void resolver_free(struct resolver *r)
{
	for (int i = 0; i < r->nmods; i++)
		image_module_free(r->mods[i]);
}

static int build(struct resolver *r, const char *out, uint64_t *size)
{
	struct image_tree *t = NULL;
	int ret = image_tree_new(&t);

	for (int i = 0; i < r->norder && !ret; i++)
		ret = image_tree_add(t, r->order[i], r->err, r->errlen);
	if (!ret)
		ret = image_tree_write(t, out, size, r->err, r->errlen);
	image_tree_free(t);
	return ret;
}

int image_modules_tree(const char *modules_dir, const char *name, struct image_tree **out,
		       char *err, size_t errlen)
{
	struct resolver r = { .modules_dir = modules_dir, .err = err, .errlen = errlen };
	struct image_tree *t = NULL;
	int ret = resolve(&r, name, NULL);

	if (!ret)
		ret = image_tree_new(&t);
	for (int i = 0; i < r.norder && !ret; i++)
		ret = image_tree_add(t, r.order[i], err, errlen);
	resolver_free(&r);
	if (ret) {
		image_tree_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

int image_prepare(const char *name, char *path, size_t len)
{
	struct resolver r = { .modules_dir = "modules" };
	char err[2048] = "";
	uint64_t size;
	int ret;

	r.err = err;
	r.errlen = sizeof(err);
	snprintf(path, len, "build/images/%s.img", name);
	if (mkdir("build", 0755) && errno != EEXIST)
		ret = -errno;
	else if (mkdir("build/images", 0755) && errno != EEXIST)
		ret = -errno;
	else if (!(ret = resolve(&r, name, NULL)))
		ret = build(&r, path, &size);
	resolver_free(&r);
	if (ret) {
		fprintf(stderr, "osprey: image %s: %s\n", name, err[0] ? err : strerror(-ret));
		return 1;
	}
	return 0;
}

static int usage(void)
{
	fputs(osprey_image_help, stderr);
	return OSPREY_EXIT_USAGE;
}

int cmd_image(int argc, char **argv)
{
	struct resolver r = { .modules_dir = "modules" };
	const char *out = NULL, *names[IMAGE_MAX_MODULES];
	char err[2048] = "", outbuf[1200];
	int nnames = 0, ret = 0;
	bool deps = false;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(osprey_image_help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--deps")) {
			deps = true;
		} else if (!strcmp(argv[i], "--list")) {
			if (i + 2 != argc) {
				fprintf(stderr, "osprey: image: --list takes one image file\n");
				return usage();
			}
			if (image_list(argv[i + 1], stdout, err, sizeof(err))) {
				fprintf(stderr, "osprey: image: %s\n", err);
				return 1;
			}
			return 0;
		} else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--modules")) {
			if (i + 1 == argc) {
				fprintf(stderr, "osprey: image: %s needs a value\n", argv[i]);
				return usage();
			}
			if (argv[i][1] == 'o')
				out = argv[++i];
			else
				r.modules_dir = argv[++i];
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "osprey: image: unknown option '%s'\n", argv[i]);
			return usage();
		} else if (nnames < IMAGE_MAX_MODULES) {
			names[nnames++] = argv[i];
		}
	}
	if (!nnames) {
		fprintf(stderr, "osprey: image: name at least one module\n");
		return usage();
	}
	r.err = err;
	r.errlen = sizeof(err);
	for (int i = 0; i < nnames && !ret; i++)
		ret = resolve(&r, names[i], NULL);
	if (!ret && deps) {
		char seen[IMAGE_MAX_MODULES] = { 0 };

		for (int i = 0; i < nnames; i++)
			print_tree(&r, names[i], 0, seen);
		printf("order:");
		for (int i = 0; i < r.norder; i++)
			printf(" %s", r.order[i]->name);
		printf("\n");
	} else if (!ret) {
		uint64_t size = 0;

		if (!out) {
			snprintf(outbuf, sizeof(outbuf), "%s.img", names[nnames - 1]);
			out = outbuf;
		}
		ret = build(&r, out, &size);
		if (!ret)
			printf("image %s: %d modules, %llu bytes\n", out, r.norder,
			       (unsigned long long)size);
	}
	resolver_free(&r);
	if (ret) {
		fprintf(stderr, "osprey: image: %s\n", err[0] ? err : strerror(-ret));
		return 1;
	}
	return 0;
}
