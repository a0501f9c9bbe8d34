/*
 * Option parsing for `osprey run` and `osprey test`.
 *
 * A small table-driven parser rather than getopt_long: getopt keeps global
 * state (hard to unit test) and words its own errors, while every error here
 * must be one line that names the option and the bad value.  Accepted forms:
 * "-m 64M", "-m64M", "--mem 64M", "--mem=64M"; "--" ends the options.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osprey_err.h"
#include "osprey.h"

#define MAX_MEM_MIB (1u << 20) /* 1 TiB */
#define MAX_CPUS 255u
#define MAX_TIMEOUT 86400u

enum opt_id {
	OPT_HELP,
	OPT_MEM,
	OPT_CPUS,
	OPT_MACHINE,
	OPT_ACCEL,
	OPT_DEBUG,
	OPT_CMDLINE,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_IMAGE,
	OPT_DRY_RUN,
	OPT_TIMEOUT,
	OPT_VERBOSE,
	OPT_TRACE,
	OPT_TRACE_OUT,
	OPT_ADD,
	OPT_ENV,
	OPT_DISK,
};

struct opt_def {
	char short_name; /* 0 = none */
	const char *long_name;
	bool has_arg;
	unsigned int cmds; /* CMD_RUN | CMD_TEST */
	enum opt_id id;
};

static const struct opt_def opt_table[] = {
	{ 'h', "help", false, CMD_RUN | CMD_TEST, OPT_HELP },
	{ 'm', "mem", true, CMD_RUN | CMD_TEST, OPT_MEM },
	{ 'c', "cpus", true, CMD_RUN | CMD_TEST, OPT_CPUS },
	{ 0, "machine", true, CMD_RUN | CMD_TEST, OPT_MACHINE },
	{ 0, "accel", true, CMD_RUN | CMD_TEST, OPT_ACCEL },
	{ 0, "debug", false, CMD_RUN, OPT_DEBUG },
	{ 'e', "cmdline", true, CMD_RUN | CMD_TEST, OPT_CMDLINE },
	{ 0, "kernel", true, CMD_RUN | CMD_TEST, OPT_KERNEL },
	{ 0, "initrd", true, CMD_RUN, OPT_INITRD },
	{ 0, "image", true, CMD_RUN, OPT_IMAGE },
	{ 0, "dry-run", false, CMD_RUN, OPT_DRY_RUN },
	{ 0, "timeout", true, CMD_RUN | CMD_TEST, OPT_TIMEOUT },
	{ 'v', "verbose", false, CMD_RUN | CMD_TEST, OPT_VERBOSE },
	{ 0, "trace", true, CMD_RUN, OPT_TRACE },
	{ 0, "trace-out", true, CMD_RUN, OPT_TRACE_OUT },
	{ 0, "add", true, CMD_RUN, OPT_ADD },
	{ 0, "env", true, CMD_RUN, OPT_ENV },
	{ 0, "disk", true, CMD_RUN | CMD_TEST, OPT_DISK },
};

static const char *const machine_names[] = {
	[MACHINE_MICROVM] = "microvm",
	[MACHINE_Q35] = "q35",
	[MACHINE_PC] = "pc",
};

static const char *const accel_names[] = {
	[ACCEL_AUTO] = "auto",
	[ACCEL_KVM] = "kvm",
	[ACCEL_TCG] = "tcg",
	[ACCEL_PVM] = "pvm",
};

const char *machine_name(enum machine m)
{
	return machine_names[m];
}

const char *accel_name(enum accel a)
{
	return accel_names[a];
}

static const char *cmd_name(enum osprey_cmd cmd)
{
	return cmd == CMD_RUN ? "run" : "test";
}

void opts_defaults(enum osprey_cmd cmd, struct osprey_opts *o)
{
	const char *k = getenv("OSPREY_KERNEL");

	memset(o, 0, sizeof(*o));
	strcpy(o->mem, "64M");
	o->cpus = 1;
	o->machine = MACHINE_MICROVM;
	o->accel = ACCEL_AUTO;
	o->kernel = k && *k ? k : OSPREY_DEFAULT_KERNEL;
	o->timeout = cmd == CMD_TEST ? 60 : 0;
}

/* Decimal digits only, no sign, no spaces, no overflow past max. */
static int parse_u64(const char *s, const char **end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return -ERANGE;
	}
	*end = p;
	*out = v;
	return 0;
}

int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	const char *end;
	uint64_t v;
	int ret = parse_u64(s, &end, max, &v);

	if (ret)
		return ret;
	if (*end)
		return -EINVAL;
	if (v < min)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

/*
 * "64" and "64M" are MiB, "1G" is GiB (either case).  The result is what
 * QEMU's -m takes: the number and an upper-case unit, "64M" or "1G".
 */
int parse_mem(const char *s, char *out, size_t outlen)
{
	const char *end;
	uint64_t v, mib;
	char unit = 'M';
	int ret = parse_u64(s, &end, MAX_MEM_MIB, &v);

	if (ret)
		return ret;
	if (*end == 'M' || *end == 'm') {
		end++;
	} else if (*end == 'G' || *end == 'g') {
		unit = 'G';
		end++;
	}
	if (*end)
		return -EINVAL;
	mib = unit == 'G' ? v * 1024 : v;
	if (mib < 1 || mib > MAX_MEM_MIB)
		return -ERANGE;
	if ((size_t)snprintf(out, outlen, "%llu%c", (unsigned long long)v, unit) >= outlen)
		return -ENOSPC;
	return 0;
}

int parse_machine(const char *s, enum machine *out)
{
	for (size_t i = 0; i < sizeof(machine_names) / sizeof(machine_names[0]); i++) {
		if (strcmp(s, machine_names[i]) == 0) {
			*out = (enum machine)i;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_accel(const char *s, enum accel *out)
{
	for (size_t i = 0; i < sizeof(accel_names) / sizeof(accel_names[0]); i++) {
		if (strcmp(s, accel_names[i]) == 0) {
			*out = (enum accel)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Apply one option; `name` is how the user spelled it, for the error line. */
/* FILE or FILE,ro: the file's name is kept without the suffix. */
static int parse_disk(const char *name, const char *val, struct osprey_opts *o, char *err,
		      size_t errlen)
{
	size_t len = strlen(val);
	bool ro = len >= 3 && strcmp(val + len - 3, ",ro") == 0;
	struct osprey_disk *d;

	if (ro)
		len -= 3;
	if (len == 0)
		return osprey_fail(err, errlen, "%s '%s': expected FILE or FILE,ro", name, val);
	if (o->ndisks == OSPREY_MAX_DISKS)
		return osprey_fail(err, errlen, "%s: more than %d of them", name, OSPREY_MAX_DISKS);
	d = &o->disks[o->ndisks];
	if (len >= sizeof(d->file))
		return osprey_fail(err, errlen, "%s: file name too long", name);
	memcpy(d->file, val, len);
	d->file[len] = 0;
	d->readonly = ro;
	o->ndisks++;
	return 0;
}

static int apply(const struct opt_def *d, const char *name, const char *val, struct osprey_opts *o,
		 char *err, size_t errlen)
{
	switch (d->id) {
	case OPT_HELP:
		o->help = true;
		return 0;
	case OPT_MEM:
		if (parse_mem(val, o->mem, sizeof(o->mem)))
			return osprey_fail(
				err, errlen,
				"%s '%s': memory size must be 1M..1024G, a number of MiB or ending in M or G (e.g. 64M, 1G)",
				name, val);
		return 0;
	case OPT_CPUS:
		if (parse_uint(val, 1, MAX_CPUS, &o->cpus))
			return osprey_fail(err, errlen,
					   "%s '%s': CPU count must be a number from 1 to %u", name,
					   val, MAX_CPUS);
		return 0;
	case OPT_MACHINE:
		if (parse_machine(val, &o->machine))
			return osprey_fail(err, errlen,
					   "%s '%s': machine must be microvm, q35 or pc", name,
					   val);
		return 0;
	case OPT_ACCEL:
		if (parse_accel(val, &o->accel))
			return osprey_fail(err, errlen,
					   "%s '%s': accelerator must be auto, kvm, tcg or pvm",
					   name, val);
		return 0;
	case OPT_DEBUG:
		o->debug = true;
		return 0;
	case OPT_CMDLINE:
		o->cmdline = val;
		return 0;
	case OPT_KERNEL:
	case OPT_INITRD:
		if (!*val)
			return osprey_fail(err, errlen, "%s: empty file name", name);
		if (d->id == OPT_KERNEL)
			o->kernel = val;
		else
			o->initrd = val;
		return 0;
	case OPT_IMAGE:
		if (!*val || strchr(val, '/'))
			return osprey_fail(err, errlen, "%s '%s': a module name", name, val);
		o->image = val;
		return 0;
	case OPT_DRY_RUN:
		o->dry_run = true;
		return 0;
	case OPT_TIMEOUT:
		if (parse_uint(val, 0, MAX_TIMEOUT, &o->timeout))
			return osprey_fail(
				err, errlen,
				"%s '%s': timeout must be a number of seconds from 0 (none) to %u",
				name, val, MAX_TIMEOUT);
		return 0;
	case OPT_VERBOSE:
		o->verbose = true;
		return 0;
	case OPT_TRACE:
		/* It becomes one word of the kernel command line. */
		if (!*val || strpbrk(val, " \t\n'\"\\"))
			return osprey_fail(
				err, errlen,
				"%s '%s': expected a comma-separated list of globs without blanks or quotes",
				name, val);
		o->trace = val;
		return 0;
	case OPT_TRACE_OUT:
		if (!*val)
			return osprey_fail(err, errlen, "%s: empty file name", name);
		o->trace_out = val;
		return 0;
	case OPT_ADD:
		if (!*val)
			return osprey_fail(err, errlen, "%s: empty host path", name);
		if (o->nadds == OSPREY_MAX_ADDS)
			return osprey_fail(err, errlen, "%s: more than %d of them", name,
					   OSPREY_MAX_ADDS);
		o->adds[o->nadds++] = val;
		return 0;
	case OPT_ENV:
		/* The kernel's own rule for --env=K=V (kernel/core/cmdline.c). */
		if (!strchr(val, '=') || val[0] == '=')
			return osprey_fail(err, errlen, "%s '%s': expected NAME=VALUE", name, val);
		if (o->nenvs == OSPREY_MAX_ENVS)
			return osprey_fail(err, errlen, "%s: more than %d of them", name,
					   OSPREY_MAX_ENVS);
		o->envs[o->nenvs++] = val;
		return 0;
	case OPT_DISK:
		return parse_disk(name, val, o, err, errlen);
	}
	return osprey_fail(err, errlen, "%s: internal error", name);
}

static const struct opt_def *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
		const char *ln = opt_table[i].long_name;

		if (strlen(ln) == len && strncmp(ln, name, len) == 0)
			return &opt_table[i];
	}
	return NULL;
}

static const struct opt_def *find_short(char c)
{
	for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
		if (opt_table[i].short_name == c)
			return &opt_table[i];
	}
	return NULL;
}

/*
 * A word that is not an option.  For `run`, the first one is the host
 * program and everything after it its arguments (returns 1: stop parsing).
 */
static int positional(enum osprey_cmd cmd, char **argv, int i, int argc, struct osprey_opts *o,
		      char *err, size_t errlen)
{
	const char *arg = argv[i];

	if (cmd == CMD_RUN) {
		if (!*arg)
			return osprey_fail(err, errlen, "run: empty program path");
		o->prog = arg;
		o->prog_argv = argv + i + 1;
		o->prog_argc = argc - i - 1;
		return 1;
	}
	if (cmd == CMD_TEST && !o->glob) {
		if (!*arg)
			return osprey_fail(err, errlen, "test: empty GLOB");
		o->glob = arg;
		return 0;
	}
	return osprey_fail(err, errlen, "%s: unexpected argument '%s' (see osprey %s --help)",
			   cmd_name(cmd), arg, cmd_name(cmd));
}

/*
 * Parse argv[0..argc) (the words after "run" or "test") into *o, which the
 * caller has filled with opts_defaults().  On error, *err holds one line.
 */
int opts_parse(enum osprey_cmd cmd, int argc, char **argv, struct osprey_opts *o, char *err,
	       size_t errlen)
{
	bool options_done = false;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		const struct opt_def *d;
		char name[64];
		int ret;

		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			ret = positional(cmd, argv, i, argc, o, err, errlen);
			if (ret < 0)
				return ret;
			if (ret > 0)
				break;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

			d = find_long(arg + 2, len);
			snprintf(name, sizeof(name), "--%.*s", (int)(len > 40 ? 40 : len), arg + 2);
			if (eq)
				val = eq + 1;
		} else {
			d = find_short(arg[1]);
			snprintf(name, sizeof(name), "-%c", arg[1]);
			if (arg[2])
				val = arg + 2;
		}
		if (!d || !(d->cmds & cmd)) {
			return osprey_fail(err, errlen,
					   "%s: unknown option '%s' (see osprey %s --help)",
					   cmd_name(cmd), arg, cmd_name(cmd));
		}
		if (!d->has_arg && val) {
			return osprey_fail(err, errlen, "%s: option %s takes no value",
					   cmd_name(cmd), name);
		}
		if (d->has_arg && !val) {
			if (i + 1 >= argc)
				return osprey_fail(err, errlen, "%s: option %s needs a value",
						   cmd_name(cmd), name);
			val = argv[++i];
		}
		ret = apply(d, name, val, o, err, errlen);
		if (ret)
			return ret;
	}
	if (o->trace_out && !o->trace)
		return osprey_fail(err, errlen, "%s: --trace-out needs --trace", cmd_name(cmd));
	if (o->ndisks && o->machine != MACHINE_MICROVM)
		return osprey_fail(
			err, errlen,
			"%s: --disk on %s needs PCI, not yet (virtio-mmio: --machine microvm)",
			cmd_name(cmd), machine_name(o->machine));
	if (o->nadds && !o->prog)
		return osprey_fail(
			err, errlen,
			"%s: --add needs a program to run (osprey run [OPTIONS] PROGRAM [ARGS...])",
			cmd_name(cmd));
	return 0;
}
