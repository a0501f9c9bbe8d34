/*
 * Tracepoints: the rings, enabling by glob, and the dump to the host.
 *
 * Every TRACEPOINT() puts a 32-byte descriptor in the "osprey_trace"
 * section (kernel.ld bounds it); a record's id is the descriptor's index.
 * A disabled tracepoint is one load and one not-taken branch in its caller;
 * trace_emit() is reached only when it is on.
 *
 * Rings are per CPU (struct cpu's trace field): a power-of-two array of
 * 64-byte records.  A writer reserves a slot with one non-locked xadd on
 * its own CPU's head (an exception nested inside a tracepoint reserves the
 * next one, so nothing is lost or torn), marks the slot busy, fills it and
 * publishes it with a release store of its meta word.  When the ring is
 * full the next record overwrites the oldest; the count of lost records is
 * head - capacity, so overflow needs no extra bookkeeping and never fails.
 * A record nested between another's reservation and its time stamp may be
 * a few cycles out of order; `osprey trace` sorts by time.
 *
 * Storage: the boot CPU's ring is a static array in .bss (the loader
 * zeroes .bss, and a ring is never read before it is written, so nothing
 * is initialised at boot when tracing is off).  Application processors get
 * theirs from trace_cpu_init() once the page allocator exists.
 *
 * Dump: trace_dump() writes the format of include/uapi/osprey/trace.h to
 * COM2 (I/O 0x2f8), a port the console never uses, so the console output
 * is untouched.  power_off() calls trace_dump_at_exit(), so a normal
 * shutdown and a panic both deliver the trace.
 *
 * Callers: every trace_NAME() inline (trace_emit), kmain (trace_init),
 * power_off (trace_dump_at_exit), tests and benchmarks (the ring API).
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/boot.h>
#include <osprey/cmdline.h>
#include <osprey/glob.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/panic.h>
#include <osprey/percpu.h>
#include <osprey/time.h>
#include <osprey/trace.h>

extern struct trace_point __start_osprey_trace[], __stop_osprey_trace[];
extern const char _rodata[], _ebss[];

/*
 * CONFIG_TRACE_BUF_KB of records; a ring uses the largest power of two of
 * them (a mask, not a division, on the emit path), so a size in KiB that
 * is a power of two wastes nothing.
 */
#define RING_RECORDS ((size_t)CONFIG_TRACE_BUF_KB * 1024 / sizeof(struct trace_record))

#if CONFIG_TRACE_BUF_KB
static struct trace_record boot_cpu_records[RING_RECORDS] __attribute__((aligned(64)));
#else
static struct trace_record boot_cpu_records[1];
#endif
static struct trace_ring rings[CONFIG_MAX_CPUS];
static bool trace_used;	  /* a tracepoint was enabled at some point: dump at exit */
static bool trace_frozen; /* a dump is under way: record nothing more */

static unsigned nr_points(void)
{
	return (unsigned)(__stop_osprey_trace - __start_osprey_trace);
}

unsigned trace_point_id(const struct trace_point *tp)
{
	return (unsigned)(tp - __start_osprey_trace);
}

void trace_ring_setup(struct trace_ring *r, struct trace_record *buf, size_t nr_records)
{
	size_t cap = 1;

	while (cap * 2 <= nr_records)
		cap *= 2;
	r->head = 0;
	r->mask = cap - 1;
	r->recs = buf;
}

struct trace_ring *trace_ring_swap(struct trace_ring *r)
{
	struct cpu *c = this_cpu();
	struct trace_ring *old = c->trace;

	c->trace = r;
	return old;
}

int trace_cpu_init(unsigned cpu, struct trace_record *buf, size_t nr_records)
{
	if (!CONFIG_TRACE_BUF_KB)
		return -ENOSYS;
	if (cpu >= CONFIG_MAX_CPUS || !cpus[cpu] || !buf || nr_records < 1)
		return -EINVAL;
	trace_ring_setup(&rings[cpu], buf, nr_records);
	cpus[cpu]->trace = &rings[cpu];
	return 0;
}

/*
 * An application processor's ring, on that processor: from the heap, and only
 * when tracing was asked for at boot (a ring is CONFIG_TRACE_BUF_KB).
 */
void trace_ap_init(void)
{
	struct trace_record *buf;

	if (!CONFIG_TRACE_BUF_KB || !boot_options.trace)
		return;
	buf = kmemalign(64, RING_RECORDS * sizeof(*buf));
	if (!buf || trace_cpu_init(cpu_id(), buf, RING_RECORDS))
		pr_warn("trace: no ring for CPU %u\n", cpu_id());
	else
		mm_debug_ignore(buf);
}

void trace_emit_tsc(struct trace_point *tp, uint64_t tsc, const uint64_t *args)
{
	struct trace_ring *r;
	struct trace_record *rec;
	uint64_t seq = 1, meta;
	struct cpu *c;

	if (!CONFIG_TRACE_BUF_KB || trace_frozen)
		return;
	preempt_disable();
	c = this_cpu();
	r = c->trace;
	if (unlikely(!r))
		goto out;
	/* One instruction, no LOCK: only this CPU writes its head. */
	__asm__ volatile("xaddq %0, %1" : "+r"(seq), "+m"(r->head) : : "memory");
	rec = &r->recs[seq & r->mask];
	__atomic_store_n(&rec->meta, TRACE_META_BUSY, __ATOMIC_RELAXED);
	__asm__ volatile("" ::: "memory");
	rec->tsc = tsc ? tsc : rdtsc();
	for (unsigned i = 0; i < TRACE_MAX_ARGS; i++)
		rec->args[i] = i < tp->nargs ? args[i] : 0;
	meta = TRACE_META(tp - __start_osprey_trace, c->tid);
	/* Publishes the record; pairs with the acquire load in dump_cpu(). */
	__atomic_store_n(&rec->meta, meta, __ATOMIC_RELEASE);
out:
	preempt_enable();
}

void trace_emit(struct trace_point *tp, const uint64_t *args)
{
	trace_emit_tsc(tp, 0, args);
}

int trace_enable(const char *globs, bool on)
{
	int n = 0;

	if (!CONFIG_TRACE_BUF_KB)
		return -ENOSYS;
	if (!globs || !*globs)
		return -EINVAL;
	if (on && !this_cpu()->trace) {
		trace_ring_setup(&rings[cpu_id()], boot_cpu_records, RING_RECORDS);
		this_cpu()->trace = &rings[cpu_id()];
	}
	for (struct trace_point *tp = __start_osprey_trace; tp < __stop_osprey_trace; tp++) {
		if (!glob_match_list(globs, tp->name))
			continue;
		__atomic_store_n(&tp->enabled, on, __ATOMIC_RELAXED);
		n++;
	}
	if (on && n)
		trace_used = true;
	return n;
}

void trace_list(void)
{
	for (struct trace_point *tp = __start_osprey_trace; tp < __stop_osprey_trace; tp++)
		kprintf("%-24s %s\n", tp->name, tp->fmt);
}

void trace_init(void)
{
	const char *globs = boot_options.trace;
	int n;

	if (likely(!globs))
		return;
	if (strcmp(globs, "list") == 0) {
		trace_list();
		power_off(0);
	}
	n = trace_enable(globs, true);
	if (n == -ENOSYS)
		pr_warn("trace: tracing is compiled out (CONFIG_TRACE_BUF_KB=0); --trace=%s ignored\n",
			globs);
	else if (n == 0)
		pr_warn("trace: no tracepoint matches '%s' (--trace=list lists them)\n", globs);
	else
		bootchart_trace_replay();
}

/* --- The dump ---------------------------------------------------------- */

#define COM2 0x2f8
#define UART_THR 0
#define UART_LCR 3
#define UART_FCR 2
#define UART_LSR 5
#define UART_SCR 7
#define LSR_THRE 0x20
#define FIFO_DEPTH 16
#define MAX_STRINGS 256

static struct {
	unsigned fifo_left;
} port;

/* A 16550 keeps what is written to its scratch register; no port reads 0xff. */
static bool port_probe(void)
{
	outb(COM2 + UART_SCR, 0x5a);
	if (inb(COM2 + UART_SCR) != 0x5a)
		return false;
	outb(COM2 + UART_LCR, 0x80); /* divisor latch: 115200 baud */
	outb(COM2 + 0, 1);
	outb(COM2 + 1, 0);
	outb(COM2 + UART_LCR, 0x03); /* 8N1 */
	outb(COM2 + UART_FCR, 0x07); /* FIFO on, cleared */
	port.fifo_left = 0;
	return true;
}

static void port_write(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		if (!port.fifo_left) {
			for (int spin = 0; spin < 100000; spin++)
				if (inb(COM2 + UART_LSR) & LSR_THRE)
					break;
			port.fifo_left = FIFO_DEPTH;
		}
		outb(COM2 + UART_THR, b[i]);
		port.fifo_left--;
	}
}

/* The string table: every distinct string argument in the rings. */
static uint64_t strings[MAX_STRINGS];
static unsigned nr_strings;

/* Length of the string at addr, if it lies inside the kernel image's data; else -1. */
static int string_len(uint64_t addr)
{
	const char *s = (const char *)addr, *end = _ebss;
	int n = 0;

	if (s < _rodata || s >= end)
		return -1;
	while (s + n < end && s[n] && n < TRACE_STRING_MAX)
		n++;
	return n;
}

static void note_string(uint64_t addr)
{
	for (unsigned i = 0; i < nr_strings; i++)
		if (strings[i] == addr)
			return;
	if (nr_strings < MAX_STRINGS && string_len(addr) >= 0)
		strings[nr_strings++] = addr;
}

/* Calls fn on every published record of ring r, oldest first; returns how many. */
static uint32_t walk_ring(const struct trace_ring *r, void (*fn)(const struct trace_record *))
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint32_t n = 0;

	for (uint64_t seq = trace_ring_first(r); seq < head; seq++) {
		const struct trace_record *rec = &r->recs[seq & r->mask];

		if (__atomic_load_n(&rec->meta, __ATOMIC_ACQUIRE) == TRACE_META_BUSY ||
		    TRACE_META_ID(rec->meta) >= nr_points())
			continue;
		if (fn)
			fn(rec);
		n++;
	}
	return n;
}

static void collect_strings(const struct trace_record *rec)
{
	const struct trace_point *tp = &__start_osprey_trace[TRACE_META_ID(rec->meta)];

	for (unsigned i = 0; i < tp->nargs; i++)
		if (tp->str_mask & (1u << i))
			note_string(rec->args[i]);
}

static void write_record(const struct trace_record *rec)
{
	port_write(rec, sizeof(*rec));
}

static void dump_cpu(unsigned cpu, const struct trace_ring *r)
{
	struct trace_file_cpu fc = { .cpu = cpu };

	if (r) {
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

		fc.nr_records = walk_ring(r, NULL);
		/* Overwritten, and any slot still busy: both are lost records. */
		fc.dropped = head - fc.nr_records;
	}
	port_write(&fc, sizeof(fc));
	if (r)
		walk_ring(r, write_record);
}

int trace_dump(void)
{
	static bool dumping;
	struct trace_file_header h = { .version = TRACE_FILE_VERSION };
	const uint64_t end = TRACE_FILE_END;
	int ret = 0;

	if (!CONFIG_TRACE_BUF_KB)
		return -ENOSYS;
	if (dumping)
		return -EBUSY;
	dumping = true;
	trace_frozen = true;
	if (!port_probe()) {
		pr_info("trace: no trace port (COM2); the trace was not written\n");
		ret = -ENODEV;
		goto out;
	}
	nr_strings = 0;
	for (unsigned c = 0; c < nr_cpus; c++)
		if (cpus[c] && cpus[c]->trace)
			walk_ring(cpus[c]->trace, collect_strings);

	memcpy(h.magic, TRACE_FILE_MAGIC, sizeof(h.magic));
	h.header_size = sizeof(h);
	h.tsc_hz = tsc_hz();
	h.tsc0 = boot_info.tsc0;
	h.nr_cpus = nr_cpus;
	h.nr_points = nr_points();
	h.nr_strings = nr_strings;
	h.record_size = sizeof(struct trace_record);
	port_write(&h, sizeof(h));

	for (struct trace_point *tp = __start_osprey_trace; tp < __stop_osprey_trace; tp++) {
		struct trace_file_point fp = {
			.name_len = (uint16_t)MIN(strlen(tp->name), TRACE_NAME_MAX),
			.fmt_len = (uint16_t)MIN(strlen(tp->fmt), TRACE_FMT_MAX),
			.nargs = tp->nargs,
			.str_mask = tp->str_mask,
		};

		port_write(&fp, sizeof(fp));
		port_write(tp->name, fp.name_len);
		port_write(tp->fmt, fp.fmt_len);
	}
	for (unsigned i = 0; i < nr_strings; i++) {
		struct trace_file_string fs = { .addr = strings[i] };

		fs.len = (uint32_t)string_len(strings[i]);
		port_write(&fs, sizeof(fs));
		port_write((const void *)strings[i], fs.len);
	}
	for (unsigned c = 0; c < nr_cpus; c++)
		dump_cpu(c, cpus[c] ? cpus[c]->trace : NULL);
	port_write(&end, sizeof(end));
	/* Let the last FIFO load drain before the machine stops. */
	for (int spin = 0; spin < 100000 && !(inb(COM2 + UART_LSR) & 0x40); spin++)
		cpu_relax();
out:
	trace_frozen = false;
	dumping = false;
	return ret;
}

void trace_dump_at_exit(void)
{
	static bool done;

	if (!CONFIG_TRACE_BUF_KB || !trace_used || done)
		return;
	done = true;
	trace_dump();
}
