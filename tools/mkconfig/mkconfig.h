/*
 * mkconfig: the build-option tool (decision 12 of ARCHITECTURE.md).
 *
 * Every option is declared once in conf/options with its type, default and
 * help; a profile in conf/profiles/ sets the ones that differ from the
 * defaults; conf_NAME=VALUE on the make command line sets one for this build
 * (later wins: defaults, then the profile, then the command line).  The
 * result is checked against conf/conflicts, the one table of settings that
 * cannot go together, and written out as a C header and a make fragment.
 *
 * Every file is read line by line with a hard line-length limit; a bad line
 * stops the tool with "conf: FILE:LINE: what is wrong".  Every other error is
 * one line starting with "conf: " that names the option, value or profile.
 */
#ifndef MKCONFIG_H
#define MKCONFIG_H

#include <stdbool.h>
#include <stdio.h>

#define CONF_LINE_MAX 400   /* longest line accepted, newline excluded */
#define CONF_NAME_MAX 40    /* longest option name */
#define CONF_PROFILE_MAX 64 /* longest profile name */
#define CONF_MAX_OPTIONS 256
#define CONF_MAX_CONFLICTS 256

enum conf_type {
	CONF_BOOL,
	CONF_INT,
};

struct conf_option {
	char name[CONF_NAME_MAX + 1];
	enum conf_type type;
	long long min, max; /* inclusive; 0..1 for a bool */
	long long def;
	long long value;  /* after the profile and the overrides */
	const char *from; /* where value came from: "default", "profile NAME", "command line" */
	char help[CONF_LINE_MAX + 1];
	int line; /* in the options file */
};

/* NAME=V or NAME=LO..HI in the conflicts table. */
struct conf_setting {
	int opt;
	long long lo, hi;
};

struct conf_conflict {
	struct conf_setting a, b;
	char reason[CONF_LINE_MAX + 1];
	int line;
};

struct conf {
	const char *options_path;
	const char *conflicts_path;
	char profile[CONF_PROFILE_MAX + 1]; /* "" when none applies */
	char profile_path[4096];
	char profile_from[CONF_PROFILE_MAX + 9]; /* "profile NAME" */
	struct conf_option opt[CONF_MAX_OPTIONS];
	int nopt;
	struct conf_conflict conflict[CONF_MAX_CONFLICTS];
	int nconflict;
};

/* One bounded line reader per file; line counts from 1. */
struct conf_file {
	FILE *f;
	const char *path;
	int line;
};

void conf_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void conf_file_error(const struct conf_file *cf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int conf_open(struct conf_file *cf, const char *path);
int conf_read_line(struct conf_file *cf, char *buf, size_t size);
void conf_close(struct conf_file *cf);

int conf_find(const struct conf *c, const char *name);
int conf_parse_value(const char *s, long long *out);
int conf_load_options(struct conf *c, const char *path);
int conf_load_conflicts(struct conf *c, const char *path);
int conf_apply_profile(struct conf *c, const char *dir, const char *name, bool strict);
int conf_apply_override(struct conf *c, const char *arg);
int conf_check_conflicts(const struct conf *c);

int conf_write_header(const struct conf *c, const char *path);
int conf_write_mk(const struct conf *c, const char *path);
void conf_list(const struct conf *c, FILE *out);

#endif
