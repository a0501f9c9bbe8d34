/*
 * `osprey image`: modules (modules/NAME/manifest) into an rofs image.
 *
 *   image.c       the command, manifests, dependency resolution
 *   image_tree.c  the image's tree: files from the host, conflicts, writing
 *   image_list.c  `osprey image --list FILE`: what an image holds
 *   run_prog.c    `osprey run PROGRAM`: the image around a host program
 *
 * Errors are written into a caller's buffer (no "osprey: " prefix), and
 * the functions return 0 or a negative errno.
 */
#ifndef OSPREY_TOOL_IMAGE_H
#define OSPREY_TOOL_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* A new tree holding module `name` and what it requires, from modules_dir. */
int image_modules_tree(const char *modules_dir, const char *name, struct image_tree **out,
		       char *err, size_t errlen);
/* image_list.c: prints every path of the image file with its type, mode and size. */
int image_list(const char *file, FILE *out, char *err, size_t errlen);

struct image_tree;

/* image_tree.c */
int image_tree_new(struct image_tree **out);
/* Adds a module's entries; a clash with another module's file is an error naming both. */
int image_tree_add(struct image_tree *t, const struct module *m, char *err, size_t errlen);
/*
 * Adds the host file, link or folder (recursively: its links stay links)
 * `host` at the absolute image path `path`; `who` names the contributor in
 * errors ("--add data:/srv").  mode >= 0 replaces a file's host permissions.
 */
int image_tree_add_host(struct image_tree *t, const char *who, const char *host, const char *path,
			int mode, char *err, size_t errlen);
int image_tree_write(struct image_tree *t, const char *out, uint64_t *size, char *err,
		     size_t errlen);
void image_tree_free(struct image_tree *t);

#endif
