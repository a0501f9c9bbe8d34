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
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <osprey/cmdline.h>

#include "../../kernel/fs/rofs_image.h"

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
		{ CMD_RUN, "--accel=xen", "auto, kvm, tcg or pvm" },
		{ CMD_RUN, "--frobnicate", "unknown option '--frobnicate'" },
		{ CMD_RUN, "-x", "unknown option '-x'" },
		{ CMD_RUN, "-c", "-c needs a value" },
		{ CMD_RUN, "--dry-run=yes", "--dry-run takes no value" },
		{ CMD_RUN, "--timeout -1", "--timeout '-1'" },
		{ CMD_RUN, "--add", "--add needs a value" },
		{ CMD_RUN, "--add x", "--add needs a program to run" },
		{ CMD_RUN, "--env novalue ./p", "--env 'novalue': expected NAME=VALUE" },
		{ CMD_RUN, "--env =v ./p", "--env '=v'" },
		{ CMD_TEST, "--add x", "unknown option '--add'" },
		{ CMD_TEST, "--dry-run", "unknown option '--dry-run'" },
		{ CMD_TEST, "--env A=b", "unknown option '--env'" },
		{ CMD_TEST, "a b", "unexpected argument 'b'" },
		{ CMD_RUN, "--disk ,ro", "--disk ',ro': expected FILE or FILE,ro" },
		{ CMD_RUN, "--disk d.img --machine q35", "--disk on q35 needs PCI, not yet" },
		{ CMD_TEST, "--machine pc --disk d.img", "--disk on pc needs PCI, not yet" },
		{ CMD_RUN,
		  "--disk a --disk a --disk a --disk a --disk a --disk a --disk a --disk a --disk a",
		  "--disk: more than 8 of them" },
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
	EXPECT(accel_resolve(ACCEL_PVM, &pvm, &a, err, sizeof(err)) == 0 && a == ACCEL_PVM);
	EXPECT(accel_resolve(ACCEL_PVM, &hw, &a, err, sizeof(err)) == -ENODEV);
	EXPECT(strstr(err, "--accel pvm: no kvm_pvm"));
	EXPECT(accel_resolve(ACCEL_PVM, &none, &a, err, sizeof(err)) == -ENODEV);
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
	strvec_free(&v);
	s.accel = ACCEL_PVM;
	EXPECT(qemu_argv(&s, &v) == 0);
	EXPECT((i = find(v.v, "-accel")) > 0 && strcmp(v.v[i + 1], "kvm") == 0);
	EXPECT((i = find(v.v, "-cpu")) > 0 && strstr(v.v[i + 1], "+x2apic,+tsc-deadline"));
	strvec_free(&v);
	s.accel = ACCEL_KVM;
	EXPECT(qemu_argv(&s, &v) == 0);
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

/* --disk: the parsed files, and the QEMU words for each on microvm. */
static void test_disk_opts(void)
{
	struct osprey_opts o;
	struct qemu_spec s = { .qemu = "q",
			       .mem = "64M",
			       .cpus = 1,
			       .kernel = "k.elf",
			       .accel = ACCEL_TCG,
			       .debugcon = "/tmp/d" };
	struct strvec v;
	char err[256];
	int i;

	EXPECT(parse(CMD_TEST, "--disk a,b.img --disk=r.img,ro", &o, err, sizeof(err)) == 0);
	EXPECT(o.ndisks == 2 && strcmp(o.disks[0].file, "a,b.img") == 0 && !o.disks[0].readonly);
	EXPECT(strcmp(o.disks[1].file, "r.img") == 0 && o.disks[1].readonly);
	s.disks = o.disks;
	s.ndisks = o.ndisks;
	EXPECT(qemu_argv(&s, &v) == 0);
	EXPECT((i = find(v.v, "-global")) > 0 &&
	       strcmp(v.v[i + 1], "virtio-mmio.force-legacy=false") == 0);
	EXPECT(find(v.v, "file=a,,b.img,if=none,format=raw,id=disk0") > 0);
	EXPECT(find(v.v, "virtio-blk-device,drive=disk0") > 0);
	EXPECT(find(v.v, "file=r.img,if=none,format=raw,id=disk1,readonly=on") > 0);
	EXPECT(find(v.v, "virtio-blk-device,drive=disk1") > 0);
	strvec_free(&v);
	s.ndisks = 0;
	EXPECT(qemu_argv(&s, &v) == 0);
	EXPECT(find(v.v, "-global") < 0 && find(v.v, "-drive") < 0);
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

static void test_debugcon_ready(void)
{
	EXPECT(debugcon_ready("osprey:ready\n", 13));
	EXPECT(debugcon_ready("noise\nosprey:ready\r\nmore", 26));
	EXPECT(!debugcon_ready("osprey:ready", 12)); /* not a whole line yet */
	EXPECT(!debugcon_ready("osprey:ready!\n", 14));
	EXPECT(!debugcon_ready("xosprey:ready\n", 14));
	EXPECT(!debugcon_ready("osprey:exit=0\n", 14));
	EXPECT(!debugcon_ready("", 0));
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Run the relay as boot_guest() does, and stand in for QEMU: read what it
 * writes into QEMU's stdin (qin, or -1 for nobody) into got, until want
 * bytes came or ms milliseconds passed.  Returns how many came.
 */
static size_t relay_pump(struct relay *r, int qin, char *got, size_t want, int ms)
{
	int64_t end = mono_ms() + ms;
	size_t n = 0;

	while (n < want) {
		struct pollfd pf[RELAY_NFDS + 1];
		int64_t left = end - mono_ms();

		if (left <= 0)
			break;
		relay_pollfds(r, pf);
		pf[RELAY_NFDS] = (struct pollfd){ .fd = qin, .events = POLLIN };
		if (poll(pf, RELAY_NFDS + 1, (int)left) < 0)
			break;
		relay_events(r, pf);
		if (pf[RELAY_NFDS].revents & POLLIN) {
			ssize_t k = read(qin, got + n, want - n);

			if (k > 0)
				n += (size_t)k;
		}
	}
	return n;
}

static bool all_ctrl_d(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0x04)
			return false;
	return true;
}

/* Nothing goes to the guest before its "osprey:ready", then the input and end of file. */
static void test_relay_waits_for_ready(void)
{
	char dir[] = "/tmp/osprey-unit.XXXXXX", dc[64], got[64];
	struct relay r;
	int in[2], dcfd, qin = -1;
	size_t n;

	if (!mkdtemp(dir)) {
		EXPECT(!"mkdtemp");
		return;
	}
	snprintf(dc, sizeof(dc), "%s/dc", dir);
	dcfd = open(dc, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (dcfd < 0 || pipe2(in, O_CLOEXEC) < 0) {
		EXPECT(!"open or pipe");
		goto out_rmdir;
	}
	EXPECT(write(in[1], "abc\n", 4) == 4);
	close(in[1]);
	EXPECT(relay_open(&r, in[0], dcfd, dc, &qin) == 0);
	fcntl(qin, F_SETFL, O_NONBLOCK);
	EXPECT(!r.ready);
	EXPECT(relay_pump(&r, qin, got, 1, 100) == 0);
	EXPECT(write(dcfd, "noise\nosprey:rea", 16) == 16);
	EXPECT(relay_pump(&r, qin, got, 1, 100) == 0);
	EXPECT(!r.ready);
	EXPECT(write(dcfd, "dy\n", 3) == 3);
	n = relay_pump(&r, qin, got, 4 + 20, 2000);
	EXPECT(r.ready && r.watch < 0);
	EXPECT(n == 24 && memcmp(got, "abc\n", 4) == 0 && all_ctrl_d(got + 4, 20));
	relay_close(&r);
	EXPECT(r.out < 0);
	close(qin);
	close(in[0]);
	close(dcfd);
	unlink(dc);
out_rmdir:
	rmdir(dir);
}

/*
 * More input than the pipe holds, from a file, byte for byte and then only
 * end of file; without a debug console to watch there is no wait.
 */
static void test_relay_large_input(void)
{
	enum { SIZE = 300000, TAIL = 5000 };
	char path[] = "/tmp/osprey-unit-in.XXXXXX", *want = malloc(SIZE),
	     *got = malloc(SIZE + TAIL);
	struct relay r;
	int fd = mkstemp(path), qin = -1;

	if (fd < 0 || !want || !got) {
		EXPECT(!"mkstemp or malloc");
		goto out_free;
	}
	unlink(path);
	for (size_t i = 0; i < SIZE; i++)
		want[i] = (char)(i * 7 % 251 + 1) == 0x04 ? 'x' : (char)(i * 7 % 251 + 1);
	EXPECT(write(fd, want, SIZE) == SIZE && lseek(fd, 0, SEEK_SET) == 0);
	EXPECT(relay_open(&r, fd, -1, "/nonexistent/osprey-dc", &qin) == 0);
	fcntl(qin, F_SETFL, O_NONBLOCK);
	EXPECT(r.ready && r.watch < 0);
	EXPECT(relay_pump(&r, qin, got, SIZE + TAIL, 5000) == SIZE + TAIL);
	EXPECT(memcmp(got, want, SIZE) == 0);
	EXPECT(all_ctrl_d(got + SIZE, TAIL));
	relay_close(&r);
	close(qin);
out_free:
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
}

/* A closed stdin is an empty one; a guest that is gone stops the relay without a SIGPIPE. */
static void test_relay_ends(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct pollfd pf[RELAY_NFDS];
	char got[8];
	struct relay r;
	int in[2], qin = -1;

	EXPECT(relay_open(&r, -1, -1, "/nonexistent/osprey-dc", &qin) == 0);
	fcntl(qin, F_SETFL, O_NONBLOCK);
	EXPECT(relay_pump(&r, qin, got, sizeof(got), 2000) == sizeof(got));
	EXPECT(all_ctrl_d(got, sizeof(got)));
	relay_close(&r);
	close(qin);

	if (pipe2(in, O_CLOEXEC) < 0) {
		EXPECT(!"pipe");
		return;
	}
	sigaction(SIGPIPE, &ign, &old); /* as spawn() does */
	EXPECT(write(in[1], "data", 4) == 4);
	EXPECT(relay_open(&r, in[0], -1, "/nonexistent/osprey-dc", &qin) == 0);
	close(qin); /* QEMU exited */
	relay_pump(&r, -1, got, 1, 200);
	EXPECT(r.out < 0);
	relay_pollfds(&r, pf);
	EXPECT(pf[1].fd < 0 && pf[2].fd < 0); /* stdin is left alone from then on */
	relay_close(&r);
	sigaction(SIGPIPE, &old, NULL);
	close(in[0]);
	close(in[1]);
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

/* The first word that is not an option is the program; the rest are its arguments. */
static void test_opts_program(void)
{
	char *argv[] = { "-m", "32", "--add", "d:/d", "./prog", "-m", "--add", "x", NULL };
	struct osprey_opts o;
	char err[256];

	opts_defaults(CMD_RUN, &o);
	EXPECT(opts_parse(CMD_RUN, 8, argv, &o, err, sizeof(err)) == 0);
	EXPECT_STR(o.mem, "32M");
	EXPECT_STR(o.prog, "./prog");
	EXPECT(o.prog_argc == 3 && o.prog_argv == argv + 5);
	EXPECT(o.nadds == 1);
	EXPECT_STR(o.adds[0], "d:/d");

	char *argv2[] = { "--env", "A=1", "--env=B=x y", "--", "-weird", NULL };

	opts_defaults(CMD_RUN, &o);
	EXPECT(opts_parse(CMD_RUN, 5, argv2, &o, err, sizeof(err)) == 0);
	EXPECT_STR(o.prog, "-weird");
	EXPECT(o.prog_argc == 0 && o.nenvs == 2);
	EXPECT_STR(o.envs[1], "B=x y");
}

/* Each word, quoted, is read back by the kernel's own splitter as itself. */
static void test_cmdline_quote(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },		{ "a b", "'a b'" },	  { "", "''" },
		{ "it's", "'it'\\''s'" },	{ "x\"y", "'x\"y'" },	  { "b\\s", "'b\\s'" },
		{ "tab\there", "'tab\there'" }, { "--opt=1", "--opt=1" }, { "$HOME*?", "$HOME*?" },
	};
	static struct boot_options bo;
	char out[256], line[2048], kerr[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT(cmdline_quote(cases[i].in, out, sizeof(out)) == 0);
		EXPECT_STR(out, cases[i].out);
	}
	EXPECT(cmdline_quote("a b", out, 4) == -ENOSPC);
	/* Random words of awkward bytes survive the round trip. */
	srand(7);
	for (int round = 0; round < 500; round++) {
		static const char alphabet[] = "ab '\"\\\t\n\r-=$x\x7f\xc3\xa9";
		char words[8][12];
		size_t len = 0;
		int n = 1 + rand() % 7;

		len += (size_t)snprintf(line, sizeof(line), "--verbose /bin/p");
		for (int w = 0; w < n; w++) {
			int wl = rand() % 11;

			for (int k = 0; k < wl; k++)
				words[w][k] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
			words[w][wl] = 0;
			line[len++] = ' ';
			EXPECT(cmdline_quote(words[w], line + len, sizeof(line) - len) == 0);
			len += strlen(line + len);
		}
		EXPECT(cmdline_parse(line, &bo, kerr, sizeof(kerr)) == 0);
		EXPECT(bo.argc == n + 1 && bo.verbose);
		for (int w = 0; w < n && w + 1 < bo.argc; w++)
			EXPECT_STR(bo.argv[w + 1], words[w]);
		if (why[0])
			return;
	}
}

/* The whole line of `osprey run PROGRAM ARGS`, and what it refuses. */
static void test_run_cmdline(void)
{
	char *args[80] = { "a b", "it's", "", NULL };
	struct osprey_opts o;
	char err[512], *line;

	opts_defaults(CMD_RUN, &o);
	o.prog = "some/dir/prog";
	o.prog_argv = args;
	o.prog_argc = 3;
	o.envs[o.nenvs++] = "HOME=/";
	o.envs[o.nenvs++] = "X=a b";
	EXPECT(run_cmdline(&o, "--verbose", &line, err, sizeof(err)) == 0);
	EXPECT_STR(line, "--env=HOME=/ '--env=X=a b' --verbose /bin/prog 'a b' 'it'\\''s' ''");
	free(line);

	EXPECT(run_cmdline(&o, "--verbose /bin/sh", &line, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "'/bin/sh' would be taken as the program") != NULL);
	EXPECT(run_cmdline(&o, "--bogus", &line, err, sizeof(err)) == -EINVAL);
	EXPECT_STR(err, "the kernel would refuse the command line: unknown option --bogus");

	/* 64 words at most, in all. */
	for (int i = 0; i < 70; i++)
		args[i] = "w";
	o.nenvs = 0;
	o.prog_argc = CMDLINE_MAX_ARGS - 1;
	EXPECT(run_cmdline(&o, NULL, &line, err, sizeof(err)) == 0);
	free(line);
	o.prog_argc = CMDLINE_MAX_ARGS;
	EXPECT(run_cmdline(&o, NULL, &line, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "too many words") != NULL);

	/* 2047 bytes at most. */
	static char big[2100];

	memset(big, 'x', sizeof(big) - 1);
	args[0] = big;
	o.prog_argc = 1;
	EXPECT(run_cmdline(&o, NULL, &line, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "the kernel takes at most 2047") != NULL);

	/* Without a program, --env alone goes before -e, unchecked. */
	opts_defaults(CMD_RUN, &o);
	o.envs[o.nenvs++] = "A=1";
	EXPECT(run_cmdline(&o, "/bin/app x", &line, err, sizeof(err)) == 0);
	EXPECT_STR(line, "--env=A=1 /bin/app x");
	free(line);
}

static void test_add_split(void)
{
	static const struct {
		const char *spec, *host, *path, *err;
	} cases[] = {
		{ "data", "data", "/data", NULL },
		{ "some/dir/", "some/dir", "/dir", NULL },
		{ "a:b:/x", "a:b", "/x", NULL },
		{ "f:/", "f", "/", NULL },
		{ "f:rel", NULL, NULL, "--add f:rel: image path 'rel' is not absolute" },
		{ "f:", NULL, NULL, "--add f:: empty image path after ':'" },
		{ ":/x", NULL, NULL, "--add :/x: empty host path" },
		{ ".", NULL, NULL, "--add .: no name to put it under; say where (--add .:/PATH)" },
		{ "/", NULL, NULL, "no name to put it under" },
	};
	char err[256], *host, *path;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = add_split(cases[i].spec, &host, &path, err, sizeof(err));

		if (cases[i].err) {
			EXPECT(ret == -EINVAL && strstr(err, cases[i].err));
			continue;
		}
		EXPECT(ret == 0);
		EXPECT_STR(host, cases[i].host);
		EXPECT_STR(path, cases[i].path);
		free(host);
		free(path);
	}
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

/* A file of the image, read back through the kernel's reader; NULL if absent. */
static char *image_file(const struct rofs_image *img, const char *path, struct rofs_inode *ri)
{
	static char buf[4096];
	uint32_t ino = 0;
	size_t done = 0;

	if (rofs_image_inode(img, 0, ri))
		return NULL;
	while (*path) {
		size_t len;

		while (*path == '/')
			path++;
		len = strcspn(path, "/");
		if (!len)
			break;
		if (rofs_image_lookup(img, ri, path, len, &ino) || rofs_image_inode(img, ino, ri))
			return NULL;
		path += len;
	}
	if ((ri->mode & ROFS_S_IFMT) == ROFS_S_IFDIR)
		return "(a directory)";
	if (rofs_image_read(img, ri, 0, buf, sizeof(buf) - 1, &done))
		return NULL;
	buf[done] = 0;
	return buf;
}

/* run_image(): base module, the program at /bin/NAME 0755, the adds; conflicts refused. */
static void test_run_image(void)
{
	char dir[] = "/tmp/osprey-unit.XXXXXX", p[512], mods[600], cache[600], img_path[1024];
	char err[1024], *adds[] = { NULL };
	static uint8_t buf[1 << 16];
	struct osprey_opts o;
	struct rofs_image img;
	struct rofs_inode ri;
	const char *ignore;
	int status;
	FILE *f;
	size_t n;

	if (!mkdtemp(dir)) {
		snprintf(why, sizeof(why), "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(mods, sizeof(mods), "%s/modules", dir);
	snprintf(cache, sizeof(cache), "%s/cache/run", dir);
	snprintf(p, sizeof(p), "%s/modules", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/modules/base", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/modules/base/manifest", dir);
	write_file(p, "name: base\ndir: /tmp 1777\nfile: hosts /etc/hosts 0644\n", 0644);
	snprintf(p, sizeof(p), "%s/modules/base/hosts", dir);
	write_file(p, "127.0.0.1 localhost\n", 0644);
	snprintf(p, sizeof(p), "%s/prog", dir);
	write_file(p, "\177ELF not really", 0600);
	snprintf(p, sizeof(p), "%s/tree", dir);
	mkdir(p, 0750);
	snprintf(p, sizeof(p), "%s/tree/sub", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/tree/sub/f.txt", dir);
	write_file(p, "deep\n", 0640);
	snprintf(p, sizeof(p), "%s/tree/ln", dir);
	EXPECT(symlink("sub/f.txt", p) == 0);
	snprintf(p, sizeof(p), "%s/one.txt", dir);
	write_file(p, "one\n", 0644);

	opts_defaults(CMD_RUN, &o);
	snprintf(p, sizeof(p), "%s/prog", dir);
	o.prog = p;
	o.prog_argv = adds;
	char add1[600], add2[600], add3[600];

	snprintf(add1, sizeof(add1), "%s/tree", dir);
	snprintf(add2, sizeof(add2), "%s/one.txt:/srv/x/one", dir);
	o.adds[o.nadds++] = add1;
	o.adds[o.nadds++] = add2;
	EXPECT(run_image(&o, mods, cache, img_path, sizeof(img_path), &status, err, sizeof(err)) ==
	       0);
	if (why[0])
		goto out_remove;
	EXPECT(strncmp(img_path, cache, strlen(cache)) == 0 && strstr(img_path, "/prog-"));
	f = fopen(img_path, "rb");
	n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	EXPECT(rofs_image_open(&img, buf, n, &ignore) == 0);
	EXPECT_STR(image_file(&img, "/bin/prog", &ri), "\177ELF not really");
	EXPECT(ri.mode == (ROFS_S_IFREG | 0755));
	EXPECT_STR(image_file(&img, "/tree/sub/f.txt", &ri), "deep\n");
	EXPECT(ri.mode == (ROFS_S_IFREG | 0640));
	EXPECT_STR(image_file(&img, "/tree/ln", &ri), "sub/f.txt");
	EXPECT(ri.mode == (ROFS_S_IFLNK | 0777));
	EXPECT(image_file(&img, "/tree", &ri) && ri.mode == (ROFS_S_IFDIR | 0750));
	EXPECT_STR(image_file(&img, "/srv/x/one", &ri), "one\n");
	EXPECT_STR(image_file(&img, "/etc/hosts", &ri), "127.0.0.1 localhost\n");
	EXPECT(image_file(&img, "/tmp", &ri) && ri.mode == (ROFS_S_IFDIR | 01777));

	/* The same file twice at one path is fine; a different one is a conflict. */
	snprintf(add3, sizeof(add3), "%s/tree/sub/f.txt:/srv/x/one", dir);
	o.adds[o.nadds++] = add2;
	EXPECT(run_image(&o, mods, cache, img_path, sizeof(img_path), &status, err, sizeof(err)) ==
	       0);
	o.adds[o.nadds - 1] = add3;
	EXPECT(run_image(&o, mods, cache, img_path, sizeof(img_path), &status, err, sizeof(err)) ==
	       -EINVAL);
	EXPECT(status == 2 && strstr(err, "path conflict at /srv/x/one: --add ") &&
	       strstr(err, "put a different file"));
	o.adds[o.nadds - 1] = "/nonexistent/x:/x";
	EXPECT(run_image(&o, mods, cache, img_path, sizeof(img_path), &status, err, sizeof(err)) ==
	       -EINVAL);
	EXPECT_STR(err, "--add /nonexistent/x:/x: /nonexistent/x: No such file or directory");
	o.adds[o.nadds - 1] = add1;
	o.image = "nosuch";
	EXPECT(run_image(&o, mods, cache, img_path, sizeof(img_path), &status, err, sizeof(err)) !=
	       0);
	EXPECT(status == 1 && strstr(err, "module 'nosuch' not found"));
out_remove:
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	if (system(p) != 0 && !why[0])
		snprintf(why, sizeof(why), "cannot remove %s", dir);
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
	run("disk_opts", test_disk_opts);
	run("shell_quote", test_shell_quote);
	run("debugcon_status", test_debugcon_status);
	run("guest_status", test_guest_status);
	run("debugcon_ready", test_debugcon_ready);
	run("relay_waits_for_ready", test_relay_waits_for_ready);
	run("relay_large_input", test_relay_large_input);
	run("relay_ends", test_relay_ends);
	run("parse_list", test_parse_list_glob);
	run("judge_run", test_judge_runs);
	run("judge_death", test_judge_deaths);
	run("opts_program", test_opts_program);
	run("cmdline_quote", test_cmdline_quote);
	run("run_cmdline", test_run_cmdline);
	run("add_split", test_add_split);
	run("run_image", test_run_image);
	return failed ? 1 : 0;
}
