/*
 * Hands the boot loader's structures to the portable parser (bootinfo.c).
 * The entry code (boot.S) saved the protocol, the structure's physical
 * address and the first TSC; the boot page tables map the first GiB at
 * DIRECT_MAP, which is the window the parser may read.
 */
#include <osprey/arch/layout.h>
#include <osprey/boot.h>

#define BOOT_MAPPED (1ull << 30)

struct boot_info boot_info;
extern uint64_t boot_tsc0, boot_info_phys;
extern uint32_t boot_protocol;

int boot_info_parse(const char **why)
{
	int err = boot_info_parse_mem((const uint8_t *)DIRECT_MAP, BOOT_MAPPED, (int)boot_protocol,
				      boot_info_phys, &boot_info, why);

	boot_info.tsc0 = boot_tsc0;
	return err;
}
