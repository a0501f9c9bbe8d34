/*
 * mkcpio: write a Linux initramfs (cpio "newc" format, uncompressed) that
 * runs one static program as /init.
 *
 *   mkcpio [-o OUT] INIT [DEST=SRC]...
 *
 * The archive holds /dev, /dev/console (c 5 1), /dev/null (c 1 3), INIT as
 * /init (mode 0755), and each extra host file SRC at the absolute path DEST
 * with SRC's permission bits.  Missing parent directories of DEST are
 * created (mode 0755).  Device nodes are only records in the archive, so no
 * privilege is needed.  Owners are root and times are 0, so the same inputs
 * give the same bytes.  Without -o the archive goes to standard output.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_DIR 0040000u
#define S_REG 0100000u
#define S_CHR 0020000u

static const char *prog = "mkcpio";
static FILE *out;
static uint32_t next_ino = 1;
static unsigned long long written;

/* Directories already in the archive, so each is written once. */
static char **dirs;
static size_t ndirs;

static int put(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, out) != n) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		return -1;
	}
	written += n;
	return 0;
}

static int pad4(void)
{
	static const char zero[4];
	return put(zero, (4 - written % 4) % 4);
}

/* One record: header, name (without the leading '/'), data. */
static int record(const char *name, uint32_t mode, uint32_t rmaj, uint32_t rmin,
		  const unsigned char *data, uint32_t size)
{
	while (*name == '/')
		name++;
	size_t namesz = strlen(name) + 1;
	char hdr[6 + 13 * 8 + 1];
	int isdir = (mode & 0170000u) == S_DIR;
	snprintf(hdr, sizeof hdr, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 strcmp(name, "TRAILER!!!") ? next_ino++ : 0, mode, 0u, 0u, isdir ? 2u : 1u, 0u,
		 size, 0u, 0u, rmaj, rmin, (uint32_t)namesz, 0u);
	if (put(hdr, 6 + 13 * 8) || put(name, namesz) || pad4() || put(data, size) || pad4())
		return -1;
	return 0;
}

static int add_dir(const char *path)
{
	for (size_t i = 0; i < ndirs; i++)
		if (strcmp(dirs[i], path) == 0)
			return 0;
	char **more = realloc(dirs, (ndirs + 1) * sizeof *dirs);
	if (!more || !(more[ndirs] = strdup(path))) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return -1;
	}
	dirs = more;
	ndirs++;
	return record(path, S_DIR | 0755, 0, 0, NULL, 0);
}

/* Every proper parent of PATH ("/a/b/c" -> "/a", "/a/b"). */
static int add_parents(const char *path)
{
	char buf[4096];
	if (strlen(path) >= sizeof buf) {
		fprintf(stderr, "%s: path too long: %s\n", prog, path);
		return -1;
	}
	strcpy(buf, path);
	for (char *p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (add_dir(buf))
			return -1;
		*p = '/';
	}
	return 0;
}

static int add_file(const char *dest, const char *src, int force_exec)
{
	if (dest[0] != '/' || strstr(dest, "//") || dest[strlen(dest) - 1] == '/') {
		fprintf(stderr, "%s: destination must be an absolute file path: '%s'\n", prog,
			dest);
		return -1;
	}
	FILE *f = fopen(src, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, src, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > 0x7fffffff) {
		fprintf(stderr, "%s: %s: not a regular file below 2 GiB\n", prog, src);
		fclose(f);
		return -1;
	}
	uint32_t size = (uint32_t)st.st_size;
	unsigned char *data = malloc(size ? size : 1);
	if (!data || fread(data, 1, size, f) != size) {
		fprintf(stderr, "%s: %s: %s\n", prog, src, data ? "short read" : "out of memory");
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	uint32_t perm = (uint32_t)st.st_mode & 07777u;
	if (force_exec)
		perm = 0755;
	int rc = add_parents(dest);
	if (!rc)
		rc = record(dest, S_REG | perm, 0, 0, data, size);
	free(data);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [-o OUT] INIT [DEST=SRC]...\n", prog);
	exit(64);
}

int main(int argc, char **argv)
{
	const char *outpath = NULL;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
		outpath = argv[i + 1];
		i += 2;
	}
	if (i >= argc || argv[i][0] == '-')
		usage();
	const char *init = argv[i++];

	char *tmp = NULL;
	if (outpath) {
		size_t n = strlen(outpath) + 5;
		tmp = malloc(n);
		if (!tmp)
			return 1;
		snprintf(tmp, n, "%s.tmp", outpath);
		out = fopen(tmp, "wb");
		if (!out) {
			fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(errno));
			return 1;
		}
	} else {
		out = stdout;
	}

	int rc = add_dir("/dev") || record("/dev/console", S_CHR | 0600, 5, 1, NULL, 0) ||
		 record("/dev/null", S_CHR | 0666, 1, 3, NULL, 0) || add_file("/init", init, 1);
	for (; !rc && i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			usage();
		*eq = '\0';
		rc = add_file(argv[i], eq + 1, 0);
	}
	if (!rc)
		rc = record("TRAILER!!!", 0, 0, 0, NULL, 0);
	if (fflush(out) != 0 || ferror(out))
		rc = -1;
	if (outpath) {
		if (fclose(out) != 0)
			rc = -1;
		if (!rc && rename(tmp, outpath) != 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, outpath, strerror(errno));
			rc = -1;
		}
		if (rc)
			remove(tmp);
		free(tmp);
	}
	for (size_t k = 0; k < ndirs; k++)
		free(dirs[k]);
	free(dirs);
	return rc ? 1 : 0;
}
