/*
 * Readers for conf/options, conf/conflicts and the profiles.
 *
 * All three are line based: blank lines and lines whose first non-blank
 * character is '#' are ignored; fields are separated by blanks (spaces or
 * tabs); the last field (help, reason) runs to the end of the line.
 *
 *   options:    NAME TYPE DEFAULT HELP...      TYPE is bool, int or int:MIN..MAX
 *   conflicts:  NAME=SPEC NAME=SPEC REASON...  SPEC is V or LO..HI
 *   profile:    NAME=VALUE [# comment]
 *
 * Values are decimal integers that fit in 32 bits.  A line longer than
 * CONF_LINE_MAX, a control character or a malformed field stops the tool with
 * "conf: FILE:LINE: ...".
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mkconfig.h"

void conf_error(const char *fmt, ...)
{
	va_list ap;

	fputs("conf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void conf_file_error(const struct conf_file *cf, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "conf: %s:%d: ", cf->path, cf->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int conf_open(struct conf_file *cf, const char *path)
{
	cf->path = path;
	cf->line = 0;
	cf->f = fopen(path, "r");
	if (!cf->f) {
		int err = errno;

		conf_error("%s: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

void conf_close(struct conf_file *cf)
{
	fclose(cf->f);
	cf->f = NULL;
}

/*
 * Reads one line into buf (size > CONF_LINE_MAX), without its newline and
 * trailing blanks.  Returns 1 for a line, 0 at the end of the file, or a
 * negative errno after printing why.
 */
int conf_read_line(struct conf_file *cf, char *buf, size_t size)
{
	size_t n = 0;
	int ch;

	if (size <= CONF_LINE_MAX)
		return -EINVAL;
	ch = getc(cf->f);
	if (ch == EOF)
		return ferror(cf->f) ? -EIO : 0;
	cf->line++;
	for (; ch != EOF && ch != '\n'; ch = getc(cf->f)) {
		if (n == CONF_LINE_MAX) {
			conf_file_error(cf, "line longer than %d characters", CONF_LINE_MAX);
			return -EINVAL;
		}
		if (ch == '\r') {
			conf_file_error(cf, "carriage return (DOS line ending?)");
			return -EINVAL;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			conf_file_error(cf, "control character 0x%02x", ch);
			return -EINVAL;
		}
		buf[n++] = (char)ch;
	}
	if (ferror(cf->f)) {
		conf_file_error(cf, "read error");
		return -EIO;
	}
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return 1;
}

static char *skip_blanks(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Cuts the next blank-separated field out of *p; NULL when none is left. */
static char *next_field(char **p)
{
	char *start = skip_blanks(*p), *end = start;

	if (!*start)
		return NULL;
	while (*end && *end != ' ' && *end != '\t')
		end++;
	if (*end)
		*end++ = '\0';
	*p = end;
	return start;
}

static bool is_comment_or_blank(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '\0' || *line == '#';
}

static bool valid_name(const char *s)
{
	size_t n = 0;

	if (!isupper((unsigned char)s[0]))
		return false;
	for (; s[n]; n++)
		if (!isupper((unsigned char)s[n]) && !isdigit((unsigned char)s[n]) && s[n] != '_')
			return false;
	return n <= CONF_NAME_MAX;
}

/* A decimal integer that fits in 32 bits: [-]DIGITS, nothing else. */
int conf_parse_value(const char *s, long long *out)
{
	const char *p = s;
	long long v;

	if (*p == '-')
		p++;
	if (!*p)
		return -EINVAL;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
	errno = 0;
	v = strtoll(s, NULL, 10);
	if (errno || v < INT32_MIN || v > INT32_MAX)
		return -ERANGE;
	*out = v;
	return 0;
}

/* "LO..HI" or a single value. */
static int parse_range(char *s, long long *lo, long long *hi)
{
	char *dots = strstr(s, "..");
	int err;

	if (!dots) {
		err = conf_parse_value(s, lo);
		*hi = *lo;
		return err;
	}
	*dots = '\0';
	err = conf_parse_value(s, lo);
	if (!err)
		err = conf_parse_value(dots + 2, hi);
	*dots = '.';
	if (!err && *lo > *hi)
		err = -EINVAL;
	return err;
}

int conf_find(const struct conf *c, const char *name)
{
	for (int i = 0; i < c->nopt; i++)
		if (!strcmp(c->opt[i].name, name))
			return i;
	return -1;
}

static int parse_type(struct conf_file *cf, char *type, struct conf_option *o)
{
	if (!strcmp(type, "bool")) {
		o->type = CONF_BOOL;
		o->min = 0;
		o->max = 1;
		return 0;
	}
	if (!strcmp(type, "int")) {
		o->type = CONF_INT;
		o->min = INT32_MIN;
		o->max = INT32_MAX;
		return 0;
	}
	if (!strncmp(type, "int:", 4) && strstr(type + 4, "..") &&
	    !parse_range(type + 4, &o->min, &o->max)) {
		o->type = CONF_INT;
		return 0;
	}
	conf_file_error(cf, "%s: bad type '%s' (bool, int or int:MIN..MAX)", o->name, type);
	return -EINVAL;
}

static int parse_option(struct conf *c, struct conf_file *cf, char *line)
{
	struct conf_option *o = &c->opt[c->nopt];
	char *name = next_field(&line);
	char *type = next_field(&line);
	char *def = next_field(&line);
	char *help = skip_blanks(line);
	int dup;

	if (!name || !type || !def || !*help) {
		conf_file_error(cf, "expected NAME TYPE DEFAULT HELP");
		return -EINVAL;
	}
	if (!valid_name(name)) {
		conf_file_error(cf, "bad option name '%s' (A-Z, 0-9, _; at most %d characters)",
				name, CONF_NAME_MAX);
		return -EINVAL;
	}
	dup = conf_find(c, name);
	if (dup >= 0) {
		conf_file_error(cf, "%s declared again (first at line %d)", name, c->opt[dup].line);
		return -EINVAL;
	}
	if (c->nopt == CONF_MAX_OPTIONS) {
		conf_file_error(cf, "more than %d options", CONF_MAX_OPTIONS);
		return -E2BIG;
	}
	memset(o, 0, sizeof(*o));
	strcpy(o->name, name);
	o->line = cf->line;
	if (parse_type(cf, type, o))
		return -EINVAL;
	if (conf_parse_value(def, &o->def) || o->def < o->min || o->def > o->max) {
		conf_file_error(cf, "%s: default '%s' is not in %lld..%lld", name, def, o->min,
				o->max);
		return -EINVAL;
	}
	if (strstr(help, "*/")) {
		conf_file_error(cf, "%s: help must not contain '*/' (it goes into a C comment)",
				name);
		return -EINVAL;
	}
	strcpy(o->help, help);
	o->value = o->def;
	o->from = "default";
	c->nopt++;
	return 0;
}

/* Hands each line that is not blank or a comment to fn; stops at the first error; closes cf. */
static int parse_lines(struct conf *c, struct conf_file *cf, char *line, size_t size,
		       int (*fn)(struct conf *, struct conf_file *, char *))
{
	int err;

	while ((err = conf_read_line(cf, line, size)) > 0) {
		if (is_comment_or_blank(line))
			continue;
		err = fn(c, cf, line);
		if (err)
			break;
	}
	conf_close(cf);
	return err;
}

int conf_load_options(struct conf *c, const char *path)
{
	char line[CONF_LINE_MAX + 1];
	struct conf_file cf;
	int err;

	c->options_path = path;
	c->nopt = 0;
	err = conf_open(&cf, path);
	if (err)
		return err;
	err = parse_lines(c, &cf, line, sizeof(line), parse_option);
	if (!err && c->nopt == 0) {
		conf_error("%s: declares no options", path);
		err = -EINVAL;
	}
	return err;
}

static int parse_setting(const struct conf *c, struct conf_file *cf, char *s,
			 struct conf_setting *set)
{
	char *eq = strchr(s, '=');
	const struct conf_option *o;

	if (!eq) {
		conf_file_error(cf, "expected NAME=VALUE or NAME=LO..HI, not '%s'", s);
		return -EINVAL;
	}
	*eq = '\0';
	set->opt = conf_find(c, s);
	if (set->opt < 0) {
		conf_file_error(cf, "unknown option '%s'", s);
		return -EINVAL;
	}
	o = &c->opt[set->opt];
	if (parse_range(eq + 1, &set->lo, &set->hi)) {
		conf_file_error(cf, "%s: bad value '%s' (V or LO..HI)", s, eq + 1);
		return -EINVAL;
	}
	if (set->lo < o->min || set->hi > o->max) {
		conf_file_error(cf, "%s=%s is outside the option's range %lld..%lld", s, eq + 1,
				o->min, o->max);
		return -EINVAL;
	}
	return 0;
}

static int parse_conflict(struct conf *c, struct conf_file *cf, char *line)
{
	struct conf_conflict *k = &c->conflict[c->nconflict];
	char *a = next_field(&line);
	char *b = next_field(&line);
	char *reason = skip_blanks(line);

	if (!a || !b || !*reason) {
		conf_file_error(cf, "expected NAME=VALUE NAME=VALUE REASON");
		return -EINVAL;
	}
	if (c->nconflict == CONF_MAX_CONFLICTS) {
		conf_file_error(cf, "more than %d conflicts", CONF_MAX_CONFLICTS);
		return -E2BIG;
	}
	if (parse_setting(c, cf, a, &k->a) || parse_setting(c, cf, b, &k->b))
		return -EINVAL;
	if (k->a.opt == k->b.opt) {
		conf_file_error(cf, "a conflict names two different options");
		return -EINVAL;
	}
	strcpy(k->reason, reason);
	k->line = cf->line;
	c->nconflict++;
	return 0;
}

int conf_load_conflicts(struct conf *c, const char *path)
{
	char line[CONF_LINE_MAX + 1];
	struct conf_file cf;
	int err;

	c->conflicts_path = path;
	c->nconflict = 0;
	err = conf_open(&cf, path);
	if (err)
		return err;
	err = parse_lines(c, &cf, line, sizeof(line), parse_conflict);
	return err;
}

static bool valid_profile_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!islower((unsigned char)s[n]) && !isdigit((unsigned char)s[n]) && s[n] != '-' &&
		    s[n] != '_')
			return false;
	return n > 0 && n <= CONF_PROFILE_MAX;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "conf: unknown profile 'x' (known: debug minimal release)" */
static void unknown_profile(const char *dir, const char *name)
{
	char *names[64];
	char known[1024] = "";
	size_t n = 0, used = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && n < 64 && (e = readdir(d)))
		if (valid_profile_name(e->d_name))
			names[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (names[i] && used + strlen(names[i]) + 2 < sizeof(known))
			used += (size_t)sprintf(known + used, "%s%s", used ? " " : "", names[i]);
		free(names[i]);
	}
	conf_error("unknown profile '%s' (known: %s)", name, n ? known : "none");
}

/* where: what to blame in a message ("conf_DEBUG=2", "conf/profiles/x:3"). */
static int check_value(const struct conf_option *o, const char *text, long long *v,
		       const char *where)
{
	int err = conf_parse_value(text, v);

	if (o->type == CONF_BOOL && (err || *v < 0 || *v > 1)) {
		conf_error("%s: bad value '%s' for bool option %s (0 or 1)", where, text, o->name);
		return -EINVAL;
	}
	if (err == -EINVAL) {
		conf_error("%s: bad value '%s' for %s (a decimal integer)", where, text, o->name);
		return -EINVAL;
	}
	if (err || *v < o->min || *v > o->max) {
		conf_error("%s: %s=%s is out of range %lld..%lld", where, o->name, text, o->min,
			   o->max);
		return -ERANGE;
	}
	return 0;
}

static int parse_profile_line(struct conf *c, struct conf_file *cf, char *line, bool strict,
			      bool *seen)
{
	char where[4200];
	char *set = next_field(&line);
	char *rest = skip_blanks(line);
	struct conf_option *o;
	char *eq = strchr(set, '=');
	long long v;
	int i;

	if (*rest && *rest != '#') {
		conf_file_error(cf, "one NAME=VALUE per line, then only a # comment");
		return -EINVAL;
	}
	if (!eq) {
		conf_file_error(cf, "expected NAME=VALUE, not '%s'", set);
		return -EINVAL;
	}
	*eq = '\0';
	i = conf_find(c, set);
	if (i < 0) {
		conf_file_error(cf, "unknown option '%s'", set);
		return -EINVAL;
	}
	if (seen[i]) {
		conf_file_error(cf, "%s set twice", set);
		return -EINVAL;
	}
	seen[i] = true;
	o = &c->opt[i];
	snprintf(where, sizeof(where), "%s:%d", cf->path, cf->line);
	if (check_value(o, eq + 1, &v, where))
		return -EINVAL;
	if (strict && v == o->def) {
		conf_file_error(cf, "%s=%lld is the default; a profile sets only what differs",
				o->name, v);
		return -EINVAL;
	}
	o->value = v;
	o->from = c->profile_from;
	return 0;
}

/*
 * Applies conf/profiles/NAME.  With strict, a line that restates a default
 * is an error (the profile tests use it; a build does not).
 */
int conf_apply_profile(struct conf *c, const char *dir, const char *name, bool strict)
{
	bool seen[CONF_MAX_OPTIONS] = { false };
	char line[CONF_LINE_MAX + 1];
	struct conf_file cf;
	int err;

	if (!valid_profile_name(name)) {
		conf_error("bad profile name '%s' (a-z, 0-9, '-', '_'; at most %d characters)",
			   name, CONF_PROFILE_MAX);
		return -EINVAL;
	}
	if ((size_t)snprintf(c->profile_path, sizeof(c->profile_path), "%s/%s", dir, name) >=
	    sizeof(c->profile_path)) {
		conf_error("profile directory name too long");
		return -ENAMETOOLONG;
	}
	cf.f = fopen(c->profile_path, "r");
	if (!cf.f && errno == ENOENT) {
		unknown_profile(dir, name);
		return -ENOENT;
	}
	if (!cf.f) {
		err = errno;
		conf_error("%s: %s", c->profile_path, strerror(err));
		return -err;
	}
	cf.path = c->profile_path;
	cf.line = 0;
	strcpy(c->profile, name);
	snprintf(c->profile_from, sizeof(c->profile_from), "profile %s", name);
	while ((err = conf_read_line(&cf, line, sizeof(line))) > 0) {
		if (is_comment_or_blank(line))
			continue;
		err = parse_profile_line(c, &cf, line, strict, seen);
		if (err)
			break;
	}
	conf_close(&cf);
	return err;
}

/* Suggests the real name for "debug" or "CONFIG_DEBUG". */
static void unknown_option(const struct conf *c, const char *arg, const char *name)
{
	const char *guess = NULL;

	if (!strncasecmp(name, "CONFIG_", 7))
		name += 7;
	for (int i = 0; i < c->nopt && !guess; i++)
		if (!strcasecmp(c->opt[i].name, name))
			guess = c->opt[i].name;
	if (guess)
		conf_error("%s: unknown option; did you mean conf_%s?", arg, guess);
	else
		conf_error("%s: unknown option '%s' ('make options' lists them)", arg, name);
}

/* arg is "conf_NAME=VALUE", exactly as the user typed it to make. */
int conf_apply_override(struct conf *c, const char *arg)
{
	char name[CONF_NAME_MAX + 2];
	const char *eq = strchr(arg, '=');
	size_t len;
	long long v;
	int i;

	if (strncmp(arg, "conf_", 5) || !eq) {
		conf_error("%s: expected conf_NAME=VALUE", arg);
		return -EINVAL;
	}
	len = (size_t)(eq - arg - 5);
	if (len == 0 || len > CONF_NAME_MAX) {
		conf_error("%.*s: unknown option", (int)(eq - arg), arg);
		return -EINVAL;
	}
	memcpy(name, arg + 5, len);
	name[len] = '\0';
	i = conf_find(c, name);
	if (i < 0) {
		unknown_option(c, arg, name);
		return -EINVAL;
	}
	if (check_value(&c->opt[i], eq + 1, &v, arg))
		return -EINVAL;
	c->opt[i].value = v;
	c->opt[i].from = "command line";
	return 0;
}

static bool matches(const struct conf *c, const struct conf_setting *s)
{
	long long v = c->opt[s->opt].value;

	return v >= s->lo && v <= s->hi;
}

/*
 * Prints one line per conflicting pair in the current values, naming both
 * options, the reason and where each value came from.  Returns how many.
 */
int conf_check_conflicts(const struct conf *c)
{
	int found = 0;

	for (int i = 0; i < c->nconflict; i++) {
		const struct conf_conflict *k = &c->conflict[i];
		const struct conf_option *a = &c->opt[k->a.opt], *b = &c->opt[k->b.opt];

		if (!matches(c, &k->a) || !matches(c, &k->b))
			continue;
		conf_error("%s=%lld conflicts with %s=%lld: %s (%s:%d; %s from %s, %s from %s)",
			   a->name, a->value, b->name, b->value, k->reason, c->conflicts_path,
			   k->line, a->name, a->from, b->name, b->from);
		found++;
	}
	return found;
}
