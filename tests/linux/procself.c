/*
 * tests/linux/procself.c: /proc/self from a program's side (issue #5).
 * Built static with musl and with glibc; runs on Osprey and on a Linux
 * host alike, where it must pass too.  Prints one PASS or FAIL line per
 * check and exits 0 only when all pass.
 *
 * Usage: procself [ARGS...]   (argv[0] must name the program by a path
 * without symlinks, as `osprey run` does: /bin/procself-musl)
 *
 * On Osprey:
 *   build/host/osprey run --kernel build/release/osprey.elf \
 *	build/host/linux/procself-musl one "two words"
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int failed;

static void check(int ok, const char *name)
{
	printf("%s %s\n", ok ? "PASS" : "FAIL", name);
	failed += !ok;
}

/* The whole file (NUL-terminated too), or NULL; *len without the NUL. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1); /* small reads on purpose: offsets must work */
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static int readlink_str(const char *path, char *buf, size_t size)
{
	ssize_t n = readlink(path, buf, size - 1);

	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* A line of maps: range, rights, and what it names (empty when anonymous). */
struct map_line {
	unsigned long start, end, off;
	char perms[5];
	char name[PATH_MAX];
	int name_col; /* where the name starts; -1 without one */
};

static int parse_map(const char *line, struct map_line *m)
{
	unsigned maj, min;
	unsigned long ino;
	int n = 0;

	m->name[0] = 0;
	m->name_col = -1;
	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu%n", &m->start, &m->end, m->perms, &m->off, &maj,
		   &min, &ino, &n) < 7)
		return -1;
	while (line[n] == ' ')
		n++;
	if (line[n] && line[n] != '\n') {
		size_t k = strcspn(line + n, "\n");

		m->name_col = n;
		memcpy(m->name, line + n, k < sizeof(m->name) ? k : sizeof(m->name) - 1);
		m->name[k < sizeof(m->name) ? k : sizeof(m->name) - 1] = 0;
	}
	return 0;
}

/* The maps line whose range holds addr, or -1; fills *m. */
static int find_map(const char *maps, unsigned long addr, struct map_line *m)
{
	for (const char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!parse_map(l, m) && m->start <= addr && addr < m->end)
			return 0;
	return -1;
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, line, n) && (l[n] == '\n' || !l[n]))
			return 1;
	return 0;
}

/* /proc/self/stat's utime + stime: the fields after the command's closing parenthesis. */
static long stat_cpu_ticks(void)
{
	char *st = slurp("/proc/self/stat", NULL), *p = st ? strrchr(st, ')') : NULL;
	long v[13] = { 0 };
	int n = 0;

	/* ") S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime" */
	for (p = p ? p + 2 : NULL; p && *p && n < 13; n++) {
		v[n] = atol(p);
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	free(st);
	return n == 13 ? v[11] + v[12] : -1;
}

static const char *field(const char *status, const char *name)
{
	static char value[256];
	size_t n = strlen(name);

	for (const char *l = status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ':' && l[n + 1] == '\t') {
			size_t k = strcspn(l + n + 2, "\n");

			k = k < sizeof(value) - 1 ? k : sizeof(value) - 1;
			memcpy(value, l + n + 2, k);
			value[k] = 0;
			return value;
		}
	return "";
}

static char exe[2 * PATH_MAX];

static void test_self_and_exe(const char *argv0)
{
	char buf[PATH_MAX], want[32];

	snprintf(want, sizeof(want), "%d", (int)getpid());
	check(!readlink_str("/proc/self", buf, sizeof(buf)) && !strcmp(buf, want),
	      "self_links_to_pid");
	if (argv0[0] == '/') {
		snprintf(exe, sizeof(exe), "%s", argv0);
	} else if (getcwd(buf, sizeof(buf))) {
		snprintf(exe, sizeof(exe), "%s/%s", strcmp(buf, "/") ? buf : "", argv0);
	}
	check(!readlink_str("/proc/self/exe", buf, sizeof(buf)) && !strcmp(buf, exe),
	      "exe_is_argv0_absolute");
	snprintf(want, sizeof(want), "/proc/%d/exe", (int)getpid());
	check(!readlink_str(want, buf, sizeof(buf)) && !strcmp(buf, exe), "pid_exe_same");
	struct stat a, b;

	check(!stat("/proc/self/exe", &a) && !stat(exe, &b) && a.st_ino == b.st_ino &&
		      a.st_dev == b.st_dev,
	      "exe_follows_to_the_program");
	char cwd[PATH_MAX];

	check(getcwd(cwd, sizeof(cwd)) && !readlink_str("/proc/self/cwd", buf, sizeof(buf)) &&
		      !strcmp(buf, cwd),
	      "cwd_link");
}

static void test_maps(void)
{
	char *maps = slurp("/proc/self/maps", NULL);
	struct map_line m;
	int local = 0, stack_ok = 0, vdso_ok = 0;
	unsigned long vdso = getauxval(AT_SYSINFO_EHDR);

	check(maps != NULL, "maps_readable");
	if (!maps)
		return;
	stack_ok = !find_map(maps, (unsigned long)&local, &m) && !strcmp(m.name, "[stack]") &&
		   !strcmp(m.perms, "rw-p");
	check(stack_ok, "maps_stack_holds_a_local");
	check(!find_map(maps, (unsigned long)(uintptr_t)&test_maps, &m) &&
		      !strcmp(m.perms, "r-xp") && !strcmp(m.name, exe),
	      "maps_code_r-xp_named_by_the_program");
	/* Linux pads the name to column 73 (fs/proc/task_mmu.c) */
	check(m.name_col == 73, "maps_name_column");
	vdso_ok = !vdso || (!find_map(maps, vdso, &m) && m.start == vdso &&
			    !strcmp(m.name, "[vdso]") && !strcmp(m.perms, "r-xp"));
	check(vdso_ok, "maps_vdso_at_AT_SYSINFO_EHDR");
	check(!find_map(maps, (unsigned long)(uintptr_t)&exe, &m) && !strcmp(m.perms, "rw-p"),
	      "maps_data_rw-p");
	free(maps);

	/* The break, moved by hand: musl's malloc does not use it. */
	unsigned long brk0 = (unsigned long)syscall(SYS_brk, 0);

	if ((unsigned long)syscall(SYS_brk, brk0 + 8192) == brk0 + 8192) {
		maps = slurp("/proc/self/maps", NULL);
		check(maps && !find_map(maps, brk0 + 4096, &m) && !strcmp(m.name, "[heap]") &&
			      !strcmp(m.perms, "rw-p"),
		      "maps_heap");
		free(maps);
		syscall(SYS_brk, brk0);
	} else {
		check(0, "maps_heap (brk failed)");
	}

	/* An area that comes and goes. */
	size_t len = 5 * 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check(p != MAP_FAILED, "mmap");
	maps = slurp("/proc/self/maps", NULL);
	check(maps && !find_map(maps, (unsigned long)p, &m) && !strcmp(m.perms, "r-xp") &&
		      m.start <= (unsigned long)p && (unsigned long)p + len <= m.end &&
		      m.name[0] == 0,
	      "maps_shows_mmap_r-xp");
	free(maps);
	/* mprotect of the middle page splits the area in three, and maps says so */
	check(mprotect(p + 2 * 4096, 4096, PROT_READ) == 0, "mprotect");
	maps = slurp("/proc/self/maps", NULL);
	struct map_line lo, mid, hi;

	check(maps && !find_map(maps, (unsigned long)p, &lo) &&
		      !find_map(maps, (unsigned long)p + 2 * 4096, &mid) &&
		      !find_map(maps, (unsigned long)p + 4 * 4096, &hi) &&
		      !strcmp(lo.perms, "r-xp") && !strcmp(mid.perms, "r--p") &&
		      !strcmp(hi.perms, "r-xp") && mid.start == (unsigned long)p + 2 * 4096 &&
		      mid.end == (unsigned long)p + 3 * 4096 && lo.end == mid.start &&
		      hi.start == mid.end,
	      "maps_shows_mprotect_split");
	free(maps);
	munmap(p, len);
	maps = slurp("/proc/self/maps", NULL);
	/* malloc may reuse the addresses, but not with these rights */
	check(maps && (find_map(maps, (unsigned long)p, &m) || strcmp(m.perms, "r-xp")) &&
		      (find_map(maps, (unsigned long)p + len - 1, &m) || strcmp(m.perms, "r-xp")),
	      "maps_forgets_munmap");
	free(maps);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started, stop;

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	started = 1;
	pthread_cond_broadcast(&cv);
	while (!stop)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_status(const char *argv0)
{
	char *st = slurp("/proc/self/status", NULL), want[64], comm[16];
	const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
	pthread_t t;

	snprintf(comm, sizeof(comm), "%s", base);
	check(st != NULL, "status_readable");
	if (!st)
		return;
	snprintf(want, sizeof(want), "Pid:\t%d", (int)getpid());
	check(has_line(st, want), "status_pid");
	snprintf(want, sizeof(want), "Tgid:\t%d", (int)getpid());
	check(has_line(st, want), "status_tgid");
	check(!strcmp(field(st, "Name"), comm), "status_name");
	check(!strcmp(field(st, "State"), "R (running)"), "status_state");
	check(has_line(st, "Uid:\t0\t0\t0\t0") || strchr(field(st, "Uid"), '\t'), "status_uid");
	check(!strcmp(field(st, "Threads"), "1"), "status_threads_1");
	check(strstr(field(st, "VmRSS"), " kB") && atol(field(st, "VmRSS")) > 0, "status_vmrss");
	check(strlen(field(st, "SigBlk")) == 16 && field(st, "Cpus_allowed_list")[0],
	      "status_masks");
	free(st);

	snprintf(want, sizeof(want), "%s\n", comm);
	st = slurp("/proc/self/comm", NULL);
	check(st && !strcmp(st, want), "comm");
	free(st);
	st = slurp("/proc/self/stat", NULL);
	snprintf(want, sizeof(want), "%d (%s) R ", (int)getpid(), comm);
	check(st && !strncmp(st, want, strlen(want)), "stat_head");
	free(st);
	/* utime + stime (fields 14 and 15, in ticks of 10 ms) grow while the process spins. */
	long ticks0 = stat_cpu_ticks();
	struct timespec s0, s1;

	clock_gettime(CLOCK_MONOTONIC, &s0);
	do
		clock_gettime(CLOCK_MONOTONIC, &s1);
	while ((s1.tv_sec - s0.tv_sec) * 1000 + (s1.tv_nsec - s0.tv_nsec) / 1000000 < 100);
	long ticks1 = stat_cpu_ticks();

	check(ticks0 >= 0 && ticks1 - ticks0 >= 2, "stat_utime_grows");

	check(count_dir("/proc/self/task") == 1, "task_1");
	if (pthread_create(&t, NULL, sleeper, NULL)) {
		check(0, "pthread_create");
		return;
	}
	pthread_mutex_lock(&mu);
	while (!started)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	st = slurp("/proc/self/status", NULL);
	check(st && !strcmp(field(st, "Threads"), "2"), "status_threads_2");
	free(st);
	check(count_dir("/proc/self/task") == 2, "task_2");
	snprintf(want, sizeof(want), "/proc/self/task/%d/status", (int)getpid());
	st = slurp(want, NULL);
	snprintf(want, sizeof(want), "Pid:\t%d", (int)getpid());
	check(st && has_line(st, want), "task_main_status");
	free(st);
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);
}

static int fd_listed(int fd)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char want[16];
	int found = 0;

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "%d", fd);
	while ((e = readdir(d)))
		found |= !strcmp(e->d_name, want);
	closedir(d);
	return found;
}

static int fd_is(int fd, const char *path)
{
	char link[64], buf[PATH_MAX];

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	return !readlink_str(link, buf, sizeof(buf)) && !strcmp(buf, path);
}

static void test_fds(void)
{
	char buf[PATH_MAX], link[64];
	int fd = open(exe, O_RDONLY), ok = 1, p[2];
	struct stat st;

	for (int i = 0; i < 3; i++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", i);
		ok &= fd_listed(i) && !readlink_str(link, buf, sizeof(buf)) && buf[0];
	}
	check(ok, "fd_lists_0_1_2");
	check(fd >= 0 && fd_listed(fd) && fd_is(fd, exe), "fd_names_an_open_file");
	close(fd);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	check(readlink(link, buf, sizeof(buf)) < 0 && errno == ENOENT, "fd_forgets_a_closed_one");

	int tfd = open("/tmp/procself.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);

	check(tfd >= 0 && fd_is(tfd, "/tmp/procself.txt"), "fd_names_a_tmp_file");
	fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && fd_is(fd, "/tmp"), "fd_names_a_directory");
	close(fd);
	if (tfd >= 0) {
		unlink("/tmp/procself.txt");
		close(tfd);
	}

	if (pipe(p) == 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", p[0]);
		snprintf(buf, sizeof(buf), "?");
		readlink_str(link, buf, sizeof(buf));
		check(!fstat(p[0], &st) && !strncmp(buf, "pipe:[", 6) &&
			      strtoul(buf + 6, NULL, 10) == (unsigned long)st.st_ino &&
			      fd_is(p[1], buf),
		      "fd_pipe");
		close(p[0]);
		close(p[1]);
	}
}

static void test_strings(int argc, char **argv)
{
	size_t len, want = 0, off = 0;
	char *cmd = slurp("/proc/self/cmdline", &len), *env;
	int ok = cmd != NULL;

	for (int i = 0; i < argc; i++)
		want += strlen(argv[i]) + 1;
	ok = ok && len == want;
	for (int i = 0; ok && i < argc; i++) {
		ok = !strcmp(cmd + off, argv[i]);
		off += strlen(argv[i]) + 1;
	}
	check(ok, "cmdline_is_argv");
	free(cmd);

	env = slurp("/proc/self/environ", &len);
	ok = env != NULL;
	want = off = 0;
	for (char **e = environ; *e; e++)
		want += strlen(*e) + 1;
	ok = ok && len == want;
	for (char **e = environ; ok && *e; e++) {
		ok = !strcmp(env + off, *e);
		off += strlen(*e) + 1;
	}
	check(ok, "environ_is_environ");
	free(env);

	unsigned long *auxv = (unsigned long *)slurp("/proc/self/auxv", &len);
	unsigned long pagesz = 0, ehdr = 0;

	for (size_t i = 0; auxv && i + 1 < len / sizeof(*auxv); i += 2) {
		if (auxv[i] == AT_PAGESZ)
			pagesz = auxv[i + 1];
		if (auxv[i] == AT_SYSINFO_EHDR)
			ehdr = auxv[i + 1];
	}
	check(pagesz == 4096 && ehdr == getauxval(AT_SYSINFO_EHDR), "auxv");
	free(auxv);
}

/*
 * /proc/stat: a "cpu " line and one cpuN line per CPU this process may use
 * (at least), each of ten counters; btime is the boot's wall-clock second.
 * glibc's sysconf counts those lines when there is no /sys, so a thread
 * pinned to one CPU still sees them all.
 */
static void test_stat(void)
{
	size_t len;
	char *text = slurp("/proc/stat", &len);
	cpu_set_t all, one;
	unsigned cpus = 0, fields_ok = 1;
	unsigned long long btime = 0, v[10];
	char *line, *save = NULL;

	check(text != NULL, "stat_readable");
	if (!text)
		return;
	check(!strncmp(text, "cpu  ", 5), "stat_first_line_is_cpu");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned id;

		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &id,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
			   &v[9]) == 11)
			cpus++;
		else if (!strncmp(line, "cpu", 3) && line[3] != ' ')
			fields_ok = 0;
		sscanf(line, "btime %llu", &btime);
	}
	free(text);
	check(sched_getaffinity(0, sizeof(all), &all) == 0 && cpus >= (unsigned)CPU_COUNT(&all) &&
		      fields_ok,
	      "stat_a_line_per_cpu");
	struct timespec up;

	clock_gettime(CLOCK_MONOTONIC, &up);
	long long boot = (long long)time(NULL) - (long long)up.tv_sec;

	check(btime && (long long)btime > boot - 86400 && (long long)btime < boot + 86400,
	      "stat_btime_is_boot");
#ifdef __GLIBC__
	long before = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	check(sched_setaffinity(0, sizeof(one), &one) == 0 &&
		      sysconf(_SC_NPROCESSORS_ONLN) == before && before >= CPU_COUNT(&all),
	      "stat_nprocs_while_pinned");
	sched_setaffinity(0, sizeof(all), &all);
#else
	(void)one;
#endif
}

int main(int argc, char **argv)
{
	test_strings(argc, argv); /* first: nothing has touched the environment yet */
	test_self_and_exe(argv[0]);
	test_maps();
	test_status(argv[0]);
	test_fds();
	test_stat();
	if (failed)
		printf("%d FAILED\n", failed);
	else
		printf("ALL PASSED\n");
	return failed ? 1 : 0;
}
