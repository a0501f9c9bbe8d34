/*
 * ACPI power-off: find the RSDP (from the boot loader, else by scanning the
 * BIOS area), then the FADT through the XSDT or RSDT, then \_S5 in the DSDT,
 * and write SLP_TYP|SLP_EN to PM1a (and PM1b) control, or to the sleep
 * control register on hardware-reduced platforms such as QEMU's microvm.
 * Runs only at shutdown, so it costs the boot nothing.
 */
#include <string.h>

#include <osprey/acpi.h>
#include <osprey/arch/cpu.h>
#include <osprey/boot.h>
#include <osprey/log.h>
#include <osprey/mm.h>

#define SLP_EN (1u << 13)
#define HWR_SLP_EN (1u << 5)
#define MAX_TABLE_LEN (1u << 20)

static const uint8_t *map_phys(uint64_t pa, uint64_t len)
{
	void *va;

	if (!pa || mmu_map_direct(pa, len, false, &va))
		return NULL;
	return va;
}

/* Maps a whole table: header first, then as long as it says (bounded). */
static const uint8_t *map_table(uint64_t pa, uint32_t *len)
{
	const uint8_t *h = map_phys(pa, ACPI_HEADER_LEN);

	if (!h)
		return NULL;
	memcpy(len, h + 4, 4);
	if (*len < ACPI_HEADER_LEN || *len > MAX_TABLE_LEN)
		return NULL;
	return map_phys(pa, *len);
}

static uint64_t find_rsdp(void)
{
	if (boot_info.rsdp)
		return boot_info.rsdp;
	const uint8_t *bios = map_phys(0xe0000, 0x20000);

	for (uint32_t off = 0; bios && off < 0x20000; off += 16)
		if (memcmp(bios + off, "RSD PTR ", 8) == 0)
			return 0xe0000 + off;
	return 0;
}

static const uint8_t *find_table(const char sig[4], uint32_t *len)
{
	const uint8_t *rsdp = map_phys(find_rsdp(), 36);

	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) != 0)
		return NULL;
	uint64_t root;
	uint32_t rlen;
	unsigned entry = 4;
	const uint8_t *rt;

	if (rsdp[15] >= 2) {
		memcpy(&root, rsdp + 24, 8);
		entry = 8;
	} else {
		uint32_t r32;

		memcpy(&r32, rsdp + 16, 4);
		root = r32;
	}
	rt = map_table(root, &rlen);
	if (!rt || acpi_check_table(rt, rlen, entry == 8 ? "XSDT" : "RSDT"))
		return NULL;
	for (uint32_t off = ACPI_HEADER_LEN; off + entry <= rlen; off += entry) {
		uint64_t pa = 0;

		memcpy(&pa, rt + off, entry);
		const uint8_t *t = map_table(pa, len);

		if (t && memcmp(t, sig, 4) == 0 && acpi_check_table(t, *len, sig) == 0)
			return t;
	}
	return NULL;
}

void acpi_power_off(void)
{
	struct acpi_fadt_info fadt;
	uint32_t len, dlen;
	uint8_t slp_typ;
	const uint8_t *f = find_table("FACP", &len);

	if (!f || acpi_parse_fadt(f, len, &fadt))
		return;
	const uint8_t *dsdt = map_table(fadt.dsdt, &dlen);

	if (!dsdt || acpi_check_table(dsdt, dlen, "DSDT") ||
	    acpi_find_s5(dsdt + ACPI_HEADER_LEN, dlen - ACPI_HEADER_LEN, &slp_typ))
		return;
	if (fadt.hw_reduced) {
		uint8_t v = (uint8_t)(((slp_typ & 7) << 2) | HWR_SLP_EN);
		void *reg;

		if (fadt.sleep_ctl.space == 1)
			outb((uint16_t)fadt.sleep_ctl.address, v);
		else if (fadt.sleep_ctl.space == 0 &&
			 !mmu_map_direct(fadt.sleep_ctl.address, 1, true, &reg))
			*(volatile uint8_t *)reg = v;
		return;
	}
	if (fadt.pm1a_cnt)
		outw((uint16_t)fadt.pm1a_cnt, (uint16_t)((slp_typ & 7) << 10 | SLP_EN));
	if (fadt.pm1b_cnt)
		outw((uint16_t)fadt.pm1b_cnt, (uint16_t)((slp_typ & 7) << 10 | SLP_EN));
}

/* The MP floating pointer: "_MP_" on a 16-byte boundary in the BIOS area. */
static int mp_cpu_ids(uint32_t *ids, unsigned max, unsigned *n)
{
	const uint8_t *bios = map_phys(0xe0000, 0x20000);

	for (uint32_t off = 0; bios && off + 16 <= 0x20000; off += 16) {
		if (memcmp(bios + off, "_MP_", 4) != 0)
			continue;
		uint32_t cfg;

		memcpy(&cfg, bios + off + 4, 4);
		const uint8_t *hdr = map_phys(cfg, 44);
		uint16_t tlen;

		if (!hdr)
			return -ENOENT;
		memcpy(&tlen, hdr + 4, 2);
		const uint8_t *t = map_phys(cfg, tlen < 44 ? 44 : tlen);

		return t ? mp_parse_config(t, tlen, ids, max, n) : -ENOENT;
	}
	return -ENOENT;
}

int acpi_cpu_ids(uint32_t *ids, unsigned max, unsigned *n)
{
	uint32_t len;
	const uint8_t *madt = find_table("APIC", &len);

	if (madt && acpi_parse_madt(madt, len, ids, max, n) == 0 && *n)
		return 0;
	return mp_cpu_ids(ids, max, n);
}

int acpi_ioapics(struct acpi_ioapic *out, unsigned max, unsigned *n)
{
	uint32_t len;
	const uint8_t *madt = find_table("APIC", &len);

	*n = 0;
	if (!madt || acpi_parse_madt_ioapics(madt, len, out, max, n) || *n == 0)
		return -ENOENT;
	return 0;
}
