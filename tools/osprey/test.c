/*
 * `osprey test`: the host half of the in-kernel test runner.
 *
 * The protocol is in docs/host-guest.md.  One boot with --test=list learns
 * the tests; one boot with --test=GLOB runs every normal test that matches;
 * then one boot per matching death test with --test-death=suite.name.  Every
 * boot goes through boot_guest() (run.c) with the console captured.
 *
 * The runner never trusts a boot to end well: a test the guest did not report
 * as passed is a failure with the reason (panic, timeout, no RESULT line), and
 * a boot that ends badly after reporting everything adds a "test-run"
 * failure, so a broken guest can never read as "all passed".
 *
 * Its stdout is one line per test and one RESULT line; the guest's own lines
 * appear only inside the "  | " console dumps, so `make check`, which adds up
 * every line starting with "RESULT:", counts each test once.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/glob.h>

#include "osprey.h"

#define PANIC_STATUS 70

static struct tcase *tlist_add(struct tlist *l, const char *name, size_t len, bool death)
{
	struct tcase *t;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct tcase *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	t = &l->v[l->n];
	memset(t, 0, sizeof(*t));
	t->name = strndup(name, len);
	if (!t->name)
		return NULL;
	t->death = death;
	l->n++;
	return t;
}

static struct tcase *tlist_find(struct tlist *l, const char *name, size_t len, bool death)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].death == death && strlen(l->v[i].name) == len &&
		    memcmp(l->v[i].name, name, len) == 0)
			return &l->v[i];
	}
	return NULL;
}

void tlist_free(struct tlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].reason);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void set_verdict(struct tcase *t, enum verdict v, const char *reason, size_t len)
{
	if (t->verdict == V_FAIL)
		return; /* a failure sticks, whatever comes after */
	t->verdict = v;
	free(t->reason);
	t->reason = reason ? strndup(reason, len) : NULL;
}

/*
 * Step through buf line by line: *line and *len describe the line without its
 * '\n' and without a trailing '\r' (a serial console may send CRLF).
 */
static bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	return true;
}

static bool starts(const char *line, size_t len, const char *word)
{
	size_t wl = strlen(word);

	return len >= wl && memcmp(line, word, wl) == 0;
}

/* A test name: one word, no blanks. */
static bool name_ok(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ' ' || s[i] == '\t' || (unsigned char)s[i] < 0x20)
			return false;
	}
	return true;
}

/* The "test X" / "death X" lines of a --test=list boot that match glob. */
int test_parse_list(const char *buf, size_t len, const char *glob, struct tlist *l)
{
	const char *p = buf, *end = buf + len, *line;
	size_t n;

	while (next_line(&p, end, &line, &n)) {
		bool death = starts(line, n, "death ");
		size_t skip = death ? 6 : 5;
		char name[256];

		if (!death && !starts(line, n, "test "))
			continue;
		if (!name_ok(line + skip, n - skip) || n - skip >= sizeof(name))
			continue;
		memcpy(name, line + skip, n - skip);
		name[n - skip] = '\0';
		if (!glob_match_list(glob, name) || tlist_find(l, name, n - skip, death))
			continue;
		if (!tlist_add(l, name, n - skip, death))
			return -ENOMEM;
	}
	return 0;
}

/* Why a boot's unreported tests failed. */
static void boot_outcome(const struct boot_result *r, bool have_result, char *buf, size_t len)
{
	if (r->timed_out || r->signal)
		snprintf(buf, len, "%s", r->why);
	else if (r->status == PANIC_STATUS)
		snprintf(buf, len, "guest panicked (status %d)", PANIC_STATUS);
	else if (r->why[0])
		snprintf(buf, len, "%s", r->why);
	else if (!have_result)
		snprintf(buf, len, "guest exited with status %d without a RESULT line", r->status);
	else
		snprintf(buf, len, "guest exited with status %d", r->status);
}

/*
 * Judge the --test=GLOB boot: mark each normal test of l from the guest's
 * PASS/FAIL lines.  Returns true when the boot itself ended well (status 0
 * or 1 as the reports say, a RESULT line); otherwise *why says how it ended.
 */
bool test_judge_run(struct tlist *l, const struct boot_result *r, char *why, size_t whylen)
{
	const char *p = r->console ? r->console : "", *end = p + r->console_len, *line;
	bool have_result = false, any_fail = false, unreported = false;
	char reason[320];
	size_t n;

	while (next_line(&p, end, &line, &n)) {
		struct tcase *t;
		const char *name = line + 5, *colon;
		size_t nlen;

		if (starts(line, n, "RESULT:")) {
			have_result = true;
			continue;
		}
		if (!starts(line, n, "PASS ") && !starts(line, n, "FAIL "))
			continue;
		colon = memchr(name, ':', n - 5);
		nlen = line[0] == 'F' && colon ? (size_t)(colon - name) : n - 5;
		if (!name_ok(name, nlen))
			continue;
		t = tlist_find(l, name, nlen, false);
		if (!t)
			t = tlist_add(l, name, nlen, false); /* ran, though not listed */
		if (!t)
			continue;
		if (line[0] == 'P') {
			set_verdict(t, V_PASS, NULL, 0);
		} else if (colon) {
			const char *rs = colon + 1;

			while (rs < line + n && *rs == ' ')
				rs++;
			set_verdict(t, V_FAIL, rs, (size_t)(line + n - rs));
		} else {
			set_verdict(t, V_FAIL, "failed", 6);
		}
	}

	boot_outcome(r, have_result, why, whylen);
	snprintf(reason, sizeof(reason), "not reported: %s", why);
	for (size_t i = 0; i < l->n; i++) {
		struct tcase *t = &l->v[i];

		if (t->death)
			continue;
		if (t->verdict == V_NONE) {
			set_verdict(t, V_FAIL, reason, strlen(reason));
			unreported = true;
		}
		if (t->verdict == V_FAIL)
			any_fail = true;
	}
	if (unreported)
		return true; /* the unreported tests already carry the reason */
	return have_result && !r->timed_out && !r->signal && r->status == (any_fail ? 1 : 0);
}

/*
 * Judge one --test-death=name boot.  It passes when the guest printed
 * `DEATH name expects "TEXT"`, ended with the panic status, and printed TEXT
 * after that line; a TEXT of several '|'-separated pieces needs each piece,
 * in any order (tests/kernel/fault_test.c).  Returns true on pass, else
 * fills *why.
 */
bool test_judge_death(const char *name, const struct boot_result *r, char *why, size_t whylen)
{
	const char *p = r->console ? r->console : "", *end = p + r->console_len, *line;
	const char *text = NULL, *after = NULL;
	size_t n, tlen = 0, nlen = strlen(name);

	while (next_line(&p, end, &line, &n)) {
		const char *q, *close;

		if (!starts(line, n, "DEATH ") || n < 6 + nlen + 10)
			continue;
		if (memcmp(line + 6, name, nlen) != 0 || memcmp(line + 6 + nlen, " expects \"", 10))
			continue;
		q = line + 6 + nlen + 10;
		close = line + n;
		while (close > q && close[-1] != '"')
			close--;
		if (close <= q)
			continue;
		text = q;
		tlen = (size_t)(close - 1 - q);
		after = p;
		break;
	}
	if (r->timed_out || r->signal) {
		snprintf(why, whylen, "%s%s", r->why, text ? "" : " (no DEATH line)");
		return false;
	}
	if (!text) {
		snprintf(why, whylen, "the guest printed no DEATH %s line (status %d)", name,
			 r->status);
		return false;
	}
	if (r->status != PANIC_STATUS) {
		if (r->why[0])
			snprintf(why, whylen, "expected a panic (status %d): %s", PANIC_STATUS,
				 r->why);
		else
			snprintf(why, whylen, "guest exited with status %d, expected %d (panic)",
				 r->status, PANIC_STATUS);
		return false;
	}
	/* TEXT may hold several pieces separated by '|'; each must be there. */
	for (const char *piece = text, *tend = text + tlen; piece < tend;) {
		const char *bar = memchr(piece, '|', (size_t)(tend - piece));
		size_t plen = (size_t)((bar ? bar : tend) - piece);

		if (plen && !memmem(after, (size_t)(end - after), piece, plen)) {
			snprintf(why, whylen, "output lacks \"%.*s\"",
				 (int)(plen > 200 ? 200 : plen), piece);
			return false;
		}
		piece = bar ? bar + 1 : tend;
	}
	return true;
}

static void dump_console(const struct boot_result *r)
{
	const char *p = r->console ? r->console : "", *end = p + r->console_len, *line;
	size_t n;

	while (next_line(&p, end, &line, &n))
		printf("  | %.*s\n", (int)n, line);
}

struct counts {
	unsigned int passed;
	unsigned int failed;
};

static void report(struct counts *c, const char *prefix, const struct tcase *t)
{
	if (t->verdict == V_PASS) {
		printf("PASS %s%s\n", prefix, t->name);
		c->passed++;
	} else {
		printf("FAIL %s%s: %s\n", prefix, t->name, t->reason ? t->reason : "failed");
		c->failed++;
	}
}

/*
 * Boot with the given kernel command line, after -e's options if any;
 * returns false if QEMU could not run.
 */
static bool boot(struct qemu_spec *spec, const char *cmdline, const struct osprey_opts *o,
		 struct boot_result *r)
{
	char *full = NULL;
	bool ok = true;

	if (o->cmdline && asprintf(&full, "%s %s", o->cmdline, cmdline) < 0) {
		fprintf(stderr, "osprey: out of memory\n");
		return false;
	}
	spec->cmdline = full ? full : cmdline;
	if (boot_guest(spec, o->timeout, true, o->verbose, r)) {
		fprintf(stderr, "osprey: %s\n", r->why);
		boot_result_free(r);
		ok = false;
	}
	spec->cmdline = NULL;
	free(full);
	return ok;
}

static int run_normal(struct qemu_spec *spec, const struct osprey_opts *o, const char *glob,
		      struct tlist *l, struct counts *c, struct boot_result *r)
{
	char *cmdline, why[300];
	unsigned int failed_before = c->failed;
	bool clean;

	if (asprintf(&cmdline, "--test=%s", glob) < 0)
		return -ENOMEM;
	if (!boot(spec, cmdline, o, r)) {
		free(cmdline);
		return -ECHILD;
	}
	free(cmdline);
	clean = test_judge_run(l, r, why, sizeof(why));
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].death)
			report(c, "", &l->v[i]);
	}
	if (!clean) {
		printf("FAIL test-run: %s\n", why);
		c->failed++;
	}
	if (o->verbose || c->failed > failed_before)
		dump_console(r);
	return 0;
}

static int run_death(struct qemu_spec *spec, const struct osprey_opts *o, struct tcase *t,
		     struct counts *c, struct boot_result *r)
{
	char *cmdline, why[300];

	if (asprintf(&cmdline, "--test-death=%s", t->name) < 0)
		return -ENOMEM;
	if (!boot(spec, cmdline, o, r)) {
		free(cmdline);
		return -ECHILD;
	}
	free(cmdline);
	if (test_judge_death(t->name, r, why, sizeof(why)))
		set_verdict(t, V_PASS, NULL, 0);
	else
		set_verdict(t, V_FAIL, why, strlen(why));
	report(c, "death:", t);
	if (o->verbose || t->verdict != V_PASS)
		dump_console(r);
	return 0;
}

/* A boot that was interrupted ends the whole run. */
static int interrupted(const struct boot_result *r)
{
	fprintf(stderr, "osprey: %s\n", r->why);
	return r->status;
}

int cmd_test(int argc, char **argv)
{
	struct osprey_opts o;
	struct qemu_spec spec;
	struct boot_result r;
	struct tlist l = { 0 };
	struct counts c = { 0 };
	char err[512], qemu[PATH_MAX];
	const char *glob;
	size_t normal = 0;
	int ret;

	opts_defaults(CMD_TEST, &o);
	if (opts_parse(CMD_TEST, argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "osprey: %s\n", err);
		return OSPREY_EXIT_USAGE;
	}
	if (o.help) {
		fputs(osprey_test_help, stdout);
		return 0;
	}
	ret = host_prepare(&o, &spec, qemu, sizeof(qemu), true);
	if (ret)
		return ret;
	glob = o.glob ? o.glob : "*";

	if (!boot(&spec, "--test=list", &o, &r))
		return OSPREY_EXIT_NOSTATUS;
	if (r.signal) {
		boot_result_free(&r);
		return interrupted(&r);
	}
	if (r.status != 0) {
		boot_outcome(&r, true, err, sizeof(err));
		printf("FAIL test-list: %s\n", err);
		dump_console(&r);
		printf("RESULT: 0 passed, 1 failed\n");
		boot_result_free(&r);
		return 1;
	}
	if (o.verbose)
		dump_console(&r);
	ret = test_parse_list(r.console ? r.console : "", r.console_len, glob, &l);
	boot_result_free(&r);
	if (ret)
		goto out_oom;
	if (l.n == 0) {
		fprintf(stderr, "osprey: no test matches '%s'\n", glob);
		printf("RESULT: 0 passed, 0 failed\n");
		tlist_free(&l);
		return 1;
	}

	for (size_t i = 0; i < l.n; i++)
		normal += !l.v[i].death;
	if (normal) {
		ret = run_normal(&spec, &o, glob, &l, &c, &r);
		if (ret == -ENOMEM)
			goto out_oom;
		if (ret)
			goto out_no_qemu;
		boot_result_free(&r);
		if (r.signal)
			goto out_interrupted;
	}
	for (size_t i = 0; i < l.n; i++) {
		if (!l.v[i].death)
			continue;
		ret = run_death(&spec, &o, &l.v[i], &c, &r);
		if (ret == -ENOMEM)
			goto out_oom;
		if (ret)
			goto out_no_qemu;
		boot_result_free(&r);
		if (r.signal)
			goto out_interrupted;
	}
	printf("RESULT: %u passed, %u failed\n", c.passed, c.failed);
	tlist_free(&l);
	return c.failed ? 1 : 0;

out_interrupted:
	tlist_free(&l);
	return interrupted(&r);
out_oom:
	fprintf(stderr, "osprey: out of memory\n");
	tlist_free(&l);
	return OSPREY_EXIT_NOSTATUS;
out_no_qemu:
	tlist_free(&l);
	return OSPREY_EXIT_NOSTATUS;
}
