/* kernel/core/cmdline.c, good and bad input.  Runs on the host and in the kernel. */
#include <string.h>

#include <osprey/cmdline.h>
#include <osprey/test.h>

static int parse(const char *s, struct boot_options *o, char *err, size_t errlen)
{
	static char buf[2048];

	memcpy(buf, s, strlen(s) + 1);
	return cmdline_parse(buf, o, err, errlen);
}

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return true;
	return false;
}

TEST(cmdline, options_then_program)
{
	struct boot_options o;
	char err[128];

	EXPECT_EQ(t,
		  parse("--nopci --bootchart --loglevel=7 --trace=sched*,mm_* /app -x --y z", &o,
			err, sizeof(err)),
		  0);
	EXPECT_TRUE(t, o.nopci);
	EXPECT_TRUE(t, o.bootchart);
	EXPECT_EQ(t, o.loglevel, 7);
	EXPECT_STREQ(t, o.trace, "sched*,mm_*");
	EXPECT_EQ(t, o.argc, 4);
	EXPECT_STREQ(t, o.argv[0], "/app");
	EXPECT_STREQ(t, o.argv[2], "--y");
	EXPECT_TRUE(t, o.argv[4] == NULL);
}

TEST(cmdline, empty_and_defaults)
{
	struct boot_options o;
	char err[128];

	EXPECT_EQ(t, parse("   ", &o, err, sizeof(err)), 0);
	EXPECT_EQ(t, o.argc, 0);
	EXPECT_EQ(t, o.loglevel, -1);
	EXPECT_EQ(t, o.poweroff, POWEROFF_AUTO);
	EXPECT_EQ(t, o.apic, APIC_AUTO);
	EXPECT_EQ(t, o.timer, TIMER_AUTO);
	EXPECT_TRUE(t, o.test == NULL);
}

TEST(cmdline, double_dash_ends_options)
{
	struct boot_options o;
	char err[128];

	EXPECT_EQ(t, parse("--verbose -- --nopci", &o, err, sizeof(err)), 0);
	EXPECT_TRUE(t, o.verbose);
	EXPECT_FALSE(t, o.nopci);
	EXPECT_EQ(t, o.argc, 1);
	EXPECT_STREQ(t, o.argv[0], "--nopci");
}

TEST(cmdline, quoting)
{
	struct boot_options o;
	char err[128];

	EXPECT_EQ(t, parse("/bin/sh -c 'echo  \"hi\"' \"a b\" c\\ d", &o, err, sizeof(err)), 0);
	EXPECT_EQ(t, o.argc, 5);
	EXPECT_STREQ(t, o.argv[2], "echo  \"hi\"");
	EXPECT_STREQ(t, o.argv[3], "a b");
	EXPECT_STREQ(t, o.argv[4], "c d");
}

TEST(cmdline, env_and_choice)
{
	struct boot_options o;
	char err[128];

	EXPECT_EQ(t, parse("--env=A=1 --env=PATH=/bin --poweroff=acpi /x", &o, err, sizeof(err)),
		  0);
	EXPECT_EQ(t, o.envc, 2);
	EXPECT_STREQ(t, o.envp[1], "PATH=/bin");
	EXPECT_EQ(t, o.poweroff, POWEROFF_ACPI);
	EXPECT_EQ(t, parse("--apic=xapic --timer=oneshot", &o, err, sizeof(err)), 0);
	EXPECT_EQ(t, o.apic, APIC_XAPIC);
	EXPECT_EQ(t, o.timer, TIMER_ONESHOT);
}

TEST(cmdline, errors_name_the_problem)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "--bogus /x", "unknown option --bogus" },
		{ "--loglevel=9", "bad value for --loglevel: '9'" },
		{ "--loglevel=abc", "bad value for --loglevel: 'abc'" },
		{ "--loglevel=", "option --loglevel needs a value" },
		{ "--loglevel", "option --loglevel needs a value" },
		{ "--nopci=1", "option --nopci takes no value" },
		{ "--poweroff=off", "bad value for --poweroff: 'off'" },
		{ "--apic=x2apic", "bad value for --apic: 'x2apic'" },
		{ "--timer=periodic", "bad value for --timer: 'periodic'" },
		{ "--env=novalue", "bad value for --env" },
		{ "--env==x", "bad value for --env" },
		{ "/x 'unterminated", "unterminated ' quote" },
		{ "--trace=", "option --trace needs a value" },
	};
	struct boot_options o;
	char err[128];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(t, parse(cases[i].in, &o, err, sizeof(err)), -22);
		if (!contains(err, cases[i].msg))
			test_fail(t, __FILE__, __LINE__, "'%s' gave '%s', wanted '%s'", cases[i].in,
				  err, cases[i].msg);
	}
}

TEST(cmdline, bounded)
{
	static char big[2048];
	struct boot_options o;
	char err[128];
	size_t n = 0;

	/* 65 words: one more than the limit. */
	for (int i = 0; i < 65; i++) {
		big[n++] = 'w';
		big[n++] = ' ';
	}
	big[n] = 0;
	EXPECT_EQ(t, cmdline_parse(big, &o, err, sizeof(err)), -22);
	EXPECT_TRUE(t, contains(err, "too many words"));
	/* A long unknown option is named, truncated, without overflowing err. */
	memset(big, 'a', 1000);
	memcpy(big, "--", 2);
	big[1000] = 0;
	EXPECT_EQ(t, cmdline_parse(big, &o, err, 16), -22);
	EXPECT_EQ(t, strlen(err), 15);
}

TEST(cmdline, virtio_mmio_words_are_the_kernels)
{
	struct boot_options o;
	char err[128];

	/* QEMU's microvm (ACPI off) and Firecracker append them after the program's words */
	EXPECT_EQ(t,
		  parse("--verbose /app a b virtio_mmio.device=512@0xfeb00000:5 "
			"virtio_mmio.device=4K@0xd0000000:12:3",
			&o, err, sizeof(err)),
		  0);
	EXPECT_EQ(t, o.argc, 3);
	EXPECT_STREQ(t, o.argv[0], "/app");
	EXPECT_STREQ(t, o.argv[2], "b");
	EXPECT_EQ(t, o.virtio_mmio_n, 2);
	EXPECT_EQ(t, o.virtio_mmio[0].size, 512);
	EXPECT_EQ(t, o.virtio_mmio[0].base, 0xfeb00000);
	EXPECT_EQ(t, o.virtio_mmio[0].irq, 5);
	EXPECT_EQ(t, o.virtio_mmio[1].size, 4096);
	EXPECT_EQ(t, o.virtio_mmio[1].base, 0xd0000000);
	EXPECT_EQ(t, o.virtio_mmio[1].irq, 12);

	/* without a program they are not taken for one; among the options too */
	EXPECT_EQ(t, parse("virtio_mmio.device=512@0xfeb00200:6", &o, err, sizeof(err)), 0);
	EXPECT_EQ(t, o.argc, 0);
	EXPECT_EQ(t, o.virtio_mmio_n, 1);
	EXPECT_EQ(t,
		  parse("--test=x virtio_mmio.device=1K@4096:7 --verbose /p", &o, err, sizeof(err)),
		  0);
	EXPECT_EQ(t, o.virtio_mmio_n, 1);
	EXPECT_TRUE(t, o.verbose);
	EXPECT_EQ(t, o.argc, 1);

	/* in the middle of the program's arguments, a word is the program's */
	EXPECT_EQ(t, parse("/p virtio_mmio.device=512@0x1000:5 x", &o, err, sizeof(err)), 0);
	EXPECT_EQ(t, o.argc, 3);
	EXPECT_EQ(t, o.virtio_mmio_n, 0);
}

TEST(cmdline, bad_virtio_mmio_words)
{
	static const char *const bad[] = {
		"virtio_mmio.device=",
		"virtio_mmio.device=512",
		"virtio_mmio.device=512@",
		"virtio_mmio.device=512@0x1000",
		"virtio_mmio.device=512@0x1000:",
		"virtio_mmio.device=0@0x1000:5",
		"virtio_mmio.device=512@0x1000:5x",
		"virtio_mmio.device=512@0xffffffffffffff00:5",
		"virtio_mmio.device=99999999999G@0:5",
		"virtio_mmio.device=512@0x1000:70000",
		"virtio_mmio.device=512@0x:5",
	};
	struct boot_options o;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(t, parse(bad[i], &o, err, sizeof(err)), -22);
		EXPECT_TRUE(t, contains(err, "virtio_mmio.device"));
	}
}
