/*
 * Address spaces.
 *
 * The fault path takes no lock that a thread of the same address space
 * can hold while it faults, which is what closes OSv's lazy-stack deadlock
 * (there, the fault handler took the VMA list lock for reading while the
 * faulting thread held it for writing).  Here:
 *   - the area set is an immutable snapshot; vm_map/unmap/protect build a
 *     new one under as->lock and publish it with a release store; the fault
 *     path reads it with preemption off and never touches as->lock;
 *   - page-table entries change only under as->pt_lock, a leaf lock held for
 *     a few stores; nothing that can fault runs under it;
 *   - unmap and protect bump as->seq under pt_lock before they clear or
 *     narrow entries; a fault that found its area under an older seq drops
 *     its page and retries, so it cannot resurrect an unmapped page.
 * Kernel stacks never fault (kva.c), so the fault path always runs on a
 * whole stack.  docs/memory.md has the lock order.
 *
 * Old snapshots are freed after rcu_synchronize().
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/log.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/smp.h>
#include <osprey/vm.h>

struct vma_set {
	unsigned n;
	struct vma v[];
};

static void quiescent(void *arg)
{
	(void)arg;
}

void rcu_synchronize(void)
{
	/*
	 * Readers (vm_fault) hold the snapshot with interrupts off.  A CPU that
	 * answers an IPI is therefore outside any read section that began
	 * before it: once all have answered, no reader can see the old set.
	 */
	smp_call_all(quiescent, NULL);
}

static struct vma_set *set_alloc(unsigned n)
{
	struct vma_set *s = kmalloc(sizeof(*s) + n * sizeof(struct vma));

	if (s)
		s->n = 0;
	return s;
}

int as_create(struct address_space **out)
{
	struct address_space *as = kzalloc(sizeof(*as));
	int err;

	if (!as)
		return -ENOMEM;
	spin_init(&as->lock, "as");
	spin_init(&as->pt_lock, "as-pt");
	err = mmu_new_root(&as->root);
	if (err)
		goto out_free;
	struct vma_set *empty = set_alloc(0);

	if (!empty) {
		err = -ENOMEM;
		goto out_root;
	}
	atomic_init(&as->vmas, empty);
	atomic_init(&as->seq, 0);
	*out = as;
	return 0;

out_root:
	mmu_free_root(as->root);
out_free:
	kfree(as);
	return err;
}

/* Removes and frees the pages of [start, end); caller holds pt_lock. */
static void clear_range(struct address_space *as, uintptr_t start, uintptr_t end)
{
	for (uintptr_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t *e = mmu_user_pte(as->root, va);

		if (!e || !(*e & (PTE_P | PTE_PROTNONE)))
			continue;
		if (!(*e & PTE_BORROWED))
			page_free(phys_to_virt(*e & PTE_ADDR), 0);
		*e = 0;
		as->resident--;
	}
}

void as_destroy(struct address_space *as)
{
	struct vma_set *s = atomic_load_explicit(&as->vmas, memory_order_relaxed);

	if (this_cpu()->as == as)
		as_activate(NULL);
	for (unsigned i = 0; i < s->n; i++)
		clear_range(as, s->v[i].start, s->v[i].end);
	mmu_free_root(as->root);
	kfree(s);
	kfree(as);
}

extern uint64_t kernel_root_phys(void);

void as_activate(struct address_space *as)
{
	this_cpu()->as = as;
	write_cr3(as ? as->root : kernel_root_phys());
}

static bool valid_range(uintptr_t start, uint64_t len)
{
	return len && !(start & (PAGE_SIZE - 1)) && !(len & (PAGE_SIZE - 1)) && start < USER_TOP &&
	       len <= USER_TOP - start;
}

/*
 * Builds the set that results from cutting [start, end) out of old and, if
 * add is given, inserting it.  Areas stay sorted and never overlap.
 */
static struct vma_set *set_edit(const struct vma_set *old, uintptr_t start, uintptr_t end,
				const struct vma *add)
{
	struct vma_set *s = set_alloc(old->n + 2);

	if (!s)
		return NULL;
	for (unsigned i = 0; i < old->n; i++) {
		const struct vma *v = &old->v[i];

		if (v->end <= start || v->start >= end) {
			s->v[s->n++] = *v;
			continue;
		}
		if (v->start < start) {
			s->v[s->n] = *v;
			s->v[s->n++].end = start;
		}
		if (v->end > end) {
			s->v[s->n] = *v;
			s->v[s->n++].start = end;
		}
	}
	if (add) {
		unsigned i = s->n;

		while (i > 0 && s->v[i - 1].start > add->start) {
			s->v[i] = s->v[i - 1];
			i--;
		}
		s->v[i] = *add;
		s->n++;
	}
	return s;
}

static void publish(struct address_space *as, struct vma_set *s)
{
	/* release: pairs with the acquire load in vm_fault() */
	struct vma_set *old = atomic_exchange_explicit(&as->vmas, s, memory_order_acq_rel);

	rcu_synchronize();
	kfree(old);
}

int vm_map(struct address_space *as, uintptr_t start, uint64_t len, int prot,
	   const struct vm_ops *ops, void *priv)
{
	struct vma add = { start, start + len, prot, ops, priv };

	if (!valid_range(start, len) || (prot & ~(VM_READ | VM_WRITE | VM_EXEC)))
		return -EINVAL;
	preempt_disable();
	raw_spin_lock(&as->lock);
	struct vma_set *old = atomic_load_explicit(&as->vmas, memory_order_relaxed);

	for (unsigned i = 0; i < old->n; i++) {
		if (old->v[i].start < add.end && add.start < old->v[i].end) {
			raw_spin_unlock(&as->lock);
			preempt_enable();
			return -EEXIST;
		}
	}
	struct vma_set *s = set_edit(old, start, start + len, &add);

	if (s)
		publish(as, s);
	raw_spin_unlock(&as->lock);
	preempt_enable();
	return s ? 0 : -ENOMEM;
}

static int change(struct address_space *as, uintptr_t start, uint64_t len, int prot, bool unmap)
{
	uintptr_t end = start + len;

	if (!valid_range(start, len))
		return -EINVAL;
	preempt_disable();
	raw_spin_lock(&as->lock);
	struct vma_set *old = atomic_load_explicit(&as->vmas, memory_order_relaxed);
	struct vma_set *s = set_edit(old, start, end, NULL);
	unsigned added = 0;

	if (s && !unmap) {
		/* Re-add the covered pieces with the new protection. */
		for (unsigned i = 0; i < old->n; i++) {
			const struct vma *v = &old->v[i];

			if (v->end <= start || v->start >= end)
				continue;
			struct vma piece = *v;

			piece.start = MAX(v->start, start);
			piece.end = MIN(v->end, end);
			piece.prot = prot;
			struct vma_set *t = set_edit(s, piece.start, piece.end, &piece);

			kfree(s);
			s = t;
			if (!s)
				break;
			added++;
		}
	}
	if (!s) {
		raw_spin_unlock(&as->lock);
		preempt_enable();
		return -ENOMEM;
	}
	publish(as, s);
	raw_spin_lock(&as->pt_lock);
	/* release: a fault that read the old seq sees the change and retries */
	atomic_fetch_add_explicit(&as->seq, 1, memory_order_release);
	if (unmap) {
		clear_range(as, start, end);
	} else {
		for (uintptr_t va = start; va < end; va += PAGE_SIZE) {
			uint64_t *e = mmu_user_pte(as->root, va);

			if (!e || !(*e & (PTE_P | PTE_PROTNONE)))
				continue;
			/* No access at all: not present, but the page stays (PTE_PROTNONE). */
			*e = (*e & ~(PTE_P | PTE_PROTNONE | PTE_W | PTE_NX)) |
			     (prot & VM_READ ? PTE_P : PTE_PROTNONE) |
			     (prot & VM_WRITE ? PTE_W : 0) | (prot & VM_EXEC ? 0 : PTE_NX);
		}
	}
	raw_spin_unlock(&as->pt_lock);
	raw_spin_unlock(&as->lock);
	preempt_enable();
	tlb_flush_range(start, len / PAGE_SIZE);
	return unmap || added ? 0 : -ENOMEM;
}

int vm_unmap(struct address_space *as, uintptr_t start, uint64_t len)
{
	return change(as, start, len, 0, true);
}

int vm_protect(struct address_space *as, uintptr_t start, uint64_t len, int prot)
{
	if (prot & ~(VM_READ | VM_WRITE | VM_EXEC))
		return -EINVAL;
	return change(as, start, len, prot, false);
}

static const struct vma *find(const struct vma_set *s, uintptr_t addr)
{
	unsigned lo = 0, hi = s->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (s->v[mid].end <= addr)
			lo = mid + 1;
		else if (s->v[mid].start > addr)
			hi = mid;
		else
			return &s->v[mid];
	}
	return NULL;
}

int vm_fault(struct address_space *as, uintptr_t addr, bool write, bool exec)
{
	uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE);

	for (;;) {
		struct vma v;
		uint64_t irq;

		/* Read side: interrupts off, so rcu_synchronize() waits for us. */
		__asm__ volatile("pushfq; popq %0; cli" : "=r"(irq) : : "memory");
		/* acquire: pairs with the release in change() */
		uint64_t seq = atomic_load_explicit(&as->seq, memory_order_acquire);
		/* acquire: pairs with the exchange in publish() */
		const struct vma *found =
			find(atomic_load_explicit(&as->vmas, memory_order_acquire), addr);

		if (found)
			v = *found;
		if (irq & 0x200)
			__asm__ volatile("sti" ::: "memory");
		if (!found || addr >= USER_TOP)
			return -EFAULT;
		if ((write && !(v.prot & VM_WRITE)) || (exec && !(v.prot & VM_EXEC)) ||
		    !(v.prot & VM_READ))
			return -EACCES;

		void *page = NULL;
		int err = v.ops && v.ops->fault ? v.ops->fault(&v, va - v.start, &page) : 0;
		bool borrowed = v.ops && v.ops->borrowed && page;

		if (!err && !page)
			page = page_alloc(0, MM_ZERO);
		if (err || !page)
			return err ? err : -ENOMEM;
		uint64_t flags = PTE_U | (v.prot & VM_WRITE ? PTE_W : 0) |
				 (v.prot & VM_EXEC ? 0 : PTE_NX) | (borrowed ? PTE_BORROWED : 0);

		preempt_disable();
		raw_spin_lock(&as->pt_lock);
		if (atomic_load_explicit(&as->seq, memory_order_relaxed) != seq) {
			raw_spin_unlock(&as->pt_lock);
			preempt_enable();
			if (!borrowed)
				page_free(page, 0);
			continue; /* the areas changed under us: look again */
		}
		err = mmu_user_map(as->root, va, virt_to_phys(page), flags);
		if (!err) {
			as->resident++;
			as->faults++;
		}
		raw_spin_unlock(&as->pt_lock);
		preempt_enable();
		if (err && !borrowed)
			page_free(page, 0);
		return err == -EEXIST ? 0 : err; /* EEXIST: another CPU mapped it first */
	}
}
