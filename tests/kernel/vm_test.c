/*
 * Address spaces: areas, zero-filled faults, protect and unmap, and the
 * OSv lazy-stack scenario: an application-style stack grows by page faults
 * while another path holds the address-space lock.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/mm.h>
#include <osprey/percpu.h>
#include <osprey/test.h>
#include <osprey/vm.h>

#define STACK_TOP (USER_TOP - 0x1000000)
#define STACK_SIZE (256 * 1024)

TEST(vm, stack_grows_while_as_lock_is_held)
{
	struct address_space *as;
	uint64_t free_before = mm_free_pages_settled();

	EXPECT_EQ(t, as_create(&as), 0);
	EXPECT_EQ(t, vm_map(as, STACK_TOP - STACK_SIZE, STACK_SIZE, VM_READ | VM_WRITE, NULL, NULL),
		  0);
	as_activate(as);

	/* Another path is inside a map/unmap: it holds the address-space lock. */
	preempt_disable();
	raw_spin_lock(&as->lock);
	preempt_enable();

	/* The stack grows down a page at a time, each page by a page fault. */
	for (int i = 0; i < 32; i++) {
		volatile uint64_t *slot = (uint64_t *)(STACK_TOP - 8 - (uint64_t)i * PAGE_SIZE);

		EXPECT_EQ(t, *slot, 0); /* anonymous memory arrives zeroed */
		*slot = 0x1000 + (uint64_t)i;
	}
	for (int i = 0; i < 32; i++)
		EXPECT_EQ(t, *(volatile uint64_t *)(STACK_TOP - 8 - (uint64_t)i * PAGE_SIZE),
			  0x1000 + (uint64_t)i);
	EXPECT_EQ(t, as->resident, 32);
	EXPECT_EQ(t, as->faults, 32);

	raw_spin_unlock(&as->lock);
	as_activate(NULL);
	as_destroy(as);
	/* Every page of the stack (32) and of its page tables came back. */
	EXPECT_GE(t, mm_free_pages_settled() + MM_CACHE_SLACK_PAGES, free_before);
}

TEST(vm, map_protect_unmap)
{
	struct address_space *as;
	uintptr_t a = 0x400000;

	EXPECT_EQ(t, as_create(&as), 0);
	EXPECT_EQ(t, vm_map(as, a, 16 * PAGE_SIZE, VM_READ | VM_WRITE, NULL, NULL), 0);
	EXPECT_EQ(t, vm_map(as, a + PAGE_SIZE, PAGE_SIZE, VM_READ, NULL, NULL), -EEXIST);
	EXPECT_EQ(t, vm_map(as, a + 1, PAGE_SIZE, VM_READ, NULL, NULL), -EINVAL);
	EXPECT_EQ(t, vm_map(as, USER_TOP, PAGE_SIZE, VM_READ, NULL, NULL), -EINVAL);
	EXPECT_EQ(t, vm_fault(as, a + 5, true, false), 0);
	EXPECT_EQ(t, vm_fault(as, a + 5, false, true), -EACCES); /* not executable */
	EXPECT_EQ(t, vm_fault(as, a - 1, false, false), -EFAULT);

	/* Protect the middle read-only: the area splits in three. */
	EXPECT_EQ(t, vm_protect(as, a + 4 * PAGE_SIZE, 4 * PAGE_SIZE, VM_READ), 0);
	EXPECT_EQ(t, vm_fault(as, a + 5 * PAGE_SIZE, true, false), -EACCES);
	EXPECT_EQ(t, vm_fault(as, a + 5 * PAGE_SIZE, false, false), 0);
	EXPECT_EQ(t, vm_fault(as, a + 9 * PAGE_SIZE, true, false), 0);
	uint64_t *pte = mmu_user_pte(as->root, a + 5 * PAGE_SIZE);

	EXPECT_TRUE(t,
		    pte && (*pte & PTE_P) && !(*pte & PTE_W) && (*pte & PTE_NX) && (*pte & PTE_U));
	EXPECT_EQ(t, as->resident, 3);

	/* Unmap a hole: its pages go, the rest stays. */
	EXPECT_EQ(t, vm_unmap(as, a, 6 * PAGE_SIZE), 0);
	EXPECT_EQ(t, as->resident, 1);
	EXPECT_EQ(t, vm_fault(as, a + 5, false, false), -EFAULT);
	EXPECT_EQ(t, vm_fault(as, a + 7 * PAGE_SIZE, false, false), 0);
	as_destroy(as);
}

static int fill_fault(const struct vma *v, uint64_t off, void **page)
{
	uint8_t *p = page_alloc(0, 0);

	if (!p)
		return -ENOMEM;
	memset(p, (int)(uintptr_t)v->priv + (int)(off / PAGE_SIZE), PAGE_SIZE);
	*page = p;
	return 0;
}

static const struct vm_ops fill_ops = { .fault = fill_fault };

TEST(vm, file_backed_hook_supplies_pages)
{
	struct address_space *as;
	uintptr_t a = 0x800000;

	EXPECT_EQ(t, as_create(&as), 0);
	EXPECT_EQ(t, vm_map(as, a, 4 * PAGE_SIZE, VM_READ, &fill_ops, (void *)0x40), 0);
	as_activate(as);
	EXPECT_EQ(t, *(volatile uint8_t *)(a + 2 * PAGE_SIZE + 7), 0x42);
	EXPECT_EQ(t, *(volatile uint8_t *)a, 0x40);
	as_activate(NULL);
	as_destroy(as);
}
