/*
 * The built vDSO, run on the host (make check-vdso):
 *
 *	vdso-host-check VDSO_SO
 *
 * First the host's glibc loads the file (dlopen) and looks every exported
 * name up with version LINUX_2.6 (dlvsym), as a dynamically linked program
 * would.  Then the image is mapped as the Linux layer maps it -- a data
 * page, then the image read+exec right above it -- and its functions are
 * called in user space: the arithmetic, the coarse clocks, the fallbacks
 * to the real system call (the host's: unknown clock, TSC not usable,
 * wall clock not set) and the sequence counter against a writer thread.
 *
 * The data page gets mult = 1 << 32, so that a clock's nanoseconds are TSC
 * ticks and can be checked exactly against rdtsc before and after.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include <osprey/vdso.h>

#include "../lib/report.h"

static const char *const names[] = {
	"__vdso_clock_gettime", "clock_gettime", "__vdso_gettimeofday", "gettimeofday",
	"__vdso_time",		"time",		 "__vdso_clock_getres", "clock_getres",
	"__vdso_getcpu",	"getcpu",
};

typedef int clock_gettime_fn(int, struct timespec *);
typedef int gettimeofday_fn(struct timeval *, struct timezone *);
typedef long time_fn(long *);
typedef int getcpu_fn(unsigned *, unsigned *, void *);

static struct vdso_data *page;
static clock_gettime_fn *cgt, *getres;
static gettimeofday_fn *gtod;
static time_fn *vtime;
static getcpu_fn *vgetcpu;

static char msg[512];

static uint64_t rdtsc(void)
{
	return vdso_rdtsc();
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void set_page(uint32_t flags, uint64_t tsc0, int64_t offset)
{
	struct vdso_data v = { .flags = flags,
			       .tsc0 = tsc0,
			       .mult = 1ull << 32,
			       .realtime_offset = offset,
			       .coarse_res = 4000000 };

	vdso_write(page, &v);
}

/* glibc's own lookup finds every name with LINUX_2.6, and none with another version. */
static void check_glibc_lookup(const char *path, uint64_t offsets[])
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	Dl_info info;
	bool ok = h != NULL;

	snprintf(msg, sizeof(msg), "dlopen: %s", h ? "" : dlerror());
	for (unsigned i = 0; ok && i < sizeof(names) / sizeof(names[0]); i++) {
		void *p = dlvsym(h, names[i], "LINUX_2.6");

		if (!p || dlvsym(h, names[i], "LINUX_2.5") || !dladdr(p, &info)) {
			snprintf(msg, sizeof(msg), "%s: dlvsym LINUX_2.6 %p", names[i], p);
			ok = false;
			break;
		}
		offsets[i] = (uint64_t)((char *)p - (char *)info.dli_fbase);
	}
	report("vdso-host.glibc_finds_every_name_with_LINUX_2.6", ok, msg, -1, NULL, NULL);
	for (unsigned i = 0; ok && i < sizeof(names) / sizeof(names[0]); i += 2)
		ok = offsets[i] == offsets[i + 1];
	report("vdso-host.plain_names_are_aliases", ok, NULL, -1, NULL, NULL);
}

/* The data page, then the image, as the Linux layer maps them. */
static bool map_image(const char *path, const uint64_t offsets[])
{
	static uint8_t buf[8192];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	uint8_t *m = mmap(NULL, 4096 + sizeof(buf), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (f)
		fclose(f);
	if (!n || m == MAP_FAILED)
		return false;
	memcpy(m + 4096, buf, n);
	if (mprotect(m + 4096, sizeof(buf), PROT_READ | PROT_EXEC))
		return false;
	page = (struct vdso_data *)m;
	cgt = (clock_gettime_fn *)(m + 4096 + offsets[0]);
	gtod = (gettimeofday_fn *)(m + 4096 + offsets[2]);
	vtime = (time_fn *)(m + 4096 + offsets[4]);
	getres = (clock_gettime_fn *)(m + 4096 + offsets[6]);
	vgetcpu = (getcpu_fn *)(m + 4096 + offsets[8]);
	return true;
}

static void check_clocks(void)
{
	struct timespec ts;
	const int64_t off = 1700000000000000000ll;
	bool ok = true;

	set_page(VDSO_TSC_USABLE | VDSO_REALTIME_SET, 1000, off);
	for (int i = 0; ok && i < 100000; i++) {
		uint64_t a = rdtsc();
		int r = cgt(VDSO_CLOCK_MONOTONIC, &ts);
		uint64_t b = rdtsc();

		ok = r == 0 && ts_ns(&ts) >= (int64_t)(a - 1000) &&
		     ts_ns(&ts) <= (int64_t)(b - 1000);
		snprintf(msg, sizeof(msg), "r=%d mono=%lld tsc %llu..%llu", r,
			 (long long)ts_ns(&ts), (unsigned long long)a, (unsigned long long)b);
	}
	report("vdso-host.monotonic_is_the_tsc_formula", ok, msg, -1, NULL, NULL);

	uint64_t a = rdtsc();
	int r = cgt(VDSO_CLOCK_REALTIME, &ts);
	uint64_t b = rdtsc();
	int64_t real = ts_ns(&ts) - off;

	ok = r == 0 && real >= (int64_t)(a - 1000) && real <= (int64_t)(b - 1000);
	report("vdso-host.realtime_is_monotonic_plus_offset", ok, NULL, -1, NULL, NULL);

	ok = cgt(VDSO_CLOCK_MONOTONIC_COARSE, &ts) == 0 && ts.tv_nsec % 4000000 == 0 &&
	     cgt(VDSO_CLOCK_REALTIME_COARSE, &ts) == 0 && ts.tv_nsec % 4000000 == 0 &&
	     getres(VDSO_CLOCK_REALTIME_COARSE, &ts) == 0 && ts.tv_sec == 0 &&
	     ts.tv_nsec == 4000000 && getres(VDSO_CLOCK_BOOTTIME, &ts) == 0 && ts.tv_nsec == 1 &&
	     getres(VDSO_CLOCK_MONOTONIC, NULL) == 0;
	report("vdso-host.coarse_clocks_and_resolutions", ok, NULL, -1, NULL, NULL);

	struct timeval tv;
	struct timezone tz = { 99, 99 };
	struct timespec before, after;
	long t1 = 0, t2;

	cgt(VDSO_CLOCK_REALTIME, &before);
	ok = gtod(&tv, &tz) == 0 && tz.tz_minuteswest == 0 && tz.tz_dsttime == 0;
	t2 = vtime(&t1);
	cgt(VDSO_CLOCK_REALTIME, &after);
	ok = ok && tv.tv_sec >= before.tv_sec && tv.tv_sec <= after.tv_sec && t1 == t2 &&
	     t2 >= before.tv_sec && t2 <= after.tv_sec && gtod(NULL, NULL) == 0;
	ok = ok && (tv.tv_sec > before.tv_sec || tv.tv_usec >= before.tv_nsec / 1000);
	report("vdso-host.gettimeofday_and_time", ok, NULL, -1, NULL, NULL);
}

/* What the vDSO cannot answer goes to the (host's) system call. */
static void check_fallbacks(void)
{
	struct timespec ts;
	long now = (long)time(NULL);
	unsigned cpu = ~0u;
	bool ok;

	set_page(VDSO_TSC_USABLE | VDSO_REALTIME_SET, 0, 0);
	ok = cgt(-1, &ts) == -22 && cgt(1000, &ts) == -22 && getres(1000, &ts) == -22;
	report("vdso-host.unknown_clock_gets_the_syscall_einval", ok, NULL, -1, NULL, NULL);

	ok = cgt(VDSO_CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 && ts.tv_sec < 1000 &&
	     getres(VDSO_CLOCK_THREAD_CPUTIME_ID, &ts) == 0;
	report("vdso-host.cpu_time_clocks_use_the_syscall", ok, NULL, -1, NULL, NULL);

	set_page(VDSO_TSC_USABLE, 0, 0);
	ok = cgt(VDSO_CLOCK_REALTIME, &ts) == 0 && ts.tv_sec >= now && ts.tv_sec <= now + 2 &&
	     vtime(NULL) >= now && cgt(VDSO_CLOCK_MONOTONIC, &ts) == 0 && ts.tv_sec < 1000000;
	report("vdso-host.unset_wall_clock_uses_the_syscall", ok, NULL, -1, NULL, NULL);

	set_page(VDSO_REALTIME_SET, 0, 0);
	struct timespec host;

	ok = cgt(VDSO_CLOCK_MONOTONIC, &ts) == 0;
	clock_gettime(CLOCK_MONOTONIC, &host);
	ok = ok && ts.tv_sec >= host.tv_sec - 2 && ts.tv_sec <= host.tv_sec;
	report("vdso-host.unusable_tsc_uses_the_syscall", ok, NULL, -1, NULL, NULL);

	ok = vgetcpu(&cpu, NULL, NULL) == 0 && cpu < 4096;
	report("vdso-host.getcpu_is_the_syscall", ok, NULL, -1, NULL, NULL);
}

/*
 * Every state the writer publishes has realtime == the TSC (tsc0 and the
 * offset move together), so a reader that mixed two states' fields would
 * see a realtime outside its rdtsc bracket.
 */
static volatile int stop;

static void *writer(void *arg)
{
	uint64_t *writes = arg;

	for (uint64_t k = 1; !stop; k++) {
		set_page(VDSO_TSC_USABLE | VDSO_REALTIME_SET, k << 20, (int64_t)(k << 20));
		*writes = k;
	}
	return NULL;
}

static void check_seqcount(void)
{
	pthread_t th;
	uint64_t writes = 0;
	long torn = 0;
	struct timespec ts;

	set_page(VDSO_TSC_USABLE | VDSO_REALTIME_SET, 0, 0);
	if (pthread_create(&th, NULL, writer, &writes)) {
		report("vdso-host.seqcount_against_a_writer", false, "pthread_create", -1, NULL,
		       NULL);
		return;
	}
	for (int i = 0; i < 2000000; i++) {
		uint64_t a = rdtsc();

		cgt(VDSO_CLOCK_REALTIME, &ts);
		uint64_t b = rdtsc();

		torn += ts_ns(&ts) < (int64_t)a || ts_ns(&ts) > (int64_t)b;
	}
	stop = 1;
	pthread_join(th, NULL);
	snprintf(msg, sizeof(msg), "%ld torn reads, %llu writes", torn, (unsigned long long)writes);
	report("vdso-host.seqcount_against_a_writer", torn == 0 && writes > 0, msg, -1, NULL, NULL);
}

int main(int argc, char **argv)
{
	uint64_t offsets[sizeof(names) / sizeof(names[0])] = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: %s VDSO_SO\n", argv[0]);
		return 2;
	}
	check_glibc_lookup(argv[1], offsets);
	if (!offsets[0] || !map_image(argv[1], offsets)) {
		report("vdso-host.map_the_image", false, "cannot map it", -1, NULL, NULL);
		return report_finish();
	}
	check_clocks();
	check_fallbacks();
	check_seqcount();
	return report_finish();
}
