/*
 * kmain(): the boot sequence after the entry code (kernel/arch/x86_64/boot.S).
 *
 * Boot is kept short because under TCG every distinct instruction executed
 * costs a translation: each phase does only what the next one needs, and
 * anything needed only at shutdown (ACPI) is done at shutdown.  Each phase
 * ends with a boot-chart mark; "ready" is the point where the application
 * starts.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/arch/trap.h>
#include <osprey/block.h>
#include <osprey/boot.h>
#include <osprey/cmdline.h>
#include <osprey/linux.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/panic.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/test.h>
#include <osprey/time.h>
#include <osprey/trace.h>
#include <osprey/vfs.h>

void kmain(void);
void info_show(void);

static char cmdline_buf[CMDLINE_MAX];

static void print_line(const char *line)
{
	kprintf("%s\n", line);
}

static void parse_cmdline(void)
{
	char err[128];

	memcpy(cmdline_buf, boot_info.cmdline, sizeof(cmdline_buf));
	if (cmdline_parse(cmdline_buf, &boot_options, err, sizeof(err))) {
		kprintf("osprey: bad kernel command line: %s\n", err);
		kprintf("kernel options:\n");
		cmdline_help(print_line);
		power_off(USAGE_STATUS);
	}
	if (boot_options.verbose)
		log_level = LOG_INFO;
	if (boot_options.loglevel >= 0)
		log_level = boot_options.loglevel;
}

static __noreturn void run_tests(void)
{
	int passed, failed;

	if (boot_options.test_death) {
		if (test_run_death(boot_options.test_death) == -ENOENT)
			kprintf("osprey: no death test named %s\n", boot_options.test_death);
		power_off(1);
	}
	/* The scheduler's own set-up is not a test's leak. */
	if (strcmp(boot_options.test, "list") != 0 && sched_start())
		kprintf("osprey: the scheduler did not start; thread tests will fail\n");
	test_run(boot_options.test, &passed, &failed);
	power_off(failed ? 1 : 0);
}

static __noreturn void run_bench(void)
{
	int ret = trace_bench(boot_options.bench);

	if (ret == -ENOENT)
		ret = mm_bench(boot_options.bench);
	if (ret == -ENOENT)
		ret = vfs_bench(boot_options.bench);
	if (ret == -ENOENT)
		ret = sched_bench(boot_options.bench);
	if (ret == -ENOENT)
		ret = blk_bench(boot_options.bench);
	if (ret == -ENOENT)
		kprintf("osprey: no benchmark named %s\n", boot_options.bench);
	power_off(ret ? 1 : 0);
}

void kmain(void)
{
	const char *why;

	/*
	 * The PIT calibration window opens first: the clock phase waits until
	 * it has lasted 1.5 ms, so everything boot does meanwhile is free.
	 */
	time_early_init();
	serial_init();
	if (boot_info_parse(&why))
		panic("bad boot information: %s", why);
	bootchart_mark("entry");
	parse_cmdline();
	arch_cpu_init();
	percpu_init_boot();
	trace_init();
	sched_init();
	bootchart_mark("cpu");
	bootmem_init();
	mmu_init();
	bootchart_mark("mmu");
	mm_init();
	bootchart_mark("mm");
	time_init();
	bootchart_mark("clock");
	/*
	 * The file tree is mounted on first use (kernel/fs/vfs.c), and the
	 * virtio devices are found on the first lookup of a block device
	 * (kernel/drivers/block/block.c, docs/virtio.md).
	 */

	if (boot_options.bootchart)
		bootchart_print();
	if (boot_options.test || boot_options.test_death)
		run_tests();
	if (boot_options.bench)
		run_bench();
	if (boot_options.argc)
		linux_start(boot_options.argc, boot_options.argv, boot_options.envp);
	info_show();
	power_off(0);
}
