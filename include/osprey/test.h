/*
 * One test framework for host and guest, in the spirit of KUnit.
 *
 * TEST(suite, name) { ... } defines a test case; the EXPECT_* macros record a
 * failure and let the test go on (none of them returns).  The same source
 * compiles into the host unit-test binary (tests/unit, with ASan and UBSan)
 * and into the kernel (tests/kernel, run with --test=GLOB).
 *
 * TEST_DEATH(suite, name, "text") defines a test that must stop the machine:
 * the host runner boots it on its own (--test-death=suite.name) and passes it
 * only when the guest ends with the panic status and its output holds "text".
 *
 * Cases live in the "osprey_tests" section; the linker provides its bounds.
 * The runner (lib/test.c) prints one line per case on the console:
 *   PASS suite.name
 *   FAIL suite.name: file:line: message
 * and a summary "RESULT: N passed, N failed" that the host runner adds up.
 */
#ifndef OSPREY_TEST_H
#define OSPREY_TEST_H

#include <stdbool.h>
#include <stdint.h>

struct test_ctx {
	const char *suite;
	const char *name;
	int failures;
	uint64_t env; /* the environment's bookkeeping (heap blocks live at the start) */
};

struct test_case {
	const char *suite;
	const char *name;
	void (*fn)(struct test_ctx *t);
	const char *death; /* NULL, or text the dying guest must print */
};

#define TEST_SECTION_ATTR __attribute__((used, section("osprey_tests"), aligned(16)))

#define TEST_DEFINE(suite_, name_, death_)                                               \
	static void test_##suite_##_##name_(struct test_ctx *t);                         \
	static const struct test_case test_case_##suite_##_##name_ TEST_SECTION_ATTR = { \
		#suite_, #name_, test_##suite_##_##name_, death_                         \
	};                                                                               \
	static void test_##suite_##_##name_(struct test_ctx *t __attribute__((unused)))

#define TEST(suite_, name_) TEST_DEFINE(suite_, name_, 0)
#define TEST_DEATH(suite_, name_, text_) TEST_DEFINE(suite_, name_, text_)

void test_fail(struct test_ctx *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define EXPECT_TRUE(t, cond)                                                      \
	do {                                                                      \
		if (!(cond))                                                      \
			test_fail((t), __FILE__, __LINE__, "expected %s", #cond); \
	} while (0)

#define EXPECT_FALSE(t, cond) EXPECT_TRUE(t, !(cond))

#define EXPECT_CMP(t, a, op, b)                                                                    \
	do {                                                                                       \
		int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                      \
		if (!(a_ op b_))                                                                   \
			test_fail((t), __FILE__, __LINE__, "expected %s %s %s (%lld vs %lld)", #a, \
				  #op, #b, (long long)a_, (long long)b_);                          \
	} while (0)

#define EXPECT_EQ(t, a, b) EXPECT_CMP(t, a, ==, b)
#define EXPECT_NE(t, a, b) EXPECT_CMP(t, a, !=, b)
#define EXPECT_LT(t, a, b) EXPECT_CMP(t, a, <, b)
#define EXPECT_LE(t, a, b) EXPECT_CMP(t, a, <=, b)
#define EXPECT_GT(t, a, b) EXPECT_CMP(t, a, >, b)
#define EXPECT_GE(t, a, b) EXPECT_CMP(t, a, >=, b)

#define EXPECT_STREQ(t, a, b)                                                                      \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!a_ || !b_ || test_strcmp(a_, b_) != 0)                                        \
			test_fail((t), __FILE__, __LINE__, "expected %s == %s (\"%s\" vs \"%s\")", \
				  #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                 \
	} while (0)

int test_strcmp(const char *a, const char *b);

/*
 * Runs every non-death case whose "suite.name" matches one of the
 * comma-separated globs; returns the number of failed cases.  "list" prints
 * the cases instead ("test suite.name" or "death suite.name").
 */
int test_run(const char *globs, int *passed, int *failed);
/* Runs the one death case named "suite.name"; returns -ENOENT if none. */
int test_run_death(const char *name);

/*
 * Supplied by the environment.  Around each case: the kernel checks that
 * the case gave back every heap block it took (a leak fails the case).
 */
void test_env_before(struct test_ctx *t);
void test_env_after(struct test_ctx *t);
/* The host's printf, the kernel's kprintf. */
void test_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void test_vprint(const char *fmt, __builtin_va_list ap);

#endif
