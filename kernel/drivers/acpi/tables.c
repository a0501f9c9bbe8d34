/*
 * Parsers for the few ACPI structures the kernel reads.  The tables come
 * from the firmware or hypervisor and are treated as untrusted: every read
 * is checked against the length given, and a bad table is an error, never a
 * fault.  Field offsets are from the ACPI specification (FADT, 5.2.9).
 * Built into the kernel, the host unit tests and tests/fuzz/acpi.
 */
#include <string.h>

#include <osprey/acpi.h>

#define EINVAL 22
#define ENOENT 2

#define FADT_DSDT 40
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_FLAGS 112
#define FADT_X_DSDT 140
#define FADT_SLEEP_CTL 244
#define FADT_HW_REDUCED (1u << 20)

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

int acpi_check_table(const uint8_t *buf, size_t len, const char sig[4])
{
	if (len < ACPI_HEADER_LEN || memcmp(buf, sig, 4) != 0)
		return -EINVAL;
	uint32_t tlen = rd32(buf + 4);

	if (tlen < ACPI_HEADER_LEN || tlen > len)
		return -EINVAL;
	uint8_t sum = 0;

	for (uint32_t i = 0; i < tlen; i++)
		sum = (uint8_t)(sum + buf[i]);
	return sum == 0 ? 0 : -EINVAL;
}

int acpi_parse_fadt(const uint8_t *buf, size_t len, struct acpi_fadt_info *out)
{
	if (acpi_check_table(buf, len, "FACP"))
		return -EINVAL;
	uint32_t tlen = rd32(buf + 4);

	memset(out, 0, sizeof(*out));
	if (tlen < FADT_FLAGS + 4)
		return -EINVAL;
	out->dsdt = rd32(buf + FADT_DSDT);
	out->pm1a_cnt = rd32(buf + FADT_PM1A_CNT);
	out->pm1b_cnt = rd32(buf + FADT_PM1B_CNT);
	out->hw_reduced = rd32(buf + FADT_FLAGS) & FADT_HW_REDUCED;
	if (tlen >= FADT_X_DSDT + 8 && rd64(buf + FADT_X_DSDT))
		out->dsdt = rd64(buf + FADT_X_DSDT);
	if (tlen >= FADT_SLEEP_CTL + 12) {
		const uint8_t *g = buf + FADT_SLEEP_CTL;

		out->sleep_ctl.space = g[0];
		out->sleep_ctl.bit_width = g[1];
		out->sleep_ctl.address = rd64(g + 4);
	}
	return 0;
}

/*
 * AML: NameOp (0x08) "_S5_" PackageOp (0x12) PkgLength NumElements, then
 * the first element as ZeroOp (0x00), OneOp (0x01) or BytePrefix (0x0a) n.
 */
int acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typ)
{
	for (size_t i = 1; i + 4 < len; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		if (aml[i - 1] != 0x08 && !(i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == 0x08))
			continue;
		size_t p = i + 4;

		if (p >= len || aml[p] != 0x12)
			continue;
		p++;
		if (p >= len)
			return -EINVAL;
		p += 1 + (aml[p] >> 6); /* PkgLength: lead byte + 0..3 more */
		p++;			/* NumElements */
		if (p >= len)
			return -EINVAL;
		if (aml[p] == 0x0a) {
			if (p + 1 >= len)
				return -EINVAL;
			*slp_typ = aml[p + 1];
		} else if (aml[p] == 0x00 || aml[p] == 0x01) {
			*slp_typ = aml[p];
		} else {
			return -EINVAL;
		}
		return 0;
	}
	return -ENOENT;
}

static void add_cpu(uint32_t *ids, unsigned max, unsigned *n, uint32_t id)
{
	if (*n < max)
		ids[*n] = id;
	(*n)++;
}

/*
 * Calls fn on each entry of a MADT (type, length >= 2, wholly inside the
 * table; fn checks the length its type needs).  -EINVAL for a bad table or
 * an entry that runs past it.
 */
static int madt_each(const uint8_t *buf, size_t len,
		     void (*fn)(const uint8_t *e, uint8_t type, uint8_t elen, void *arg), void *arg)
{
	if (acpi_check_table(buf, len, "APIC"))
		return -EINVAL;
	uint32_t tlen = rd32(buf + 4);

	/* Entries follow the header, the local APIC address and the flags. */
	for (uint32_t off = ACPI_HEADER_LEN + 8; off + 2 <= tlen;) {
		uint8_t type = buf[off], elen = buf[off + 1];

		if (elen < 2 || off + elen > tlen)
			return -EINVAL;
		fn(buf + off, type, elen, arg);
		off += elen;
	}
	return 0;
}

struct cpu_list {
	uint32_t *ids;
	unsigned max, *n;
};

static void madt_cpu(const uint8_t *e, uint8_t type, uint8_t elen, void *arg)
{
	struct cpu_list *l = arg;

	if (type == 0 && elen >= 8 && (rd32(e + 4) & 1))
		add_cpu(l->ids, l->max, l->n, e[3]);
	else if (type == 9 && elen >= 16 && (rd32(e + 8) & 1))
		add_cpu(l->ids, l->max, l->n, rd32(e + 4));
}

int acpi_parse_madt(const uint8_t *buf, size_t len, uint32_t *ids, unsigned max, unsigned *n)
{
	struct cpu_list l = { ids, max, n };

	*n = 0;
	return madt_each(buf, len, madt_cpu, &l);
}

struct ioapic_list {
	struct acpi_ioapic *out;
	unsigned max, *n;
};

/* Type 1: id (byte 2), address (4..7), GSI base (8..11); shorter entries are skipped. */
static void madt_ioapic(const uint8_t *e, uint8_t type, uint8_t elen, void *arg)
{
	struct ioapic_list *l = arg;

	if (type != 1 || elen < 12)
		return;
	if (*l->n < l->max)
		l->out[*l->n] = (struct acpi_ioapic){ .id = e[2],
						      .address = rd32(e + 4),
						      .gsi_base = rd32(e + 8) };
	(*l->n)++;
}

int acpi_parse_madt_ioapics(const uint8_t *buf, size_t len, struct acpi_ioapic *out, unsigned max,
			    unsigned *n)
{
	struct ioapic_list l = { out, max, n };

	*n = 0;
	return madt_each(buf, len, madt_ioapic, &l);
}

int mp_parse_config(const uint8_t *buf, size_t len, uint32_t *ids, unsigned max, unsigned *n)
{
	*n = 0;
	if (len < 44 || memcmp(buf, "PCMP", 4) != 0)
		return -EINVAL;
	uint16_t tlen, count;

	memcpy(&tlen, buf + 4, 2);
	memcpy(&count, buf + 34, 2);
	if (tlen < 44 || tlen > len)
		return -EINVAL;
	uint8_t sum = 0;

	for (uint16_t i = 0; i < tlen; i++)
		sum = (uint8_t)(sum + buf[i]);
	if (sum)
		return -EINVAL;
	uint32_t off = 44;

	for (uint16_t i = 0; i < count; i++) {
		if (off >= tlen)
			return -EINVAL;
		uint8_t type = buf[off];
		uint32_t elen = type == 0 ? 20 : 8;

		if (type > 4 || off + elen > tlen)
			return -EINVAL;
		if (type == 0 && (buf[off + 3] & 1))
			add_cpu(ids, max, n, buf[off + 1]);
		off += elen;
	}
	return 0;
}
