/*
 * kernel/arch/x86_64/bootinfo.c on hand-made "physical memory": good PVH
 * and boot_params structures, and each kind of bad one.  Host only (the
 * buffers are large).
 */
#include <string.h>

#include <osprey/boot.h>
#include <osprey/test.h>

#define MEM (64 * 1024)
#define SI 0x1000
#define MMAP 0x2000
#define CMD 0x3000
#define MODS 0x4000
#define BP 0x7000

static uint8_t mem[MEM];
static struct boot_info bi;

static void put32(uint32_t off, uint32_t v)
{
	memcpy(mem + off, &v, 4);
}

static void put64(uint32_t off, uint64_t v)
{
	memcpy(mem + off, &v, 8);
}

static void make_pvh(uint32_t entries)
{
	memset(mem, 0, sizeof(mem));
	put32(SI, 0x336ec578);
	put32(SI + 4, 1);
	put64(SI + 24, CMD);
	put64(SI + 32, 0xf0000); /* RSDP */
	put64(SI + 40, MMAP);
	put32(SI + 48, entries);
	for (uint32_t i = 0; i < entries; i++) {
		put64(MMAP + 24 * i, 0x100000ull * i);
		put64(MMAP + 24 * i + 8, 0x100000);
		put32(MMAP + 24 * i + 16, 1 + i % 2);
	}
	strcpy((char *)mem + CMD, "--bootchart /app");
}

TEST(bootinfo, pvh_good)
{
	const char *why = "";

	make_pvh(3);
	put32(SI + 12, 1); /* one module: the initrd */
	put64(SI + 16, MODS);
	put64(MODS, 0x800000);
	put64(MODS + 8, 12345);
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_PVH, SI, &bi, &why), 0);
	EXPECT_EQ(t, bi.nr_mem, 3);
	EXPECT_EQ(t, bi.mem[2].base, 0x200000);
	EXPECT_EQ(t, bi.mem[1].type, MEM_RESERVED);
	EXPECT_STREQ(t, bi.cmdline, "--bootchart /app");
	EXPECT_EQ(t, bi.initrd_base, 0x800000);
	EXPECT_EQ(t, bi.initrd_size, 12345);
	EXPECT_EQ(t, bi.rsdp, 0xf0000);
}

TEST(bootinfo, pvh_bad)
{
	const char *why = "";

	make_pvh(3);
	put32(SI, 0x12345678);
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_PVH, SI, &bi, &why), -22);
	EXPECT_STREQ(t, why, "bad PVH start info magic");

	make_pvh(3);
	put32(SI + 4, 0); /* version 0: no memory map */
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_PVH, SI, &bi, &why), -22);

	make_pvh(129); /* more entries than BOOT_MEM_MAX */
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_PVH, SI, &bi, &why), -22);

	make_pvh(3);
	put64(SI + 40, MEM - 8); /* memory map runs off the end */
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_PVH, SI, &bi, &why), -22);

	make_pvh(3);
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_PVH, MEM - 4, &bi, &why), -22);

	make_pvh(3);
	memset(mem + CMD, 'x', 3000); /* longer than CMDLINE_MAX */
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_PVH, SI, &bi, &why), -22);
	EXPECT_STREQ(t, why, "command line longer than 2047 bytes");

	make_pvh(3);
	memset(mem + MEM - 10, 'x', 10); /* unterminated at the end of memory */
	put64(SI + 24, MEM - 10);
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_PVH, SI, &bi, &why), -22);
	EXPECT_STREQ(t, why, "command line runs off the end of mapped memory");

	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, 7, SI, &bi, &why), -22);
}

static void make_bp(uint8_t entries)
{
	memset(mem, 0, sizeof(mem));
	mem[BP + 0x1e8] = entries;
	for (uint32_t i = 0; i < entries; i++) {
		put64(BP + 0x2d0 + 20 * i, 0x100000ull * i);
		put64(BP + 0x2d0 + 20 * i + 8, 0x100000);
		put32(BP + 0x2d0 + 20 * i + 16, 1);
	}
	put32(BP + 0x228, CMD);
	put32(BP + 0x218, 0x900000); /* ramdisk */
	put32(BP + 0x21c, 4096);
	strcpy((char *)mem + CMD, "--verbose");
}

TEST(bootinfo, linux_boot_params)
{
	const char *why = "";

	make_bp(2);
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_LINUX64, BP, &bi, &why), 0);
	EXPECT_EQ(t, bi.nr_mem, 2);
	EXPECT_STREQ(t, bi.cmdline, "--verbose");
	EXPECT_EQ(t, bi.initrd_base, 0x900000);

	make_bp(0);
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_LINUX64, BP, &bi, &why), -22);
	make_bp(200); /* over the table's 128 entries */
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_LINUX64, BP, &bi, &why), -22);
	make_bp(2);
	EXPECT_EQ(t, boot_info_parse_mem(mem, MEM, BOOT_LINUX64, MEM - 100, &bi, &why), -22);
}
