/*
 * The `osprey` host command: what its files share.
 *
 *   main.c   dispatch to the subcommands
 *   help.c   the help texts
 *   opts.c   option and value parsing (sizes, CPU counts, machine names)
 *   qemu.c   the host probe (KVM, firmware, QEMU in PATH) and the one QEMU argv builder
 *   run.c    one guest boot: QEMU as a child, signals, timeout, exit-status mapping;
 *            and the `run` command
 *   relay.c  a stdin that is not a terminal, relayed to the guest (end of file included)
 *   run_prog.c  `run PROGRAM`: the image around a host program, --add, the quoted
 *            kernel command line
 *   test.c   the `test` command: the in-kernel test runner
 *   trace.c  the `trace` command: list, summary, boot chart of a trace file
 *   tracefile.c  the trace file parser (tracefile.h), fuzzed on its own
 *
 * Every function that can fail returns 0 or a negative errno (CONVENTIONS.md);
 * user-facing errors are written into a caller's buffer without the
 * "osprey: " prefix, which the command adds when it prints the one line.
 */
#ifndef OSPREY_TOOL_H
#define OSPREY_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses of the command itself (docs/osprey-command.md). */
#define OSPREY_EXIT_USAGE 2
#define OSPREY_EXIT_TIMEOUT 124
#define OSPREY_EXIT_NOSTATUS 125

#define OSPREY_QEMU "qemu-system-x86_64"
#define OSPREY_QBOOT "/usr/share/qemu/qboot.rom"
#define OSPREY_DEFAULT_KERNEL "build/release/osprey.elf"
#define OSPREY_GDB_PORT 1234
#define OSPREY_MAX_ADDS 64	     /* --add options of one run */
#define OSPREY_MAX_DISKS 8	     /* --disk: microvm has 8 virtio-mmio transports without ACPI */
#define OSPREY_MAX_ENVS 64	     /* --env options of one run (the kernel takes 64) */
#define OSPREY_RUN_CACHE "build/run" /* images made by `osprey run PROGRAM` */

enum osprey_cmd {
	CMD_RUN = 1 << 0,
	CMD_TEST = 1 << 1,
};

enum machine {
	MACHINE_MICROVM,
	MACHINE_Q35,
	MACHINE_PC,
};

enum accel {
	ACCEL_AUTO,
	ACCEL_KVM,
	ACCEL_TCG,
	ACCEL_PVM, /* KVM through the kvm_pvm nested hypervisor: tests of x2APIC and TSC-deadline */
};

/* A disk: --disk FILE[,ro], a virtio-blk device on microvm. */
struct osprey_disk {
	char file[4096]; /* FILE without ",ro" */
	bool readonly;
};

/* What the user asked for; strings point into argv or the environment. */
struct osprey_opts {
	char mem[24]; /* as QEMU takes it: "64M", "1G" */
	unsigned int cpus;
	enum machine machine;
	enum accel accel;
	const char *cmdline; /* -e, the kernel command line (run only) */
	const char *kernel;
	const char *initrd;
	const char *image;     /* run only: --image NAME, built into build/images/NAME.img */
	unsigned int timeout;  /* seconds; 0 = none */
	const char *glob;      /* test only; NULL = "*" */
	const char *trace;     /* run only: --trace=GLOB for the kernel, or NULL */
	const char *trace_out; /* run only: where the trace goes (default trace.bin) */
	const char *prog;      /* run only: the host program to boot, or NULL */
	char **prog_argv;      /* its arguments (after prog), prog_argc of them */
	int prog_argc;
	const char *adds[OSPREY_MAX_ADDS]; /* run only: --add HOST[:PATH] */
	unsigned int nadds;
	const char *envs[OSPREY_MAX_ENVS]; /* run only: --env K=V */
	unsigned int nenvs;
	struct osprey_disk disks[OSPREY_MAX_DISKS]; /* --disk FILE[,ro] */
	unsigned int ndisks;
	bool debug;
	bool dry_run;
	bool verbose;
	bool help;
};

/* opts.c */
void opts_defaults(enum osprey_cmd cmd, struct osprey_opts *o);
int opts_parse(enum osprey_cmd cmd, int argc, char **argv, struct osprey_opts *o, char *err,
	       size_t errlen);
int parse_mem(const char *s, char *out, size_t outlen);
int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out);
int parse_machine(const char *s, enum machine *out);
int parse_accel(const char *s, enum accel *out);
const char *machine_name(enum machine m);
const char *accel_name(enum accel a);

/* A growable NULL-terminated vector of owned strings (an argv). */
struct strvec {
	char **v;
	size_t n;
	size_t cap;
};

int strvec_push(struct strvec *sv, const char *s);
int strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strvec_free(struct strvec *sv);

/* qemu.c: what the host offers. */
struct kvm_probe {
	bool hw_module; /* kvm_intel or kvm_amd is loaded */
	bool pvm;	/* kvm_pvm (a nested PVM hypervisor) is loaded */
	bool dev_exists;
	int dev_errno; /* 0 when /dev/kvm opened read-write, else why not */
};

void kvm_probe(const char *root, struct kvm_probe *p);
int accel_resolve(enum accel want, const struct kvm_probe *p, enum accel *out, char *err,
		  size_t errlen);
const char *machine_bios(enum machine m);
int qemu_find(const char *path_env, char *out, size_t outlen);

/* Everything one boot needs; the argv depends on nothing else. */
struct qemu_spec {
	const char *qemu; /* argv[0] */
	const char *mem;  /* "64M" */
	unsigned int cpus;
	enum machine machine;
	enum accel accel; /* resolved: ACCEL_KVM, ACCEL_TCG or ACCEL_PVM */
	const char *bios; /* NULL, or firmware for q35/pc */
	const char *kernel;
	const char *initrd;		 /* NULL = none */
	const char *cmdline;		 /* NULL or "" = no -append */
	const char *debugcon;		 /* file that receives port 0xe9 */
	const char *trace_file;		 /* NULL, or the file that receives the trace port (COM2) */
	const struct osprey_disk *disks; /* ndisks virtio-blk disks (microvm only) */
	unsigned int ndisks;
	bool debug; /* gdb stub, start paused */
};

int qemu_argv(const struct qemu_spec *s, struct strvec *out);
void shell_quote(FILE *f, const char *s);
void print_argv(FILE *f, char *const *argv);

/* run.c */
struct boot_result {
	int status; /* guest status 0..255, or 124 (timeout), 125, 128 + signal */
	bool timed_out;
	int signal;    /* a signal osprey forwarded to QEMU, or 0 */
	char *console; /* captured console, NUL-terminated (capture mode only) */
	size_t console_len;
	char why[256]; /* when status is 125 or on timeout: what happened */
};

int debugcon_status(const char *buf, size_t len, int *status);
int guest_status(const char *dc, size_t dclen, int wstatus, char *why, size_t whylen);
int boot_guest(const struct qemu_spec *spec, unsigned int timeout, bool capture, bool verbose,
	       struct boot_result *res);
void boot_result_free(struct boot_result *res);
int host_prepare(const struct osprey_opts *o, struct qemu_spec *spec, char *qemu_path,
		 size_t qemu_len, bool need_qemu);
int cmd_run(int argc, char **argv);

/*
 * relay.c: osprey's stdin (not a terminal) into QEMU's, once the guest is
 * ready, then end of file.  One thread; the caller polls its fds.
 */
#define RELAY_NFDS 3

struct pollfd;

struct relay {
	int in;		 /* osprey's stdin; -1 once it ended */
	int out;	 /* the write end of QEMU's stdin (non-blocking); -1 once closed */
	int watch;	 /* inotify on the debug-console file; -1 when not watching */
	int dc;		 /* the debug-console file */
	off_t dc_off;	 /* where its first line not yet read starts */
	bool ready;	 /* the guest wrote "osprey:ready" (or there is no way to know) */
	size_t pos, len; /* buf[pos..len) is read from stdin, not yet written */
	char buf[4096];
};

bool debugcon_ready(const char *buf, size_t len);
int relay_open(struct relay *r, int in, int dc, const char *dcpath, int *qemu_in);
void relay_pollfds(const struct relay *r, struct pollfd *pf); /* RELAY_NFDS of them */
void relay_events(struct relay *r, const struct pollfd *pf);
void relay_close(struct relay *r);

/* run_prog.c */
int cmdline_quote(const char *word, char *out, size_t outlen);
/* Whether a kernel command line names an application (words after the options). */
bool cmdline_runs_program(const char *line);
int run_cmdline(const struct osprey_opts *o, const char *prefix, char **line, char *err,
		size_t errlen);
int add_split(const char *spec, char **host, char **path, char *err, size_t errlen);
int run_image(const struct osprey_opts *o, const char *modules_dir, const char *cache_dir,
	      char *path, size_t pathlen, int *status, char *err, size_t errlen);
void prog_warn(const char *prog, FILE *out);

/* test.c */
enum verdict {
	V_NONE,
	V_PASS,
	V_FAIL,
};

struct tcase {
	char *name; /* "suite.name" */
	bool death;
	enum verdict verdict;
	char *reason; /* when V_FAIL */
};

struct tlist {
	struct tcase *v;
	size_t n;
	size_t cap;
};

int test_parse_list(const char *buf, size_t len, const char *glob, struct tlist *l);
bool test_judge_run(struct tlist *l, const struct boot_result *r, char *why, size_t whylen);
bool test_judge_death(const char *name, const struct boot_result *r, char *why, size_t whylen);
void tlist_free(struct tlist *l);
int cmd_test(int argc, char **argv);

/* trace.c */
#define OSPREY_DEFAULT_TRACE "trace.bin"
int cmd_trace(int argc, char **argv);

/* help.c */
extern const char osprey_help[];
extern const char osprey_run_help[];
extern const char osprey_test_help[];
extern const char osprey_trace_help[];
/* image.c: `osprey image` (image.h) */
int cmd_image(int argc, char **argv);
/* Builds build/images/NAME.img from modules/ when it changed; prints its error, returns 0 or 1. */
int image_prepare(const char *name, char *path, size_t len);
extern const char osprey_image_help[];

#endif
