/*
 * The vDSO and the clocks of the Linux ABI (issue #7, docs/vdso.md).
 *
 * Every process gets two mappings, side by side, that the Linux layer makes:
 *
 *	image - 4096:  the data page   vdso_data_page(), read-only, user, no exec
 *	image:         the vDSO image  vdso_image(), read + exec, user;
 *	               AT_SYSINFO_EHDR is this address
 *
 * The vDSO reaches the data page at a fixed offset below its own first
 * byte (VDSO_DATA_OFFSET), so the two must be mapped in that order and
 * nothing else may come between them.
 *
 * The data page is written by the kernel only, under a sequence counter:
 * `seq` is odd while a write is in progress; a reader takes a snapshot and
 * retries when the counter was odd or changed.  Both halves live in this
 * header, side by side: the reader (vdso_read()) so that the vDSO and the
 * kernel's own system calls (time_clock_get()) run the same code on the
 * same data, and cannot drift apart; the writer (vdso_write()) so that its
 * pairing can be read beside it.  Memory order:
 *
 *	writer (vdso_write())               reader (vdso_read())
 *	  seq = s + 1        relaxed          s1 = seq            acquire  (a)
 *	  fence              release  (b)     fields              relaxed
 *	  fields             relaxed          fence               acquire  (b)
 *	  seq = s + 2        release  (a)     s2 = seq            relaxed
 *
 * (a) pairs the reader's first load with the writer's last store: a reader
 * that sees s + 2 sees every field of that write.  (b) pairs the two
 * fences: a reader that read any field of a write in progress also sees the
 * odd counter, or a later one, in s2, and retries.
 *
 * This header is also compiled into the vDSO (user space, no kernel
 * headers): the data-page half uses only <stdint.h>/<stdbool.h> types and
 * static inline functions.
 */
#ifndef OSPREY_VDSO_H
#define OSPREY_VDSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux clock ids (include/uapi/linux/time.h), as the system calls receive them. */
#define VDSO_CLOCK_REALTIME 0
#define VDSO_CLOCK_MONOTONIC 1
#define VDSO_CLOCK_PROCESS_CPUTIME_ID 2
#define VDSO_CLOCK_THREAD_CPUTIME_ID 3
#define VDSO_CLOCK_MONOTONIC_RAW 4
#define VDSO_CLOCK_REALTIME_COARSE 5
#define VDSO_CLOCK_MONOTONIC_COARSE 6
#define VDSO_CLOCK_BOOTTIME 7

/* Where the data page lies, relative to the image's first byte. */
#define VDSO_DATA_OFFSET (-4096)
#define VDSO_DATA_SIZE 4096
/* The version that LINUX_2.6-aware C libraries look the symbols up with. */
#define VDSO_VERSION_NAME "LINUX_2.6"
#define VDSO_SONAME "linux-vdso.so.1"
/* The Linux version the vDSO's "Linux" note states (6.1.0, KERNEL_VERSION's encoding). */
#define VDSO_LINUX_VERSION 0x060100

/* vdso_data.flags */
#define VDSO_TSC_USABLE (1u << 0)   /* rdtsc in user space gives the kernel's clock */
#define VDSO_REALTIME_SET (1u << 1) /* realtime_offset holds the wall clock */

#define VDSO_NSEC_PER_SEC 1000000000ll

/*
 * The data page.  The kernel writes it (under `seq`, above); everyone else
 * reads it through vdso_read().  Fields other than seq are [s]: written
 * under the sequence counter, read with relaxed atomic loads.
 */
struct vdso_data {
	uint32_t seq;		 /* [a] odd while the kernel writes */
	uint32_t flags;		 /* [s] VDSO_* */
	uint64_t tsc0;		 /* [s] the TSC at monotonic time 0 (the kernel's start) */
	uint64_t mult;		 /* [s] 32.32 fixed point: ns = (tsc - tsc0) * mult >> 32 */
	int64_t realtime_offset; /* [s] ns: CLOCK_REALTIME = CLOCK_MONOTONIC + this */
	uint64_t coarse_res;	 /* [s] ns: the coarse clocks' resolution (never 0) */
};

/* A consistent copy of the data page, and the TSC read inside the same section. */
struct vdso_snapshot {
	uint64_t tsc;
	uint64_t tsc0;
	uint64_t mult;
	int64_t realtime_offset;
	uint64_t coarse_res;
	uint32_t flags;
};

/*
 * lfence orders the TSC read after the loads before it (the counter's
 * first load), so the TSC belongs to the snapshot, and a time read after a
 * store another thread saw is not read early (Linux's rdtsc_ordered()).
 */
static inline uint64_t vdso_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Takes a snapshot of the data page; waits out a kernel write in progress. */
static inline void vdso_read(const struct vdso_data *d, struct vdso_snapshot *s)
{
	for (;;) {
		/* acquire: pairs with the writer's closing release store (a) */
		uint32_t s1 = __atomic_load_n(&d->seq, __ATOMIC_ACQUIRE);

		if (s1 & 1) {
			__asm__ volatile("pause" ::: "memory");
			continue;
		}
		s->flags = __atomic_load_n(&d->flags, __ATOMIC_RELAXED);
		s->tsc0 = __atomic_load_n(&d->tsc0, __ATOMIC_RELAXED);
		s->mult = __atomic_load_n(&d->mult, __ATOMIC_RELAXED);
		s->realtime_offset = __atomic_load_n(&d->realtime_offset, __ATOMIC_RELAXED);
		s->coarse_res = __atomic_load_n(&d->coarse_res, __ATOMIC_RELAXED);
		s->tsc = vdso_rdtsc();
		/* acquire fence: pairs with the writer's release fence (b) */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&d->seq, __ATOMIC_RELAXED) == s1)
			return;
	}
}

/*
 * The writer's half: copies v's fields (not its seq) into the page.  The
 * kernel's only writer (kernel/linux/vdso.c) calls it under its lock, with
 * interrupts off; one writer at a time.
 */
static inline void vdso_write(struct vdso_data *d, const struct vdso_data *v)
{
	uint32_t seq = __atomic_load_n(&d->seq, __ATOMIC_RELAXED); /* only writers change it */

	__atomic_store_n(&d->seq, seq + 1, __ATOMIC_RELAXED);
	/* release fence: pairs with vdso_read()'s acquire fence (b) */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&d->flags, v->flags, __ATOMIC_RELAXED);
	__atomic_store_n(&d->tsc0, v->tsc0, __ATOMIC_RELAXED);
	__atomic_store_n(&d->mult, v->mult, __ATOMIC_RELAXED);
	__atomic_store_n(&d->realtime_offset, v->realtime_offset, __ATOMIC_RELAXED);
	__atomic_store_n(&d->coarse_res, v->coarse_res, __ATOMIC_RELAXED);
	/* release: pairs with vdso_read()'s first, acquire, load (a) */
	__atomic_store_n(&d->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Monotonic nanoseconds at the snapshot's TSC: the formula of clock_ns(). */
static inline uint64_t vdso_monotonic_ns(const struct vdso_snapshot *s)
{
	return (uint64_t)(((unsigned __int128)(s->tsc - s->tsc0) * s->mult) >> 32);
}

/* The clocks the vDSO serves itself; all others go to the system call. */
static inline bool vdso_clock_served(int clock)
{
	switch (clock) {
	case VDSO_CLOCK_REALTIME:
	case VDSO_CLOCK_MONOTONIC:
	case VDSO_CLOCK_MONOTONIC_RAW:
	case VDSO_CLOCK_REALTIME_COARSE:
	case VDSO_CLOCK_MONOTONIC_COARSE:
	case VDSO_CLOCK_BOOTTIME:
		return true;
	default:
		return false;
	}
}

static inline bool vdso_clock_is_realtime(int clock)
{
	return clock == VDSO_CLOCK_REALTIME || clock == VDSO_CLOCK_REALTIME_COARSE;
}

static inline bool vdso_clock_is_coarse(int clock)
{
	return clock == VDSO_CLOCK_REALTIME_COARSE || clock == VDSO_CLOCK_MONOTONIC_COARSE;
}

/* Floor division, so that a time before 1970 still has 0 <= nsec < 1e9. */
static inline int64_t vdso_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b < 0) ? q - 1 : q;
}

/*
 * The time of a served clock (vdso_clock_served()) at the snapshot.
 * MONOTONIC_RAW and BOOTTIME equal MONOTONIC: there is no clock slewing and
 * no suspend.  The coarse clocks are the precise ones rounded down to a
 * multiple of coarse_res.
 */
static inline void vdso_clock_at(const struct vdso_snapshot *s, int clock, int64_t *sec,
				 int64_t *nsec)
{
	int64_t ns = (int64_t)vdso_monotonic_ns(s);
	int64_t res = s->coarse_res ? (int64_t)s->coarse_res : 1;

	if (vdso_clock_is_realtime(clock))
		ns += s->realtime_offset;
	if (vdso_clock_is_coarse(clock))
		ns = vdso_floor_div(ns, res) * res;
	*sec = vdso_floor_div(ns, VDSO_NSEC_PER_SEC);
	*nsec = ns - *sec * VDSO_NSEC_PER_SEC;
}

/* ---- The kernel's side (kernel/linux/vdso.c); not for the vDSO itself. ---- */

/* The image: page-aligned bytes, and its length (a multiple of 4096). */
const void *vdso_image(size_t *len);
/*
 * The data page: one page-aligned page of kernel memory, to be mapped
 * read-only (user, no exec) into every process at image address - 4096.
 * Filled on first use.
 */
void *vdso_data_page(void);
/* Offset within the image of an exported function (version LINUX_2.6), or -ENOENT. */
int vdso_symbol(const char *name, uint64_t *offset);
/*
 * Fills the data page from the kernel clock.  Callable at any time; the
 * other functions here call it on first use, so boot need not.
 */
void vdso_update(void);

/*
 * The clock_gettime/gettimeofday/clock_getres system calls for the vDSO's
 * clocks (vdso_clock_served()): 0, or -EINVAL for another clock.  Same
 * arithmetic as the vDSO, on the same data page.  The CPU-time clocks
 * belong to the process, not to the data page: the Linux layer answers
 * them (kernel/linux/sys_time.c).  The first call for a realtime clock
 * reads the wall clock (the CMOS RTC).
 */
int time_clock_get(int clock, int64_t *sec, int64_t *nsec);
int time_clock_getres(int clock, int64_t *sec, int64_t *nsec);
/*
 * Sets the wall clock (settimeofday, clock_settime(CLOCK_REALTIME)): 0, or
 * -EINVAL unless 0 <= nsec < 1e9 and 0 <= sec <= VDSO_REALTIME_MAX_SEC.
 */
int time_set_realtime(int64_t sec, int64_t nsec);
/* The latest settable wall clock: nanoseconds must fit in 63 bits, with room for uptime. */
#define VDSO_REALTIME_MAX_SEC 8000000000ll /* year 2223 */

#endif
