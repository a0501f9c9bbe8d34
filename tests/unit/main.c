/*
 * Host unit-test runner: the same TEST() cases as the kernel, built with
 * ASan and UBSan.  Usage: unit-tests [GLOB[,GLOB...]] (default: all).
 */
#include <stdarg.h>
#include <stdio.h>

#include <osprey/test.h>

void test_vprint(const char *fmt, va_list ap)
{
	vprintf(fmt, ap);
}

void test_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void test_env_before(struct test_ctx *t)
{
	(void)t;
}

void test_env_after(struct test_ctx *t)
{
	(void)t;
}

int main(int argc, char **argv)
{
	int passed, failed;

	test_run(argc > 1 ? argv[1] : "*", &passed, &failed);
	return failed ? 1 : 0;
}
