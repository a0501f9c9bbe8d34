/* lib/glob.c.  Runs on the host and in the kernel. */
#include <osprey/glob.h>
#include <osprey/test.h>

TEST(glob, basics)
{
	EXPECT_TRUE(t, glob_match("*", ""));
	EXPECT_TRUE(t, glob_match("*", "anything"));
	EXPECT_TRUE(t, glob_match("sched*", "sched_switch"));
	EXPECT_FALSE(t, glob_match("sched*", "mm_fault"));
	EXPECT_TRUE(t, glob_match("a?c", "abc"));
	EXPECT_FALSE(t, glob_match("a?c", "ac"));
	EXPECT_TRUE(t, glob_match("*.page_*", "fault.page_fault"));
	EXPECT_TRUE(t, glob_match("", ""));
	EXPECT_FALSE(t, glob_match("", "x"));
	EXPECT_FALSE(t, glob_match("abc", "abcd"));
	EXPECT_TRUE(t, glob_match("a*b*c", "aXbYbZc"));
}

TEST(glob, lists)
{
	EXPECT_TRUE(t, glob_match_list("sched*,mm_*", "mm_fault"));
	EXPECT_TRUE(t, glob_match_list("sched*,mm_*", "sched_wake"));
	EXPECT_FALSE(t, glob_match_list("sched*,mm_*", "net_rx"));
	EXPECT_FALSE(t, glob_match_list(",,", "x"));
	EXPECT_TRUE(t, glob_match_list("x,", "x"));
}

TEST(glob, hostile_pattern_is_linear)
{
	/* Exponential matchers take ages on this; ours is O(n*m). */
	EXPECT_FALSE(t, glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b",
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
