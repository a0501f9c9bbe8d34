/*
 * make check-fs: `osprey image` from the outside.  The broken manifests in
 * tests/fs/manifests must each give exactly their error (a cycle with its
 * whole path, a missing module with who required it, a path conflict
 * naming both modules, a syntax error with file:line); --deps prints the
 * resolved tree; the image built from modules/ reads back right through
 * the kernel's own image reader; and the kernel boots it as its root and
 * passes the file-system tests there.
 *
 * usage: check-fs OSPREY KERNEL OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../../kernel/fs/rofs_image.h"
#include "../lib/report.h"

static const char *osprey, *kernel, *outdir;

static void result(int ok, const char *name, const char *detail)
{
	char full[96];

	snprintf(full, sizeof(full), "fs.%s", name);
	report(full, ok, detail, -1, NULL, NULL);
}

/* Runs a shell command; its output (stdout and stderr) into out. */
static int run(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (!p)
		return -1;
	while (n + 1 < size) {
		size_t k = fread(out + n, 1, size - 1 - n, p);

		if (!k)
			break;
		n += k;
	}
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_error(const char *name, const char *module, const char *want)
{
	char cmd[1024], out[4096], detail[8192];
	int st;

	snprintf(cmd, sizeof(cmd), "%s image --modules tests/fs/manifests -o %s/x.img %s 2>&1",
		 osprey, outdir, module);
	st = run(cmd, out, sizeof(out));
	snprintf(detail, sizeof(detail), "exit %d, output: %s(wanted: %s)", st, out, want);
	result(st == 1 && strcmp(out, want) == 0, name, detail);
}

static uint8_t *load(const char *path, uint64_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 20);

	*size = f ? fread(buf, 1, 1 << 20, f) : 0;
	if (f)
		fclose(f);
	return buf;
}

/* Resolves an absolute path in the image, without links; -1 if absent. */
static int lookup(const struct rofs_image *img, const char *path, struct rofs_inode *ri)
{
	uint32_t ino = 0;

	if (rofs_image_inode(img, 0, ri))
		return -1;
	while (*path) {
		size_t len;

		while (*path == '/')
			path++;
		len = strcspn(path, "/");
		if (!len)
			break;
		if (rofs_image_lookup(img, ri, path, len, &ino) || rofs_image_inode(img, ino, ri))
			return -1;
		path += len;
	}
	return 0;
}

static int file_is(const struct rofs_image *img, const char *path, const char *text)
{
	struct rofs_inode ri;
	char buf[256];
	size_t done;

	if (lookup(img, path, &ri) || rofs_image_read(img, &ri, 0, buf, sizeof(buf), &done))
		return 0;
	return done == strlen(text) && memcmp(buf, text, done) == 0;
}

int main(int argc, char **argv)
{
	char cmd[2048], out[65536], img_path[1024];
	struct rofs_image img;
	struct rofs_inode ri;
	const char *why = "";
	uint64_t size;
	uint8_t *buf;
	int st;

	if (argc != 4) {
		fprintf(stderr, "usage: check-fs OSPREY KERNEL OUTDIR\n");
		return 2;
	}
	osprey = argv[1];
	kernel = argv[2];
	outdir = argv[3];

	expect_error("manifest_cycle", "cyc-top",
		     "osprey: image: dependency cycle: cyc-a -> cyc-b -> cyc-c -> cyc-a\n");
	expect_error("manifest_missing", "needs-ghost",
		     "osprey: image: module 'ghost' not found (required by 'needs-ghost'; "
		     "looked in tests/fs/manifests/ghost)\n");
	expect_error("manifest_conflict", "conflict-top",
		     "osprey: image: path conflict at /etc/motd: module 'conf-two' puts a file "
		     "there (tests/fs/manifests/conf-two/motd), module 'conf-one' put a different "
		     "file (tests/fs/manifests/conf-one/motd)\n");
	expect_error(
		"manifest_syntax", "bad-syntax",
		"osprey: image: tests/fs/manifests/bad-syntax/manifest:3: unknown key 'fiel'\n");
	expect_error("manifest_bad_mode", "bad-mode",
		     "osprey: image: tests/fs/manifests/bad-mode/manifest:2: bad mode '0999' (octal, "
		     "up to 7777)\n");
	expect_error(
		"manifest_dir_over_file", "file-then-dir",
		"osprey: image: path conflict at /etc/motd: module 'file-then-dir' needs a "
		"directory there, module 'conf-one' put a file (tests/fs/manifests/conf-one/motd)\n");
	expect_error(
		"manifest_unknown_module", "nosuch",
		"osprey: image: module 'nosuch' not found (looked in tests/fs/manifests/nosuch)\n");

	snprintf(cmd, sizeof(cmd),
		 "%s image --modules tests/fs/manifests -o %s/same.img same-top 2>&1", osprey,
		 outdir);
	st = run(cmd, out, sizeof(out));
	result(st == 0, "manifest_same_file_allowed", out);

	snprintf(cmd, sizeof(cmd), "%s image --deps hello-data 2>&1", osprey);
	st = run(cmd, out, sizeof(out));
	result(st == 0 && !strcmp(out, "hello-data 0.1\n  base 0.1\norder: base hello-data\n"),
	       "deps_tree", out);

	snprintf(img_path, sizeof(img_path), "%s/hello-data.img", outdir);
	snprintf(cmd, sizeof(cmd), "%s image -o %s hello-data 2>&1", osprey, img_path);
	st = run(cmd, out, sizeof(out));
	result(st == 0, "image_builds", out);
	buf = load(img_path, &size);
	st = rofs_image_open(&img, buf, size, &why);
	result(st == 0, "image_opens", why);
	if (st == 0) {
		result(file_is(&img, "/etc/hostname", "osprey\n"), "image_file", "/etc/hostname");
		result(file_is(&img, "/usr/share/hello/latest", "hello.txt"), "image_link",
		       "/usr/share/hello/latest");
		result(file_is(&img, "/etc/cmdline", "--verbose"), "image_cmdline", "/etc/cmdline");
		result(!lookup(&img, "/tmp", &ri) && ri.mode == (ROFS_S_IFDIR | 01777),
		       "image_modes", "/tmp is not a directory with mode 1777");
	}
	free(buf);

	/* osprey run --image NAME builds build/images/NAME.img and passes it as the initrd. */
	snprintf(cmd, sizeof(cmd), "%s run --kernel %s --image hello-data --dry-run 2>&1", osprey,
		 kernel);
	st = run(cmd, out, sizeof(out));
	result(st == 0 && strstr(out, " -initrd build/images/hello-data.img "), "run_image", out);
	snprintf(cmd, sizeof(cmd), "%s run --kernel %s --image ghost-module 2>&1", osprey, kernel);
	st = run(cmd, out, sizeof(out));
	result(st == 1 && !strcmp(out, "osprey: image ghost-module: module 'ghost-module' not "
				       "found (looked in modules/ghost-module)\n"),
	       "run_image_missing", out);
	snprintf(cmd, sizeof(cmd), "%s run --image base --initrd x 2>&1", osprey);
	st = run(cmd, out, sizeof(out));
	result(st == 2 && strstr(out, "--image and --initrd"), "run_image_and_initrd", out);

	/* The kernel mounts it as / and the file-system tests pass there. */
	snprintf(cmd, sizeof(cmd),
		 "%s run --kernel %s --initrd %s --timeout 120 -e '--test=fs_*' 2>&1", osprey,
		 kernel, img_path);
	st = run(cmd, out, sizeof(out));
	result(st == 0 && strstr(out, "PASS fs_root.image_or_ramfs") && strstr(out, "RESULT: ") &&
		       strstr(out, " passed, 0 failed"),
	       "kernel_boots_image", out);

	return report_finish();
}
