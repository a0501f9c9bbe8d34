/*
 * Files: open/read/write/lseek, pread/pwrite, readv/writev, stat/fstat/lstat,
 * directories read with opendir/readdir (sorted here), mkdir/rmdir/unlink/
 * rename, symlink/readlink, truncate/ftruncate, dup/dup2/dup3/fcntl,
 * access, getcwd/chdir, and the errors ENOENT, EEXIST, ENOTDIR, EISDIR,
 * EBADF and ENOTEMPTY by name.
 *
 * usage: files WORKDIR   (a writable, empty-enough folder: /tmp in the guest)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "apps.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (without . and ..), sorted, on one line. */
static void list(const char *dir)
{
	char *names[64];
	int n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		printf("opendir %s: %s\n", dir, errno_name(errno));
		apps_status = 1;
		return;
	}
	while ((de = readdir(d)) && n < 64)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp);
	printf("ls %s:", dir);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd)) {
		printf("FAIL: cannot write %s: %s\n", path, errno_name(errno));
		apps_status = 1;
	}
}

int main(int argc, char **argv)
{
	char buf[256], cwd[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd, fd2;

	if (argc != 2 || chdir(argv[1])) {
		printf("usage: files WORKDIR (chdir: %s)\n", errno_name(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	CHECK("mkdir f", mkdir("f", 0755) == 0);
	CHECK("chdir f", chdir("f") == 0);
	CHECK("getcwd ends with /f",
	      getcwd(cwd, sizeof(cwd)) && strlen(cwd) >= 2 && !strcmp(cwd + strlen(cwd) - 2, "/f"));

	/* open, write, lseek, read */
	fd = open("a.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK("open a.txt", fd >= 0);
	n = write(fd, "hello world\n", 12);
	printf("write: %zd\n", n);
	printf("lseek SEEK_CUR: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	printf("lseek SEEK_SET 6: %ld\n", (long)lseek(fd, 6, SEEK_SET));
	n = read(fd, buf, 5);
	printf("read 5: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
	printf("lseek SEEK_END -1: %ld\n", (long)lseek(fd, -1, SEEK_END));
	n = read(fd, buf, sizeof(buf));
	printf("read at end-1: %zd\n", n);
	n = read(fd, buf, sizeof(buf));
	printf("read at end: %zd\n", n);

	/* pread, pwrite: the offset stays */
	n = pread(fd, buf, 5, 0);
	printf("pread 0..5: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
	n = pwrite(fd, "HELLO", 5, 0);
	printf("pwrite: %zd, offset still %ld\n", n, (long)lseek(fd, 0, SEEK_CUR));
	n = pread(fd, buf, 12, 0);
	printf("after pwrite: [%.*s]\n", (int)(n > 1 ? n - 1 : 0), buf);

	/* writev, readv */
	{
		struct iovec w[3] = { { "one ", 4 }, { "two ", 4 }, { "three\n", 6 } };
		char a[5] = "", b[32] = "";
		struct iovec r[2] = { { a, 4 }, { b, sizeof(b) - 1 } };

		lseek(fd, 0, SEEK_END);
		printf("writev: %zd\n", writev(fd, w, 3));
		lseek(fd, 12, SEEK_SET);
		n = readv(fd, r, 2);
		printf("readv: %zd [%s|%.*s]\n", n, a, (int)(n > 5 ? n - 5 : 0), b);
	}

	/* fstat, stat, and the file's size */
	CHECK("fstat", fstat(fd, &st) == 0);
	printf("fstat: regular %s, size %lld, mode %o, nlink %lu\n",
	       S_ISREG(st.st_mode) ? "yes" : "no", (long long)st.st_size, st.st_mode & 07777,
	       (unsigned long)st.st_nlink);
	CHECK("stat a.txt", stat("a.txt", &st) == 0 && st.st_size == 26);
	CHECK("stat . is a directory", stat(".", &st) == 0 && S_ISDIR(st.st_mode));

	/* ftruncate, truncate: shorter, then longer with zeros */
	CHECK("ftruncate 3", ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3);
	CHECK("truncate 100",
	      truncate("a.txt", 100) == 0 && stat("a.txt", &st) == 0 && st.st_size == 100);
	memset(buf, 'x', sizeof(buf));
	n = pread(fd, buf, sizeof(buf), 0);
	printf("read after truncate: %zd bytes, [%.3s], zeros after: %s\n", n, buf,
	       n == 100 && buf[3] == 0 && buf[99] == 0 ? "yes" : "no");

	/* dup, dup2, dup3, fcntl */
	fd2 = dup(fd);
	CHECK("dup shares the offset",
	      fd2 > fd && lseek(fd, 7, SEEK_SET) == 7 && lseek(fd2, 0, SEEK_CUR) == 7);
	CHECK("dup2 to 20", dup2(fd, 20) == 20 && lseek(20, 0, SEEK_CUR) == 7);
	CHECK("dup2 to itself", dup2(fd, fd) == fd);
	CHECK("dup3 O_CLOEXEC to 21",
	      dup3(fd, 21, O_CLOEXEC) == 21 && fcntl(21, F_GETFD) == FD_CLOEXEC);
	EXPECT_ERRNO("dup3 to itself", dup3(fd, fd, 0), EINVAL);
	CHECK("no FD_CLOEXEC on dup2's", fcntl(20, F_GETFD) == 0);
	CHECK("F_SETFD FD_CLOEXEC",
	      fcntl(20, F_SETFD, FD_CLOEXEC) == 0 && fcntl(20, F_GETFD) == FD_CLOEXEC);
	CHECK("F_DUPFD 30 gives >= 30", fcntl(fd, F_DUPFD, 30) >= 30);
	CHECK("F_DUPFD_CLOEXEC", fcntl(fd, F_DUPFD_CLOEXEC, 40) >= 40);
	CHECK("F_GETFL is O_RDWR", (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR);
	CHECK("F_SETFL O_APPEND",
	      fcntl(fd, F_SETFL, O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND));
	lseek(fd, 0, SEEK_SET);
	n = write(fd, "END", 3);
	CHECK("O_APPEND writes at the end", n == 3 && fstat(fd, &st) == 0 && st.st_size == 103);
	CHECK("close dup2's", close(20) == 0 && close(21) == 0 && close(fd2) == 0);
	EXPECT_ERRNO("close closed", close(20), EBADF);
	EXPECT_ERRNO("read bad fd", read(99, buf, 1), EBADF);
	EXPECT_ERRNO("write bad fd", write(-1, buf, 1), EBADF);
	EXPECT_ERRNO("fstat bad fd", fstat(98, &st), EBADF);
	CHECK("close a.txt", close(fd) == 0);

	/* O_RDONLY refuses writes; O_EXCL refuses an existing file */
	fd = open("a.txt", O_RDONLY);
	EXPECT_ERRNO("write on O_RDONLY", write(fd, "x", 1), EBADF);
	close(fd);
	EXPECT_ERRNO("O_CREAT|O_EXCL existing", open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644),
		     EEXIST);

	/* directories */
	CHECK("mkdir d", mkdir("d", 0755) == 0);
	CHECK("mkdir d/sub", mkdir("d/sub", 0700) == 0);
	put("d/zeta", "z");
	put("d/alpha", "a");
	put("d/mid", "m");
	list("d");
	CHECK("stat d/sub mode 0700", stat("d/sub", &st) == 0 && (st.st_mode & 0777) == 0700);
	EXPECT_ERRNO("mkdir existing", mkdir("d", 0755), EEXIST);
	EXPECT_ERRNO("mkdir in missing", mkdir("nope/x", 0755), ENOENT);
	EXPECT_ERRNO("open missing", open("nope", O_RDONLY), ENOENT);
	EXPECT_ERRNO("open under a file", open("a.txt/x", O_RDONLY), ENOTDIR);
	EXPECT_ERRNO("chdir to a file", chdir("a.txt"), ENOTDIR);
	EXPECT_ERRNO("open directory for writing", open("d", O_WRONLY), EISDIR);
	EXPECT_ERRNO("unlink a directory", unlink("d"), EISDIR);
	EXPECT_ERRNO("rmdir non-empty", rmdir("d"), ENOTEMPTY);
	EXPECT_ERRNO("rmdir a file", rmdir("a.txt"), ENOTDIR);
	EXPECT_ERRNO("opendir missing", opendir("nope") ? 0 : -1, ENOENT);
	fd = open("d", O_RDONLY | O_DIRECTORY);
	CHECK("open O_DIRECTORY", fd >= 0);
	EXPECT_ERRNO("read a directory", read(fd, buf, 1), EISDIR);
	close(fd);
	EXPECT_ERRNO("O_DIRECTORY on a file", open("a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);

	/* rename */
	CHECK("rename a.txt d/moved", rename("a.txt", "d/moved") == 0);
	EXPECT_ERRNO("stat old name", stat("a.txt", &st), ENOENT);
	CHECK("stat new name", stat("d/moved", &st) == 0 && st.st_size == 103);
	put("b.txt", "bee");
	CHECK("rename over an existing file", rename("b.txt", "d/alpha") == 0);
	fd = open("d/alpha", O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	printf("d/alpha now: [%.*s]\n", (int)(n > 0 ? n : 0), buf);
	EXPECT_ERRNO("rename missing", rename("nope", "x"), ENOENT);
	list("d");

	/* symlink, readlink, lstat */
	CHECK("symlink", symlink("d/moved", "ln") == 0);
	n = readlink("ln", buf, sizeof(buf));
	printf("readlink: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
	CHECK("lstat sees a link", lstat("ln", &st) == 0 && S_ISLNK(st.st_mode));
	CHECK("stat follows it", stat("ln", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 103);
	EXPECT_ERRNO("readlink a file", readlink("d/moved", buf, sizeof(buf)), EINVAL);
	EXPECT_ERRNO("symlink over existing", symlink("x", "ln"), EEXIST);
	CHECK("dangling link", symlink("nowhere", "dangling") == 0);
	EXPECT_ERRNO("open dangling", open("dangling", O_RDONLY), ENOENT);

	/* access */
	CHECK("access d rwx", access("d", R_OK | W_OK | X_OK) == 0);
	CHECK("access d/moved F_OK", access("d/moved", F_OK) == 0);
	EXPECT_ERRNO("access missing", access("nope", F_OK), ENOENT);

	/* chdir and relative paths */
	CHECK("chdir d/sub", chdir("d/sub") == 0);
	CHECK("getcwd ends with /f/d/sub", getcwd(cwd, sizeof(cwd)) && strlen(cwd) >= 8 &&
						   !strcmp(cwd + strlen(cwd) - 8, "/f/d/sub"));
	CHECK("../moved from d/sub", stat("../moved", &st) == 0);
	CHECK("chdir ../..", chdir("../..") == 0);

	/* unlink, rmdir: leave nothing behind */
	CHECK("unlink ln", unlink("ln") == 0 && unlink("dangling") == 0);
	EXPECT_ERRNO("unlink missing", unlink("ln"), ENOENT);
	CHECK("unlink files", unlink("d/moved") == 0 && unlink("d/alpha") == 0 &&
				      unlink("d/mid") == 0 && unlink("d/zeta") == 0);
	CHECK("rmdir d/sub", rmdir("d/sub") == 0);
	list("d");
	CHECK("rmdir d", rmdir("d") == 0);
	list(".");
	CHECK("rmdir f", chdir("..") == 0 && rmdir("f") == 0);
	printf("files: done\n");
	return apps_status;
}
