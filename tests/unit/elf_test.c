/*
 * kernel/linux/elf.c on ELF headers built here byte by byte (the offsets are
 * written from the ELF-64 specification, independently of the parser's
 * structs): static, static-pie and dynamic programs are accepted with the
 * right fields, and each refusal comes with its errno and its reason.  Then
 * the fuzz seeds (tests/fuzz/corpus/elf: the headers of real musl and glibc
 * programs) and real programs of the host, each checked against a separate
 * reading of its program headers; a missing file is skipped with a reason.
 * Host only (stdio).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/test.h>

#include "../../kernel/linux/elf.h"

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_TLS 7
#define PT_GNU_STACK 0x6474e551
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define PHDR_SIZE 56

/* An ELF file's first bytes and the size the whole file claims. */
struct elf_img {
	uint8_t buf[8192];
	size_t len;
	uint64_t file_size;
	uint16_t phnum;
};

static void put16(struct elf_img *im, size_t off, uint16_t v)
{
	memcpy(im->buf + off, &v, sizeof(v));
}

static void put32(struct elf_img *im, size_t off, uint32_t v)
{
	memcpy(im->buf + off, &v, sizeof(v));
}

static void put64(struct elf_img *im, size_t off, uint64_t v)
{
	memcpy(im->buf + off, &v, sizeof(v));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* An x86-64 ELF header of type ET_EXEC (2) or ET_DYN (3), no program headers yet. */
static void img_init(struct elf_img *im, uint16_t type, uint64_t entry)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->buf, "\177ELF", 4);
	im->buf[4] = 2; /* ELFCLASS64 */
	im->buf[5] = 1; /* ELFDATA2LSB */
	im->buf[6] = 1; /* EV_CURRENT */
	im->buf[7] = 0; /* ELFOSABI_SYSV */
	put16(im, 16, type);
	put16(im, 18, 62); /* EM_X86_64 */
	put32(im, 20, 1);  /* e_version */
	put64(im, 24, entry);
	put64(im, 32, 64); /* e_phoff */
	put16(im, 52, 64); /* e_ehsize */
	put16(im, 54, PHDR_SIZE);
	im->len = 64;
	im->file_size = 0x100000;
}

/* Appends a program header (p_paddr = p_vaddr) and returns its offset in buf. */
static size_t img_phdr(struct elf_img *im, uint32_t type, uint32_t flags, uint64_t offset,
		       uint64_t vaddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
	size_t at = 64 + (size_t)im->phnum * PHDR_SIZE;

	put32(im, at, type);
	put32(im, at + 4, flags);
	put64(im, at + 8, offset);
	put64(im, at + 16, vaddr);
	put64(im, at + 24, vaddr);
	put64(im, at + 32, filesz);
	put64(im, at + 40, memsz);
	put64(im, at + 48, align);
	im->phnum++;
	put16(im, 56, im->phnum);
	im->len = at + PHDR_SIZE;
	return at;
}

/* The classic layout of a static program: R headers, RX text, RW data and bss. */
static void img_static(struct elf_img *im)
{
	img_init(im, 2, 0x401010);
	img_phdr(im, PT_LOAD, PF_R, 0, 0x400000, 0x200, 0x200, 0x1000);
	img_phdr(im, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x800, 0x800, 0x1000);
	img_phdr(im, PT_LOAD, PF_R | PF_W, 0x2e00, 0x403e00, 0x100, 0x1400, 0x1000);
	img_phdr(im, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
}

/* The same as a PIE linked at 0; with interp, a dynamic one (PT_PHDR, PT_INTERP first). */
static void img_pie(struct elf_img *im, bool interp)
{
	img_init(im, 3, 0x1010);
	img_phdr(im, PT_PHDR, PF_R, 64, 64, 6 * PHDR_SIZE, 6 * PHDR_SIZE, 8);
	img_phdr(im, PT_INTERP, PF_R, 0x200, 0x200, 28, 28, 1);
	if (!interp)
		put32(im, 64 + PHDR_SIZE, PT_NOTE);
	img_phdr(im, PT_LOAD, PF_R, 0, 0, 0x300, 0x300, 0x1000);
	img_phdr(im, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x800, 0x800, 0x1000);
	img_phdr(im, PT_LOAD, PF_R | PF_W, 0x2e00, 0x3e00, 0x100, 0x1400, 0x1000);
	img_phdr(im, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
}

static int parse(const struct elf_img *im, struct elf_info *e, const char **why)
{
	*why = NULL;
	return elf_parse(im->buf, im->len, im->file_size, e, why);
}

TEST(elf, static_exec)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;

	img_static(&im);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_TRUE(t, why == NULL);
	EXPECT_EQ(t, e.entry, 0x401010);
	EXPECT_FALSE(t, e.pie);
	EXPECT_FALSE(t, e.has_interp);
	EXPECT_FALSE(t, e.exec_stack);
	EXPECT_EQ(t, e.phnum, 4);
	EXPECT_EQ(t, e.phentsize, 56);
	EXPECT_EQ(t, e.phoff, 64);
	/* no PT_PHDR: the first PT_LOAD holds file bytes 64..288 */
	EXPECT_EQ(t, e.phdr_vaddr, 0x400040);
	EXPECT_EQ(t, e.nseg, 3);
	EXPECT_EQ(t, e.seg[0].vaddr, 0x400000);
	EXPECT_EQ(t, e.seg[0].prot, ELF_PROT_READ);
	EXPECT_EQ(t, e.seg[1].vaddr, 0x401000);
	EXPECT_EQ(t, e.seg[1].offset, 0x1000);
	EXPECT_EQ(t, e.seg[1].filesz, 0x800);
	EXPECT_EQ(t, e.seg[1].memsz, 0x800);
	EXPECT_EQ(t, e.seg[1].prot, ELF_PROT_READ | ELF_PROT_EXEC);
	EXPECT_EQ(t, e.seg[2].prot, ELF_PROT_READ | ELF_PROT_WRITE);
	EXPECT_EQ(t, e.seg[2].filesz, 0x100);
	EXPECT_EQ(t, e.seg[2].memsz, 0x1400);
	EXPECT_EQ(t, e.min_vaddr, 0x400000);
	EXPECT_EQ(t, e.max_vaddr, 0x406000); /* 0x403e00 + 0x1400 = 0x405200, rounded up */
	EXPECT_STREQ(t, elf_type_name(&e), "static");
}

TEST(elf, static_pie)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;

	img_pie(&im, false);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_TRUE(t, e.pie);
	EXPECT_FALSE(t, e.has_interp);
	EXPECT_EQ(t, e.entry, 0x1010);
	EXPECT_EQ(t, e.phdr_vaddr, 64);
	EXPECT_EQ(t, e.min_vaddr, 0);
	EXPECT_EQ(t, e.max_vaddr, 0x6000);
	EXPECT_EQ(t, e.nseg, 3);
	EXPECT_STREQ(t, elf_type_name(&e), "static-pie");
}

TEST(elf, dynamic)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;

	img_pie(&im, true);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_TRUE(t, e.pie);
	EXPECT_TRUE(t, e.has_interp);
	EXPECT_EQ(t, e.interp_offset, 0x200);
	EXPECT_EQ(t, e.interp_size, 28);
	EXPECT_STREQ(t, elf_type_name(&e), "dynamic");
	/* a dynamic program that is not a PIE */
	img_static(&im);
	img_phdr(&im, PT_INTERP, PF_R, 0x180, 0x400180, 20, 20, 1);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_FALSE(t, e.pie);
	EXPECT_TRUE(t, e.has_interp);
	EXPECT_STREQ(t, elf_type_name(&e), "dynamic");
}

TEST(elf, stack_flags)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;

	img_static(&im);
	put32(&im, 64 + 3 * PHDR_SIZE + 4, PF_R | PF_W | PF_X);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_TRUE(t, e.exec_stack);
	/* no PT_GNU_STACK at all: executable, as Linux decides */
	put32(&im, 64 + 3 * PHDR_SIZE, PT_NOTE);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_TRUE(t, e.exec_stack);
	/* the last PT_GNU_STACK counts */
	img_static(&im);
	img_phdr(&im, PT_GNU_STACK, PF_R | PF_W | PF_X, 0, 0, 0, 0, 16);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_TRUE(t, e.exec_stack);
}

TEST(elf, phdr_address)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;

	/* PT_PHDR wins over the address computed from the PT_LOADs */
	img_static(&im);
	img_phdr(&im, PT_PHDR, PF_R, 64, 0x400abc, 5 * PHDR_SIZE, 5 * PHDR_SIZE, 8);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_EQ(t, e.phdr_vaddr, 0x400abc);
	/* program headers outside every PT_LOAD's file bytes: 0 */
	img_static(&im);
	put64(&im, 64 + 32, 0x100); /* the first PT_LOAD holds file bytes 0..0x100 only */
	put64(&im, 64 + 40, 0x100);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_EQ(t, e.phdr_vaddr, 0);
	/* in the second segment's file bytes, at 0x1000 + 0x40 */
	put64(&im, 32, 0x1040);
	memcpy(im.buf + 0x1040, im.buf + 64, 4 * PHDR_SIZE);
	im.len = 0x1040 + 4 * PHDR_SIZE;
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_EQ(t, e.phdr_vaddr, 0x401040);
}

TEST(elf, shared_pages_and_odd_segments)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;

	/* text ends at 0x401800 and data starts in the same page: allowed */
	img_init(&im, 2, 0x401000);
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1800, 0x1800, 0x1000);
	img_phdr(&im, PT_LOAD, PF_R | PF_W, 0x1800, 0x401800, 0x100, 0x200, 0x1000);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_EQ(t, e.nseg, 2);
	EXPECT_EQ(t, e.max_vaddr, 0x402000);
	/* an empty PT_LOAD is checked, then left out; unknown types are ignored */
	img_phdr(&im, PT_LOAD, PF_R, 0x2000, 0x500000, 0, 0, 0x1000);
	img_phdr(&im, PT_TLS, PF_R, 0x1800, 0x401800, 8, 16, 8);
	img_phdr(&im, 0x12345678, 0, ~0ull, ~0ull, ~0ull, 1, 3);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_EQ(t, e.nseg, 2);
	/* p_align below a page: vaddr and offset need not agree modulo 4096 (ld -N) */
	img_init(&im, 2, 0x4000f0);
	img_phdr(&im, PT_LOAD, PF_R | PF_W | PF_X, 0xb0, 0x4000e0, 0x400, 0x800, 0x20);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_EQ(t, e.min_vaddr, 0x400000);
	EXPECT_EQ(t, e.max_vaddr, 0x401000);
	EXPECT_EQ(t, e.phdr_vaddr, 0);
	/* OS ABI GNU/Linux, and a buffer holding only the headers of a larger file */
	im.buf[7] = 3;
	im.file_size = 1ull << 40;
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
}

TEST(elf, limits_accepted)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;

	/* ELF_MAX_SEGMENTS PT_LOADs, one page each */
	img_init(&im, 2, 0x400000);
	for (uint64_t i = 0; i < ELF_MAX_SEGMENTS; i++)
		img_phdr(&im, PT_LOAD, PF_R | PF_X, i * 0x1000, 0x400000 + i * 0x1000, 0x1000,
			 0x1000, 0x1000);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_EQ(t, e.nseg, ELF_MAX_SEGMENTS);
	/* a segment that ends exactly at the user limit, an image of exactly 1 GiB */
	img_init(&im, 3, ELF_USER_LIMIT - 0x1000);
	img_phdr(&im, PT_LOAD, PF_R, 0, ELF_USER_LIMIT - ELF_MAX_SPAN, 0x1000, 0x1000, 0x1000);
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0x1000, ELF_USER_LIMIT - 0x1000, 0x1000, 0x1000,
		 0x1000);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	EXPECT_EQ(t, e.max_vaddr, ELF_USER_LIMIT);
	EXPECT_EQ(t, e.max_vaddr - e.min_vaddr, ELF_MAX_SPAN);
	/* ET_EXEC may start exactly at 0x10000; ET_DYN at 0 */
	img_init(&im, 2, 0x10000);
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0, 0x10000, 0x100, 0x100, 0x1000);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
	/* 64 program headers */
	img_static(&im);
	while (im.phnum < 64)
		img_phdr(&im, PT_NOTE, PF_R, 0, 0, 0, 0, 4);
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
}

/*
 * The refusals, one test per reason.  Each starts from a good image,
 * breaks one thing and expects that reason (and no other).
 */
static void expect_refused(struct test_ctx *t, const struct elf_img *im, int err,
			   const char *reason)
{
	struct elf_info e;
	const char *why;

	EXPECT_EQ(t, parse(im, &e, &why), err);
	EXPECT_STREQ(t, why, reason);
}

/* -ENOEXEC: not an x86-64 ELF executable. */
TEST(elf, refuse_bad_magic)
{
	struct elf_img im;

	img_static(&im);
	im.buf[1] = 'e';
	expect_refused(t, &im, -ENOEXEC, "not an ELF file (bad magic)");
	img_static(&im);
	im.len = 3;
	expect_refused(t, &im, -ENOEXEC, "not an ELF file (bad magic)");
}

TEST(elf, refuse_file_shorter_than_header)
{
	struct elf_img im;

	img_static(&im);
	im.len = im.file_size = 40;
	expect_refused(t, &im, -ENOEXEC, "file shorter than an ELF header");
}

TEST(elf, refuse_class)
{
	struct elf_img im;

	img_static(&im);
	im.buf[4] = 1; /* ELFCLASS32 */
	expect_refused(t, &im, -ENOEXEC, "not a 64-bit ELF file");
}

TEST(elf, refuse_data)
{
	struct elf_img im;

	img_static(&im);
	im.buf[5] = 2; /* ELFDATA2MSB */
	expect_refused(t, &im, -ENOEXEC, "not a little-endian ELF file");
}

TEST(elf, refuse_version)
{
	struct elf_img im;

	img_static(&im);
	im.buf[6] = 2;
	expect_refused(t, &im, -ENOEXEC, "unknown ELF version");
	img_static(&im);
	put32(&im, 20, 0); /* e_version */
	expect_refused(t, &im, -ENOEXEC, "unknown ELF version");
}

TEST(elf, refuse_osabi)
{
	struct elf_img im;

	img_static(&im);
	im.buf[7] = 9; /* FreeBSD */
	expect_refused(t, &im, -ENOEXEC, "ELF OS ABI neither System V nor Linux");
}

TEST(elf, refuse_machine)
{
	struct elf_img im;

	img_static(&im);
	put16(&im, 18, 3); /* EM_386 */
	expect_refused(t, &im, -ENOEXEC, "not an x86-64 program");
}

TEST(elf, refuse_type)
{
	struct elf_img im;

	img_static(&im);
	put16(&im, 16, 1); /* ET_REL */
	expect_refused(t, &im, -ENOEXEC, "not an executable (ELF type neither EXEC nor DYN)");
	put16(&im, 16, 4); /* ET_CORE */
	expect_refused(t, &im, -ENOEXEC, "not an executable (ELF type neither EXEC nor DYN)");
}

/* -EINVAL: an ELF executable with a field out of range. */
TEST(elf, refuse_buffer_longer_than_file)
{
	struct elf_img im;

	img_static(&im);
	im.file_size = im.len - 1;
	expect_refused(t, &im, -EINVAL, "buffer longer than the file");
}

TEST(elf, refuse_header_past_buffer)
{
	struct elf_img im;

	img_static(&im);
	im.len = 63;
	expect_refused(t, &im, -EINVAL, "ELF header past the end of the buffer");
}

TEST(elf, refuse_ehsize)
{
	struct elf_img im;

	img_static(&im);
	put16(&im, 52, 52);
	expect_refused(t, &im, -EINVAL, "e_ehsize smaller than the ELF header");
}

TEST(elf, refuse_phentsize)
{
	struct elf_img im;

	img_static(&im);
	put16(&im, 54, 32);
	expect_refused(t, &im, -EINVAL, "e_phentsize is not 56");
}

TEST(elf, refuse_no_program_headers)
{
	struct elf_img im;

	img_static(&im);
	put16(&im, 56, 0);
	expect_refused(t, &im, -EINVAL, "no program headers");
}

TEST(elf, refuse_pn_xnum)
{
	struct elf_img im;

	img_static(&im);
	put16(&im, 56, 0xffff);
	expect_refused(t, &im, -EINVAL, "extended program header count (PN_XNUM) not supported");
}

TEST(elf, refuse_too_many_program_headers)
{
	struct elf_img im;

	img_static(&im);
	while (im.phnum < 65)
		img_phdr(&im, PT_NOTE, PF_R, 0, 0, 0, 0, 4);
	expect_refused(t, &im, -EINVAL, "more than 64 program headers");
}

TEST(elf, refuse_program_headers_past_file)
{
	struct elf_img im;

	img_static(&im);
	put64(&im, 32, ~0ull - 8); /* e_phoff + the table's size overflows */
	expect_refused(t, &im, -EINVAL, "program headers past the end of the file");
	put64(&im, 32, im.file_size - 100);
	expect_refused(t, &im, -EINVAL, "program headers past the end of the file");
}

TEST(elf, refuse_program_headers_past_buffer)
{
	struct elf_img im;

	img_static(&im); /* inside the file, but the caller read less */
	im.len -= 1;
	expect_refused(t, &im, -EINVAL, "program headers past the end of the buffer");
}

/* The data segment's header in img_static(). */
#define DATA_PH (64 + 2 * PHDR_SIZE)

TEST(elf, refuse_filesz_over_memsz)
{
	struct elf_img im;

	img_static(&im);
	put64(&im, DATA_PH + 32, 0x1401);
	expect_refused(t, &im, -EINVAL, "PT_LOAD with p_filesz larger than p_memsz");
}

TEST(elf, refuse_load_past_file)
{
	struct elf_img im;

	img_static(&im);
	put64(&im, DATA_PH + 8, im.file_size - 0xff);
	put64(&im, DATA_PH + 16, 0x403000 + ((im.file_size - 0xff) & 0xfff));
	expect_refused(t, &im, -EINVAL, "PT_LOAD file bytes past the end of the file");
	put64(&im, DATA_PH + 8, ~0ull - 0x80); /* p_offset + p_filesz overflows */
	put64(&im, DATA_PH + 16, 0x403000 + ((~0ull - 0x80) & 0xfff));
	expect_refused(t, &im, -EINVAL, "PT_LOAD file bytes past the end of the file");
}

TEST(elf, refuse_align_not_power_of_two)
{
	struct elf_img im;

	img_static(&im);
	put64(&im, DATA_PH + 48, 0x3000);
	expect_refused(t, &im, -EINVAL, "PT_LOAD p_align not a power of two");
}

TEST(elf, refuse_vaddr_offset_mismatch)
{
	struct elf_img im;

	img_static(&im);
	put64(&im, DATA_PH + 16, 0x403e08);
	expect_refused(t, &im, -EINVAL, "PT_LOAD p_vaddr and p_offset differ modulo the page size");
	put64(&im, DATA_PH + 48, 0x200000); /* with p_align 2 MiB too */
	expect_refused(t, &im, -EINVAL, "PT_LOAD p_vaddr and p_offset differ modulo the page size");
}

TEST(elf, refuse_past_user_limit)
{
	struct elf_img im;

	img_static(&im);
	put64(&im, DATA_PH + 16, ~0ull - 0xfff + 0xe00); /* p_vaddr + p_memsz overflows */
	expect_refused(t, &im, -EINVAL, "PT_LOAD past the end of the user address space");
	put64(&im, DATA_PH + 16, ELF_USER_LIMIT - 0x1200); /* ends 0x200 past the limit */
	expect_refused(t, &im, -EINVAL, "PT_LOAD past the end of the user address space");
	put64(&im, DATA_PH + 16, ELF_USER_LIMIT - 0x200); /* ends 1 byte past the limit */
	put64(&im, DATA_PH + 40, 0x201);
	expect_refused(t, &im, -EINVAL, "PT_LOAD past the end of the user address space");
	/* ET_DYN is held to the same limit */
	img_pie(&im, false);
	put64(&im, 64 + 4 * PHDR_SIZE + 16, ELF_USER_LIMIT - 0x1200);
	expect_refused(t, &im, -EINVAL, "PT_LOAD past the end of the user address space");
}

TEST(elf, refuse_below_mmap_min_addr)
{
	struct elf_img im;

	img_static(&im); /* ET_EXEC only: a PIE's vaddrs are biased */
	put64(&im, 64 + 16, 0xf000);
	expect_refused(t, &im, -EINVAL, "PT_LOAD below 0x10000 (mmap_min_addr)");
	put64(&im, 64 + 16, 0xffff); /* one byte below, with p_align 1 */
	put64(&im, 64 + 48, 1);
	expect_refused(t, &im, -EINVAL, "PT_LOAD below 0x10000 (mmap_min_addr)");
}

TEST(elf, refuse_loads_out_of_order)
{
	struct elf_img im;

	img_init(&im, 2, 0x401000);
	img_phdr(&im, PT_LOAD, PF_R | PF_W, 0x2000, 0x402000, 0x100, 0x100, 0x1000);
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100, 0x1000);
	expect_refused(t, &im, -EINVAL, "PT_LOAD segments not in ascending p_vaddr order");
}

TEST(elf, refuse_loads_overlapping)
{
	struct elf_img im;

	img_init(&im, 2, 0x401000); /* one byte in common */
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x801, 0x801, 0x1000);
	img_phdr(&im, PT_LOAD, PF_R | PF_W, 0x1800, 0x401800, 0x100, 0x100, 0x1000);
	expect_refused(t, &im, -EINVAL, "PT_LOAD segments overlap");
	img_init(&im, 2, 0x401000); /* the same address twice */
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100, 0x1000);
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100, 0x1000);
	expect_refused(t, &im, -EINVAL, "PT_LOAD segments overlap");
}

TEST(elf, refuse_too_many_loads)
{
	struct elf_img im;

	img_init(&im, 2, 0x400000);
	for (uint64_t i = 0; i <= ELF_MAX_SEGMENTS; i++)
		img_phdr(&im, PT_LOAD, PF_R | PF_X, i * 0x1000, 0x400000 + i * 0x1000, 0x1000,
			 0x1000, 0x1000);
	expect_refused(t, &im, -EINVAL, "more than 16 PT_LOAD segments");
}

TEST(elf, refuse_no_load)
{
	struct elf_img im;

	img_init(&im, 2, 0x400000); /* an empty PT_LOAD does not count */
	img_phdr(&im, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0, 0x400000, 0, 0, 0x1000);
	expect_refused(t, &im, -EINVAL, "no PT_LOAD segment");
}

TEST(elf, refuse_span_over_1gib)
{
	struct elf_img im;

	img_init(&im, 2, 0x400000); /* one page more than 1 GiB */
	img_phdr(&im, PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x100, 0x100, 0x1000);
	img_phdr(&im, PT_LOAD, PF_R | PF_W, 0x1000, 0x400000 + ELF_MAX_SPAN, 0x100, 0x100, 0x1000);
	expect_refused(t, &im, -EINVAL, "PT_LOAD segments span more than 1 GiB");
}

TEST(elf, refuse_entry_outside_text)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;

	img_static(&im);
	put64(&im, 24, 0x400010); /* in the read-only segment */
	expect_refused(t, &im, -EINVAL, "entry point not inside an executable PT_LOAD");
	put64(&im, 24, 0x401800); /* one past the text */
	expect_refused(t, &im, -EINVAL, "entry point not inside an executable PT_LOAD");
	put64(&im, 24, 0x3fffff);
	expect_refused(t, &im, -EINVAL, "entry point not inside an executable PT_LOAD");
	put64(&im, 24, 0x4017ff); /* the text's last byte */
	EXPECT_EQ(t, parse(&im, &e, &why), 0);
}

TEST(elf, refuse_interp_past_file)
{
	struct elf_img im;

	img_pie(&im, true);
	put64(&im, 64 + PHDR_SIZE + 8, im.file_size - 27);
	expect_refused(t, &im, -EINVAL, "PT_INTERP past the end of the file");
	put64(&im, 64 + PHDR_SIZE + 8, ~0ull - 4);
	expect_refused(t, &im, -EINVAL, "PT_INTERP past the end of the file");
}

TEST(elf, refuse_interp_length)
{
	struct elf_img im;

	img_pie(&im, true);
	put64(&im, 64 + PHDR_SIZE + 32, 1);
	expect_refused(t, &im, -EINVAL, "PT_INTERP path length out of range");
	put64(&im, 64 + PHDR_SIZE + 32, 4097);
	expect_refused(t, &im, -EINVAL, "PT_INTERP path length out of range");
}

/* Every bit of a good header flipped in turn: each result is 0 or a refusal with a reason. */
TEST(elf, every_bit_flipped)
{
	struct elf_img im;
	struct elf_info e;
	const char *why;
	int ok = 0, bad = 0;

	img_pie(&im, true);
	for (size_t bit = 0; bit < im.len * 8; bit++) {
		im.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		int r = parse(&im, &e, &why);

		if (r == 0)
			ok++;
		else if ((r == -EINVAL || r == -ENOEXEC) && why)
			bad++;
		im.buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	EXPECT_EQ(t, ok + bad, (int)im.len * 8);
	EXPECT_GT(t, bad, 0);
}

/* The whole file, or NULL (with a reason printed) if it cannot be read. */
static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		test_print("SKIP %s: cannot open it\n", path);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *more = realloc(buf, cap ? cap * 2 : 65536);

			if (!more)
				break;
			buf = more;
			cap = cap ? cap * 2 : 65536;
		}
		size_t got = fread(buf + n, 1, cap - n, f);

		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	*size = n;
	return buf;
}

/*
 * A second, simple reading of the program headers of a file the parser
 * accepted: the PT_LOADs it kept, PT_INTERP and the entry's segment.
 */
static void cross_check(struct test_ctx *t, const uint8_t *b, const struct elf_info *e,
			const char *path)
{
	int loads = 0, interp = 0, type = b[16];
	uint64_t entry = get64(b + 24), phoff = get64(b + 32);

	for (int i = 0; i < e->phnum; i++) {
		const uint8_t *ph = b + phoff + (size_t)i * PHDR_SIZE;
		uint32_t pt;

		memcpy(&pt, ph, 4);
		if (pt == PT_INTERP)
			interp = 1;
		if (pt != PT_LOAD || get64(ph + 40) == 0 || loads == ELF_MAX_SEGMENTS)
			continue;
		EXPECT_EQ(t, e->seg[loads].vaddr, get64(ph + 16));
		EXPECT_EQ(t, e->seg[loads].filesz, get64(ph + 32));
		loads++;
	}
	EXPECT_EQ(t, e->nseg, loads);
	EXPECT_EQ(t, e->has_interp, interp);
	EXPECT_EQ(t, e->pie, type == 3);
	EXPECT_EQ(t, e->entry, entry);
	test_print("  %s: %s, %d segments, %#llx..%#llx\n", path, elf_type_name(e), e->nseg,
		   (unsigned long long)e->min_vaddr, (unsigned long long)e->max_vaddr);
}

/*
 * The seeds hold only the first bytes of real programs (the headers), so
 * they are parsed as the start of a larger file; with their own size as the
 * file's, the segments' bytes are missing.
 */
TEST(elf, seeds_of_real_programs)
{
	static const struct {
		const char *name, *type;
		bool exec_stack;
	} seeds[] = {
		{ "musl-static", "static", false },   /* musl-gcc -static */
		{ "musl-execstack", "static", true }, /* ... -z noseparate-code -z execstack */
		{ "musl-omagic", "static", false },   /* ... -N: one RWX segment, p_align 32 */
		{ "glibc-static", "static", false },  /* gcc -static */
		{ "glibc-static-pie", "static-pie", false }, /* gcc -static-pie */
		{ "glibc-dynamic", "dynamic", false },	     /* gcc */
	};

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[128];
		struct elf_info e;
		const char *why = NULL;
		size_t size;
		uint8_t *b;

		snprintf(path, sizeof(path), "tests/fuzz/corpus/elf/%s", seeds[i].name);
		b = slurp(path, &size);
		if (!b)
			continue;
		EXPECT_EQ(t, elf_parse(b, size, 1ull << 30, &e, &why), 0);
		if (why)
			test_print("  %s: %s\n", path, why);
		EXPECT_STREQ(t, elf_type_name(&e), seeds[i].type);
		EXPECT_EQ(t, e.exec_stack, seeds[i].exec_stack);
		cross_check(t, b, &e, path);
		EXPECT_EQ(t, elf_parse(b, size, size, &e, &why), -EINVAL);
		EXPECT_STREQ(t, why, "PT_LOAD file bytes past the end of the file");
		free(b);
	}
}

TEST(elf, host_programs)
{
	static const char *const paths[] = { "/bin/true", "/proc/self/exe" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct elf_info e;
		const char *why = NULL;
		size_t size;
		uint8_t *b = slurp(paths[i], &size);

		if (!b)
			continue;
		EXPECT_EQ(t, elf_parse(b, size, size, &e, &why), 0);
		if (why)
			test_print("  %s: %s\n", paths[i], why);
		else
			cross_check(t, b, &e, paths[i]);
		free(b);
	}
}
