/*
 * The trace file parser and formatter (tools/osprey/tracefile.c) on files
 * built here byte by byte: a good file, every truncation of it, and each
 * kind of corruption.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/test.h>

#include "../../tools/osprey/tracefile.h"

struct fbuf {
	uint8_t d[8192];
	size_t n;
	size_t cpu0; /* where CPU 0's header starts */
};

static void add(struct fbuf *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void add_point(struct fbuf *b, const char *name, const char *fmt, unsigned nargs,
		      unsigned mask)
{
	struct trace_file_point fp = { (uint16_t)strlen(name), (uint16_t)strlen(fmt),
				       (uint8_t)nargs, (uint8_t)mask, 0 };

	add(b, &fp, sizeof(fp));
	add(b, name, strlen(name));
	add(b, fmt, strlen(fmt));
}

static void add_record(struct fbuf *b, uint64_t tsc, unsigned id, uint64_t tid, uint64_t a0,
		       uint64_t a1)
{
	struct trace_record r = { tsc, TRACE_META(id, tid), { a0, a1, 0, 0, 0, 0 } };

	add(b, &r, sizeof(r));
}

#define STR_ADDR 0xffffffff80201000ull

/*
 * Two tracepoints, one string, and two CPUs whose records interleave in
 * time (CPU 0 at 3000 and 5000 ticks, CPU 1 at 4000): the reader merges them.
 */
static void build(struct fbuf *b, uint32_t version)
{
	struct trace_file_header h = { .version = version,
				       .header_size = sizeof(h),
				       .tsc_hz = 1000000000, /* 1 tick = 1 ns */
				       .tsc0 = 1000,
				       .nr_cpus = 2,
				       .nr_points = 2,
				       .nr_strings = 1,
				       .record_size = sizeof(struct trace_record) };
	struct trace_file_string fs = { STR_ADDR, 5, 0 };
	struct trace_file_cpu c0 = { 0, 2, 3 }, c1 = { 1, 1, 0 };
	uint64_t end = TRACE_FILE_END;

	b->n = 0;
	memcpy(h.magic, TRACE_FILE_MAGIC, 8);
	add(b, &h, sizeof(h));
	add_point(b, "boot_phase", "phase=%s", 1, 1);
	add_point(b, "ev", "a=%d b=%u c=%hhd d=%lx e=%5s|", 2, 0);
	add(b, &fs, sizeof(fs));
	add(b, "entry", 5);
	b->cpu0 = b->n;
	add(b, &c0, sizeof(c0));
	add_record(b, 3000, 0, 0, STR_ADDR, 0);
	add_record(b, 5000, 1, 7, (uint64_t)-5, 0xffffffffull);
	add(b, &c1, sizeof(c1));
	add_record(b, 4000, 1, 9, 0x1ff, 0xabc);
	add(b, &end, sizeof(end));
}

TEST(tracefile, parses_and_merges_cpus_in_time_order)
{
	static struct fbuf b;
	struct tracefile tf;
	char err[256], out[256];

	build(&b, TRACE_FILE_VERSION);
	EXPECT_EQ(t, tracefile_parse(b.d, b.n, &tf, err, sizeof(err)), 0);
	EXPECT_EQ(t, tf.nr_events, 3);
	EXPECT_EQ(t, tf.nr_points, 2);
	EXPECT_EQ(t, tf.dropped, 3);
	EXPECT_EQ(t, tf.dumps, 1);
	if (tf.nr_events == 3) {
		EXPECT_EQ(t, tf.events[0].tsc, 3000);
		EXPECT_EQ(t, tf.events[1].cpu, 1);
		EXPECT_EQ(t, tf.events[1].tid, 9);
		EXPECT_EQ(t, tf.events[2].tid, 7);
		EXPECT_EQ(t, tracefile_ns(&tf, tf.events[0].tsc), 2000);
		tracefile_format(&tf, &tf.events[0], out, sizeof(out));
		EXPECT_STREQ(t, out, "phase=entry");
		tracefile_format(&tf, &tf.events[2], out, sizeof(out));
		/* %d of -5 stored sign-extended; %u keeps 32 bits; %s of a non-string: unknown. */
		EXPECT_STREQ(t, out, "a=-5 b=4294967295 c=(missing) d=(missing) e=(missing)|");
		tracefile_format(&tf, &tf.events[1], out, sizeof(out));
		EXPECT_STREQ(t, out, "a=511 b=2748 c=(missing) d=(missing) e=(missing)|");
	}
	EXPECT_EQ(t, tracefile_point(&tf, "ev"), 1);
	EXPECT_EQ(t, tracefile_point(&tf, "nope"), -1);
	tracefile_free(&tf);
}

TEST(tracefile, every_truncation_is_an_error)
{
	static struct fbuf b;
	struct tracefile tf;
	char err[256];
	int bad = 0;

	build(&b, TRACE_FILE_VERSION);
	for (size_t len = 0; len < b.n; len++) {
		err[0] = 0;
		if (tracefile_parse(b.d, len, &tf, err, sizeof(err)) != -22 || !err[0])
			bad++;
		tracefile_free(&tf);
	}
	EXPECT_EQ(t, bad, 0);
	EXPECT_TRUE(t, tracefile_parse(b.d, b.n - 3, &tf, err, sizeof(err)) == -22 &&
			       strstr(err, "truncated"));
}

TEST(tracefile, corruption_is_named)
{
	static struct fbuf b;
	struct tracefile tf;
	char err[256];

	build(&b, TRACE_FILE_VERSION);
	b.d[0] = 'X';
	EXPECT_EQ(t, tracefile_parse(b.d, b.n, &tf, err, sizeof(err)), -22);
	EXPECT_TRUE(t, strstr(err, "not an Osprey trace") != NULL);

	build(&b, 99);
	EXPECT_EQ(t, tracefile_parse(b.d, b.n, &tf, err, sizeof(err)), -22);
	EXPECT_TRUE(t, strstr(err, "version 99") != NULL);

	/* A record whose tracepoint id is past the table. */
	build(&b, TRACE_FILE_VERSION);
	size_t rec = b.n - 8 - sizeof(struct trace_record);

	b.d[rec + 8] = 7;
	EXPECT_EQ(t, tracefile_parse(b.d, b.n, &tf, err, sizeof(err)), -22);
	EXPECT_TRUE(t, strstr(err, "tracepoint id 7") != NULL);

	/* The end marker is checked. */
	build(&b, TRACE_FILE_VERSION);
	b.d[b.n - 1] ^= 1;
	EXPECT_EQ(t, tracefile_parse(b.d, b.n, &tf, err, sizeof(err)), -22);
	EXPECT_TRUE(t, strstr(err, "end marker") != NULL);

	/* A CPU claiming more records than the file holds. */
	build(&b, TRACE_FILE_VERSION);
	b.d[b.cpu0 + 4] = 0xff;
	EXPECT_EQ(t, tracefile_parse(b.d, b.n, &tf, err, sizeof(err)), -22);
	EXPECT_TRUE(t, strstr(err, "claims") != NULL);

	EXPECT_EQ(t, tracefile_parse(b.d, 0, &tf, err, sizeof(err)), -22);
	EXPECT_TRUE(t, strstr(err, "empty") != NULL);
	tracefile_free(&tf);
}

TEST(tracefile, last_of_several_dumps_wins)
{
	static struct fbuf a, b;
	struct tracefile tf;
	char err[256];

	build(&a, TRACE_FILE_VERSION);
	build(&b, TRACE_FILE_VERSION);
	/* The second dump: CPU 1 has no record. */
	memcpy(b.d + b.n - 8 - sizeof(struct trace_record) - sizeof(struct trace_file_cpu) + 4,
	       "\0\0\0\0", 4);
	memmove(b.d + b.n - 8 - sizeof(struct trace_record), b.d + b.n - 8, 8);
	b.n -= sizeof(struct trace_record);
	add(&a, b.d, b.n);
	EXPECT_EQ(t, tracefile_parse(a.d, a.n, &tf, err, sizeof(err)), 0);
	EXPECT_EQ(t, tf.dumps, 2);
	EXPECT_EQ(t, tf.nr_events, 2);
	tracefile_free(&tf);
}

/* The formatter bounds what a hostile format could ask for. */
TEST(tracefile, format_is_bounded)
{
	static struct fbuf b;
	struct tracefile tf;
	char err[256], out[512];

	build(&b, TRACE_FILE_VERSION);
	EXPECT_EQ(t, tracefile_parse(b.d, b.n, &tf, err, sizeof(err)), 0);
	if (tf.nr_events != 3)
		return;
	struct tf_event ev = tf.events[1];

	snprintf(tf.points[1].fmt, sizeof(tf.points[1].fmt), "%%999999d|%%.999x|%%*d");
	tracefile_format(&tf, &ev, out, sizeof(out));
	EXPECT_LE(t, strlen(out), 64 + 1 + 64 + 1 + 12);
	EXPECT_TRUE(t, strstr(out, "(bad format)") != NULL);
	snprintf(tf.points[1].fmt, sizeof(tf.points[1].fmt), "x=%%hd y=%%s end%%");
	tracefile_format(&tf, &ev, out, sizeof(out));
	EXPECT_STREQ(t, out, "x=511 y=(?0xabc) end(bad format)");
	tracefile_format(&tf, &ev, out, 4);
	EXPECT_STREQ(t, out, "x=5");
	tracefile_free(&tf);
}
