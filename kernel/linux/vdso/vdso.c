/*
 * The vDSO: clock_gettime, gettimeofday, time and clock_getres for the
 * application without a system call (issue #7, docs/vdso.md).
 *
 * Built for user space as a small shared object (mk/vdso.mk) and embedded
 * in the kernel (embed.S); the Linux layer maps it into every process with
 * the data page just below it (include/osprey/vdso.h).  C libraries find it
 * through AT_SYSINFO_EHDR and look the __vdso_* names up with version
 * LINUX_2.6 (musl through DT_HASH, glibc through DT_GNU_HASH).
 *
 * Rules for this file: position-independent code with no relocation to
 * process (the kernel maps the image as it is, read-only), no writable
 * data, no library calls.  The data page is reached RIP-relative through
 * the hidden symbol vdso_vvar (vdso.lds); the time arithmetic is the
 * kernel's own (vdso_read() and vdso_clock_at() in <osprey/vdso.h>).
 * Whatever the vDSO cannot answer from the data page -- another clock, a
 * TSC the kernel says not to use, a wall clock not read yet -- it passes
 * to the real system call, and returns what the kernel returns (0 or a
 * negative errno, as Linux's vDSO does).
 */
#include <osprey/vdso.h>

/* The Linux x86-64 user ABI's types. */
struct vdso_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct vdso_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct vdso_timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228
#define SYS_clock_getres 229
#define SYS_getcpu 309

/* The data page; the linker script puts it VDSO_DATA_OFFSET below the image. */
extern const struct vdso_data vdso_vvar __attribute__((visibility("hidden")));

#define EXPORT __attribute__((visibility("default")))

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The note Linux's vDSO carries: name "Linux", type 0, the kernel version.
 * glibc's dynamic loader (before 2.36) reads the version from it instead
 * of calling uname, to refuse a kernel that is too old.
 */
__asm__(".pushsection .note.Linux, \"a\", @note\n"
	".balign 4\n"
	".long 6, 4, 0\n" /* namesz ("Linux" and its NUL), descsz, type */
	".asciz \"Linux\"\n"
	".balign 4\n"
	".long " STR(VDSO_LINUX_VERSION) "\n"
					 ".popsection\n");

static long syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * The time of `clock` from the data page: true, or false when the system
 * call must answer instead.
 */
static bool clock_now(int clock, int64_t *sec, int64_t *nsec)
{
	struct vdso_snapshot s;

	if (!vdso_clock_served(clock))
		return false;
	vdso_read(&vdso_vvar, &s);
	if (!(s.flags & VDSO_TSC_USABLE))
		return false;
	if (vdso_clock_is_realtime(clock) && !(s.flags & VDSO_REALTIME_SET))
		return false;
	vdso_clock_at(&s, clock, sec, nsec);
	return true;
}

EXPORT int __vdso_clock_gettime(int clock, struct vdso_timespec *ts);
EXPORT int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz);
EXPORT int64_t __vdso_time(int64_t *t);
EXPORT int __vdso_clock_getres(int clock, struct vdso_timespec *res);
EXPORT int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache);

int __vdso_clock_gettime(int clock, struct vdso_timespec *ts)
{
	int64_t sec, nsec;

	if (!clock_now(clock, &sec, &nsec))
		return (int)syscall3(SYS_clock_gettime, clock, (long)ts, 0);
	ts->tv_sec = sec;
	ts->tv_nsec = nsec;
	return 0;
}

int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
{
	int64_t sec, nsec;

	if (tv) {
		if (!clock_now(VDSO_CLOCK_REALTIME, &sec, &nsec))
			return (int)syscall3(SYS_gettimeofday, (long)tv, (long)tz, 0);
		tv->tv_sec = sec;
		tv->tv_usec = nsec / 1000;
	}
	if (tz) {
		/* The kernel keeps no time zone (Linux's default sys_tz is zero too). */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	int64_t sec, nsec;

	if (!clock_now(VDSO_CLOCK_REALTIME, &sec, &nsec))
		return syscall3(SYS_time, (long)t, 0, 0);
	if (t)
		*t = sec;
	return sec;
}

int __vdso_clock_getres(int clock, struct vdso_timespec *res)
{
	struct vdso_snapshot s;

	if (!vdso_clock_served(clock))
		return (int)syscall3(SYS_clock_getres, clock, (long)res, 0);
	if (res) {
		vdso_read(&vdso_vvar, &s);
		res->tv_sec = 0;
		res->tv_nsec = vdso_clock_is_coarse(clock) ? (int64_t)s.coarse_res : 1;
	}
	return 0;
}

/*
 * The kernel does not publish the CPU number to user space (no TSC_AUX,
 * no per-CPU segment), so getcpu is the system call for now.
 */
int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	return (int)syscall3(SYS_getcpu, (long)cpu, (long)node, (long)cache);
}

/* The plain names, as Linux's vDSO has them (weak: the C library's own win). */
EXPORT int clock_gettime(int clock, struct vdso_timespec *ts)
	__attribute__((weak, alias("__vdso_clock_gettime")));
EXPORT int gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
	__attribute__((weak, alias("__vdso_gettimeofday")));
EXPORT int64_t time(int64_t *t) __attribute__((weak, alias("__vdso_time")));
EXPORT int clock_getres(int clock, struct vdso_timespec *res)
	__attribute__((weak, alias("__vdso_clock_getres")));
EXPORT int getcpu(unsigned *cpu, unsigned *node, void *cache)
	__attribute__((weak, alias("__vdso_getcpu")));
