/*
 * The debug allocator (CONFIG_DEBUG_MEMORY, on in `make MODE=debug`).  It
 * wraps every heap block:
 *
 *   [struct dbg_hdr][red zone 16][user bytes ...][red zone 16]
 *
 * and catches, each reported with the backtraces that matter and counted:
 *   - writes past either end (red zones checked at free and at exit),
 *   - use after free (freed blocks are poisoned and held in a quarantine;
 *     poison found changed when a block leaves it means a write after free),
 *   - double free (the header says freed; both backtraces are shown),
 *   - freeing a pointer the heap never handed out (refused, never followed),
 *   - leaks (live blocks listed at shutdown, with where they were allocated).
 * A report never stops the kernel.
 *
 * Locking: dbg_lock, a leaf lock, guards the live list and the quarantine.
 * It is global, and that is deliberate: this path is for finding bugs, not
 * for speed; release builds never take it.
 */
#include <string.h>

#include <osprey/arch/trap.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>

#include "internal.h"
#include "mm.h"

#define RZ 16
#define BT 6
#define MAGIC_LIVE 0x4556494cu	/* "LIVE" */
#define MAGIC_FREED 0x45455246u /* "FREE" */
#define RZ_BYTE 0xfd
#define POISON 0x6b
#define FRESH 0xcd
#define QUARANTINE_MAX 128

struct dbg_hdr {
	uint32_t magic;
	uint32_t ignore; /* not a leak: a long-lived kernel object */
	size_t size;
	void *base;
	struct list link; /* the live list or the quarantine */
	uintptr_t alloc_bt[BT];
	uintptr_t free_bt[BT];
	uint64_t pad;
};

_Static_assert(sizeof(struct dbg_hdr) % 16 == 0, "header keeps 16-byte alignment");

static struct spinlock dbg_lock = SPINLOCK_INIT("mm-debug");
static struct list live = LIST_HEAD_INIT(live);
static struct list quarantine = LIST_HEAD_INIT(quarantine);
static unsigned quarantined;
static uint64_t nr_live;
static struct mm_debug_counts counts;

static void capture(uintptr_t *bt)
{
	int n = backtrace_collect((uint64_t)__builtin_frame_address(0), bt, BT);

	for (; n < BT; n++)
		bt[n] = 0;
}

static void show_bt(const char *what, const uintptr_t *bt)
{
	int n = 0;

	while (n < BT && bt[n])
		n++;
	kprintf("  %s:\n", what);
	backtrace_print_pcs(bt, n);
}

static bool bytes_are(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static uint8_t *user_of(struct dbg_hdr *h)
{
	return (uint8_t *)(h + 1) + RZ;
}

void *debug_alloc(size_t n, size_t align)
{
	if (align < 16)
		align = 16;
	if (align & (align - 1) || n > ((size_t)PAGE_SIZE << MAX_ORDER))
		return NULL;
	size_t raw_size = sizeof(struct dbg_hdr) + RZ + (align - 16) + n + RZ;
	uint8_t *raw = heap_alloc(raw_size);

	if (!raw)
		return NULL;
	uint8_t *user = (uint8_t *)ALIGN_UP((uintptr_t)raw + sizeof(struct dbg_hdr) + RZ, align);
	struct dbg_hdr *h = (struct dbg_hdr *)(user - RZ) - 1;

	h->magic = MAGIC_LIVE;
	h->ignore = 0;
	h->size = n;
	h->base = raw;
	capture(h->alloc_bt);
	memset(h->free_bt, 0, sizeof(h->free_bt));
	memset(user - RZ, RZ_BYTE, RZ);
	memset(user, FRESH, n);
	memset(user + n, RZ_BYTE, RZ);
	preempt_disable();
	raw_spin_lock(&dbg_lock);
	list_add_tail(&live, &h->link);
	nr_live++;
	raw_spin_unlock(&dbg_lock);
	preempt_enable();
	return user;
}

/* The header of a block handed out by debug_alloc(), or NULL; never faults. */
static struct dbg_hdr *header_of(const void *p)
{
	void *start;
	size_t size;
	uintptr_t h = (uintptr_t)p - RZ - sizeof(struct dbg_hdr);

	if ((uintptr_t)p & 15 || !heap_owns(p, &start, &size))
		return NULL;
	/* heap_owns() gave the bytes from p to the block's end; the header must fit before p. */
	if (h < (uintptr_t)start || size < RZ)
		return NULL;
	struct dbg_hdr *hdr = (struct dbg_hdr *)h;

	if ((hdr->magic != MAGIC_LIVE && hdr->magic != MAGIC_FREED) || hdr->base != start)
		return NULL;
	return hdr;
}

static void check_redzones(struct dbg_hdr *h)
{
	uint8_t *u = user_of(h);
	bool before = !bytes_are(u - RZ, RZ, RZ_BYTE), after = !bytes_are(u + h->size, RZ, RZ_BYTE);

	if (!before && !after)
		return;
	counts.overflow++;
	kprintf("mm: heap overflow: %s block %p of %zu bytes was written\n",
		before ? "before" : "after", u, h->size);
	show_bt("allocated at", h->alloc_bt);
}

/* Caller holds dbg_lock.  The block leaves the quarantine and goes back to the heap. */
static void release(struct dbg_hdr *h)
{
	if (!bytes_are(user_of(h), h->size, POISON)) {
		counts.use_after_free++;
		kprintf("mm: use after free: block %p of %zu bytes was written after it was freed\n",
			user_of(h), h->size);
		show_bt("allocated at", h->alloc_bt);
		show_bt("freed at", h->free_bt);
	}
	list_del(&h->link);
	quarantined--;
	h->magic = 0;
	heap_free(h->base);
}

void debug_free(void *p)
{
	uintptr_t here[BT];

	if (!p)
		return;
	struct dbg_hdr *h = header_of(p);

	capture(here);
	if (!h) {
		counts.invalid_free++;
		kprintf("mm: invalid free of %p: the heap never handed out this pointer\n", p);
		show_bt("freed at", here);
		return;
	}
	preempt_disable();
	raw_spin_lock(&dbg_lock);
	if (h->magic == MAGIC_FREED) {
		counts.double_free++;
		kprintf("mm: double free of %p (%zu bytes)\n", p, h->size);
		show_bt("allocated at", h->alloc_bt);
		show_bt("first freed at", h->free_bt);
		show_bt("freed again at", here);
		goto out_unlock;
	}
	check_redzones(h);
	list_del(&h->link);
	nr_live--;
	h->magic = MAGIC_FREED;
	memcpy(h->free_bt, here, sizeof(here));
	memset(user_of(h), POISON, h->size);
	list_add_tail(&quarantine, &h->link);
	if (++quarantined > QUARANTINE_MAX)
		release(list_entry(quarantine.next, struct dbg_hdr, link));
out_unlock:
	raw_spin_unlock(&dbg_lock);
	preempt_enable();
}

size_t debug_usable_size(const void *p)
{
	struct dbg_hdr *h = p ? header_of(p) : NULL;

	return h && h->magic == MAGIC_LIVE ? h->size : 0;
}

void mm_debug_flush_quarantine(void)
{
	preempt_disable();
	raw_spin_lock(&dbg_lock);
	while (quarantined)
		release(list_entry(quarantine.next, struct dbg_hdr, link));
	raw_spin_unlock(&dbg_lock);
	preempt_enable();
}

void mm_debug_ignore(const void *p)
{
	struct dbg_hdr *h = CONFIG_DEBUG_MEMORY && p ? header_of(p) : NULL;

	if (h)
		h->ignore = 1;
}

uint64_t mm_debug_leak_report(bool print)
{
	uint64_t leaks = 0;

	preempt_disable();
	raw_spin_lock(&dbg_lock);
	for (struct list *l = live.next; l != &live; l = l->next) {
		struct dbg_hdr *h = list_entry(l, struct dbg_hdr, link);

		check_redzones(h);
		if (h->ignore)
			continue;
		leaks++;
		if (print) {
			kprintf("mm: leak: %zu bytes at %p\n", h->size, user_of(h));
			show_bt("allocated at", h->alloc_bt);
		}
	}
	raw_spin_unlock(&dbg_lock);
	preempt_enable();
	if (print && leaks)
		kprintf("mm: %llu blocks leaked\n", (unsigned long long)leaks);
	return leaks;
}

uint64_t mm_debug_live(void)
{
	return nr_live;
}

void mm_debug_counts(struct mm_debug_counts *c)
{
	*c = counts;
}
