/*
 * Tracepoints in the guest: enabling by glob, what a record holds, order
 * within a CPU, and overflow accounting.  Each test records into a ring of
 * its own (trace_ring_swap), so a trace enabled at boot is left alone.
 */
#include <osprey/percpu.h>
#include <osprey/test.h>
#include <osprey/trace.h>

TRACEPOINT(selftest_one, "n=%lu", uint64_t);
TRACEPOINT(selftest_two, "a=%d b=%s", int, const char *);
TRACEPOINT(othertest_three, "x=%u", unsigned);
TRACEPOINT(selftest_none, "nothing");

#define TEST_RING 64

static struct trace_record test_records[TEST_RING + 36];
static struct trace_ring test_ring;

static struct trace_ring *use_test_ring(size_t nr_records)
{
	trace_ring_setup(&test_ring, test_records, nr_records);
	return trace_ring_swap(&test_ring);
}

TEST(trace, enable_by_glob)
{
	if (!CONFIG_TRACE_BUF_KB)
		return;
	EXPECT_EQ(t, trace_enable("selftest_*", true), 3);
	EXPECT_TRUE(t, trace_enabled(selftest_one));
	EXPECT_TRUE(t, trace_enabled(selftest_two));
	EXPECT_TRUE(t, trace_enabled(selftest_none));
	EXPECT_FALSE(t, trace_enabled(othertest_three));
	EXPECT_EQ(t, trace_enable("nomatch*,othertest_thre?", true), 1);
	EXPECT_TRUE(t, trace_enabled(othertest_three));
	EXPECT_EQ(t, trace_enable("selftest_*,othertest_three", false), 4);
	EXPECT_FALSE(t, trace_enabled(selftest_one));
	EXPECT_FALSE(t, trace_enabled(othertest_three));
	EXPECT_EQ(t, trace_enable("", true), -EINVAL);
	EXPECT_EQ(t, trace_enable("no_such_tracepoint", true), 0);
}

TEST(trace, records_only_when_enabled)
{
	struct trace_ring *old;
	const struct trace_record *r;

	if (!CONFIG_TRACE_BUF_KB)
		return;
	old = use_test_ring(TEST_RING);
	trace_selftest_one(1);
	EXPECT_EQ(t, test_ring.head, 0);
	trace_enable("selftest_one,selftest_two,selftest_none", true);
	trace_selftest_one(0x123456789ull);
	trace_selftest_two(-5, "hello");
	trace_selftest_none();
	trace_enable("selftest_*", false);
	trace_selftest_one(2);
	trace_ring_swap(old);

	EXPECT_EQ(t, test_ring.head, 3);
	r = &test_records[0];
	EXPECT_EQ(t, TRACE_META_ID(r->meta), trace_point_id(&TRACE_POINT(selftest_one)));
	EXPECT_EQ(t, TRACE_META_TID(r->meta), this_cpu()->tid);
	EXPECT_EQ(t, r->args[0], 0x123456789ull);
	EXPECT_EQ(t, r->args[1], 0);
	EXPECT_NE(t, r->tsc, 0);
	r = &test_records[1];
	EXPECT_EQ(t, TRACE_META_ID(r->meta), trace_point_id(&TRACE_POINT(selftest_two)));
	EXPECT_EQ(t, (int64_t)r->args[0], -5); /* sign-extended */
	EXPECT_STREQ(t, (const char *)r->args[1], "hello");
	EXPECT_EQ(t, TRACE_POINT(selftest_two).str_mask, 2);
	EXPECT_EQ(t, TRACE_POINT(selftest_two).nargs, 2);
	r = &test_records[2];
	EXPECT_EQ(t, TRACE_META_ID(r->meta), trace_point_id(&TRACE_POINT(selftest_none)));
	EXPECT_EQ(t, TRACE_POINT(selftest_none).nargs, 0);
}

/* Within one CPU, records are in the order they happened, time stamps never going back. */
TEST(trace, per_cpu_order)
{
	struct trace_ring *old;

	if (!CONFIG_TRACE_BUF_KB)
		return;
	old = use_test_ring(TEST_RING);
	trace_enable("selftest_one", true);
	for (uint64_t i = 0; i < 50; i++)
		trace_selftest_one(i);
	trace_enable("selftest_one", false);
	trace_ring_swap(old);

	EXPECT_EQ(t, test_ring.head, 50);
	for (unsigned i = 0; i < 50; i++) {
		EXPECT_EQ(t, test_records[i].args[0], i);
		if (i)
			EXPECT_GE(t, test_records[i].tsc, test_records[i - 1].tsc);
	}
	/* The same holds for every CPU's own ring, if tracing was on at boot. */
	for (unsigned c = 0; c < nr_cpus; c++) {
		const struct trace_ring *r = cpus[c] ? cpus[c]->trace : NULL;

		if (!r)
			continue;
		for (uint64_t s = trace_ring_first(r) + 1; s < r->head; s++)
			EXPECT_GE(t, r->recs[s & r->mask].tsc, r->recs[(s - 1) & r->mask].tsc);
	}
}

/* A full ring drops its oldest records, counts them, and keeps the newest. */
TEST(trace, overflow_drops_oldest_and_counts)
{
	struct trace_ring *old;
	const unsigned total = TEST_RING + 37;

	if (!CONFIG_TRACE_BUF_KB)
		return;
	/* Not a power of two: the ring uses the largest power of two that fits. */
	old = use_test_ring(TEST_RING + 36);
	EXPECT_EQ(t, test_ring.mask + 1, TEST_RING);
	trace_enable("selftest_one", true);
	for (uint64_t i = 0; i < total; i++)
		trace_selftest_one(i);
	trace_enable("selftest_one", false);
	trace_ring_swap(old);

	EXPECT_EQ(t, test_ring.head, total);
	EXPECT_EQ(t, trace_ring_first(&test_ring), total - TEST_RING);
	for (uint64_t s = trace_ring_first(&test_ring); s < total; s++)
		EXPECT_EQ(t, test_ring.recs[s & test_ring.mask].args[0], s);
	/* Nothing was written past the ring's capacity. */
	EXPECT_EQ(t, test_records[TEST_RING].meta, 0);
}

/* Without a trace port the dump says so and the machine goes on. */
TEST(trace, dump_without_port_is_harmless)
{
	int ret;

	if (!CONFIG_TRACE_BUF_KB)
		return;
	ret = trace_dump();
	EXPECT_TRUE(t, ret == 0 || ret == -ENODEV);
}

/* The host test boots this with --trace=trap_entry and finds vector 3 in the trace. */
TEST_DEATH(trace, breakpoint_is_traced, "breakpoint (vector 3)")
{
	trace_enable("trap_entry", true);
	__asm__ volatile("int3");
}
