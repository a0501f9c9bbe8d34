/*
 * Address spaces for the application (kernel/mm/vm.c): VM areas with map,
 * unmap and protect; page faults fill anonymous memory with zeros, or ask
 * the area's fault hook (file-backed memory, later).  mmap and brk are built
 * on this by the Linux ABI issue.
 */
#ifndef OSPREY_VM_H
#define OSPREY_VM_H

#include <osprey/kernel.h>
#include <osprey/spinlock.h>

#define USER_TOP 0x00007ffffffff000ull

#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4

struct vma;

struct vm_ops {
	/* Supplies the page for offset off of the area; 0 or -errno. */
	int (*fault)(const struct vma *v, uint64_t off, void **page);
	/*
	 * The pages fault() supplies stay the ops' own: the area maps them and
	 * never frees them (the vDSO, pages shared between mappings).
	 */
	bool borrowed;
};

struct vma {
	uintptr_t start, end;	  /* page-aligned, end exclusive */
	int prot;		  /* VM_READ | VM_WRITE | VM_EXEC */
	const struct vm_ops *ops; /* NULL: anonymous, zero-filled */
	void *priv;
};

struct vma_set;

/*
 * Lock legend:
 *   lock     [l]: writers of the area set (map, unmap, protect).  May be held
 *            for long; the fault path never takes it.
 *   pt_lock  [p]: the lower half of the page tables; innermost, held only
 *            while entries change, never across anything that can fault.
 *   vmas     [a]: the current area set, an immutable snapshot replaced under
 *            `lock` and read by the fault path with preemption off (RCU style).
 *   seq      [a]: bumped under pt_lock whenever mappings are removed or
 *            narrowed; a fault that saw an older value retries.
 */
struct address_space {
	struct spinlock lock;
	struct spinlock pt_lock;
	uint64_t root;		      /* [i] physical address of the top-level table */
	struct vma_set *_Atomic vmas; /* [a] */
	_Atomic uint64_t seq;	      /* [a] */
	uint64_t resident;	      /* [p] pages mapped */
	uint64_t faults;	      /* [p] */
};

int as_create(struct address_space **out);
void as_destroy(struct address_space *as);
/* Makes as the current CPU's address space (NULL: the kernel's alone). */
void as_activate(struct address_space *as);
int vm_map(struct address_space *as, uintptr_t start, uint64_t len, int prot,
	   const struct vm_ops *ops, void *priv);
int vm_unmap(struct address_space *as, uintptr_t start, uint64_t len);
int vm_protect(struct address_space *as, uintptr_t start, uint64_t len, int prot);
/* Handles a fault at addr: 0 when mapped now, -EFAULT (no area), -EACCES, -ENOMEM. */
int vm_fault(struct address_space *as, uintptr_t addr, bool write, bool exec);

/* RCU-style grace period: returns when no CPU can still see an old snapshot. */
void rcu_synchronize(void);

#endif
