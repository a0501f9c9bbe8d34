/* kernel/drivers/acpi/tables.c on hand-built tables.  Runs on the host and in the kernel. */
#include <string.h>

#include <osprey/acpi.h>
#include <osprey/test.h>

static void checksum(uint8_t *t, uint32_t len)
{
	uint8_t sum = 0;

	memcpy(t + 4, &len, 4);
	t[9] = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	t[9] = (uint8_t)-sum;
}

TEST(acpi, fadt_fields)
{
	static uint8_t f[276];
	struct acpi_fadt_info info;
	uint32_t dsdt = 0x7fe0000, pm1a = 0x604;
	uint32_t flags = 1u << 20;
	uint64_t sleep = 0xfea00000;

	memset(f, 0, sizeof(f));
	memcpy(f, "FACP", 4);
	memcpy(f + 40, &dsdt, 4);
	memcpy(f + 64, &pm1a, 4);
	memcpy(f + 112, &flags, 4);
	f[244] = 0;
	f[245] = 8;
	memcpy(f + 248, &sleep, 8);
	checksum(f, sizeof(f));
	EXPECT_EQ(t, acpi_parse_fadt(f, sizeof(f), &info), 0);
	EXPECT_EQ(t, info.dsdt, dsdt);
	EXPECT_EQ(t, info.pm1a_cnt, pm1a);
	EXPECT_TRUE(t, info.hw_reduced);
	EXPECT_EQ(t, info.sleep_ctl.address, sleep);

	f[50] ^= 1; /* break the checksum */
	EXPECT_EQ(t, acpi_parse_fadt(f, sizeof(f), &info), -22);
	checksum(f, sizeof(f));
	EXPECT_EQ(t, acpi_parse_fadt(f, 100, &info), -22); /* table longer than the buffer */
	EXPECT_EQ(t, acpi_parse_fadt(f, 20, &info), -22);
}

TEST(acpi, s5_package_forms)
{
	static const uint8_t byte_prefix[] = { 0x10, 0x08, '_',	 'S',  '5',  '_',  0x12,
					       0x06, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00 };
	static const uint8_t zero_op[] = { 0x08, '\\', '_',  'S',  '5', '_',
					   0x12, 0x04, 0x02, 0x00, 0x00 };
	static const uint8_t truncated[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0a };
	static const uint8_t method_call[] = { 0x14, '_', 'S', '5', '_', 0x12 };
	uint8_t v = 0xff;

	EXPECT_EQ(t, acpi_find_s5(byte_prefix, sizeof(byte_prefix), &v), 0);
	EXPECT_EQ(t, v, 5);
	EXPECT_EQ(t, acpi_find_s5(zero_op, sizeof(zero_op), &v), 0);
	EXPECT_EQ(t, v, 0);
	EXPECT_EQ(t, acpi_find_s5(truncated, sizeof(truncated), &v), -22);
	EXPECT_EQ(t, acpi_find_s5(method_call, sizeof(method_call), &v), -2);
	EXPECT_EQ(t, acpi_find_s5(byte_prefix, 3, &v), -2);
}

TEST(acpi, madt_lists_enabled_cpus)
{
	static uint8_t m[36 + 8 + 8 * 3 + 16];
	uint32_t ids[4], n1 = 1;
	unsigned n = 99;
	uint8_t *e = m + 44;

	memset(m, 0, sizeof(m));
	memcpy(m, "APIC", 4);
	/* Local APIC 0 enabled, 1 disabled, 2 enabled; an x2APIC 300 enabled. */
	for (int i = 0; i < 3; i++) {
		uint32_t flags = i == 1 ? 0 : 1;

		e[0] = 0;
		e[1] = 8;
		e[2] = (uint8_t)i;
		e[3] = (uint8_t)i;
		memcpy(e + 4, &flags, 4);
		e += 8;
	}
	uint32_t x2 = 300;

	e[0] = 9;
	e[1] = 16;
	memcpy(e + 4, &x2, 4);
	memcpy(e + 8, &n1, 4);
	checksum(m, sizeof(m));
	EXPECT_EQ(t, acpi_parse_madt(m, sizeof(m), ids, 4, &n), 0);
	EXPECT_EQ(t, n, 3);
	EXPECT_EQ(t, ids[0], 0);
	EXPECT_EQ(t, ids[1], 2);
	EXPECT_EQ(t, ids[2], 300);
	EXPECT_EQ(t, acpi_parse_madt(m, sizeof(m), ids, 1, &n), 0);
	EXPECT_EQ(t, n, 3); /* counted past max, stored up to it */
	m[45] = 200;	    /* an entry longer than the table */
	checksum(m, sizeof(m));
	EXPECT_EQ(t, acpi_parse_madt(m, sizeof(m), ids, 4, &n), -22);
}

/* Writes an IOAPIC entry (type 1, length elen) at e. */
static uint8_t *put_ioapic(uint8_t *e, uint8_t elen, uint8_t id, uint32_t addr, uint32_t base)
{
	e[0] = 1;
	e[1] = elen;
	e[2] = id;
	if (elen >= 12) {
		memcpy(e + 4, &addr, 4);
		memcpy(e + 8, &base, 4);
	}
	return e + elen;
}

TEST(acpi, madt_lists_ioapics)
{
	/* microvm's two (GSI 0.. and 24..), a local APIC between, a short one */
	static uint8_t m[36 + 8 + 12 + 8 + 12 + 6];
	struct acpi_ioapic io[4];
	uint32_t one = 1;
	unsigned n = 99;
	uint8_t *e = m + 44;

	memset(m, 0, sizeof(m));
	memcpy(m, "APIC", 4);
	e = put_ioapic(e, 12, 0, 0xfec00000, 0);
	e[0] = 0;
	e[1] = 8;
	memcpy(e + 4, &one, 4);
	e += 8;
	e = put_ioapic(e, 12, 1, 0xfec10000, 24);
	put_ioapic(e, 6, 2, 0, 0); /* too short for its fields: skipped */
	checksum(m, sizeof(m));
	EXPECT_EQ(t, acpi_parse_madt_ioapics(m, sizeof(m), io, 4, &n), 0);
	EXPECT_EQ(t, n, 2);
	EXPECT_EQ(t, io[0].address, 0xfec00000);
	EXPECT_EQ(t, io[0].gsi_base, 0);
	EXPECT_EQ(t, io[1].id, 1);
	EXPECT_EQ(t, io[1].address, 0xfec10000);
	EXPECT_EQ(t, io[1].gsi_base, 24);
	/* the CPUs of the same table: the IOAPICs are not CPUs */
	uint32_t ids[4];

	EXPECT_EQ(t, acpi_parse_madt(m, sizeof(m), ids, 4, &n), 0);
	EXPECT_EQ(t, n, 1);
	/* counted past max, stored up to it */
	io[1].gsi_base = 77;
	EXPECT_EQ(t, acpi_parse_madt_ioapics(m, sizeof(m), io, 1, &n), 0);
	EXPECT_EQ(t, n, 2);
	EXPECT_EQ(t, io[1].gsi_base, 77);
	/* an entry running past the table, a bad checksum, a table cut short */
	m[36 + 8 + 12 + 8 + 1] = 40;
	checksum(m, sizeof(m));
	EXPECT_EQ(t, acpi_parse_madt_ioapics(m, sizeof(m), io, 4, &n), -22);
	m[36 + 8 + 12 + 8 + 1] = 12;
	checksum(m, sizeof(m));
	m[50] ^= 1;
	EXPECT_EQ(t, acpi_parse_madt_ioapics(m, sizeof(m), io, 4, &n), -22);
	m[50] ^= 1;
	EXPECT_EQ(t, acpi_parse_madt_ioapics(m, sizeof(m) - 1, io, 4, &n), -22);
	EXPECT_EQ(t, n, 0);
	EXPECT_EQ(t, acpi_parse_madt_ioapics(m, sizeof(m), io, 4, &n), 0);
	EXPECT_EQ(t, n, 2);
}

TEST(acpi, mp_table_lists_enabled_cpus)
{
	static uint8_t c[44 + 20 * 2 + 8];
	uint32_t ids[4];
	unsigned n;
	uint16_t len = sizeof(c), count = 3;
	uint8_t sum = 0;

	memset(c, 0, sizeof(c));
	memcpy(c, "PCMP", 4);
	memcpy(c + 4, &len, 2);
	memcpy(c + 34, &count, 2);
	c[44] = 0;
	c[45] = 0;
	c[47] = 1; /* processor, APIC 0, enabled */
	c[64] = 0;
	c[65] = 1;
	c[67] = 1; /* processor, APIC 1, enabled */
	c[84] = 1; /* a bus entry */
	for (size_t i = 0; i < sizeof(c); i++)
		sum = (uint8_t)(sum + c[i]);
	c[7] = (uint8_t)-sum;
	EXPECT_EQ(t, mp_parse_config(c, sizeof(c), ids, 4, &n), 0);
	EXPECT_EQ(t, n, 2);
	EXPECT_EQ(t, ids[1], 1);
	c[84] = 9; /* an unknown entry type */
	c[7] = (uint8_t)(c[7] - 8);
	EXPECT_EQ(t, mp_parse_config(c, sizeof(c), ids, 4, &n), -22);
	EXPECT_EQ(t, mp_parse_config(c, 10, ids, 4, &n), -22);
}
