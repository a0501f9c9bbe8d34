/*
 * libFuzzer target for the ACPI table parsers (kernel/drivers/acpi/tables.c):
 * the input is used as a FADT, DSDT AML, a MADT (CPUs and IOAPICs) and an MP
 * configuration table.  ASan catches any read past
 * the buffer; the checks below catch results that break the contracts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/acpi.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, exactly sized, so that ASan sees any overrun. */
	uint8_t *buf = malloc(size ? size : 1);
	struct acpi_fadt_info fadt;
	uint8_t typ;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	int r = acpi_parse_fadt(buf, size, &fadt);

	if (r != 0 && r != -22)
		abort();
	r = acpi_find_s5(buf, size, &typ);
	if (r != 0 && r != -22 && r != -2)
		abort();
	uint32_t ids[8];
	unsigned n;

	r = acpi_parse_madt(buf, size, ids, 8, &n);
	if (r != 0 && r != -22)
		abort();
	struct acpi_ioapic io[4];
	unsigned nio;

	r = acpi_parse_madt_ioapics(buf, size, io, 4, &nio);
	if (r != 0 && r != -22)
		abort();
	/* every IOAPIC entry is at least 12 bytes of a table no longer than size */
	if (r == 0 && (size_t)nio * 12 > size)
		abort();
	if (r != 0 && nio != 0 && r == -22 && acpi_check_table(buf, size, "APIC") != 0)
		abort(); /* a refused table yields nothing */
	r = mp_parse_config(buf, size, ids, 8, &n);
	if (r != 0 && r != -22)
		abort();
	/* A FACP signature with any checksum-valid body must parse. */
	if (size >= 36 && !memcmp(buf, "FACP", 4)) {
		uint32_t len;

		memcpy(&len, buf + 4, 4);
		if (len >= 116 && len <= size && acpi_check_table(buf, size, "FACP") == 0 &&
		    acpi_parse_fadt(buf, size, &fadt) != 0)
			abort();
	}
	free(buf);
	return 0;
}
