/*
 * The kernel's side of the test framework: around each case, the heap's
 * live block count must come back to where it was, so a case that leaks
 * fails by name.  In debug builds the quarantine is flushed first, which
 * also checks every freed block's poison.  Caches are emptied before both
 * counts (mm_drop_caches): what the name cache keeps alive (rofs vnodes)
 * is the cache's, not the case's, and a case must not be charged for, or
 * credited with, a cache's earlier contents leaving.
 */
#include <osprey/mm.h>
#include <osprey/test.h>

void test_env_before(struct test_ctx *t)
{
	mm_drop_caches();
	t->env = mm_live_blocks();
}

void test_env_after(struct test_ctx *t)
{
	uint64_t now;

	mm_drop_caches();
	if (CONFIG_DEBUG_MEMORY)
		mm_debug_flush_quarantine();
	now = mm_live_blocks();
	if (now != t->env)
		test_fail(t, __FILE__, __LINE__, "the test leaked %lld heap blocks",
			  (long long)(now - t->env));
}
