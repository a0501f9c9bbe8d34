/* Basics every kernel file may use: sizes, alignment, assertions. */
#ifndef OSPREY_KERNEL_H
#define OSPREY_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <generated/config.h>

#ifndef static_assert
#define static_assert _Static_assert
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

#define __noreturn __attribute__((noreturn))
#define __unused __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))

#define EPERM 1
#define EINTR 4
#define EAGAIN 11
#define EACCES 13
#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define EROFS 30
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ETIMEDOUT 110
/*
 * A wait that a signal ended before anything moved (Linux's number).  Never
 * seen by a program: the Linux layer turns it into EINTR, or restarts the
 * call when the handler has SA_RESTART (kernel/linux/signal.c).
 */
#define ERESTARTSYS 512

void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
void warn_once_report(const char *file, int line, const char *cond);

/* Compiled in debug builds (CONFIG_DEBUG); both branches always compile. */
#define ASSERT(cond)                                                                       \
	do {                                                                               \
		if (CONFIG_DEBUG && unlikely(!(cond)))                                     \
			panic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__); \
	} while (0)

/* "Should not happen but survivable": reported once per call site. */
#define WARN_ONCE(cond)                                              \
	({                                                           \
		static bool warned_;                                 \
		bool c_ = !!(cond);                                  \
		if (unlikely(c_) && !warned_) {                      \
			warned_ = true;                              \
			warn_once_report(__FILE__, __LINE__, #cond); \
		}                                                    \
		c_;                                                  \
	})

#endif
