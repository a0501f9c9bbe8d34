/* What the boot loader handed over, and the symbol table built into the image. */
#include <string.h>

#include <osprey/arch/layout.h>
#include <osprey/arch/trap.h>
#include <osprey/boot.h>
#include <osprey/cmdline.h>
#include <osprey/ksyms.h>
#include <osprey/test.h>

extern const char _kernel_start[], _kernel_end[];
void kmain(void);

TEST(boot, memory_map_holds_the_kernel)
{
	uint64_t kbase = (uint64_t)_kernel_start - KERNEL_VMA;
	uint64_t kend = (uint64_t)_kernel_end - KERNEL_VMA;
	bool inside = false;

	EXPECT_GT(t, boot_info.nr_mem, 0);
	for (uint32_t i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];

		if (r->type == MEM_RAM && r->base <= kbase && kend <= r->base + r->size)
			inside = true;
	}
	EXPECT_TRUE(t, inside);
}

TEST(boot, command_line_reached_the_kernel)
{
	EXPECT_TRUE(t, boot_options.test != NULL);
	EXPECT_TRUE(t, strstr(boot_info.cmdline, "--test=") != NULL);
}

TEST(ksyms, lookup_both_ways)
{
	uintptr_t off = 99;
	uintptr_t a = ksym_address("kmain");

	EXPECT_EQ(t, a, (uintptr_t)kmain);
	EXPECT_STREQ(t, ksym_lookup(a, &off), "kmain");
	EXPECT_EQ(t, off, 0);
	EXPECT_STREQ(t, ksym_lookup(a + 3, &off), "kmain");
	EXPECT_EQ(t, off, 3);
	EXPECT_TRUE(t, ksym_lookup(0x1000, &off) == NULL);
}

static __attribute__((noinline)) int collect(uintptr_t *pcs, int max)
{
	int n = backtrace_collect((uint64_t)__builtin_frame_address(0), pcs, max);

	__asm__ volatile("" ::: "memory"); /* keep this frame */
	return n;
}

TEST(backtrace, names_the_callers)
{
	uintptr_t pcs[16], off;
	int n = collect(pcs, 16);

	EXPECT_GE(t, n, 3);
	EXPECT_STREQ(t, ksym_lookup(pcs[0], &off), "test_backtrace_names_the_callers");
	EXPECT_STREQ(t, ksym_lookup(pcs[1], &off), "test_run");
}
