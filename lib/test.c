/*
 * The test runner shared by the host unit-test binary and the kernel.  It
 * walks the "osprey_tests" section, which the host linker and the kernel's
 * linker script both bound with __start_osprey_tests/__stop_osprey_tests.
 */
#include <stdarg.h>

#include <osprey/glob.h>
#include <osprey/test.h>

extern const struct test_case __start_osprey_tests[];
extern const struct test_case __stop_osprey_tests[];

int test_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

void test_fail(struct test_ctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->failures++;
	test_print("FAIL %s.%s: %s:%d: ", t->suite, t->name, file, line);
	va_start(ap, fmt);
	test_vprint(fmt, ap);
	va_end(ap);
	test_print("\n");
}

static void full_name(const struct test_case *tc, char *buf, unsigned size)
{
	unsigned n = 0;

	for (const char *s = tc->suite; *s && n + 1 < size; s++)
		buf[n++] = *s;
	if (n + 1 < size)
		buf[n++] = '.';
	for (const char *s = tc->name; *s && n + 1 < size; s++)
		buf[n++] = *s;
	buf[n] = 0;
}

int test_run(const char *globs, int *passed, int *failed)
{
	char name[128];
	bool list = test_strcmp(globs, "list") == 0;

	*passed = *failed = 0;
	for (const struct test_case *tc = __start_osprey_tests; tc < __stop_osprey_tests; tc++) {
		full_name(tc, name, sizeof(name));
		if (list) {
			test_print("%s %s\n", tc->death ? "death" : "test", name);
			continue;
		}
		if (tc->death || !glob_match_list(globs, name))
			continue;
		struct test_ctx t = { tc->suite, tc->name, 0, 0 };

		test_env_before(&t);
		tc->fn(&t);
		test_env_after(&t);
		if (t.failures) {
			(*failed)++;
		} else {
			(*passed)++;
			test_print("PASS %s\n", name);
		}
	}
	if (!list)
		test_print("RESULT: %d passed, %d failed\n", *passed, *failed);
	return *failed;
}

int test_run_death(const char *which)
{
	char name[128];

	for (const struct test_case *tc = __start_osprey_tests; tc < __stop_osprey_tests; tc++) {
		full_name(tc, name, sizeof(name));
		if (!tc->death || test_strcmp(name, which) != 0)
			continue;
		struct test_ctx t = { tc->suite, tc->name, 0, 0 };

		test_print("DEATH %s expects \"%s\"\n", name, tc->death);
		tc->fn(&t);
		/* Still alive: the case did not die as it had to. */
		test_print("FAIL %s: returned instead of stopping the machine\n", name);
		return 1;
	}
	return -2; /* -ENOENT */
}
