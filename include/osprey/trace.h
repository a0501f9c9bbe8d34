/*
 * Tracepoints (decision 11): named, typed events that cost one predictable
 * branch when off, and a 64-byte record in a per-CPU ring when on.
 *
 * Declare one at the top of the file that fires it:
 *
 *	TRACEPOINT(sched_switch, "prev=%u next=%u", unsigned, unsigned);
 *
 * which defines a static descriptor (in the "osprey_trace" section, so the
 * kernel can enumerate every tracepoint) and
 *
 *	static inline void trace_sched_switch(unsigned a1, unsigned a2);
 *
 * whose disabled path is a load of the descriptor's enabled byte, a test
 * and a not-taken jump; the call is out of line.  (asm goto saves the test
 * instruction, but measured slower under TCG, where each branch ends a
 * translation block whatever precedes it; docs/tracing.md.)
 * The compiler checks the arguments against the parameter types and the
 * types against the format (as for printf).  Up to TRACE_MAX_ARGS
 * arguments; each is stored as a uint64_t (signed values sign-extended, so
 * use %d/%ld for them).  A "%s" argument is stored as its address: it must
 * be a string that lives forever (a literal, a name in a static table); its
 * text is copied into the trace file at dump time.  docs/tracing.md has the
 * rest: cost, file format, tools.
 *
 * With CONFIG_TRACE_BUF_KB=0 the rings and the emit path are compiled out;
 * the descriptors stay, so --trace=list still lists what exists.
 */
#ifndef OSPREY_TRACE_H
#define OSPREY_TRACE_H

#include <osprey/kernel.h>
#include <uapi/osprey/trace.h>

/* Aligned so that sizeof is a power of two: a record's id is (tp - start). */
struct trace_point {
	const char *name; /* [i] */
	const char *fmt;  /* [i] */
	uint8_t nargs;	  /* [i] */
	uint8_t str_mask; /* [i] bit i: argument i is a string */
	bool enabled;	  /* [a] relaxed loads and stores: a stale read costs one record */
} __attribute__((aligned(32)));

static_assert(sizeof(struct trace_point) == 32, "trace_point must be 32 bytes");

#define TRACE_SECTION_ATTR __attribute__((used, section("osprey_trace")))
#define TRACE_POINT(name) trace_point_##name

/* Checks the format against the argument types; never called. */
static inline __printf(1, 2) void trace_check_format(const char *fmt __unused, ...)
{
}

#define TRACEPOINT(name_, fmt_, ...)                                                               \
	static struct trace_point TRACE_POINT(name_)                                               \
		TRACE_SECTION_ATTR = { #name_, fmt_, TRACE_NARG(fmt_, ##__VA_ARGS__),              \
				       TRACE_EACH(TRACE_STRMASK_, fmt_, ##__VA_ARGS__), false };   \
	static inline __unused void trace_##name_(TRACE_EACH(TRACE_PARAMS_, fmt_, ##__VA_ARGS__))  \
	{                                                                                          \
		if (0)                                                                             \
			trace_check_format(fmt_ TRACE_EACH(TRACE_CALLARGS_, fmt_, ##__VA_ARGS__)); \
		if (CONFIG_TRACE_BUF_KB &&                                                         \
		    unlikely(__atomic_load_n(&TRACE_POINT(name_).enabled, __ATOMIC_RELAXED)))      \
			trace_emit(&TRACE_POINT(name_),                                            \
				   (const uint64_t[]){                                             \
					   TRACE_EACH(TRACE_VALS_, fmt_, ##__VA_ARGS__) });        \
	}                                                                                          \
	static_assert(TRACE_NARG(fmt_, ##__VA_ARGS__) <= TRACE_MAX_ARGS, "too many arguments")

/* Is the tracepoint on?  For work done only to feed a tracepoint. */
#define trace_enabled(name_) \
	(CONFIG_TRACE_BUF_KB && __atomic_load_n(&TRACE_POINT(name_).enabled, __ATOMIC_RELAXED))

/*
 * The machinery behind the macro: counting and spelling out the arguments.
 * Each takes a leading named parameter (the format) because GNU's ", ##"
 * drops the comma before an empty __VA_ARGS__ in -std=c11 only when the
 * macro has a named parameter too.
 */
#define TRACE_NARG(f, ...) TRACE_NARG_(f, ##__VA_ARGS__, 7, 6, 5, 4, 3, 2, 1, 0)
#define TRACE_NARG_(_0, _1, _2, _3, _4, _5, _6, _7, n, ...) n
#define TRACE_CAT(a, b) TRACE_CAT_(a, b)
#define TRACE_CAT_(a, b) a##b
#define TRACE_EACH(what, f, ...) TRACE_CAT(what, TRACE_NARG(f, ##__VA_ARGS__))(__VA_ARGS__)

#define TRACE_PARAMS_0() void
#define TRACE_PARAMS_1(t1) t1 a1
#define TRACE_PARAMS_2(t1, t2) t1 a1, t2 a2
#define TRACE_PARAMS_3(t1, t2, t3) t1 a1, t2 a2, t3 a3
#define TRACE_PARAMS_4(t1, t2, t3, t4) t1 a1, t2 a2, t3 a3, t4 a4
#define TRACE_PARAMS_5(t1, t2, t3, t4, t5) t1 a1, t2 a2, t3 a3, t4 a4, t5 a5
#define TRACE_PARAMS_6(t1, t2, t3, t4, t5, t6) t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6

#define TRACE_CALLARGS_0()
#define TRACE_CALLARGS_1(t1) , a1
#define TRACE_CALLARGS_2(t1, t2) , a1, a2
#define TRACE_CALLARGS_3(t1, t2, t3) , a1, a2, a3
#define TRACE_CALLARGS_4(t1, t2, t3, t4) , a1, a2, a3, a4
#define TRACE_CALLARGS_5(t1, t2, t3, t4, t5) , a1, a2, a3, a4, a5
#define TRACE_CALLARGS_6(t1, t2, t3, t4, t5, t6) , a1, a2, a3, a4, a5, a6

#define TRACE_U(x) ((uint64_t)(x))
#define TRACE_VALS_0() 0
#define TRACE_VALS_1(t1) TRACE_U(a1)
#define TRACE_VALS_2(t1, t2) TRACE_U(a1), TRACE_U(a2)
#define TRACE_VALS_3(t1, t2, t3) TRACE_U(a1), TRACE_U(a2), TRACE_U(a3)
#define TRACE_VALS_4(t1, t2, t3, t4) TRACE_U(a1), TRACE_U(a2), TRACE_U(a3), TRACE_U(a4)
#define TRACE_VALS_5(t1, t2, t3, t4, t5) \
	TRACE_U(a1), TRACE_U(a2), TRACE_U(a3), TRACE_U(a4), TRACE_U(a5)
#define TRACE_VALS_6(t1, t2, t3, t4, t5, t6) \
	TRACE_U(a1), TRACE_U(a2), TRACE_U(a3), TRACE_U(a4), TRACE_U(a5), TRACE_U(a6)

#define TRACE_IS_STR(t) _Generic((t)0, char * : 1, const char * : 1, default : 0)
#define TRACE_STRMASK_0() 0
#define TRACE_STRMASK_1(t1) TRACE_IS_STR(t1)
#define TRACE_STRMASK_2(t1, t2) (TRACE_STRMASK_1(t1) | TRACE_IS_STR(t2) << 1)
#define TRACE_STRMASK_3(t1, t2, t3) (TRACE_STRMASK_2(t1, t2) | TRACE_IS_STR(t3) << 2)
#define TRACE_STRMASK_4(t1, t2, t3, t4) (TRACE_STRMASK_3(t1, t2, t3) | TRACE_IS_STR(t4) << 3)
#define TRACE_STRMASK_5(t1, t2, t3, t4, t5) \
	(TRACE_STRMASK_4(t1, t2, t3, t4) | TRACE_IS_STR(t5) << 4)
#define TRACE_STRMASK_6(t1, t2, t3, t4, t5, t6) \
	(TRACE_STRMASK_5(t1, t2, t3, t4, t5) | TRACE_IS_STR(t6) << 5)

/*
 * A CPU's ring: a power-of-two array of records and the count of records
 * ever reserved in it.  Only its own CPU writes it; a nested writer (an
 * exception inside a tracepoint) is safe because the reservation is one
 * instruction.  The slot of record number seq is seq & mask; the oldest
 * surviving record is number trace_ring_first(), and that many were dropped.
 */
struct trace_ring {
	uint64_t head;		   /* [c] records reserved so far */
	uint64_t mask;		   /* [i] capacity - 1 */
	struct trace_record *recs; /* [i] */
};

/* A slot being written: its meta reads TRACE_META_BUSY until the record is whole. */
#define TRACE_META_BUSY (~0ull)

static inline uint64_t trace_ring_first(const struct trace_ring *r)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

	return head > r->mask + 1 ? head - (r->mask + 1) : 0;
}

/* The out-of-line part of a tracepoint: args holds tp->nargs values. */
void trace_emit(struct trace_point *tp, const uint64_t *args);
/* The same with a TSC taken earlier (tsc != 0), for events seen before tracing started. */
void trace_emit_tsc(struct trace_point *tp, uint64_t tsc, const uint64_t *args);

/*
 * Turns every tracepoint whose name matches one of the comma-separated
 * globs on or off.  Returns how many matched, -EINVAL for an empty list, or
 * -ENOSYS when tracing is compiled out.  Enabling sets up the calling CPU's
 * ring if it has none.
 */
int trace_enable(const char *globs, bool on);
/* Applies --trace= (boot_options.trace): "list" lists and powers off. */
void trace_init(void);
/* The id a tracepoint's records carry (its index in the section). */
unsigned trace_point_id(const struct trace_point *tp);
/* Prints every tracepoint, "name  format", one a line. */
void trace_list(void);
/* Gives a CPU its ring (the SMP issue calls it for each application processor). */
int trace_cpu_init(unsigned cpu, struct trace_record *buf, size_t nr_records);
void trace_ap_init(void);
/* Installs r as this CPU's ring and returns the previous one (tests, benchmarks). */
struct trace_ring *trace_ring_swap(struct trace_ring *r);
void trace_ring_setup(struct trace_ring *r, struct trace_record *buf, size_t nr_records);
/*
 * Writes every ring to the trace port (COM2).  0, or -ENODEV when there is
 * no port, -EBUSY when a dump is already under way (a fault inside it).
 */
int trace_dump(void);
/* power_off()'s hook: dumps once, and only when tracing was ever enabled. */
void trace_dump_at_exit(void);
/* Runs the in-kernel benchmark NAME ("trace"); -ENOENT if there is none. */
int trace_bench(const char *name);

#endif
