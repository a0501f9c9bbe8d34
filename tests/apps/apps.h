/*
 * What the programs of tests/apps share (docs/apps.md).  Each program
 * exercises one group of system calls and prints facts that are the same on
 * every run and every machine: values it derived ("elapsed >= 10 ms: yes"),
 * never addresses, times, pids or descriptors that could differ.  The host's
 * output of the same binary is the expected output of the guest's.
 *
 * A program also checks what it can on its own: each CHECK that fails
 * prints "FAIL: ..." and makes the exit status 1, so a program that goes
 * wrong in the same way on both sides still shows up.
 */
#ifndef OSPREY_TESTS_APPS_H
#define OSPREY_TESTS_APPS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int apps_status;

/* Prints "what: yes" or "what: no"; a "no" is also a failure. */
#define CHECK(what, cond)                                                                  \
	do {                                                                               \
		bool ok_ = (cond);                                                         \
		printf("%s: %s\n", (what), ok_ ? "yes" : "no");                            \
		if (!ok_) {                                                                \
			printf("FAIL: %s (%s:%d, errno %s)\n", (what), __FILE__, __LINE__, \
			       errno_name(errno));                                         \
			apps_status = 1;                                                   \
		}                                                                          \
	} while (0)

/* errno by name: the texts of strerror differ between C libraries. */
static inline const char *errno_name(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ 0, "0" },
		{ EPERM, "EPERM" },
		{ ENOENT, "ENOENT" },
		{ ESRCH, "ESRCH" },
		{ EINTR, "EINTR" },
		{ EIO, "EIO" },
		{ EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },
		{ EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" },
		{ EXDEV, "EXDEV" },
		{ ENOTDIR, "ENOTDIR" },
		{ EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" },
		{ EMFILE, "EMFILE" },
		{ ENOSPC, "ENOSPC" },
		{ ESPIPE, "ESPIPE" },
		{ EROFS, "EROFS" },
		{ EPIPE, "EPIPE" },
		{ ERANGE, "ERANGE" },
		{ ENAMETOOLONG, "ENAMETOOLONG" },
		{ ENOSYS, "ENOSYS" },
		{ ENOTEMPTY, "ENOTEMPTY" },
		{ ELOOP, "ELOOP" },
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ EOVERFLOW, "EOVERFLOW" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	return "E?";
}

/* "what: ENAME" for a call expected to fail: ret must be -1 (errno says why). */
#define EXPECT_ERRNO(what, ret, want)                                                     \
	do {                                                                              \
		long r_ = (long)(ret);                                                    \
		int e_ = r_ == -1 ? errno : 0;                                            \
		printf("%s: %s\n", (what), r_ == -1 ? errno_name(e_) : "succeeded");      \
		if (r_ != -1 || e_ != (want)) {                                           \
			printf("FAIL: %s: wanted %s (%s:%d)\n", (what), errno_name(want), \
			       __FILE__, __LINE__);                                       \
			apps_status = 1;                                                  \
		}                                                                         \
	} while (0)

#endif
