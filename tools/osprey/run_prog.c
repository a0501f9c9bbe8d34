/*
 * `osprey run [OPTIONS] PROGRAM [ARGS...]`: boot a host program.
 *
 * The tool builds an image around the program: the `base` module (or the
 * module of --image NAME) and what it requires, the program at /bin/NAME
 * (mode 0755), and each --add HOST[:PATH]; then boots it with the kernel
 * command line
 *
 *	[--env=K=V ...] [-e text] /bin/NAME ARGS...
 *
 * Arguments reach the program unchanged: each word is quoted for the
 * kernel's own splitter (kernel/core/cmdline.c: blanks separate words, '...'
 * and "..." quote, a backslash escapes outside single quotes), and the whole
 * line is then parsed by that same splitter, compiled into this tool, and
 * compared with what was meant.  Anything the kernel could not take (more
 * than CMDLINE_MAX_ARGS words, a line longer than CMDLINE_MAX - 1 bytes, an
 * application hidden in -e) is one error line, never a mangled argument.
 *
 * The image is written to build/run/NAME-HASH.img, HASH naming the inputs
 * (module, program and --add paths), so runs with other inputs never share
 * a file.  It is rebuilt on every run, which costs a few milliseconds (the
 * bytes are read and compared; docs/osprey-command.md has the figures), and
 * rewritten, atomically, only when its bytes changed.
 */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osprey/boot.h>
#include <osprey/cmdline.h>

#include "osprey_err.h"
#include "image.h"
#include "osprey.h"

/* Does the kernel's splitter need the word quoted? */
static bool needs_quotes(const char *w)
{
	if (!*w)
		return true;
	for (; *w; w++)
		if (strchr(" \t\n\r'\"\\", *w))
			return true;
	return false;
}

/*
 * One word as the kernel's splitter reads it back: bare when it can be,
 * else in single quotes, each ' inside written as '\'' (close, escaped
 * quote, reopen: one word, since no blank separates the pieces).
 */
int cmdline_quote(const char *word, char *out, size_t outlen)
{
	size_t n = 0;

#define PUT(c)                          \
	do {                            \
		if (n + 1 >= outlen)    \
			return -ENOSPC; \
		out[n++] = (c);         \
	} while (0)

	if (!needs_quotes(word)) {
		for (; *word; word++)
			PUT(*word);
		out[n] = 0;
		return 0;
	}
	PUT('\'');
	for (; *word; word++) {
		if (*word == '\'') {
			PUT('\'');
			PUT('\\');
			PUT('\'');
			PUT('\'');
		} else {
			PUT(*word);
		}
	}
	PUT('\'');
	out[n] = 0;
	return 0;
#undef PUT
}

/* Appends " word" (quoted) to the growing line. */
static int append_word(char **line, size_t *len, const char *word)
{
	size_t room = strlen(word) * 4 + 3;
	char *nl = realloc(*line, *len + room + 1);

	if (!nl)
		return -ENOMEM;
	*line = nl;
	if (*len)
		nl[(*len)++] = ' ';
	if (cmdline_quote(word, nl + *len, room))
		return -ENOSPC;
	*len += strlen(nl + *len);
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The program's path in the image: /bin/ and the host file's name. */
static void prog_image_path(const char *prog, char *out, size_t outlen)
{
	snprintf(out, outlen, "/bin/%s", base_name(prog));
}

/*
 * The kernel command line of this run, into *line (to free): the --env
 * options, the -e text (prefix, as given), and with a program, /bin/NAME
 * and its arguments quoted.  With a program the line is checked by the
 * kernel's own parser.
 */
int run_cmdline(const struct osprey_opts *o, const char *prefix, char **line, char *err,
		size_t errlen)
{
	static struct boot_options parsed; /* 1.5 KiB: not on the stack */
	char binpath[PATH_MAX], kerr[160], *copy;
	size_t len = 0;
	int ret = 0;

	*line = NULL;
	for (unsigned int i = 0; i < o->nenvs && !ret; i++) {
		char *w;

		if (asprintf(&w, "--env=%s", o->envs[i]) < 0)
			return -ENOMEM;
		ret = append_word(line, &len, w);
		free(w);
	}
	if (!ret && prefix && *prefix) {
		char *nl = realloc(*line, len + strlen(prefix) + 2);

		if (!nl) {
			ret = -ENOMEM;
		} else {
			*line = nl;
			if (len)
				nl[len++] = ' ';
			strcpy(nl + len, prefix);
			len += strlen(prefix);
		}
	}
	if (o->prog) {
		prog_image_path(o->prog, binpath, sizeof(binpath));
		if (!ret)
			ret = append_word(line, &len, binpath);
		for (int i = 0; i < o->prog_argc && !ret; i++)
			ret = append_word(line, &len, o->prog_argv[i]);
	}
	if (!ret && !*line)
		*line = strdup("");
	if (ret || !*line) {
		free(*line);
		*line = NULL;
		return ret ? ret : -ENOMEM;
	}
	if (!o->prog)
		return 0;

	/* Read it back as the kernel will. */
	if (len >= CMDLINE_MAX) {
		ret = osprey_fail(
			err, errlen,
			"the kernel command line would be %zu bytes; the kernel takes at most %d",
			len, CMDLINE_MAX - 1);
		goto out_free_line;
	}
	copy = strdup(*line);
	if (!copy) {
		ret = -ENOMEM;
		goto out_free_line;
	}
	if (cmdline_parse(copy, &parsed, kerr, sizeof(kerr))) {
		ret = osprey_fail(err, errlen, "the kernel would refuse the command line: %s",
				  kerr);
	} else if (parsed.argc < 1 || strcmp(parsed.argv[0], binpath)) {
		ret = osprey_fail(
			err, errlen,
			"-e '%s': with a program to run, -e holds only kernel options ('%s' would be taken as the program)",
			prefix ? prefix : "", parsed.argc ? parsed.argv[0] : "");
	} else if (parsed.argc != o->prog_argc + 1) {
		ret = osprey_fail(err, errlen, "the kernel would see %d arguments, not %d",
				  parsed.argc - 1, o->prog_argc);
	} else {
		for (int i = 0; i < o->prog_argc && !ret; i++)
			if (strcmp(parsed.argv[i + 1], o->prog_argv[i]))
				ret = osprey_fail(
					err, errlen,
					"argument %d ('%s') cannot be passed to the kernel", i + 1,
					o->prog_argv[i]);
	}
	free(copy);
	if (!ret)
		return 0;
out_free_line:
	free(*line);
	*line = NULL;
	return ret;
}

/*
 * "HOST[:PATH]": the last ':' separates the image path, which must be
 * absolute; without one the path is / and the host path's last name.
 */
int add_split(const char *spec, char **host, char **path, char *err, size_t errlen)
{
	const char *colon = strrchr(spec, ':');
	size_t hlen = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *name;
	char *h;

	*host = *path = NULL;
	if (!hlen)
		return osprey_fail(err, errlen, "--add %s: empty host path", spec);
	if (colon && !colon[1])
		return osprey_fail(err, errlen, "--add %s: empty image path after ':'", spec);
	if (colon && colon[1] != '/')
		return osprey_fail(
			err, errlen,
			"--add %s: image path '%s' is not absolute (the last ':' starts it)", spec,
			colon + 1);
	h = strndup(spec, hlen);
	if (!h)
		return -ENOMEM;
	if (colon) {
		*path = strdup(colon + 1);
	} else {
		/* The last name of the host path, trailing slashes aside. */
		while (hlen > 1 && h[hlen - 1] == '/')
			h[--hlen] = 0;
		name = base_name(h);
		if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
			free(h);
			return osprey_fail(
				err, errlen,
				"--add %s: no name to put it under; say where (--add %s:/PATH)",
				spec, spec);
		}
		if (asprintf(path, "/%s", name) < 0)
			*path = NULL;
	}
	if (!*path) {
		free(h);
		return -ENOMEM;
	}
	*host = h;
	return 0;
}

/* /tmp, /dev and /proc are mounted over the image in the guest (docs/files.md). */
static const char *hidden_by_mount(const char *path)
{
	static const char *const mounts[] = { "/tmp", "/dev", "/proc" };

	while (path[0] == '/' && path[1] == '/')
		path++;
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		size_t n = strlen(mounts[i]);

		if (!strncmp(path, mounts[i], n) && (path[n] == 0 || path[n] == '/'))
			return mounts[i];
	}
	return NULL;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull; /* a separator, so "ab","c" != "a","bc" */
}

static uint64_t hash_path(uint64_t h, const char *p)
{
	char real[PATH_MAX];

	return fnv1a(h, realpath(p, real) ? real : p);
}

static int mkdirs(const char *dir)
{
	char buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", dir) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = 0;
			if (mkdir(buf, 0755) && errno != EEXIST)
				return -errno;
			if (!c)
				return 0;
			*p = c;
		}
	}
}

int run_image(const struct osprey_opts *o, const char *modules_dir, const char *cache_dir,
	      char *path, size_t pathlen, int *status, char *err, size_t errlen)
{
	const char *module = o->image ? o->image : "base";
	struct image_tree *t = NULL;
	char binpath[PATH_MAX], who[PATH_MAX + 32];
	uint64_t h = 0xcbf29ce484222325ull, size;
	int ret;

	*status = 1;
	ret = image_modules_tree(modules_dir, module, &t, err, errlen);
	if (ret) {
		if (ret != -EINVAL && ret != -ELOOP)
			osprey_fail(err, errlen, "image %s: %s", module, strerror(-ret));
		return ret;
	}
	*status = OSPREY_EXIT_USAGE;
	h = fnv1a(fnv1a(h, modules_dir), module);
	h = hash_path(h, o->prog);
	prog_image_path(o->prog, binpath, sizeof(binpath));
	snprintf(who, sizeof(who), "program %s", o->prog);
	ret = image_tree_add_host(t, who, o->prog, binpath, 0755, err, errlen);
	for (unsigned int i = 0; i < o->nadds && !ret; i++) {
		char *host, *ipath;
		const char *mnt;

		ret = add_split(o->adds[i], &host, &ipath, err, errlen);
		if (ret)
			break;
		mnt = hidden_by_mount(ipath);
		if (access(host, F_OK) < 0 && !strchr(o->adds[i], ':')) {
			ret = osprey_fail(err, errlen, "--add %s: %s", host, strerror(errno));
		} else if (mnt) {
			ret = osprey_fail(
				err, errlen,
				"--add %s: %s is mounted over the image in the guest, which would hide what is put there",
				o->adds[i], mnt);
		} else {
			snprintf(who, sizeof(who), "--add %s", o->adds[i]);
			ret = image_tree_add_host(t, who, host, ipath, -1, err, errlen);
			h = fnv1a(hash_path(h, host), ipath);
		}
		free(host);
		free(ipath);
	}
	if (!ret) {
		snprintf(path, pathlen, "%s/%s-%016llx.img", cache_dir, base_name(o->prog),
			 (unsigned long long)h);
		ret = mkdirs(cache_dir);
		if (ret)
			osprey_fail(err, errlen, "cannot make %s: %s", cache_dir, strerror(-ret));
		else
			ret = image_tree_write(t, path, &size, err, errlen);
	}
	if (ret == -ENOMEM)
		osprey_fail(err, errlen, "out of memory");
	image_tree_free(t);
	return ret;
}

/*
 * What the kernel will refuse, said before the boot: not an x86-64 ELF
 * executable, or a dynamic one (PT_INTERP).  Warnings only: the kernel has
 * the last word.
 */
void prog_warn(const char *prog, FILE *out)
{
	Elf64_Ehdr eh;
	FILE *f = fopen(prog, "rb");
	bool ok = f && fread(&eh, sizeof(eh), 1, f) == 1;

	if (!ok || memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		fprintf(out,
			"osprey: warning: %s is not an x86-64 ELF executable; the kernel will refuse it\n",
			prog);
		goto out_close;
	}
	for (unsigned int i = 0; i < eh.e_phnum && i < 4096; i++) {
		Elf64_Phdr ph;
		char interp[256] = "";

		if (eh.e_phentsize != sizeof(ph) ||
		    fseek(f, (long)(eh.e_phoff + (uint64_t)i * sizeof(ph)), SEEK_SET) ||
		    fread(&ph, sizeof(ph), 1, f) != 1)
			break;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < sizeof(interp) && !fseek(f, (long)ph.p_offset, SEEK_SET) &&
		    fread(interp, 1, ph.p_filesz, f) == ph.p_filesz)
			interp[ph.p_filesz ? ph.p_filesz - 1 : 0] = 0;
		fprintf(out,
			"osprey: warning: %s is dynamically linked (interpreter %s); the kernel runs static programs only and will refuse it\n",
			prog, interp[0] ? interp : "?");
		break;
	}
out_close:
	if (f)
		fclose(f);
}

bool cmdline_runs_program(const char *line)
{
	static struct boot_options parsed; /* 1.5 KiB: not on the stack */
	char kerr[160], *copy;
	bool ret;

	if (!line || !*line)
		return false;
	copy = strdup(line);
	if (!copy)
		return true; /* when in doubt, relay */
	ret = cmdline_parse(copy, &parsed, kerr, sizeof(kerr)) == 0 && parsed.argc > 0;
	free(copy);
	return ret;
}
