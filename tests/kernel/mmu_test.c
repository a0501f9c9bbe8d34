/*
 * The kernel's page tables: W^X on the image, NX on the direct map, an
 * empty lower half.  The death tests prove the protection is enforced, not
 * just written down.
 */
#include <osprey/mm.h>
#include <osprey/test.h>

extern const char _text[], _rodata[], _data[], _bss[];

static uint64_t flags_of(const void *va, int *level)
{
	return mmu_lookup((uintptr_t)va, level);
}

TEST(mmu, image_is_w_xor_x)
{
	static int data_var = 1;
	int level;
	uint64_t e;

	e = flags_of(_text, &level);
	EXPECT_TRUE(t, e & PTE_P);
	EXPECT_FALSE(t, e & PTE_W);
	EXPECT_FALSE(t, e & PTE_NX);
	EXPECT_EQ(t, level, 1);

	e = flags_of(_rodata, &level);
	EXPECT_TRUE(t, e & PTE_P);
	EXPECT_FALSE(t, e & PTE_W);
	EXPECT_TRUE(t, e & PTE_NX);

	e = flags_of(&data_var, &level);
	EXPECT_TRUE(t, e & PTE_W);
	EXPECT_TRUE(t, e & PTE_NX);
	e = flags_of(_bss, &level);
	EXPECT_TRUE(t, e & PTE_W);
	EXPECT_TRUE(t, e & PTE_NX);
	data_var++;
}

TEST(mmu, direct_map_is_nx_and_large)
{
	int level;
	uint64_t e = flags_of(phys_to_virt(0x200000), &level);

	EXPECT_TRUE(t, e & PTE_P);
	EXPECT_TRUE(t, e & PTE_W);
	EXPECT_TRUE(t, e & PTE_NX);
	EXPECT_GE(t, level, 2); /* 2 MiB or 1 GiB pages where alignment allows */
}

TEST(mmu, lower_half_is_empty)
{
	int level;

	EXPECT_EQ(t, flags_of((void *)0, &level), 0);
	EXPECT_EQ(t, flags_of((void *)0x100000, &level), 0); /* the old identity map */
	EXPECT_EQ(t, flags_of((void *)0x7fffffff000, &level), 0);
}

TEST(mmu, map_direct_adds_pages)
{
	void *va;
	int level;

	/* The BIOS area is reserved, so the direct map leaves it out until asked. */
	EXPECT_EQ(t, mmu_map_direct(0xf0000, 16, false, &va), 0);
	EXPECT_TRUE(t, va == phys_to_virt(0xf0000));
	EXPECT_TRUE(t, flags_of(va, &level) & PTE_P);
	EXPECT_EQ(t, mmu_map_direct(~0ull - 10, 100, false, &va), -EINVAL);
}

TEST_DEATH(mmu, write_to_text,
	   "page fault at test_mmu_write_to_text+|writing address|protection violation")
{
	*(volatile uint8_t *)_text = 0x90;
}

TEST_DEATH(mmu, execute_data,
	   "page fault at 0x|executing address|protection violation|test_run_death+")
{
	static uint8_t code[16] = { 0xc3 }; /* ret */

	((void (*)(void))(void *)code)();
}

TEST_DEATH(mmu, null_dereference,
	   "page fault at test_mmu_null_dereference+|reading address 0x0 (not present")
{
	int *volatile p = 0;

	(void)*(volatile int *)p;
}
