/*
 * extract-vmlinux: pull the xz-compressed kernel out of a Linux bzImage.
 *
 *   extract-vmlinux BZIMAGE > vmlinux.xz     write the compressed payload
 *   extract-vmlinux -c VMLINUX               check that a file is an ELF with
 *                                            the PVH entry note
 *
 * Debian's x86-64 bzImage carries its kernel as one xz stream.  The boot
 * protocol header (2.08+) gives the payload's offset and length; when it
 * does not point at an xz stream we scan the file for the xz magic
 * FD 37 7A 58 5A 00 instead.  The payload ends with a 4-byte size that the
 * kernel's own decompressor uses, so decompress with `xz -dc --single-stream`,
 * which ignores data after the first stream.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char xz_magic[6] = { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 };

static const char *prog = "extract-vmlinux";

static int read_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		unsigned char *bigger = realloc(buf, cap * 2);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	int err = ferror(f);
	fclose(f);
	if (!buf || err) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, buf ? "read error" : "out of memory");
		free(buf);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int is_xz(const unsigned char *p, size_t avail)
{
	return avail >= sizeof xz_magic && memcmp(p, xz_magic, sizeof xz_magic) == 0;
}

/* Find the payload through the boot protocol header; 0 when it is absent. */
static int payload_from_header(const unsigned char *d, size_t len, size_t *off, size_t *plen)
{
	if (len < 0x250 || memcmp(d + 0x202, "HdrS", 4) != 0 || le16(d + 0x206) < 0x208)
		return 0;
	size_t setup_sects = d[0x1f1] ? d[0x1f1] : 4;
	size_t pm_start = (setup_sects + 1) * 512;
	size_t o = pm_start + le32(d + 0x248);
	size_t l = le32(d + 0x24c);
	if (o >= len || l > len - o || !is_xz(d + o, len - o))
		return 0;
	*off = o;
	*plen = l;
	return 1;
}

static int extract(const char *path)
{
	unsigned char *d;
	size_t len, off = 0, plen = 0;
	if (read_file(path, &d, &len))
		return 1;
	if (!payload_from_header(d, len, &off, &plen)) {
		size_t i;
		for (i = 0; i + sizeof xz_magic <= len; i++)
			if (is_xz(d + i, len - i))
				break;
		if (i + sizeof xz_magic > len) {
			fprintf(stderr,
				"%s: %s: no xz stream found (not an xz-compressed bzImage?)\n",
				prog, path);
			free(d);
			return 1;
		}
		off = i;
		plen = len - i;
	}
	int rc = 0;
	if (fwrite(d + off, 1, plen, stdout) != plen || fflush(stdout) != 0) {
		fprintf(stderr, "%s: write error: %s\n", prog, strerror(errno));
		rc = 1;
	}
	free(d);
	return rc;
}

/* Look for an ELF note named "Xen" of type 18 (XEN_ELFNOTE_PHYS32_ENTRY). */
static int has_pvh_note(const unsigned char *d, size_t len)
{
	if (len < 64 || d[4] != 2 /* ELFCLASS64 */ || d[5] != 1 /* little endian */)
		return 0;
	uint64_t phoff = le64(d + 32);
	uint16_t phentsize = le16(d + 54), phnum = le16(d + 56);
	if (phentsize < 56 || phoff > len)
		return 0;
	for (uint32_t i = 0; i < phnum; i++) {
		uint64_t ph = phoff + (uint64_t)i * phentsize;
		if (ph > len || len - ph < 56)
			return 0;
		if (le32(d + ph) != 4 /* PT_NOTE */)
			continue;
		uint64_t off = le64(d + ph + 8), sz = le64(d + ph + 32);
		if (off > len || sz > len - off)
			continue;
		uint64_t p = off, end = off + sz;
		while (end - p >= 12) {
			uint32_t namesz = le32(d + p), descsz = le32(d + p + 4),
				 type = le32(d + p + 8);
			uint64_t name = p + 12;
			uint64_t desc = name + (((uint64_t)namesz + 3) & ~3ull);
			uint64_t next = desc + (((uint64_t)descsz + 3) & ~3ull);
			if (next > end)
				break;
			if (type == 18 && namesz == 4 && memcmp(d + name, "Xen", 4) == 0)
				return 1;
			p = next;
		}
	}
	return 0;
}

static int check(const char *path)
{
	unsigned char *d;
	size_t len;
	if (read_file(path, &d, &len))
		return 1;
	int rc = 0;
	if (len < 4 || memcmp(d, "\177ELF", 4) != 0) {
		fprintf(stderr, "%s: %s: not an ELF file\n", prog, path);
		rc = 1;
	} else if (!has_pvh_note(d, len)) {
		fprintf(stderr,
			"%s: %s: no PVH entry note (Xen, type 18): cannot boot with -kernel\n",
			prog, path);
		rc = 1;
	}
	free(d);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 2 && argv[1][0] != '-')
		return extract(argv[1]);
	if (argc == 3 && strcmp(argv[1], "-c") == 0)
		return check(argv[2]);
	fprintf(stderr, "usage: %s BZIMAGE > payload.xz\n       %s -c VMLINUX\n", prog, prog);
	return 64;
}
