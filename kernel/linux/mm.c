/*
 * The process's memory system calls: brk, mmap, munmap, mprotect, mremap,
 * madvise, on the address spaces of kernel/mm/vm.c.
 *
 * Placement: mmap without MAP_FIXED takes the highest free gap below
 * mmap_base (top down, as Linux does), found in the process's own list of
 * what it mapped.  That list, brk and the placement are under mm_lock, a
 * mutex: mapping a file copies it, which can take long.
 *
 * File mappings are private copies: MAP_PRIVATE is exact; MAP_SHARED of a
 * file is read at mmap time and not written back (PARTIAL in
 * syscalls.def) until the page cache arrives.  MAP_SHARED|MAP_ANONYMOUS is
 * exact while there is one process.
 */
#include <string.h>

#include <osprey/mm.h>

#include <osprey/percpu.h>

#include "internal.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define PROT_GROWSDOWN 0x01000000
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2

#define MMAP_MIN 0x10000ul
#define BRK_MAX (1ul << 40)

int linux_mm_init(struct process *p, uintptr_t brk_start)
{
	p->brk_start = brk_start;
	p->brk = brk_start;
	mutex_init(&p->mm_lock, "mm_lock");
	return 0;
}

static int region_add(struct process *p, uintptr_t start, uintptr_t end, int prot)
{
	int i = 0;

	if (p->nregions == p->rcap) {
		int ncap = p->rcap ? p->rcap * 2 : 64;
		struct region *r = krealloc(p->regions, (size_t)ncap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		p->regions = r;
		p->rcap = ncap;
	}
	while (i < p->nregions && p->regions[i].start < start)
		i++;
	memmove(&p->regions[i + 1], &p->regions[i],
		(size_t)(p->nregions - i) * sizeof(*p->regions));
	p->regions[i] = (struct region){ start, end, prot };
	p->nregions++;
	return 0;
}

/* Cuts [start, end) out of the list (splitting a region needs one slot more). */
static int region_cut(struct process *p, uintptr_t start, uintptr_t end)
{
	for (int i = 0; i < p->nregions; i++) {
		struct region *r = &p->regions[i];

		if (r->end <= start || r->start >= end)
			continue;
		if (r->start < start && r->end > end) {
			int err = region_add(p, end, r->end, r->prot);

			if (err)
				return err;
			p->regions[i].end = start;
			continue;
		}
		if (r->start < start) {
			r->end = start;
		} else if (r->end > end) {
			r->start = end;
		} else {
			memmove(r, r + 1, (size_t)(p->nregions - i - 1) * sizeof(*r));
			p->nregions--;
			i--;
		}
	}
	return 0;
}

/* Gives the listed parts of [start, end) the protection prot (mprotect). */
static int region_protect(struct process *p, uintptr_t start, uintptr_t end, int prot)
{
	struct region piece[2 * 8];
	int n = 0, err;

	for (int i = 0; i < p->nregions; i++) {
		struct region *r = &p->regions[i];

		if (r->end <= start || r->start >= end)
			continue;
		if (n == (int)ARRAY_SIZE(piece))
			return -ENOMEM;
		piece[n++] = (struct region){ MAX(r->start, start), MIN(r->end, end), prot };
	}
	err = region_cut(p, start, end);
	for (int i = 0; i < n && !err; i++)
		err = region_add(p, piece[i].start, piece[i].end, piece[i].prot);
	return err;
}

/* The highest gap of len bytes below top that no region and nothing else uses. */
static uintptr_t find_gap(struct process *p, uint64_t len, uintptr_t top)
{
	uintptr_t end = top;

	for (int i = p->nregions - 1; i >= -1; i--) {
		uintptr_t below = i >= 0 ? p->regions[i].end :
					   ALIGN_UP(p->brk_start + BRK_MAX, LINUX_PAGE);

		if (i >= 0 && p->regions[i].start >= end)
			continue;
		if (below <= end && end - below >= len)
			return end - len;
		if (i >= 0)
			end = MIN(end, p->regions[i].start);
	}
	return 0;
}

static bool overlaps_regions(struct process *p, uintptr_t start, uintptr_t end)
{
	for (int i = 0; i < p->nregions; i++)
		if (p->regions[i].start < end && start < p->regions[i].end)
			return true;
	return false;
}

static int prot_to_vm(long prot)
{
	/* x86 cannot map write-only or exec-only: write and exec imply read. */
	int vm = 0;

	if (prot & (PROT_READ | PROT_WRITE | PROT_EXEC))
		vm |= VM_READ;
	if (prot & PROT_WRITE)
		vm |= VM_WRITE;
	if (prot & PROT_EXEC)
		vm |= VM_EXEC;
	return vm;
}

static int fill_from_file(struct process *p, int fd, uintptr_t addr, uint64_t len, uint64_t off)
{
	size_t done;
	int err = vfs_pread(p->files, fd, (void *)addr, len, off, &done);

	/* Past the end of the file the mapping reads zeros (no SIGBUS here yet). */
	return err;
}

long sys_mmap(long addr, long len, long prot, long flags, long fd, long off)
{
	struct process *p = proc_current();
	uintptr_t start;
	uint64_t size;
	int type = flags & MAP_TYPE, err;
	struct vfs_stat st;

	if (!len || (off & (LINUX_PAGE - 1)) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if ((uint64_t)len > USER_TOP)
		return -ENOMEM;
	size = ALIGN_UP((uint64_t)len, LINUX_PAGE);
	if (!(flags & MAP_ANONYMOUS)) {
		int fl;

		err = vfs_fstat(p->files, (int)fd, &st);
		if (err)
			return err;
		if (S_ISDIR(st.mode))
			return -ENODEV;
		err = vfs_get_status_flags(p->files, (int)fd, &fl);
		if (err)
			return err;
		if ((fl & O_ACCMODE) == O_WRONLY)
			return -EACCES;
		if (type != MAP_PRIVATE && (prot & PROT_WRITE) && (fl & O_ACCMODE) != O_RDWR)
			return -EACCES;
	}
	mutex_lock(&p->mm_lock);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		start = (uintptr_t)addr;
		err = -EINVAL;
		if ((start & (LINUX_PAGE - 1)) || !user_range_ok(start, size) ||
		    start + size > USER_TOP || start < MMAP_MIN)
			goto out;
		err = -EEXIST;
		if ((flags & MAP_FIXED_NOREPLACE) && overlaps_regions(p, start, start + size))
			goto out;
		vm_unmap(p->as, start, size); /* MAP_FIXED replaces what was there */
		err = region_cut(p, start, start + size);
		if (err)
			goto out;
	} else {
		start = 0;
		if (addr && !(addr & (LINUX_PAGE - 1)) && (uintptr_t)addr >= MMAP_MIN &&
		    user_range_ok((uintptr_t)addr, size) &&
		    (uintptr_t)addr + size <= p->mmap_base &&
		    !overlaps_regions(p, (uintptr_t)addr, (uintptr_t)addr + size))
			start = (uintptr_t)addr; /* the hint is free */
		if (!start)
			start = find_gap(p, size, p->mmap_base);
		err = -ENOMEM;
		if (!start)
			goto out;
	}
	int vmprot = prot_to_vm(prot);

	err = vm_map(p->as, start, size, flags & MAP_ANONYMOUS ? vmprot : vmprot | VM_WRITE, NULL,
		     NULL);
	if (err)
		goto out;
	if (!(flags & MAP_ANONYMOUS)) {
		err = fill_from_file(p, (int)fd, start, size, (uint64_t)off);
		if (!err && !(vmprot & VM_WRITE))
			err = vm_protect(p->as, start, size, vmprot);
		if (err) {
			vm_unmap(p->as, start, size);
			goto out;
		}
	}
	err = region_add(p, start, start + size, (int)prot);
	if (err)
		vm_unmap(p->as, start, size);
out:
	mutex_unlock(&p->mm_lock);
	return err ? err : (long)start;
}

long sys_munmap(long addr, long len)
{
	struct process *p = proc_current();
	uintptr_t start = (uintptr_t)addr;
	uint64_t size = ALIGN_UP((uint64_t)len, LINUX_PAGE);
	int err;

	if ((start & (LINUX_PAGE - 1)) || !len || !user_range_ok(start, size) ||
	    start + size > USER_TOP)
		return -EINVAL;
	mutex_lock(&p->mm_lock);
	err = vm_unmap(p->as, start, size);
	if (!err)
		err = region_cut(p, start, start + size);
	mutex_unlock(&p->mm_lock);
	return err;
}

long sys_mprotect(long addr, long len, long prot)
{
	struct process *p = proc_current();
	uintptr_t start = (uintptr_t)addr;
	uint64_t size = ALIGN_UP((uint64_t)len, LINUX_PAGE);
	int err;

	if ((start & (LINUX_PAGE - 1)) || !user_range_ok(start, size) || start + size > USER_TOP)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN))
		return -EINVAL;
	if (!len)
		return 0;
	mutex_lock(&p->mm_lock);
	err = vm_protect(p->as, start, size, prot_to_vm(prot));
	if (!err)
		err = region_protect(p, start, start + size, (int)(prot & ~PROT_GROWSDOWN));
	mutex_unlock(&p->mm_lock);
	return err;
}

long sys_brk(long addr)
{
	struct process *p = proc_current();
	uintptr_t want = (uintptr_t)addr, old_end, new_end;

	mutex_lock(&p->mm_lock);
	if (want < p->brk_start || want > p->brk_start + BRK_MAX)
		goto out;
	old_end = ALIGN_UP(p->brk, LINUX_PAGE);
	new_end = ALIGN_UP(want, LINUX_PAGE);
	if (new_end > old_end) {
		if (overlaps_regions(p, old_end, new_end) ||
		    vm_map(p->as, old_end, new_end - old_end, VM_READ | VM_WRITE, NULL, NULL))
			goto out; /* Linux answers a failed brk with the old break */
	} else if (new_end < old_end) {
		vm_unmap(p->as, new_end, old_end - new_end);
	}
	p->brk = want;
out:
	want = p->brk;
	mutex_unlock(&p->mm_lock);
	return (long)want;
}

long sys_mremap(long old_addr, long old_len, long new_len, long flags, long new_addr)
{
	struct process *p = proc_current();
	uintptr_t old = (uintptr_t)old_addr, dst;
	uint64_t osz = ALIGN_UP((uint64_t)old_len, LINUX_PAGE);
	uint64_t nsz = ALIGN_UP((uint64_t)new_len, LINUX_PAGE);
	int prot = -1, err = 0;

	if ((old & (LINUX_PAGE - 1)) || !new_len || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	if (!user_range_ok(old, osz) || nsz > USER_TOP)
		return -EINVAL;
	mutex_lock(&p->mm_lock);
	for (int i = 0; i < p->nregions; i++)
		if (p->regions[i].start <= old && old + osz <= p->regions[i].end)
			prot = p->regions[i].prot;
	if (prot < 0 || !osz) {
		err = -EFAULT;
		goto out;
	}
	if (nsz <= osz && !(flags & MREMAP_FIXED)) {
		if (nsz < osz) {
			vm_unmap(p->as, old + nsz, osz - nsz);
			region_cut(p, old + nsz, old + osz);
		}
		dst = old;
		goto out;
	}
	/* Grow in place when the pages after it are free. */
	if (!(flags & MREMAP_FIXED) && old + nsz <= p->mmap_base &&
	    !overlaps_regions(p, old + osz, old + nsz) &&
	    !vm_map(p->as, old + osz, nsz - osz, prot_to_vm(prot), NULL, NULL)) {
		err = region_add(p, old + osz, old + nsz, prot);
		dst = old;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		err = -ENOMEM;
		goto out;
	}
	if (flags & MREMAP_FIXED) {
		dst = (uintptr_t)new_addr;
		if ((dst & (LINUX_PAGE - 1)) || !user_range_ok(dst, nsz) || dst + nsz > USER_TOP ||
		    (dst < old + osz && old < dst + nsz)) {
			err = -EINVAL;
			goto out;
		}
		vm_unmap(p->as, dst, nsz);
		region_cut(p, dst, dst + nsz);
	} else {
		dst = find_gap(p, nsz, p->mmap_base);
		if (!dst) {
			err = -ENOMEM;
			goto out;
		}
	}
	/* Move by copying: the new area gets the old bytes, then the old area goes. */
	err = vm_map(p->as, dst, nsz, prot_to_vm(prot) | VM_READ | VM_WRITE, NULL, NULL);
	if (err)
		goto out;
	memcpy((void *)dst, (const void *)old, MIN(osz, nsz));
	if (!(prot & PROT_WRITE))
		vm_protect(p->as, dst, nsz, prot_to_vm(prot));
	vm_unmap(p->as, old, osz);
	region_cut(p, old, old + osz);
	err = region_add(p, dst, dst + nsz, prot);
out:
	mutex_unlock(&p->mm_lock);
	return err ? err : (long)dst;
}

long sys_madvise(long addr, long len, long advice)
{
	struct process *p = proc_current();
	uintptr_t start = (uintptr_t)addr;
	uint64_t size = ALIGN_UP((uint64_t)len, LINUX_PAGE);

	if ((start & (LINUX_PAGE - 1)) || !user_range_ok(start, size))
		return -EINVAL;
	if (advice == 4 /* MADV_DONTNEED */ && len) {
		/* Private anonymous memory reads as zeros afterwards: drop the pages. */
		int prot = -1;

		mutex_lock(&p->mm_lock);
		for (int i = 0; i < p->nregions; i++)
			if (p->regions[i].start <= start && start + size <= p->regions[i].end)
				prot = p->regions[i].prot;
		if (prot >= 0) {
			vm_unmap(p->as, start, size);
			vm_map(p->as, start, size, prot_to_vm(prot), NULL, NULL);
		}
		mutex_unlock(&p->mm_lock);
	}
	return 0; /* other advice is only advice */
}
