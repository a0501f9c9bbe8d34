/* lib/format.c: conversions, widths, truncation.  Runs on the host and in the kernel. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include <osprey/format.h>
#include <osprey/test.h>

/* Deliberately unchecked: the tests pass formats the compiler would reject. */
static const char *fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	format_vsnprintf(buf, size, f, ap);
	va_end(ap);
	return buf;
}

TEST(format, integers)
{
	char b[64];

	EXPECT_STREQ(t, fmt(b, sizeof(b), "%d %i %u", -42, 7, 4000000000u), "-42 7 4000000000");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "%x %X %o", 0xbeefu, 0xbeefu, 8u), "beef BEEF 10");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "%lld", (long long)INT64_MIN), "-9223372036854775808");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "%llu", (unsigned long long)UINT64_MAX),
		     "18446744073709551615");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "%zu %ld", (size_t)12, -5L), "12 -5");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "%hhu %hd", 300, 70000), "44 4464");
}

TEST(format, widths)
{
	char b[64];

	EXPECT_STREQ(t, fmt(b, sizeof(b), "[%5d|%-5d|%05d]", 42, 42, -42), "[   42|42   |-0042]");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "[%*d|%-*s]", 4, 7, 3, "a"), "[   7|a  ]");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "[%.3s|%.*s]", "abcdef", 2, "xyz"), "[abc|xy]");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "%016llx", 0xabcull), "0000000000000abc");
}

TEST(format, strings_and_pointers)
{
	char b[64];

	EXPECT_STREQ(t, fmt(b, sizeof(b), "%s|%c|%%", "hi", 'z'), "hi|z|%");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "%s", (char *)NULL), "(null)");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "%p", (void *)0x1000), "0x1000");
}

TEST(format, truncation)
{
	char b[8];

	memset(b, 'x', sizeof(b));
	EXPECT_EQ(t, format_snprintf(b, 5, "%s", "abcdefgh"), 8);
	EXPECT_STREQ(t, b, "abcd");
	EXPECT_EQ(t, b[5], 'x');
	EXPECT_EQ(t, format_snprintf(b, 0, "%d", 12345), 5);
	EXPECT_EQ(t, b[0], 'a');
	EXPECT_EQ(t, format_snprintf(b, 1, "abc"), 3);
	EXPECT_EQ(t, b[0], 0);
}

TEST(format, unknown_conversion_is_shown)
{
	char b[16];

	EXPECT_STREQ(t, fmt(b, sizeof(b), "a%qb"), "a%qb");
	EXPECT_STREQ(t, fmt(b, sizeof(b), "end%"), "end");
}
