/*
 * Reading the boot loader's information: PVH's hvm_start_info (QEMU,
 * Firecracker) or the Linux boot_params "zero page" (Linux 64-bit boot
 * protocol).  Both are untrusted: every count is bounded, every pointer must
 * fall inside the window of physical memory the caller gives (the first GiB,
 * which the boot page tables map), and the command line must fit.  Layouts:
 * Xen's arch-x86/hvm/start_info.h and Linux's zero-page.rst (facts, not
 * code, taken from them).
 *
 * boot_info_parse_mem() is portable: the host unit tests and the fuzz target
 * (tests/fuzz/bootinfo.c) hand it a buffer as "physical memory".
 */
#include <string.h>

#include <osprey/boot.h>

#define EINVAL 22

#define PVH_MAGIC 0x336ec578u

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

/* The physical memory being parsed: [0, size) at base. */
struct window {
	const uint8_t *base;
	uint64_t size;
	struct boot_info *bi;
};

static bool mapped(const struct window *w, uint64_t pa, uint64_t len)
{
	return pa && pa < w->size && len <= w->size - pa;
}

static const void *phys(const struct window *w, uint64_t pa)
{
	return w->base + pa;
}

static int copy_cmdline(const struct window *w, uint64_t pa, const char **why)
{
	if (!pa)
		return 0;
	if (!mapped(w, pa, 1)) {
		*why = "command line outside mapped memory";
		return -EINVAL;
	}
	uint64_t room = w->size - pa;
	size_t len = strnlen(phys(w, pa), room < CMDLINE_MAX ? room : CMDLINE_MAX);

	if (len >= CMDLINE_MAX) {
		*why = "command line longer than 2047 bytes";
		return -EINVAL;
	}
	if (len == room) {
		*why = "command line runs off the end of mapped memory";
		return -EINVAL;
	}
	memcpy(w->bi->cmdline, phys(w, pa), len);
	w->bi->cmdline[len] = 0;
	return 0;
}

static void add_region(struct boot_info *bi, uint64_t base, uint64_t size, uint32_t type)
{
	/* Empty regions and ones that wrap around the address space are dropped. */
	if (bi->nr_mem < BOOT_MEM_MAX && size && base + size > base)
		bi->mem[bi->nr_mem++] = (struct mem_region){ base, size, type };
}

static int parse_pvh(const struct window *w, uint64_t info, const char **why)
{
	const struct hvm_start_info *si;

	if (!mapped(w, info, sizeof(*si))) {
		*why = "PVH start info outside mapped memory";
		return -EINVAL;
	}
	si = phys(w, info);
	if (si->magic != PVH_MAGIC) {
		*why = "bad PVH start info magic";
		return -EINVAL;
	}
	if (si->version < 1 || !si->memmap_entries) {
		*why = "PVH start info carries no memory map (version 0)";
		return -EINVAL;
	}
	if (si->memmap_entries > BOOT_MEM_MAX ||
	    !mapped(w, si->memmap_paddr, si->memmap_entries * sizeof(struct hvm_memmap_entry))) {
		*why = "PVH memory map too large or outside mapped memory";
		return -EINVAL;
	}
	const struct hvm_memmap_entry *mm = phys(w, si->memmap_paddr);

	for (uint32_t i = 0; i < si->memmap_entries; i++)
		add_region(w->bi, mm[i].addr, mm[i].size, mm[i].type);
	if (si->nr_modules) {
		if (!mapped(w, si->modlist_paddr, sizeof(struct hvm_modlist_entry))) {
			*why = "PVH module list outside mapped memory";
			return -EINVAL;
		}
		const struct hvm_modlist_entry *m = phys(w, si->modlist_paddr);

		w->bi->initrd_base = m->paddr;
		w->bi->initrd_size = m->size;
	}
	w->bi->rsdp = si->rsdp_paddr;
	return copy_cmdline(w, si->cmdline_paddr, why);
}

static int parse_linux(const struct window *w, uint64_t info, const char **why)
{
	struct boot_info *bi = w->bi;

	if (!mapped(w, info, BP_SIZE)) {
		*why = "boot_params outside mapped memory";
		return -EINVAL;
	}
	const uint8_t *bp = phys(w, info);
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
		add_region(bi, addr, size, type);
	}
	memcpy(&v32, bp + BP_RAMDISK_IMAGE, 4);
	memcpy(&hi, bp + BP_EXT_RAMDISK_IMAGE, 4);
	bi->initrd_base = v32 | (uint64_t)hi << 32;
	memcpy(&v32, bp + BP_RAMDISK_SIZE, 4);
	memcpy(&hi, bp + BP_EXT_RAMDISK_SIZE, 4);
	bi->initrd_size = v32 | (uint64_t)hi << 32;
	memcpy(&bi->rsdp, bp + BP_ACPI_RSDP, 8);
	memcpy(&v32, bp + BP_CMD_LINE_PTR, 4);
	memcpy(&hi, bp + BP_EXT_CMD_LINE_PTR, 4);
	return copy_cmdline(w, v32 | (uint64_t)hi << 32, why);
}

int boot_info_parse_mem(const uint8_t *mem, uint64_t mem_size, int protocol, uint64_t info,
			struct boot_info *bi, const char **why)
{
	struct window w = { mem, mem_size, bi };

	memset(bi, 0, sizeof(*bi));
	bi->protocol = protocol;
	if (protocol == BOOT_PVH)
		return parse_pvh(&w, info, why);
	if (protocol == BOOT_LINUX64)
		return parse_linux(&w, info, why);
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
