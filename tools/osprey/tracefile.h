/*
 * The trace file reader (include/uapi/osprey/trace.h has the format): a
 * bounded parser of untrusted bytes, and the formatter of one record's
 * arguments.  No I/O beyond tracefile_load(), so the unit tests and the
 * fuzz target (tests/fuzz/tracefile.c) run exactly this code.
 */
#ifndef OSPREY_TRACEFILE_H
#define OSPREY_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

#include <uapi/osprey/trace.h>

struct tf_point {
	char name[TRACE_NAME_MAX + 1];
	char fmt[TRACE_FMT_MAX + 1];
	unsigned nargs;
	unsigned str_mask;
};

struct tf_string {
	uint64_t addr;
	char text[TRACE_STRING_MAX + 1];
};

struct tf_cpu {
	uint32_t cpu;
	uint32_t nr_records;
	uint64_t dropped;
};

struct tf_event {
	uint64_t tsc;
	uint64_t tid;
	uint64_t args[TRACE_MAX_ARGS];
	uint32_t cpu;
	uint32_t id;  /* index into points */
	uint64_t seq; /* position in the file: breaks ties in time order */
};

struct tracefile {
	uint64_t tsc_hz; /* 0: unknown, times are then in ticks */
	uint64_t tsc0;
	uint32_t nr_points, nr_strings, nr_cpus;
	struct tf_point *points;
	struct tf_string *strings;
	struct tf_cpu *cpus;
	struct tf_event *events; /* every CPU's records, in time order */
	size_t nr_events;
	uint64_t dropped; /* sum over the CPUs */
	unsigned dumps;	  /* dumps in the file; the last one is the one kept */
};

/*
 * Parses buf (a whole file).  0, or -EINVAL with one line in err saying
 * what is wrong and where; -ENOMEM.  On success free with tracefile_free().
 */
int tracefile_parse(const uint8_t *buf, size_t len, struct tracefile *tf, char *err, size_t errlen);
/* Reads and parses a file; errors as above, plus the file's own errno. */
int tracefile_load(const char *path, struct tracefile *tf, char *err, size_t errlen);
void tracefile_free(struct tracefile *tf);

/* Formats an event's arguments with its tracepoint's format; returns the length. */
size_t tracefile_format(const struct tracefile *tf, const struct tf_event *ev, char *out,
			size_t outlen);
/* Nanoseconds since the kernel's first instruction (ticks when tsc_hz is 0). */
uint64_t tracefile_ns(const struct tracefile *tf, uint64_t tsc);
/* The text of a string argument, or NULL if the file does not have it. */
const char *tracefile_string(const struct tracefile *tf, uint64_t addr);
/* The point's index by name, or -1. */
int tracefile_point(const struct tracefile *tf, const char *name);

#endif
