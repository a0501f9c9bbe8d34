/*
 * libFuzzer target for the boot information parser
 * (kernel/arch/x86_64/bootinfo.c).  The input is "physical memory": its
 * first byte picks the protocol and the next four the structure's address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/boot.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	const char *why = NULL;
	uint32_t info;

	if (size < 5)
		return 0;
	memcpy(&info, data + 1, 4);
	uint8_t *mem = malloc(size);

	if (!mem)
		return 0;
	memcpy(mem, data, size);
	int r = boot_info_parse_mem(mem, size, 1 + (data[0] & 1), info % (size + 64), &bi, &why);

	if (r != 0 && (r != -22 || !why))
		abort();
	if (r == 0 && (bi.nr_mem > BOOT_MEM_MAX || strlen(bi.cmdline) >= CMDLINE_MAX))
		abort();
	free(mem);
	return 0;
}
