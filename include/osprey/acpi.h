/*
 * ACPI: just enough to power the machine off (FADT and the \_S5 sleep type),
 * find the CPUs and find the IOAPICs (MADT).
 * The table parsers take plain byte buffers so that the host unit tests and
 * the fuzz target run the same code as the kernel.
 */
#ifndef OSPREY_ACPI_H
#define OSPREY_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_gas {
	uint8_t space; /* 0: memory, 1: I/O port */
	uint8_t bit_width;
	uint64_t address;
};

struct acpi_fadt_info {
	uint64_t dsdt;	   /* physical address of the DSDT */
	uint32_t pm1a_cnt; /* I/O port, 0 if none */
	uint32_t pm1b_cnt;
	bool hw_reduced;	   /* hardware-reduced ACPI (microvm) */
	struct acpi_gas sleep_ctl; /* hardware-reduced sleep control register */
};

#define ACPI_HEADER_LEN 36

/* Checks signature, length and checksum of a table in buf; 0 or -EINVAL. */
int acpi_check_table(const uint8_t *buf, size_t len, const char sig[4]);
int acpi_parse_fadt(const uint8_t *buf, size_t len, struct acpi_fadt_info *out);
/* Finds the \_S5 package in AML and returns its first value (SLP_TYPa). */
int acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typ);

/*
 * The CPUs a MADT lists as enabled (local APIC and x2APIC entries): their
 * APIC ids into ids[max], the count in *n (entries past max are counted
 * but dropped).
 */
int acpi_parse_madt(const uint8_t *buf, size_t len, uint32_t *ids, unsigned max, unsigned *n);
/*
 * The IOAPICs a MADT lists (type 1 entries of at least 12 bytes): into
 * out[max], the count in *n (entries past max are counted but dropped).
 * Nothing is checked of the addresses: the caller maps them and asks the
 * IOAPIC itself how many pins it has.
 */
struct acpi_ioapic {
	uint8_t id;
	uint32_t address;  /* physical, its register window */
	uint32_t gsi_base; /* the GSI of its pin 0 */
};
int acpi_parse_madt_ioapics(const uint8_t *buf, size_t len, struct acpi_ioapic *out, unsigned max,
			    unsigned *n);
/*
 * The same from an MP configuration table ("PCMP"), the fallback that
 * microvm and Firecracker also provide.
 */
int mp_parse_config(const uint8_t *buf, size_t len, uint32_t *ids, unsigned max, unsigned *n);

/* Kernel side: tries ACPI S5 power-off; returns only if it did not work. */
void acpi_power_off(void);
/* Kernel side: the CPUs from the MADT, else the MP table; -ENOENT if neither. */
int acpi_cpu_ids(uint32_t *ids, unsigned max, unsigned *n);
/* Kernel side: the IOAPICs from the MADT; -ENOENT without one. */
int acpi_ioapics(struct acpi_ioapic *out, unsigned max, unsigned *n);

#endif
