/*
 * The lock-order checker (see include/osprey/lockdep.h).  Only built into
 * CONFIG_LOCKDEP kernels' behaviour: with the option off every entry point
 * returns at once (and the spinlock hooks compile away).
 *
 * State: up to MAX_CLASSES classes found by name; an adjacency bit matrix
 * of "was taken while holding" edges with the first call sites of each; per
 * thread (and per CPU for interrupt handlers) a stack of held locks.  The
 * checker's own lock (graph_lock) is not checked, and it is a leaf.
 */
#include <string.h>

#include <osprey/kernel.h>
#include <osprey/ksyms.h>
#include <osprey/lockdep.h>
#include <osprey/log.h>
#include <osprey/percpu.h>
#include <osprey/sched.h>
#include <osprey/spinlock.h>

#define MAX_CLASSES 128
#define MAX_HELD 16

struct held {
	const void *lock;
	int cls; /* -1: a trylock, ordering nothing */
	void *site;
};

struct held_stack {
	int n;
	struct held h[MAX_HELD];
};

static const char *class_name[MAX_CLASSES];
static bool no_nesting[MAX_CLASSES]; /* lockdep_no_nesting() */
static unsigned nr_classes;
static uint64_t edge[MAX_CLASSES][MAX_CLASSES / 64];
static void *edge_site[MAX_CLASSES][MAX_CLASSES][2];
static _Atomic uint32_t graph_lock; /* a bare flag: a spinlock would recurse */
static struct lockdep_counts counts;
static const char *last_held, *last_taken;
static bool reporting;

/* Per thread would need room in struct thread; per CPU context is enough here. */
static struct held_stack thread_held[CONFIG_MAX_CPUS];
static struct held_stack irq_held[CONFIG_MAX_CPUS];
static int in_irq[CONFIG_MAX_CPUS];

/*
 * With interrupts off: an interrupt handler taking a lock would otherwise
 * come back here on the same CPU and spin on graph_lock forever.
 */
static uint64_t graph_enter(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	/* acquire: pairs with the release in graph_leave() */
	while (atomic_exchange_explicit(&graph_lock, 1, memory_order_acquire))
		__builtin_ia32_pause();
	return flags;
}

static void graph_leave(uint64_t flags)
{
	atomic_store_explicit(&graph_lock, 0, memory_order_release);
	if (flags & 0x200)
		__asm__ volatile("sti" ::: "memory");
}

static bool ready(void)
{
	return CONFIG_LOCKDEP && nr_cpus && this_cpu();
}

static struct held_stack *stack(void)
{
	unsigned cpu = cpu_id();

	return in_irq[cpu] ? &irq_held[cpu] : &thread_held[cpu];
}

/* Caller holds graph_lock. */
static int class_of(const char *name)
{
	for (unsigned i = 0; i < nr_classes; i++)
		if (class_name[i] == name)
			return (int)i;
	if (nr_classes == MAX_CLASSES)
		return -1;
	class_name[nr_classes] = name;
	counts.classes++;
	return (int)nr_classes++;
}

static bool has_edge(int a, int b)
{
	return edge[a][b / 64] & (1ull << (b % 64));
}

/* Caller holds graph_lock.  Depth-first: is there a path from -> to? */
static bool reaches(int from, int to, uint64_t *seen)
{
	if (from == to)
		return true;
	seen[from / 64] |= 1ull << (from % 64);
	for (unsigned n = 0; n < nr_classes; n++)
		if (has_edge(from, (int)n) && !(seen[n / 64] & (1ull << (n % 64))) &&
		    reaches((int)n, to, seen))
			return true;
	return false;
}

static void site_line(const char *what, void *site)
{
	uintptr_t off;
	const char *fn = ksym_lookup((uintptr_t)site, &off);

	if (fn)
		kprintf("  %s at %s+0x%lx\n", what, fn, (unsigned long)off);
	else
		kprintf("  %s at %p\n", what, site);
}

/* Caller holds graph_lock: orders cls after the held lock a (taken at held_site). */
static void order(int a, void *held_site, int cls, void *site)
{
	uint64_t seen[MAX_CLASSES / 64] = { 0 };

	if (a == cls && a >= 0 && no_nesting[a]) {
		counts.nesting++;
		reporting = true;
		kprintf("lockdep: taking a second '%s' lock without a nesting annotation\n",
			class_name[cls]);
		site_line("this time, took it", site);
		site_line("holding the other, taken", held_site);
		reporting = false;
		return;
	}
	if (a < 0 || a == cls || has_edge(a, cls))
		return;
	if (reaches(cls, a, seen)) {
		counts.inversions++;
		last_held = class_name[a];
		last_taken = class_name[cls];
		reporting = true;
		kprintf("lockdep: lock order inversion: taking '%s' while holding '%s'\n",
			class_name[cls], class_name[a]);
		site_line("this time, took it", site);
		site_line("holding the other, taken", held_site);
		if (has_edge(cls, a)) {
			site_line("earlier, the reverse: held", edge_site[cls][a][0]);
			site_line("and took", edge_site[cls][a][1]);
		}
		reporting = false;
		return;
	}
	edge[a][cls / 64] |= 1ull << (cls % 64);
	edge_site[a][cls][0] = held_site;
	edge_site[a][cls][1] = site;
	counts.edges++;
}

/* Checks cls against every lock this context holds: spinlocks, and the thread's mutexes. */
static int check(const char *name, void *site)
{
	/* Interrupts off first: a thread that moved to another CPU would read the old one's stack. */
	uint64_t flags = graph_enter();
	struct held_stack *hs = stack();
	struct thread *t = in_irq[cpu_id()] ? NULL : thread_current();
	int cls;

	cls = class_of(name);
	for (int i = 0; cls >= 0 && i < hs->n; i++)
		order(hs->h[i].cls, hs->h[i].site, cls, site);
	for (int i = 0; cls >= 0 && t && i < t->nheld; i++)
		order(t->held[i].cls, t->held[i].site, cls, site);
	graph_leave(flags);
	return cls;
}

void lockdep_acquire(const char *name, const void *lock, void *site)
{
	if (!ready() || reporting)
		return;
	struct held_stack *hs = stack();
	int cls = name ? check(name, site) : -1;

	if (hs->n < MAX_HELD)
		hs->h[hs->n++] = (struct held){ lock, cls, site };
}

void lockdep_mutex_acquire(const char *name, const void *lock, void *site)
{
	if (!ready() || reporting)
		return;
	struct thread *t = thread_current();
	int cls = check(name, site);

	if (t->nheld < (int)ARRAY_SIZE(t->held)) {
		t->held[t->nheld].lock = lock;
		t->held[t->nheld].cls = cls;
		t->held[t->nheld].site = site;
		t->nheld++;
	}
}

void lockdep_mutex_release(const void *lock)
{
	if (!ready())
		return;
	struct thread *t = thread_current();

	for (int i = t->nheld - 1; i >= 0; i--) {
		if (t->held[i].lock != lock)
			continue;
		for (int j = i; j + 1 < t->nheld; j++)
			t->held[j] = t->held[j + 1];
		t->nheld--;
		return;
	}
}

void lockdep_release(const void *lock)
{
	if (!ready())
		return;
	struct held_stack *hs = stack();

	for (int i = hs->n - 1; i >= 0; i--) {
		if (hs->h[i].lock != lock)
			continue;
		for (int j = i; j + 1 < hs->n; j++)
			hs->h[j] = hs->h[j + 1];
		hs->n--;
		return;
	}
}

void lockdep_irq_enter(void)
{
	if (ready())
		in_irq[cpu_id()]++;
}

void lockdep_irq_exit(void)
{
	if (ready())
		in_irq[cpu_id()]--;
}

void might_sleep(void *site)
{
	uint64_t flags;

	if (!ready() || !sched_started())
		return;
	/* With interrupts off, so that the stack read is this CPU's (threads move). */
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	struct held_stack *hs = stack();
	bool fine = hs->n == 0 && (flags & 0x200);
	int top = hs->n ? hs->h[hs->n - 1].cls : -1;
	unsigned n = (unsigned)hs->n;

	if (flags & 0x200)
		__asm__ volatile("sti" ::: "memory");
	if (fine)
		return;
	counts.sleep_in_atomic++;
	if (n)
		kprintf("lockdep: blocking while holding spinlock '%s'\n",
			top >= 0 ? class_name[top] : "(trylock)");
	else
		kprintf("lockdep: blocking with interrupts off\n");
	site_line("blocking", site);
}

void lockdep_bad_unlock(const char *name, void *site)
{
	if (!CONFIG_LOCKDEP)
		return;
	counts.bad_unlock++;
	kprintf("lockdep: mutex '%s' unlocked by a thread that does not own it\n", name);
	site_line("unlocked", site);
}

void lockdep_no_nesting(const char *name)
{
	if (!CONFIG_LOCKDEP)
		return;
	uint64_t flags = graph_enter();
	int cls = class_of(name);

	if (cls >= 0)
		no_nesting[cls] = true;
	graph_leave(flags);
}

void lockdep_counts(struct lockdep_counts *c)
{
	*c = counts;
}

void lockdep_last_inversion(const char **held, const char **taken)
{
	*held = last_held;
	*taken = last_taken;
}

/* Caller holds graph_lock.  By name, not by pointer: a test has its own copy of the string. */
static int class_named(const char *name)
{
	for (unsigned i = 0; i < nr_classes; i++)
		if (strcmp(class_name[i], name) == 0)
			return (int)i;
	return -1;
}

bool lockdep_edge_seen(const char *held, const char *taken)
{
	bool seen = false;

	if (!CONFIG_LOCKDEP)
		return false;
	uint64_t flags = graph_enter();
	int a = class_named(held), b = class_named(taken);

	seen = a >= 0 && b >= 0 && has_edge(a, b);
	graph_leave(flags);
	return seen;
}

unsigned lockdep_edges_from(const char *held)
{
	unsigned n = 0;

	if (!CONFIG_LOCKDEP)
		return 0;
	uint64_t flags = graph_enter();
	int a = class_named(held);

	for (unsigned b = 0; a >= 0 && b < nr_classes; b++)
		n += has_edge(a, (int)b);
	graph_leave(flags);
	return n;
}
