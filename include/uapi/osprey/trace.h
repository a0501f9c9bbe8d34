/*
 * The trace file: what the kernel writes on its trace port (COM2) at
 * power-off, after a panic or on demand (trace_dump()), and what
 * `osprey trace` reads.  Defined here once for both sides.
 *
 * All integers are little-endian.  One dump is, in order:
 *
 *   struct trace_file_header
 *   nr_points x (struct trace_file_point, name bytes, format bytes)
 *                   the tracepoint table; a record's id is an index into it
 *   nr_strings x (struct trace_file_string, bytes)
 *                   the text of every string ("%s") argument that appears in
 *                   a record, keyed by its kernel address
 *   nr_cpus x (struct trace_file_cpu, nr_records x struct trace_record)
 *                   each CPU's ring, oldest record first
 *   uint64_t TRACE_FILE_END
 *
 * Strings are not NUL-terminated in the file.  A file may hold several
 * dumps one after the other (an on-demand dump, then the one at power-off);
 * readers use the last.
 */
#ifndef OSPREY_UAPI_TRACE_H
#define OSPREY_UAPI_TRACE_H

#include <stdint.h>

#define TRACE_FILE_MAGIC "OSPTRACE"
#define TRACE_FILE_VERSION 1
#define TRACE_FILE_END 0x444e454543415254ull /* "TRACEEND" */

#define TRACE_MAX_ARGS 6
#define TRACE_MAX_POINTS 4096 /* ids are 16 bits; this bounds a reader's tables */
#define TRACE_NAME_MAX 64
#define TRACE_FMT_MAX 256
#define TRACE_STRING_MAX 255

struct trace_file_header {
	char magic[8];	      /* TRACE_FILE_MAGIC, no NUL */
	uint32_t version;     /* TRACE_FILE_VERSION */
	uint32_t header_size; /* sizeof(struct trace_file_header) */
	uint64_t tsc_hz;      /* TSC ticks per second; 0 if the clock was not calibrated */
	uint64_t tsc0;	      /* TSC at the kernel's first instruction (boot_info.tsc0) */
	uint32_t nr_cpus;
	uint32_t nr_points;
	uint32_t nr_strings;
	uint32_t record_size; /* sizeof(struct trace_record) */
};

struct trace_file_point {
	uint16_t name_len; /* 1..TRACE_NAME_MAX */
	uint16_t fmt_len;  /* 0..TRACE_FMT_MAX */
	uint8_t nargs;	   /* 0..TRACE_MAX_ARGS */
	uint8_t str_mask;  /* bit i: argument i is a string address */
	uint16_t reserved;
};

struct trace_file_string {
	uint64_t addr;
	uint32_t len; /* 0..TRACE_STRING_MAX */
	uint32_t reserved;
};

struct trace_file_cpu {
	uint32_t cpu;
	uint32_t nr_records;
	uint64_t dropped; /* records lost to overflow (oldest first) since boot */
};

/*
 * One event, 64 bytes: a cache line, and the same layout in the kernel's
 * rings as in the file.  meta holds the tracepoint id (bits 0..15) and the
 * thread id (bits 16..63).  Unused arguments are 0.
 */
struct trace_record {
	uint64_t tsc;
	uint64_t meta;
	uint64_t args[TRACE_MAX_ARGS];
};

#define TRACE_META(id, tid) (((uint64_t)(tid) << 16) | (uint16_t)(id))
#define TRACE_META_ID(m) ((uint16_t)(m))
#define TRACE_META_TID(m) ((m) >> 16)

_Static_assert(sizeof(struct trace_file_header) == 48, "trace file header layout");
_Static_assert(sizeof(struct trace_file_point) == 8, "trace file point layout");
_Static_assert(sizeof(struct trace_file_string) == 16, "trace file string layout");
_Static_assert(sizeof(struct trace_file_cpu) == 16, "trace file cpu layout");
_Static_assert(sizeof(struct trace_record) == 64, "trace record layout");

#endif
