/*
 * The kernel virtual area: [KVA_BASE, KVA_BASE + KVA_SIZE), for kernel
 * stacks and other mappings that need their own virtual range.  Ranges are
 * handed out first-fit from a sorted free list, and each allocation is
 * followed by an unmapped hole, so that no two ranges ever touch.
 *
 * Kernel stacks (decision 5) are fully mapped at creation, with an unmapped
 * guard page below: an overflow faults on the guard instead of corrupting
 * whatever lies below, the CPU's attempt to push the fault frame on the
 * same stack turns that fault into a double fault, which runs on its own IST
 * stack and reports "stack overflow" with the stack's name (trap.c).  A
 * kernel stack never takes a page fault, so the fault path never runs on
 * a half-built stack, which is how OSv's lazy-stack deadlock happened.
 *
 * Locking: kva_lock guards the free list and the stack registry; it is a
 * leaf lock taken with preemption off, and nothing allocates under it.
 */
#include <string.h>

#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/spinlock.h>

#define MAX_HOLES 64

static struct spinlock kva_lock = SPINLOCK_INIT("kva");
static struct {
	uintptr_t start;
	uint64_t npages;
} holes[MAX_HOLES]; /* free ranges, sorted by address */
static unsigned nr_holes;
static struct kstack *stacks;

void kva_init(void)
{
	holes[0].start = KVA_BASE;
	holes[0].npages = KVA_SIZE / PAGE_SIZE;
	nr_holes = 1;
}

uintptr_t kva_alloc(uint64_t npages)
{
	uintptr_t va = 0;

	npages++; /* the hole after the range */
	preempt_disable();
	raw_spin_lock(&kva_lock);
	for (unsigned i = 0; i < nr_holes; i++) {
		if (holes[i].npages < npages)
			continue;
		va = holes[i].start;
		holes[i].start += npages * PAGE_SIZE;
		holes[i].npages -= npages;
		if (!holes[i].npages) {
			memmove(&holes[i], &holes[i + 1], (nr_holes - i - 1) * sizeof(holes[0]));
			nr_holes--;
		}
		break;
	}
	raw_spin_unlock(&kva_lock);
	preempt_enable();
	return va;
}

void kva_free(uintptr_t va, uint64_t npages)
{
	unsigned i;

	npages++;
	preempt_disable();
	raw_spin_lock(&kva_lock);
	for (i = 0; i < nr_holes && holes[i].start < va; i++)
		;
	bool merge_prev = i > 0 && holes[i - 1].start + holes[i - 1].npages * PAGE_SIZE == va;
	bool merge_next = i < nr_holes && va + npages * PAGE_SIZE == holes[i].start;

	if (merge_prev && merge_next) {
		holes[i - 1].npages += npages + holes[i].npages;
		memmove(&holes[i], &holes[i + 1], (nr_holes - i - 1) * sizeof(holes[0]));
		nr_holes--;
	} else if (merge_prev) {
		holes[i - 1].npages += npages;
	} else if (merge_next) {
		holes[i].start = va;
		holes[i].npages += npages;
	} else if (nr_holes < MAX_HOLES) {
		memmove(&holes[i + 1], &holes[i], (nr_holes - i) * sizeof(holes[0]));
		holes[i].start = va;
		holes[i].npages = npages;
		nr_holes++;
	} else {
		/* Too fragmented to record: the range stays reserved (counted, not lost silently). */
		WARN_ONCE(1);
	}
	raw_spin_unlock(&kva_lock);
	preempt_enable();
}

static void unmap_pages(uintptr_t va, uint64_t npages)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t e = mmu_kernel_unmap(va + i * PAGE_SIZE);

		if (e & PTE_P)
			page_free(phys_to_virt(e & PTE_ADDR), 0);
	}
	tlb_flush_range(va, npages);
}

struct kstack *kstack_alloc(const char *name, size_t size)
{
	uint64_t npages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	struct kstack *s = kzalloc(sizeof(*s));

	if (!s)
		return NULL;
	uintptr_t va = kva_alloc(npages + 1);

	if (!va)
		goto out_free;
	s->guard = va;
	s->base = va + PAGE_SIZE;
	s->top = s->base + npages * PAGE_SIZE;
	for (size_t i = 0; i + 1 < sizeof(s->name) && name[i]; i++)
		s->name[i] = name[i];
	for (uint64_t i = 0; i < npages; i++) {
		void *page = page_alloc(0, MM_ZERO);

		if (!page ||
		    mmu_kernel_map(s->base + i * PAGE_SIZE, virt_to_phys(page), PTE_W | PTE_NX)) {
			if (page)
				page_free(page, 0);
			goto out_unmap;
		}
	}
	preempt_disable();
	raw_spin_lock(&kva_lock);
	s->next = stacks;
	stacks = s;
	raw_spin_unlock(&kva_lock);
	preempt_enable();
	return s;

out_unmap:
	unmap_pages(s->base, npages);
	kva_free(va, npages + 1);
out_free:
	kfree(s);
	return NULL;
}

void kstack_free(struct kstack *s)
{
	uint64_t npages = (s->top - s->base) / PAGE_SIZE;

	preempt_disable();
	raw_spin_lock(&kva_lock);
	for (struct kstack **pp = &stacks; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	raw_spin_unlock(&kva_lock);
	preempt_enable();
	unmap_pages(s->base, npages);
	kva_free(s->guard, npages + 1);
	kfree(s);
}

/* Lock-free read of the registry: used on the panic path, where waiting is worse. */
struct kstack *kstack_find(uintptr_t addr, bool with_guard)
{
	for (struct kstack *s = stacks; s; s = s->next)
		if (addr >= (with_guard ? s->guard : s->base) && addr < s->top)
			return s;
	return NULL;
}
