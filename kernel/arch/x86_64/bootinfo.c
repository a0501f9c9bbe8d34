/*
 * Reading the boot loader's information: PVH's hvm_start_info (QEMU,
 * Firecracker) or the Linux boot_params "zero page" (Linux 64-bit boot
 * protocol).  Both are untrusted: every count is bounded, every pointer must
 * fall inside the first GiB that the boot page tables map, and the command
 * line must fit.  Layouts: Xen's arch-x86/hvm/start_info.h and Linux's
 * Documentation/arch/x86/zero-page.rst (facts, not code, taken from them).
 */
#include <string.h>

#include <osprey/arch/layout.h>
#include <osprey/boot.h>

#define PVH_MAGIC 0x336ec578u
#define BOOT_MAPPED_LIMIT (1ull << 30)

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/* Offsets into Linux's struct boot_params. */
#define BP_ACPI_RSDP 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_CMD_LINE_PTR 0x228
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128
#define BP_SIZE 4096

struct boot_info boot_info;
extern uint64_t boot_tsc0, boot_info_phys;
extern uint32_t boot_protocol;

static bool mapped(uint64_t pa, uint64_t len)
{
	return pa && pa < BOOT_MAPPED_LIMIT && len <= BOOT_MAPPED_LIMIT - pa;
}

static const void *phys(uint64_t pa)
{
	return (const void *)(DIRECT_MAP + pa);
}

static int copy_cmdline(uint64_t pa, const char **why)
{
	if (!pa)
		return 0;
	if (!mapped(pa, 1)) {
		*why = "command line outside the first GiB";
		return -EINVAL;
	}
	uint64_t room = BOOT_MAPPED_LIMIT - pa;
	size_t len = strnlen(phys(pa), room < CMDLINE_MAX ? room : CMDLINE_MAX);

	if (len >= CMDLINE_MAX) {
		*why = "command line longer than 2047 bytes";
		return -EINVAL;
	}
	memcpy(boot_info.cmdline, phys(pa), len);
	boot_info.cmdline[len] = 0;
	return 0;
}

static void add_region(uint64_t base, uint64_t size, uint32_t type)
{
	if (boot_info.nr_mem < BOOT_MEM_MAX && size)
		boot_info.mem[boot_info.nr_mem++] = (struct mem_region){ base, size, type };
}

static int parse_pvh(const char **why)
{
	const struct hvm_start_info *si;

	if (!mapped(boot_info_phys, sizeof(*si))) {
		*why = "PVH start info outside the first GiB";
		return -EINVAL;
	}
	si = phys(boot_info_phys);
	if (si->magic != PVH_MAGIC) {
		*why = "bad PVH start info magic";
		return -EINVAL;
	}
	if (si->version < 1 || !si->memmap_entries) {
		*why = "PVH start info carries no memory map (version 0)";
		return -EINVAL;
	}
	if (si->memmap_entries > BOOT_MEM_MAX ||
	    !mapped(si->memmap_paddr, si->memmap_entries * sizeof(struct hvm_memmap_entry))) {
		*why = "PVH memory map too large or outside the first GiB";
		return -EINVAL;
	}
	const struct hvm_memmap_entry *mm = phys(si->memmap_paddr);

	for (uint32_t i = 0; i < si->memmap_entries; i++)
		add_region(mm[i].addr, mm[i].size, mm[i].type);
	if (si->nr_modules) {
		if (!mapped(si->modlist_paddr, sizeof(struct hvm_modlist_entry))) {
			*why = "PVH module list outside the first GiB";
			return -EINVAL;
		}
		const struct hvm_modlist_entry *m = phys(si->modlist_paddr);

		boot_info.initrd_base = m->paddr;
		boot_info.initrd_size = m->size;
	}
	boot_info.rsdp = si->rsdp_paddr;
	return copy_cmdline(si->cmdline_paddr, why);
}

static int parse_linux(const char **why)
{
	if (!mapped(boot_info_phys, BP_SIZE)) {
		*why = "boot_params outside the first GiB";
		return -EINVAL;
	}
	const uint8_t *bp = phys(boot_info_phys);
	uint32_t n = bp[BP_E820_ENTRIES];
	uint32_t v32, hi;

	if (n == 0 || n > BP_E820_MAX) {
		*why = "boot_params e820 table is empty or too long";
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr, size;
		uint32_t type;

		memcpy(&addr, bp + BP_E820_TABLE + 20 * i, 8);
		memcpy(&size, bp + BP_E820_TABLE + 20 * i + 8, 8);
		memcpy(&type, bp + BP_E820_TABLE + 20 * i + 16, 4);
		add_region(addr, size, type);
	}
	memcpy(&v32, bp + BP_RAMDISK_IMAGE, 4);
	memcpy(&hi, bp + BP_EXT_RAMDISK_IMAGE, 4);
	boot_info.initrd_base = v32 | (uint64_t)hi << 32;
	memcpy(&v32, bp + BP_RAMDISK_SIZE, 4);
	memcpy(&hi, bp + BP_EXT_RAMDISK_SIZE, 4);
	boot_info.initrd_size = v32 | (uint64_t)hi << 32;
	memcpy(&boot_info.rsdp, bp + BP_ACPI_RSDP, 8);
	memcpy(&v32, bp + BP_CMD_LINE_PTR, 4);
	memcpy(&hi, bp + BP_EXT_CMD_LINE_PTR, 4);
	return copy_cmdline(v32 | (uint64_t)hi << 32, why);
}

int boot_info_parse(const char **why)
{
	boot_info.protocol = (int)boot_protocol;
	boot_info.tsc0 = boot_tsc0;
	if (boot_protocol == BOOT_PVH)
		return parse_pvh(why);
	if (boot_protocol == BOOT_LINUX64)
		return parse_linux(why);
	*why = "unknown boot protocol";
	return -EINVAL;
}

const char *mem_type_name(uint32_t type)
{
	switch (type) {
	case MEM_RAM:
		return "ram";
	case MEM_RESERVED:
		return "reserved";
	case MEM_ACPI:
		return "acpi";
	case MEM_NVS:
		return "acpi-nvs";
	case MEM_UNUSABLE:
		return "unusable";
	default:
		return "other";
	}
}
