/*
 * Unit tests of the `osprey` command's pure parts: option and size parsing,
 * the accelerator choice, the QEMU argv builder, shell quoting, the
 * exit-status mapping and the test runner's judging of console output.
 *
 * Built with ASan and UBSan.  Prints "PASS name" or "FAIL name: why" per test
 * and no RESULT line: tests/tools/check.sh adds these lines to its own count.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "osprey.h"

static char why[512];
static unsigned int failed;

#define EXPECT(cond)                                                                         \
	do {                                                                                 \
		if (!(cond) && !why[0])                                                      \
			snprintf(why, sizeof(why), "%s:%d: expected %s", __FILE__, __LINE__, \
				 #cond);                                                     \
	} while (0)

#define EXPECT_STR(a, b)                                                                           \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if ((!a_ || strcmp(a_, b_) != 0) && !why[0])                                       \
			snprintf(why, sizeof(why), "%s:%d: %s is \"%.200s\", expected \"%.200s\"", \
				 __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_);                  \
	} while (0)

static void run(const char *name, void (*fn)(void))
{
	why[0] = '\0';
	fn();
	if (why[0]) {
		printf("FAIL tools.%s: %s\n", name, why);
		failed++;
	} else {
		printf("PASS tools.%s\n", name);
	}
}

/* Parse a space-separated command line into o; returns opts_parse's value. */
static int parse(enum osprey_cmd cmd, const char *line, struct osprey_opts *o, char *err,
		 size_t errlen)
{
	char buf[512], *argv[32], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	opts_defaults(cmd, o);
	err[0] = '\0';
	return opts_parse(cmd, argc, argv, o, err, errlen);
}

static void test_parse_mem(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = { { "64", "64M" }, { "64M", "64M" }, { "64m", "64M" },	   { "1G", "1G" },
		   { "2g", "2G" },  { "1", "1M" },    { "1024G", "1024G" } };
	static const char *const bad[] = { "",
					   "abc",
					   "0",
					   "0G",
					   "-1",
					   "64K",
					   "64MB",
					   "1.5G",
					   " 64",
					   "1025G",
					   "99999999999999999999999",
					   "M" };
	char out[24];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EXPECT(parse_mem(ok[i].in, out, sizeof(out)) == 0);
		EXPECT_STR(out, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_mem(bad[i], out, sizeof(out)) == 0 && !why[0])
			snprintf(why, sizeof(why), "parse_mem accepted \"%s\"", bad[i]);
	}
}

static void test_parse_uint(void)
{
	unsigned int v = 0;

	EXPECT(parse_uint("1", 1, 255, &v) == 0 && v == 1);
	EXPECT(parse_uint("255", 1, 255, &v) == 0 && v == 255);
	EXPECT(parse_uint("0", 1, 255, &v) == -ERANGE);
	EXPECT(parse_uint("256", 1, 255, &v) == -ERANGE);
	EXPECT(parse_uint("", 1, 255, &v) == -EINVAL);
	EXPECT(parse_uint("2x", 1, 255, &v) == -EINVAL);
	EXPECT(parse_uint("+2", 1, 255, &v) == -EINVAL);
	EXPECT(parse_uint("99999999999999999999", 0, 86400, &v) == -ERANGE);
}

static void test_opts_forms(void)
{
	struct osprey_opts o;
	char err[256];

	EXPECT(parse(CMD_RUN, "", &o, err, sizeof(err)) == 0);
	EXPECT_STR(o.mem, "64M");
	EXPECT(o.cpus == 1 && o.machine == MACHINE_MICROVM && o.accel == ACCEL_AUTO);
	EXPECT(o.timeout == 0 && !o.cmdline && !o.initrd && !o.debug && !o.dry_run);

	EXPECT(parse(CMD_RUN, "-m1G -c 2 --machine=q35 --accel tcg --kernel k -e x --dry-run", &o,
		     err, sizeof(err)) == 0);
	EXPECT_STR(o.mem, "1G");
	EXPECT(o.cpus == 2 && o.machine == MACHINE_Q35 && o.accel == ACCEL_TCG && o.dry_run);
	EXPECT_STR(o.kernel, "k");
	EXPECT_STR(o.cmdline, "x");

	EXPECT(parse(CMD_RUN, "--mem=512 --cpus=4 --machine pc --timeout=5 --debug -v", &o, err,
		     sizeof(err)) == 0);
	EXPECT_STR(o.mem, "512M");
	EXPECT(o.cpus == 4 && o.machine == MACHINE_PC && o.timeout == 5 && o.debug && o.verbose);

	EXPECT(parse(CMD_TEST, "sched.* --timeout 9", &o, err, sizeof(err)) == 0);
	EXPECT_STR(o.glob, "sched.*");
	EXPECT(o.timeout == 9);
	EXPECT(parse(CMD_TEST, "", &o, err, sizeof(err)) == 0);
	EXPECT(o.timeout == 60 && o.glob == NULL);
	EXPECT(parse(CMD_TEST, "-- -odd", &o, err, sizeof(err)) == 0);
	EXPECT_STR(o.glob, "-odd");
	EXPECT(parse(CMD_RUN, "-h", &o, err, sizeof(err)) == 0 && o.help);
}

static void test_opts_errors(void)
{
	static const struct {
		enum osprey_cmd cmd;
		const char *line, *needle;
	} cases[] = {
		{ CMD_RUN, "-c 0", "-c '0'" },
		{ CMD_RUN, "-c 256", "CPU count" },
		{ CMD_RUN, "-m abc", "-m 'abc'" },
		{ CMD_RUN, "--mem=0", "memory size" },
		{ CMD_RUN, "--machine foo", "--machine 'foo'" },
		{ CMD_RUN, "--accel=xen", "auto, kvm or tcg" },
		{ CMD_RUN, "--frobnicate", "unknown option '--frobnicate'" },
		{ CMD_RUN, "-x", "unknown option '-x'" },
		{ CMD_RUN, "-c", "-c needs a value" },
		{ CMD_RUN, "--dry-run=yes", "--dry-run takes no value" },
		{ CMD_RUN, "--timeout -1", "--timeout '-1'" },
		{ CMD_RUN, "stray", "unexpected argument 'stray'" },
		{ CMD_TEST, "--dry-run", "unknown option '--dry-run'" },
		{ CMD_TEST, "-e x", "unknown option '-e'" },
		{ CMD_TEST, "a b", "unexpected argument 'b'" },
	};
	struct osprey_opts o;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = parse(cases[i].cmd, cases[i].line, &o, err, sizeof(err));

		if ((ret != -EINVAL || !strstr(err, cases[i].needle) || strchr(err, '\n')) &&
		    !why[0])
			snprintf(why, sizeof(why), "\"%s\" gave %d \"%s\", wanted \"%s\"",
				 cases[i].line, ret, err, cases[i].needle);
	}
}

static void test_kernel_env(void)
{
	struct osprey_opts o;

	setenv("OSPREY_KERNEL", "/x/k.elf", 1);
	opts_defaults(CMD_RUN, &o);
	EXPECT_STR(o.kernel, "/x/k.elf");
	unsetenv("OSPREY_KERNEL");
	opts_defaults(CMD_RUN, &o);
	EXPECT_STR(o.kernel, OSPREY_DEFAULT_KERNEL);
}

static void test_accel_resolve(void)
{
	const struct kvm_probe pvm = { .pvm = true, .dev_exists = true };
	const struct kvm_probe hw = { .hw_module = true, .dev_exists = true };
	const struct kvm_probe noperm = { .hw_module = true,
					  .dev_exists = true,
					  .dev_errno = EACCES };
	const struct kvm_probe none = { .dev_errno = ENOENT };
	enum accel a;
	char err[256];

	EXPECT(accel_resolve(ACCEL_AUTO, &pvm, &a, err, sizeof(err)) == 0 && a == ACCEL_TCG);
	EXPECT(accel_resolve(ACCEL_KVM, &pvm, &a, err, sizeof(err)) == -ENODEV);
	EXPECT(strstr(err, "kvm_pvm") && strstr(err, "--accel tcg"));
	EXPECT(accel_resolve(ACCEL_AUTO, &hw, &a, err, sizeof(err)) == 0 && a == ACCEL_KVM);
	EXPECT(accel_resolve(ACCEL_KVM, &hw, &a, err, sizeof(err)) == 0 && a == ACCEL_KVM);
	EXPECT(accel_resolve(ACCEL_TCG, &hw, &a, err, sizeof(err)) == 0 && a == ACCEL_TCG);
	EXPECT(accel_resolve(ACCEL_AUTO, &noperm, &a, err, sizeof(err)) == 0 && a == ACCEL_TCG);
	EXPECT(accel_resolve(ACCEL_KVM, &noperm, &a, err, sizeof(err)) == -ENODEV);
	EXPECT(strstr(err, "Permission denied"));
	EXPECT(accel_resolve(ACCEL_AUTO, &none, &a, err, sizeof(err)) == 0 && a == ACCEL_TCG);
	EXPECT(accel_resolve(ACCEL_KVM, &none, &a, err, sizeof(err)) == -ENODEV);
	EXPECT(strstr(err, "no /dev/kvm"));
}

static void mkpath(const char *root, const char *rel, bool dir)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	if (dir) {
		mkdir(p, 0755);
	} else {
		int fd = open(p, O_CREAT | O_RDWR, 0755);

		if (fd >= 0)
			close(fd);
	}
}

static void test_kvm_probe(void)
{
	char root[] = "/tmp/osprey-unit.XXXXXX";
	struct kvm_probe p;

	if (!mkdtemp(root)) {
		snprintf(why, sizeof(why), "mkdtemp: %s", strerror(errno));
		return;
	}
	kvm_probe(root, &p);
	EXPECT(!p.hw_module && !p.pvm && !p.dev_exists);
	mkpath(root, "/sys", true);
	mkpath(root, "/sys/module", true);
	mkpath(root, "/sys/module/kvm_pvm", true);
	mkpath(root, "/dev", true);
	mkpath(root, "/dev/kvm", false);
	kvm_probe(root, &p);
	EXPECT(!p.hw_module && p.pvm && p.dev_exists && p.dev_errno == 0);
	mkpath(root, "/sys/module/kvm_amd", true);
	kvm_probe(root, &p);
	EXPECT(p.hw_module);
	static const char *const made[] = {
		"/dev/kvm", "/dev", "/sys/module/kvm_amd", "/sys/module/kvm_pvm", "/sys/module",
		"/sys",	    ""
	};
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		char p[512];

		snprintf(p, sizeof(p), "%s%s", root, made[i]);
		if (unlink(p) < 0)
			rmdir(p);
	}
}

static void test_qemu_find(void)
{
	char dir[] = "/tmp/osprey-unit.XXXXXX", path[1024], out[1024];

	if (!mkdtemp(dir)) {
		snprintf(why, sizeof(why), "mkdtemp: %s", strerror(errno));
		return;
	}
	EXPECT(qemu_find("", out, sizeof(out)) == -ENOENT);
	EXPECT(qemu_find(dir, out, sizeof(out)) == -ENOENT);
	snprintf(path, sizeof(path), "%s/" OSPREY_QEMU, dir);
	close(open(path, O_CREAT | O_RDWR, 0644));
	EXPECT(qemu_find(dir, out, sizeof(out)) == -ENOENT); /* not executable */
	chmod(path, 0755);
	snprintf(out, sizeof(out), "/nonexistent::%s", dir);
	snprintf(path, sizeof(path), "%s", out);
	EXPECT(qemu_find(path, out, sizeof(out)) == 0);
	snprintf(path, sizeof(path), "%s/" OSPREY_QEMU, dir);
	EXPECT_STR(out, path);
	unlink(path);
	rmdir(dir);
}

/* Index of word w in argv, or -1. */
static int find(char **v, const char *w)
{
	for (int i = 0; v[i]; i++) {
		if (strcmp(v[i], w) == 0)
			return i;
	}
	return -1;
}

static void test_qemu_argv(void)
{
	struct qemu_spec s = {
		.qemu = "qemu",
		.mem = "64M",
		.cpus = 2,
		.machine = MACHINE_MICROVM,
		.accel = ACCEL_TCG,
		.bios = "/fw/qboot.rom",
		.kernel = "k.elf",
		.cmdline = "",
		.debugcon = "/tmp/a,b",
	};
	struct strvec v;
	int i;

	EXPECT(qemu_argv(&s, &v) == 0);
	EXPECT_STR(v.v[0], "qemu");
	EXPECT((i = find(v.v, "-M")) > 0 &&
	       strcmp(v.v[i + 1], "microvm,x-option-roms=off,rtc=on") == 0);
	EXPECT(find(v.v, "-bios") < 0); /* microvm has its own firmware path */
	EXPECT((i = find(v.v, "-accel")) > 0 && strcmp(v.v[i + 1], "tcg") == 0);
	EXPECT((i = find(v.v, "-cpu")) > 0 && strcmp(v.v[i + 1], "max") == 0);
	EXPECT((i = find(v.v, "-smp")) > 0 && strcmp(v.v[i + 1], "2") == 0);
	EXPECT((i = find(v.v, "-m")) > 0 && strcmp(v.v[i + 1], "64M") == 0);
	EXPECT((i = find(v.v, "-kernel")) > 0 && strcmp(v.v[i + 1], "k.elf") == 0);
	EXPECT(find(v.v, "-append") < 0 && find(v.v, "-initrd") < 0 && find(v.v, "-S") < 0);
	EXPECT(find(v.v, "-nodefaults") > 0 && find(v.v, "-no-reboot") > 0);
	EXPECT(find(v.v, "isa-debug-exit,iobase=0x501,iosize=0x02") > 0);
	EXPECT(find(v.v, "isa-debugcon,iobase=0xe9,chardev=ospreyctl") > 0);
	EXPECT(find(v.v, "file,id=ospreyctl,path=/tmp/a,,b") > 0);
	EXPECT(v.v[v.n] == NULL);
	strvec_free(&v);

	s.machine = MACHINE_Q35;
	s.accel = ACCEL_KVM;
	s.cmdline = "--test=list app arg";
	s.initrd = "root.img";
	s.debug = true;
	EXPECT(qemu_argv(&s, &v) == 0);
	EXPECT((i = find(v.v, "-M")) > 0 && strcmp(v.v[i + 1], "q35") == 0);
	EXPECT((i = find(v.v, "-bios")) > 0 && strcmp(v.v[i + 1], "/fw/qboot.rom") == 0);
	EXPECT((i = find(v.v, "-accel")) > 0 && strcmp(v.v[i + 1], "kvm") == 0);
	EXPECT((i = find(v.v, "-cpu")) > 0 && strcmp(v.v[i + 1], "host") == 0);
	EXPECT((i = find(v.v, "-append")) > 0 && strcmp(v.v[i + 1], "--test=list app arg") == 0);
	EXPECT((i = find(v.v, "-initrd")) > 0 && strcmp(v.v[i + 1], "root.img") == 0);
	EXPECT(find(v.v, "-s") > 0 && find(v.v, "-S") > 0);
	strvec_free(&v);

	s.machine = MACHINE_PC;
	s.bios = NULL;
	EXPECT(qemu_argv(&s, &v) == 0);
	EXPECT((i = find(v.v, "-M")) > 0 && strcmp(v.v[i + 1], "pc") == 0);
	EXPECT(find(v.v, "-bios") < 0);
	strvec_free(&v);
}

/* --trace: the options, and COM2 to the trace file only when asked for. */
static void test_trace_opts(void)
{
	struct qemu_spec s = {
		.qemu = "qemu",
		.mem = "64M",
		.cpus = 1,
		.machine = MACHINE_MICROVM,
		.accel = ACCEL_TCG,
		.kernel = "k.elf",
		.debugcon = "/tmp/dc",
	};
	struct osprey_opts o;
	struct strvec v;
	char err[256];
	int i;

	EXPECT(qemu_argv(&s, &v) == 0);
	EXPECT(find(v.v, "isa-serial,iobase=0x2f8,irq=3,chardev=ospreytrace") < 0);
	strvec_free(&v);
	s.trace_file = "t,1.bin";
	EXPECT(qemu_argv(&s, &v) == 0);
	EXPECT((i = find(v.v, "isa-serial,iobase=0x2f8,irq=3,chardev=ospreytrace")) > 0 &&
	       strcmp(v.v[i - 1], "-device") == 0);
	EXPECT(find(v.v, "file,id=ospreytrace,path=t,,1.bin") > 0);
	strvec_free(&v);

	opts_defaults(CMD_RUN, &o);
	EXPECT(parse(CMD_RUN, "--trace=sched*,mm_* --trace-out x.bin", &o, err, sizeof(err)) == 0);
	EXPECT_STR(o.trace, "sched*,mm_*");
	EXPECT_STR(o.trace_out, "x.bin");
	opts_defaults(CMD_RUN, &o);
	EXPECT(parse(CMD_RUN, "--trace-out x.bin", &o, err, sizeof(err)) == -EINVAL);
	EXPECT_STR(err, "run: --trace-out needs --trace");
	opts_defaults(CMD_RUN, &o);
	EXPECT(parse(CMD_RUN, "--trace=a'b", &o, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "--trace 'a'b'") != NULL);
	opts_defaults(CMD_TEST, &o);
	EXPECT(parse(CMD_TEST, "--trace=x", &o, err, sizeof(err)) == -EINVAL);
}

static void test_shell_quote(void)
{
	static const char *const argv[] = { "a", "b c", "it's", "", "x=1,y:2/z", "$HOME", NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		snprintf(why, sizeof(why), "open_memstream failed");
		return;
	}
	print_argv(f, (char *const *)argv);
	fclose(f);
	EXPECT_STR(buf, "a 'b c' 'it'\\''s' '' x=1,y:2/z '$HOME'\n");
	free(buf);
}

static void test_debugcon_status(void)
{
	static const struct {
		const char *in;
		int ret, status;
	} cases[] = {
		{ "osprey:exit=139\n", 0, 139 },
		{ "osprey:exit=0", 0, 0 },
		{ "osprey:exit=3\r\n", 0, 3 },
		{ "noise\nosprey:exit=1\nmore\nosprey:exit=255\n", 0, 255 },
		{ "osprey:exit=7\nosprey:exit=256\n", 0, 7 },
		{ "osprey:exit=12x\n", -ENOENT, 0 },
		{ "osprey:exit=\n", -ENOENT, 0 },
		{ "xosprey:exit=5\n", -ENOENT, 0 },
		{ "osprey:exit=0005\n", -ENOENT, 0 },
		{ "", -ENOENT, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = -1, ret = debugcon_status(cases[i].in, strlen(cases[i].in), &st);

		if ((ret != cases[i].ret || (ret == 0 && st != cases[i].status)) && !why[0])
			snprintf(why, sizeof(why), "case %zu: ret %d status %d", i, ret, st);
	}
}

static void test_guest_status(void)
{
	const char line[] = "osprey:exit=139\n";
	char w[256];

	EXPECT(guest_status(line, strlen(line), W_EXITCODE(23, 0), w, sizeof(w)) == 139);
	EXPECT(guest_status(line, strlen(line), W_EXITCODE(0, 0), w, sizeof(w)) == 139);
	EXPECT(guest_status("", 0, W_EXITCODE(23, 0), w, sizeof(w)) == 11 && !w[0]);
	EXPECT(guest_status("", 0, W_EXITCODE(5, 0), w, sizeof(w)) == 2);
	EXPECT(guest_status("", 0, W_EXITCODE(141, 0), w, sizeof(w)) == 70);
	EXPECT(guest_status("", 0, W_EXITCODE(0, 0), w, sizeof(w)) == 125 && w[0]);
	EXPECT(guest_status("", 0, W_EXITCODE(1, 0), w, sizeof(w)) == 125 && strstr(w, "QEMU"));
	EXPECT(guest_status("", 0, W_EXITCODE(0, 9), w, sizeof(w)) == 125 && strstr(w, "signal 9"));
}

static void boot_of(struct boot_result *r, const char *console, int status)
{
	memset(r, 0, sizeof(*r));
	r->console = (char *)console;
	r->console_len = strlen(console);
	r->status = status;
}

static const char list_out[] = "boot noise\r\ntest a.one\r\ntest a.two\ntest b.x\n"
			       "death fault.pf\ndeath fault.gp\ntest  bad name\n";

static void test_parse_list_glob(void)
{
	struct tlist l = { 0 };

	EXPECT(test_parse_list(list_out, strlen(list_out), "*", &l) == 0);
	EXPECT(l.n == 5);
	EXPECT(l.n == 5 && strcmp(l.v[0].name, "a.one") == 0 && !l.v[0].death);
	EXPECT(l.n == 5 && strcmp(l.v[3].name, "fault.pf") == 0 && l.v[3].death);
	tlist_free(&l);
	EXPECT(test_parse_list(list_out, strlen(list_out), "a.*,fault.g?", &l) == 0);
	EXPECT(l.n == 3 && strcmp(l.v[2].name, "fault.gp") == 0);
	tlist_free(&l);
}

static enum verdict verdict_of(struct tlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].name, name) == 0)
			return l->v[i].verdict;
	}
	return (enum verdict) - 1;
}

static void test_judge_runs(void)
{
	struct boot_result r;
	struct tlist l = { 0 };
	char w[256];

	/* All pass. */
	test_parse_list(list_out, strlen(list_out), "a.*", &l);
	boot_of(&r, "PASS a.one\nPASS a.two\r\nRESULT: 2 passed, 0 failed\n", 0);
	EXPECT(test_judge_run(&l, &r, w, sizeof(w)));
	EXPECT(verdict_of(&l, "a.one") == V_PASS && verdict_of(&l, "a.two") == V_PASS);
	tlist_free(&l);

	/* One failure, with the guest's reason kept. */
	test_parse_list(list_out, strlen(list_out), "a.*", &l);
	boot_of(&r, "PASS a.one\nFAIL a.two: t.c:3: expected x\nRESULT: 1 passed, 1 failed\n", 1);
	EXPECT(test_judge_run(&l, &r, w, sizeof(w)));
	EXPECT(verdict_of(&l, "a.two") == V_FAIL);
	EXPECT(l.n == 2 && l.v[1].reason && strcmp(l.v[1].reason, "t.c:3: expected x") == 0);
	tlist_free(&l);

	/* Panic mid-run: the unreported test fails with the reason. */
	test_parse_list(list_out, strlen(list_out), "a.*", &l);
	boot_of(&r, "PASS a.one\npanic: boom\n", 70);
	EXPECT(test_judge_run(&l, &r, w, sizeof(w)));
	EXPECT(verdict_of(&l, "a.one") == V_PASS && verdict_of(&l, "a.two") == V_FAIL);
	EXPECT(l.n == 2 && l.v[1].reason && strstr(l.v[1].reason, "panicked"));
	tlist_free(&l);

	/* Everything reported, then a panic: the boot itself is a failure. */
	test_parse_list(list_out, strlen(list_out), "a.*", &l);
	boot_of(&r, "PASS a.one\nPASS a.two\nRESULT: 2 passed, 0 failed\npanic: late\n", 70);
	EXPECT(!test_judge_run(&l, &r, w, sizeof(w)) && strstr(w, "panicked"));
	tlist_free(&l);

	/* Status 0 but no RESULT line. */
	test_parse_list(list_out, strlen(list_out), "a.*", &l);
	boot_of(&r, "PASS a.one\nPASS a.two\n", 0);
	EXPECT(!test_judge_run(&l, &r, w, sizeof(w)) && strstr(w, "RESULT"));
	tlist_free(&l);

	/* A FAIL line then a PASS line for the same test: it stays failed. */
	test_parse_list(list_out, strlen(list_out), "a.one", &l);
	boot_of(&r, "FAIL a.one: x\nPASS a.one\nRESULT: 0 passed, 1 failed\n", 1);
	test_judge_run(&l, &r, w, sizeof(w));
	EXPECT(verdict_of(&l, "a.one") == V_FAIL);
	tlist_free(&l);
}

static void test_judge_deaths(void)
{
	struct boot_result r;
	char w[256];

	boot_of(&r, "DEATH fault.pf expects \"page fault at\"\npanic: page fault at 0x0\n", 70);
	EXPECT(test_judge_death("fault.pf", &r, w, sizeof(w)));
	boot_of(&r, "DEATH fault.pf expects \"page fault at\"\npanic: general protection\n", 70);
	EXPECT(!test_judge_death("fault.pf", &r, w, sizeof(w)) && strstr(w, "lacks"));
	/* The text must come after the DEATH line, not in it. */
	boot_of(&r, "page fault at\nDEATH fault.pf expects \"page fault at\"\n", 70);
	EXPECT(!test_judge_death("fault.pf", &r, w, sizeof(w)));
	boot_of(&r, "DEATH fault.pf expects \"x\"\nx\n", 0);
	EXPECT(!test_judge_death("fault.pf", &r, w, sizeof(w)) && strstr(w, "status 0"));
	boot_of(&r, "panic: x\n", 70);
	EXPECT(!test_judge_death("fault.pf", &r, w, sizeof(w)) && strstr(w, "no DEATH"));
	boot_of(&r, "DEATH fault.pfx expects \"x\"\nx\n", 70);
	EXPECT(!test_judge_death("fault.pf", &r, w, sizeof(w)));
	boot_of(&r, "DEATH a.b expects \"say \"hi\"\"\nsay \"hi\"\n", 70);
	EXPECT(test_judge_death("a.b", &r, w, sizeof(w)));
	/* Pieces separated by '|': every one must be there. */
	boot_of(&r,
		"DEATH a.b expects \"panic: x|backtrace:|caller+\"\npanic: x\nbacktrace:\n"
		"  #0 caller+0x1\n",
		70);
	EXPECT(test_judge_death("a.b", &r, w, sizeof(w)));
	boot_of(&r, "DEATH a.b expects \"panic: x|backtrace:|caller+\"\npanic: x\nbacktrace:\n",
		70);
	EXPECT(!test_judge_death("a.b", &r, w, sizeof(w)) && strstr(w, "lacks \"caller+\""));
}

int main(void)
{
	run("parse_mem", test_parse_mem);
	run("parse_uint", test_parse_uint);
	run("opts_forms", test_opts_forms);
	run("opts_errors", test_opts_errors);
	run("kernel_env", test_kernel_env);
	run("accel_resolve", test_accel_resolve);
	run("kvm_probe", test_kvm_probe);
	run("qemu_find", test_qemu_find);
	run("qemu_argv", test_qemu_argv);
	run("trace_opts", test_trace_opts);
	run("shell_quote", test_shell_quote);
	run("debugcon_status", test_debugcon_status);
	run("guest_status", test_guest_status);
	run("parse_list", test_parse_list_glob);
	run("judge_run", test_judge_runs);
	run("judge_death", test_judge_deaths);
	return failed ? 1 : 0;
}
