/*
 * What the boot loader told us, copied out of its structures (PVH's
 * hvm_start_info or Linux's boot_params) by kernel/arch/x86_64/bootinfo.c
 * before anything can overwrite them.
 */
#ifndef OSPREY_BOOT_H
#define OSPREY_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#define BOOT_MEM_MAX 128
#define CMDLINE_MAX 2048

enum boot_protocol { BOOT_PVH = 1, BOOT_LINUX64 = 2 };

enum mem_type {
	MEM_RAM = 1,
	MEM_RESERVED = 2,
	MEM_ACPI = 3,
	MEM_NVS = 4,
	MEM_UNUSABLE = 5,
};

struct mem_region {
	uint64_t base;
	uint64_t size;
	uint32_t type;
};

struct boot_info {
	int protocol;
	uint32_t nr_mem;
	struct mem_region mem[BOOT_MEM_MAX];
	char cmdline[CMDLINE_MAX];
	uint64_t initrd_base;
	uint64_t initrd_size;
	uint64_t rsdp; /* physical address of the ACPI RSDP, or 0 */
	uint64_t tsc0; /* TSC at the kernel's first instruction */
};

extern struct boot_info boot_info;

/* Fills boot_info from the loader's structures; -EINVAL with a reason if they are bad. */
int boot_info_parse(const char **why);
/*
 * The portable parser behind it: physical memory [0, mem_size) is at mem;
 * info is the physical address of the start info (PVH) or boot_params.
 */
int boot_info_parse_mem(const uint8_t *mem, uint64_t mem_size, int protocol, uint64_t info,
			struct boot_info *bi, const char **why);
const char *mem_type_name(uint32_t type);

#endif
