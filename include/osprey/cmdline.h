/*
 * The kernel command line, OSv style: kernel options first ("--name" or
 * "--name=value"), then the application's command line.  "--" alone ends
 * the options.  Words are split on blanks; '...' and "..." quote, and a
 * backslash escapes the next character.  docs/host-guest.md lists the
 * options.  Portable: built into the kernel, the unit tests and the fuzzer.
 */
#ifndef OSPREY_CMDLINE_H
#define OSPREY_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX_ARGS 64
#define CMDLINE_MAX_ENV 64
#define CMDLINE_MAX_VIRTIO_MMIO 32

/*
 * A virtio-mmio device a VMM names on the command line, as Linux reads it:
 * virtio_mmio.device=SIZE@BASE:IRQ[:ID] (SIZE may end in K, M or G; SIZE
 * and BASE decimal or 0x hex).  QEMU's microvm (with ACPI off) and
 * Firecracker append such words after everything else; the kernel takes
 * them there, and among its options, never as the program or its arguments.
 */
#define CMDLINE_VIRTIO_MMIO "virtio_mmio.device="
struct cmdline_virtio_mmio {
	uint64_t base, size;
	uint32_t irq;
};

enum poweroff_method { POWEROFF_AUTO, POWEROFF_ACPI, POWEROFF_RESET };

enum apic_choice { APIC_AUTO, APIC_XAPIC };	 /* auto: x2APIC if the CPU has it */
enum timer_choice { TIMER_AUTO, TIMER_ONESHOT }; /* auto: TSC-deadline if the CPU has it */

struct boot_options {
	bool nopci;
	bool bootchart;
	bool verbose;
	bool mem_stats;
	bool strace;
	int loglevel;		/* -1 when not given */
	int poweroff;		/* enum poweroff_method */
	int apic;		/* enum apic_choice */
	int timer;		/* enum timer_choice */
	const char *trace;	/* NULL, or a comma-separated glob list */
	const char *test;	/* NULL, or a glob list, or "list" */
	const char *test_death; /* NULL, or "suite.name" */
	const char *bench;	/* NULL, or the in-kernel benchmark to run */
	int argc;
	char *argv[CMDLINE_MAX_ARGS + 1]; /* the application and its arguments */
	int envc;
	char *envp[CMDLINE_MAX_ENV + 1]; /* from --env=K=V */
	int virtio_mmio_n;
	struct cmdline_virtio_mmio virtio_mmio[CMDLINE_MAX_VIRTIO_MMIO];
};

extern struct boot_options boot_options;

/*
 * Parses buf in place (the strings in *o point into it).  On a bad command
 * line returns -EINVAL and writes one line naming the problem into err.
 */
int cmdline_parse(char *buf, struct boot_options *o, char *err, size_t errlen);

/* Prints the options and their help, one a line, through print. */
void cmdline_help(void (*print)(const char *line));

#endif
