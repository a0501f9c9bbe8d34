/*
 * System call dispatch: the table made from syscalls.def, the -ENOSYS
 * counter, and --strace, which prints each call in strace's format:
 *
 *	openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3
 *	read(3, "127.0.0.1 localhost\n", 4096) = 20
 *	open("/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
 *
 * The argument kinds come from syscalls.def; strings and buffers are read
 * from the application with the checked copy, and an unreadable one shows
 * as its address, as strace does.
 */
#include <string.h>

#include <osprey/format.h>
#include <osprey/log.h>

#include "internal.h"

typedef long (*syscall_fn)(long, long, long, long, long, long);

struct syscall_entry {
	const char *name;
	const char *args;
	syscall_fn fn;
};

#define SC_DONE(nr, name, args) [nr] = { #name, args, (syscall_fn)sys_##name },
#define SC_PARTIAL SC_DONE
#define SC_NONE(nr, name, args) [nr] = { #name, args, NULL },
#define SC(nr, name, args, status, note) SC_##status(nr, name, args)
static const struct syscall_entry table[] = {
#include "syscalls.def"
};
#undef SC

bool linux_strace;
uint64_t linux_enosys_count;

static const struct {
	int err;
	const char *name, *text;
} errnames[] = {
	{ 1, "EPERM", "Operation not permitted" },
	{ 2, "ENOENT", "No such file or directory" },
	{ 3, "ESRCH", "No such process" },
	{ 4, "EINTR", "Interrupted system call" },
	{ 5, "EIO", "Input/output error" },
	{ 7, "E2BIG", "Argument list too long" },
	{ 8, "ENOEXEC", "Exec format error" },
	{ 9, "EBADF", "Bad file descriptor" },
	{ 10, "ECHILD", "No child processes" },
	{ 11, "EAGAIN", "Resource temporarily unavailable" },
	{ 12, "ENOMEM", "Cannot allocate memory" },
	{ 13, "EACCES", "Permission denied" },
	{ 14, "EFAULT", "Bad address" },
	{ 16, "EBUSY", "Device or resource busy" },
	{ 17, "EEXIST", "File exists" },
	{ 18, "EXDEV", "Invalid cross-device link" },
	{ 19, "ENODEV", "No such device" },
	{ 20, "ENOTDIR", "Not a directory" },
	{ 21, "EISDIR", "Is a directory" },
	{ 22, "EINVAL", "Invalid argument" },
	{ 23, "ENFILE", "Too many open files in system" },
	{ 24, "EMFILE", "Too many open files" },
	{ 25, "ENOTTY", "Inappropriate ioctl for device" },
	{ 27, "EFBIG", "File too large" },
	{ 28, "ENOSPC", "No space left on device" },
	{ 29, "ESPIPE", "Illegal seek" },
	{ 30, "EROFS", "Read-only file system" },
	{ 31, "EMLINK", "Too many links" },
	{ 32, "EPIPE", "Broken pipe" },
	{ 34, "ERANGE", "Numerical result out of range" },
	{ 36, "ENAMETOOLONG", "File name too long" },
	{ 38, "ENOSYS", "Function not implemented" },
	{ 39, "ENOTEMPTY", "Directory not empty" },
	{ 40, "ELOOP", "Too many levels of symbolic links" },
	{ 75, "EOVERFLOW", "Value too large for defined data type" },
	{ 95, "EOPNOTSUPP", "Operation not supported" },
	{ 110, "ETIMEDOUT", "Connection timed out" },
	/* Restart codes, shown as strace does ("= ? ERESTARTSYS (...)"); see signal.c. */
	{ 512, "ERESTARTSYS", "To be restarted if SA_RESTART is set" },
	{ 513, "ERESTARTNOINTR", "To be restarted" },
	{ 514, "ERESTARTNOHAND", "To be restarted if no handler" },
	{ 516, "ERESTART_RESTARTBLOCK", "Interrupted by signal" },
};

int copy_from_user(void *dst, uintptr_t src, size_t n)
{
	if (!user_range_ok(src, n))
		return -EFAULT;
	return arch_copy_user(dst, (const void *)src, n) ? -EFAULT : 0;
}

int copy_to_user(uintptr_t dst, const void *src, size_t n)
{
	if (!user_range_ok(dst, n))
		return -EFAULT;
	return arch_copy_user((void *)dst, src, n) ? -EFAULT : 0;
}

int strncpy_from_user(char *dst, uintptr_t src, size_t size)
{
	long n;

	if (!size)
		return -ENAMETOOLONG;
	/* The string may end anywhere below the top; the copy stops at a fault. */
	if (!user_range_ok(src, 1))
		return -EFAULT;
	n = arch_strncpy_user(dst, (const char *)src, MIN(size, USER_CANONICAL_END - src));
	return n < 0 ? (int)n : 0;
}

/* Prints up to 32 bytes of application memory as strace does: "text\n"... */
static void show_buf(uintptr_t p, long len)
{
	char buf[32];
	size_t n = len < 0 ? 0 : MIN((size_t)len, sizeof(buf));

	if (copy_from_user(buf, p, n)) {
		kprintf("0x%lx", (unsigned long)p);
		return;
	}
	kprintf("\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			kprintf("\\n");
		else if (c == '\t')
			kprintf("\\t");
		else if (c == '"' || c == '\\')
			kprintf("\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			kprintf("%c", c);
		else
			kprintf("\\%o", c);
	}
	kprintf("\"%s", (size_t)len > n ? "..." : "");
}

static void show_iov(uintptr_t p, long n)
{
	struct vfs_iovec iov;

	kprintf("[");
	for (long i = 0; i < n && i < 4; i++) {
		if (copy_from_user(&iov, p + (uintptr_t)i * sizeof(iov), sizeof(iov))) {
			kprintf("%s0x%lx", i ? ", " : "", (unsigned long)p);
			break;
		}
		kprintf("%s{iov_base=", i ? ", " : "");
		show_buf((uintptr_t)iov.base, (long)iov.len);
		kprintf(", iov_len=%lu}", (unsigned long)iov.len);
	}
	kprintf("%s]", n > 4 ? ", ..." : "");
}

static void show_open_flags(long f)
{
	static const struct {
		long bit;
		const char *name;
	} bits[] = {
		{ O_CREAT, "O_CREAT" },		{ O_EXCL, "O_EXCL" },
		{ O_NOCTTY, "O_NOCTTY" },	{ O_TRUNC, "O_TRUNC" },
		{ O_APPEND, "O_APPEND" },	{ O_NONBLOCK, "O_NONBLOCK" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_CLOEXEC, "O_CLOEXEC" },
	};
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	kprintf("%s", acc[f & O_ACCMODE]);
	f &= ~(long)O_ACCMODE;
	for (unsigned i = 0; i < ARRAY_SIZE(bits); i++) {
		if (f & bits[i].bit) {
			kprintf("|%s", bits[i].name);
			f &= ~bits[i].bit;
		}
	}
	if (f)
		kprintf("|0x%lx", (unsigned long)f);
}

static void show_arg(char kind, long v, long next, long ret, bool done)
{
	char s[64];

	switch (kind) {
	case 'i':
		kprintf("%d", (int)v);
		break;
	case 'u':
		kprintf("%lu", (unsigned long)v);
		break;
	case 'f':
		if ((int)v == VFS_AT_FDCWD)
			kprintf("AT_FDCWD");
		else
			kprintf("%d", (int)v);
		break;
	case 'p':
		if (v)
			kprintf("0x%lx", (unsigned long)v);
		else
			kprintf("NULL");
		break;
	case 's':
		if (strncpy_from_user(s, (uintptr_t)v, sizeof(s)) == 0)
			kprintf("\"%s\"", s);
		else
			kprintf("0x%lx", (unsigned long)v);
		break;
	case 'w':
		show_buf((uintptr_t)v, next);
		break;
	case 'r':
		if (done && ret >= 0)
			show_buf((uintptr_t)v, ret);
		else
			kprintf("0x%lx", (unsigned long)v);
		break;
	case 'v': /* an iovec array; its length is the next argument */
		show_iov((uintptr_t)v, next);
		break;
	case 'o':
		show_open_flags(v);
		break;
	case 'm':
		kprintf("0%lo", (unsigned long)v);
		break;
	default:
		kprintf("0x%lx", (unsigned long)v);
		break;
	}
}

static void show_call(uint64_t nr, const long *a, long ret, bool done)
{
	const struct syscall_entry *e = nr < ARRAY_SIZE(table) ? &table[nr] : NULL;
	const char *args = e && e->name ? e->args : "xxx";

	if (e && e->name)
		kprintf("%s(", e->name);
	else
		kprintf("syscall_%lu(", (unsigned long)nr);
	for (int i = 0; args[i] && i < 6; i++) {
		if (i)
			kprintf(", ");
		show_arg(args[i], a[i], i < 5 ? a[i + 1] : 0, ret, done);
	}
	if (!done) {
		kprintf(") = ?\n");
		return;
	}
	if (nr == 9 || nr == 12 || nr == 25) { /* mmap, brk, mremap answer addresses */
		if (ret >= 0 || ret < -4095) {
			kprintf(") = 0x%lx\n", (unsigned long)ret);
			return;
		}
	} else if (ret >= 0 || ret < -4095) {
		kprintf(") = %ld\n", ret);
		return;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(errnames); i++) {
		if (errnames[i].err == -ret) {
			kprintf(") = %s %s (%s)\n", -ret >= ERESTARTSYS ? "?" : "-1",
				errnames[i].name, errnames[i].text);
			return;
		}
	}
	kprintf(") = -1 E%ld\n", -ret);
}

void linux_syscall(struct trap_frame *tf)
{
	uint64_t nr = tf->rax;
	long a[6] = { (long)tf->rdi, (long)tf->rsi, (long)tf->rdx,
		      (long)tf->r10, (long)tf->r8,  (long)tf->r9 };
	long ret;

	if (unlikely(linux_strace) && (nr == 60 || nr == 231)) {
		show_call(nr, a, 0, false); /* exit and exit_group do not return: "= ?" */
	}
	lthread_current()->syscall_nr = nr;
	if (nr < ARRAY_SIZE(table) && table[nr].fn) {
		ret = table[nr].fn(a[0], a[1], a[2], a[3], a[4], a[5]);
	} else {
		__atomic_fetch_add(&linux_enosys_count, 1, __ATOMIC_RELAXED);
		ret = -ENOSYS;
	}
	/* rt_sigreturn restored every register itself: rax included. */
	if (tf->vector != VEC_SYSCALL)
		return;
	tf->rax = (uint64_t)ret;
	if (unlikely(linux_strace))
		show_call(nr, a, ret, true);
}
