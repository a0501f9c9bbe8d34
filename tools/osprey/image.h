/*
 * `osprey image`: modules (modules/NAME/manifest) into an rofs image.
 *
 *   image.c       the command, manifests, dependency resolution
 *   image_tree.c  the image's tree: files from the host, conflicts, writing
 *
 * Errors are written into a caller's buffer (no "osprey: " prefix), and
 * the functions return 0 or a negative errno.
 */
#ifndef OSPREY_TOOL_IMAGE_H
#define OSPREY_TOOL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_MODULES 256
#define IMAGE_MAX_REQUIRES 32
#define IMAGE_MAX_ENTRIES 1024

enum entry_kind { ENTRY_FILE, ENTRY_DIR, ENTRY_LINK };

struct manifest_entry {
	enum entry_kind kind;
	char *host;   /* files: the host path (relative to the module's folder) */
	char *path;   /* the absolute path in the image */
	char *target; /* links */
	int mode;     /* -1: the host file's (files) or 0755 (directories) */
	int line;
};

struct module {
	char name[64];
	char version[32];
	char dir[1024]; /* the module's folder */
	char *requires[IMAGE_MAX_REQUIRES];
	int nrequires;
	struct manifest_entry entries[IMAGE_MAX_ENTRIES];
	int nentries;
	char *cmdline;
	int state;     /* resolution: 0 new, 1 on the stack, 2 done */
	int name_line; /* where "name:" was */
};

#define IMAGE_MANIFEST_MAX (1 << 20)

/* image.c: parses a manifest's text into *m (zeroed by the caller); errors name file:line. */
int image_manifest_parse(struct module *m, const char *text, size_t len, const char *file,
			 char *err, size_t errlen);
void image_module_free(struct module *m);

struct image_tree;

/* image_tree.c */
int image_tree_new(struct image_tree **out);
/* Adds a module's entries; a clash with another module's file is an error naming both. */
int image_tree_add(struct image_tree *t, const struct module *m, char *err, size_t errlen);
int image_tree_write(struct image_tree *t, const char *out, uint64_t *size, char *err,
		     size_t errlen);
void image_tree_free(struct image_tree *t);

#endif
