/*
 * Kernel command line parser.  Input is untrusted (it comes from whoever
 * starts the VM): it is bounded (CMDLINE_MAX_ARGS words, the buffer's own
 * length), never reads past the terminating NUL, and every problem is an
 * error naming the word at fault.  tests/unit/cmdline_test.c and
 * tests/fuzz/cmdline.c drive it.
 */
#include <stdint.h>
#include <string.h>

#include <osprey/cmdline.h>
#include <osprey/format.h>

#define EINVAL 22

struct boot_options boot_options;

enum kind { FLAG, INT, STR, CHOICE, ENV };

struct option {
	const char *name;
	enum kind kind;
	size_t off;
	int min, max;		    /* INT */
	const char *const *choices; /* CHOICE: NULL-terminated, index stored */
	const char *help;
};

static const char *const poweroff_choices[] = { "auto", "acpi", "reset", NULL };
static const char *const apic_choices[] = { "auto", "xapic", NULL };
static const char *const timer_choices[] = { "auto", "oneshot", NULL };

#define OFF(f) offsetof(struct boot_options, f)

static const struct option options[] = {
	{ "nopci", FLAG, OFF(nopci), 0, 0, NULL, "do not enumerate PCI" },
	{ "bootchart", FLAG, OFF(bootchart), 0, 0, NULL, "print the boot phases and their times" },
	{ "verbose", FLAG, OFF(verbose), 0, 0, NULL, "kernel messages up to info level" },
	{ "mem-stats", FLAG, OFF(mem_stats), 0, 0, NULL, "print memory statistics" },
	{ "strace", FLAG, OFF(strace), 0, 0, NULL,
	  "print each system call of the program, as strace does" },
	{ "loglevel", INT, OFF(loglevel), 0, 7, NULL, "console log level, 0..7 (default 4)" },
	{ "trace", STR, OFF(trace), 0, 0, NULL, "enable tracepoints by glob; 'list' lists them" },
	{ "test", STR, OFF(test), 0, 0, NULL, "run in-kernel tests matching the globs; 'list'" },
	{ "test-death", STR, OFF(test_death), 0, 0, NULL, "run one death test (suite.name)" },
	{ "bench", STR, OFF(bench), 0, 0, NULL,
	  "run an in-kernel benchmark (trace) and power off" },
	{ "poweroff", CHOICE, OFF(poweroff), 0, 0, poweroff_choices,
	  "power-off method: auto, acpi or reset" },
	{ "apic", CHOICE, OFF(apic), 0, 0, apic_choices,
	  "local APIC mode: auto (x2APIC if the CPU has it) or xapic" },
	{ "timer", CHOICE, OFF(timer), 0, 0, timer_choices,
	  "APIC timer: auto (TSC-deadline if the CPU has it) or oneshot" },
	{ "env", ENV, 0, 0, 0, NULL, "K=V: set an environment variable of the application" },
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Splits buf into words in place.  Quotes and backslashes are removed as
 * the word is copied down over itself, so the result never grows.
 */
static int split(char *buf, char **words, int max, int *count, char *err, size_t errlen)
{
	char *r = buf, *w = buf;
	int n = 0;

	for (;;) {
		while (is_blank(*r))
			r++;
		if (!*r)
			break;
		if (n == max) {
			format_snprintf(err, errlen,
					"too many words on the command line (at most %d)", max);
			return -EINVAL;
		}
		words[n++] = w;
		char quote = 0;

		while (*r && (quote || !is_blank(*r))) {
			if (quote && *r == quote) {
				quote = 0;
				r++;
			} else if (!quote && (*r == '\'' || *r == '"')) {
				quote = *r++;
			} else if (*r == '\\' && quote != '\'' && r[1]) {
				*w++ = r[1];
				r += 2;
			} else {
				*w++ = *r++;
			}
		}
		if (quote) {
			format_snprintf(err, errlen, "unterminated %c quote on the command line",
					quote);
			return -EINVAL;
		}
		bool end = !*r;

		*w++ = 0;
		if (end)
			break;
		r++;
	}
	*count = n;
	return 0;
}

static int parse_int(const char *s, int *out)
{
	int64_t v = 0;
	bool neg = *s == '-';

	if (neg)
		s++;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	*out = (int)(neg ? -v : v);
	return 0;
}

static int apply(const struct option *opt, char *value, struct boot_options *o, char *err,
		 size_t errlen)
{
	char *field = (char *)o + opt->off;

	if (opt->kind == FLAG) {
		if (value) {
			format_snprintf(err, errlen, "option --%s takes no value", opt->name);
			return -EINVAL;
		}
		*(bool *)field = true;
		return 0;
	}
	if (!value || !*value) {
		format_snprintf(err, errlen, "option --%s needs a value", opt->name);
		return -EINVAL;
	}
	switch (opt->kind) {
	case INT: {
		int v;

		if (parse_int(value, &v) || v < opt->min || v > opt->max) {
			format_snprintf(err, errlen,
					"bad value for --%s: '%.32s' (expected %d..%d)", opt->name,
					value, opt->min, opt->max);
			return -EINVAL;
		}
		*(int *)field = v;
		return 0;
	}
	case STR:
		*(const char **)field = value;
		return 0;
	case CHOICE:
		for (int i = 0; opt->choices[i]; i++) {
			if (strcmp(opt->choices[i], value) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		format_snprintf(err, errlen, "bad value for --%s: '%.32s'", opt->name, value);
		return -EINVAL;
	case ENV:
		if (!strchr(value, '=') || value[0] == '=') {
			format_snprintf(err, errlen, "bad value for --env: '%.32s' (expected K=V)",
					value);
			return -EINVAL;
		}
		if (o->envc == CMDLINE_MAX_ENV) {
			format_snprintf(err, errlen, "too many --env options (at most %d)",
					CMDLINE_MAX_ENV);
			return -EINVAL;
		}
		o->envp[o->envc++] = value;
		o->envp[o->envc] = NULL;
		return 0;
	default:
		return -EINVAL;
	}
}

/* A number, decimal or 0x hex, into *out; the first byte after it in *end. */
static int parse_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	unsigned base = 10, digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, digits++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (__builtin_mul_overflow(v, (uint64_t)base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			return -EINVAL;
	}
	if (!digits)
		return -EINVAL;
	*out = v;
	*end = s;
	return 0;
}

/* virtio_mmio.device=SIZE@BASE:IRQ[:ID] */
static int parse_virtio_mmio(const char *w, struct boot_options *o, char *err, size_t errlen)
{
	struct cmdline_virtio_mmio d;
	const char *p = w + strlen(CMDLINE_VIRTIO_MMIO);
	uint64_t irq, id, shift = 0;

	if (parse_u64(p, &d.size, &p))
		goto bad;
	if (*p == 'K' || *p == 'k')
		shift = 10;
	else if (*p == 'M' || *p == 'm')
		shift = 20;
	else if (*p == 'G' || *p == 'g')
		shift = 30;
	if (shift) {
		p++;
		if (d.size > (UINT64_MAX >> shift))
			goto bad;
		d.size <<= shift;
	}
	if (*p++ != '@' || parse_u64(p, &d.base, &p) || *p++ != ':' || parse_u64(p, &irq, &p) ||
	    irq > 0xffff)
		goto bad;
	if (*p == ':' && parse_u64(p + 1, &id, &p))
		goto bad;
	if (*p || d.size == 0 || d.base + d.size < d.base)
		goto bad;
	if (o->virtio_mmio_n == CMDLINE_MAX_VIRTIO_MMIO) {
		format_snprintf(err, errlen, "too many virtio_mmio.device words (at most %d)",
				CMDLINE_MAX_VIRTIO_MMIO);
		return -EINVAL;
	}
	d.irq = (uint32_t)irq;
	o->virtio_mmio[o->virtio_mmio_n++] = d;
	return 0;
bad:
	format_snprintf(err, errlen, "bad word '%.48s' (expected virtio_mmio.device=SIZE@BASE:IRQ)",
			w);
	return -EINVAL;
}

static bool is_virtio_mmio(const char *w)
{
	return strncmp(w, CMDLINE_VIRTIO_MMIO, strlen(CMDLINE_VIRTIO_MMIO)) == 0;
}

int cmdline_parse(char *buf, struct boot_options *o, char *err, size_t errlen)
{
	char *words[CMDLINE_MAX_ARGS];
	int n, i, ret;

	memset(o, 0, sizeof(*o));
	o->loglevel = -1;
	if (errlen)
		err[0] = 0;
	ret = split(buf, words, CMDLINE_MAX_ARGS, &n, err, errlen);
	if (ret)
		return ret;
	/* The VMM's words at the end are the kernel's, in their order. */
	int vm = n;

	while (vm > 0 && is_virtio_mmio(words[vm - 1]))
		vm--;
	for (int k = vm; k < n; k++) {
		ret = parse_virtio_mmio(words[k], o, err, errlen);
		if (ret)
			return ret;
	}
	n = vm;
	for (i = 0; i < n; i++) {
		char *w = words[i];

		if (is_virtio_mmio(w)) {
			ret = parse_virtio_mmio(w, o, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		if (w[0] != '-' || w[1] != '-')
			break;
		if (!w[2]) {
			i++;
			break;
		}
		char *name = w + 2, *value = strchr(name, '=');
		size_t len = value ? (size_t)(value - name) : strlen(name);
		const struct option *opt = NULL;

		for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++)
			if (strlen(options[k].name) == len && !strncmp(options[k].name, name, len))
				opt = &options[k];
		if (!opt) {
			format_snprintf(err, errlen, "unknown option --%.*s",
					(int)(len > 48 ? 48 : len), name);
			return -EINVAL;
		}
		ret = apply(opt, value ? value + 1 : NULL, o, err, errlen);
		if (ret)
			return ret;
	}
	for (; i < n; i++)
		o->argv[o->argc++] = words[i];
	o->argv[o->argc] = NULL;
	return 0;
}

void cmdline_help(void (*print)(const char *line))
{
	char line[128];

	for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
		const struct option *opt = &options[k];

		format_snprintf(line, sizeof(line), "  --%s%s  %s", opt->name,
				opt->kind == FLAG ? "" : "=VALUE", opt->help);
		print(line);
	}
}
