/*
 * The ELF program-header parser of the Linux ABI (elf.h).
 *
 * The program comes from the image, i.e. from whoever builds or starts the
 * VM, so nothing in it is trusted.  elf_parse() reads the ELF header and
 * the program headers out of the caller's buffer with memcpy (no alignment
 * assumed, nothing read outside buf[0..len)), checks every field before it
 * is used, with overflow-checked arithmetic, and turns the PT_LOAD entries
 * into a short sorted list of segments that a loader can map without
 * checking anything again: each lies in the user half, below
 * ELF_USER_LIMIT, takes its bytes from inside the file, and shares no byte
 * with another; the whole image spans at most ELF_MAX_SPAN; the entry point
 * is in an executable segment.  Section headers are never looked at: the
 * kernel does not need them to run a program, and neither does Linux.
 *
 * Layouts and constants are those of the ELF-64 object file format (System V
 * gABI) and the x86-64 psABI, written down here from the specifications.
 * The fields are read in the host's byte order: the kernel and its host
 * tests are little endian, as is every file this accepts (ELFDATA2LSB).
 *
 * Built into the kernel, the host unit tests (tests/unit/elf_test.c) and
 * the fuzz target (tests/fuzz/elf.c).
 */
#include <string.h>

#include "elf.h"

#define ENOEXEC 8
#define EINVAL 22

/* e_ident[] */
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define EI_OSABI 7
#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ELFOSABI_SYSV 0
#define ELFOSABI_GNU 3 /* also called ELFOSABI_LINUX */

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PN_XNUM 0xffff /* the real count is in section header 0: refused */
#define ELF_MAX_PHNUM 64

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551

#define PF_X 1
#define PF_W 2
#define PF_R 4

/* Linux refuses an interpreter path shorter than "/" plus its NUL, or longer than PATH_MAX. */
#define INTERP_MIN 2
#define INTERP_MAX 4096

/* Elf64_Ehdr */
struct elf64_ehdr {
	uint8_t ident[EI_NIDENT];
	uint16_t type;
	uint16_t machine;
	uint32_t version;
	uint64_t entry;
	uint64_t phoff;
	uint64_t shoff;
	uint32_t flags;
	uint16_t ehsize;
	uint16_t phentsize;
	uint16_t phnum;
	uint16_t shentsize;
	uint16_t shnum;
	uint16_t shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr is 64 bytes");

/* Elf64_Phdr */
struct elf64_phdr {
	uint32_t type;
	uint32_t flags;
	uint64_t offset;
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr is 56 bytes");

static int refuse(const char **why, int err, const char *msg)
{
	*why = msg;
	return err;
}

static int prot_of(uint32_t flags)
{
	return ((flags & PF_R) ? ELF_PROT_READ : 0) | ((flags & PF_W) ? ELF_PROT_WRITE : 0) |
	       ((flags & PF_X) ? ELF_PROT_EXEC : 0);
}

/*
 * Checks one PT_LOAD and appends it to out->seg[].  Every PT_LOAD is
 * checked; one with p_memsz 0 maps nothing and is then left out (linkers
 * do emit such segments, and Linux accepts them).
 */
static int add_load(struct elf_info *out, const struct elf64_phdr *ph, uint64_t file_size,
		    const char **why)
{
	uint64_t file_end, end;
	struct elf_segment *s;

	if (ph->filesz > ph->memsz)
		return refuse(why, -EINVAL, "PT_LOAD with p_filesz larger than p_memsz");
	if (__builtin_add_overflow(ph->offset, ph->filesz, &file_end) || file_end > file_size)
		return refuse(why, -EINVAL, "PT_LOAD file bytes past the end of the file");
	if (ph->align & (ph->align - 1))
		return refuse(why, -EINVAL, "PT_LOAD p_align not a power of two");
	/* unsigned: the difference wraps, and 2^64 is a multiple of the page size */
	if (ph->align >= ELF_PAGE_SIZE && (ph->vaddr - ph->offset) % ELF_PAGE_SIZE != 0)
		return refuse(why, -EINVAL,
			      "PT_LOAD p_vaddr and p_offset differ modulo the page size");
	if (__builtin_add_overflow(ph->vaddr, ph->memsz, &end) || end > ELF_USER_LIMIT)
		return refuse(why, -EINVAL, "PT_LOAD past the end of the user address space");
	if (!out->pie && ph->vaddr < ELF_MIN_ADDR)
		return refuse(why, -EINVAL, "PT_LOAD below 0x10000 (mmap_min_addr)");
	if (ph->memsz == 0)
		return 0;
	if (out->nseg > 0) {
		const struct elf_segment *prev = &out->seg[out->nseg - 1];

		/* prev->vaddr + prev->memsz was checked when prev was added */
		if (ph->vaddr < prev->vaddr)
			return refuse(why, -EINVAL,
				      "PT_LOAD segments not in ascending p_vaddr order");
		if (ph->vaddr < prev->vaddr + prev->memsz)
			return refuse(why, -EINVAL, "PT_LOAD segments overlap");
	}
	if (out->nseg == ELF_MAX_SEGMENTS)
		return refuse(why, -EINVAL, "more than 16 PT_LOAD segments");
	s = &out->seg[out->nseg++];
	s->vaddr = ph->vaddr;
	s->memsz = ph->memsz;
	s->filesz = ph->filesz;
	s->offset = ph->offset;
	s->prot = prot_of(ph->flags);
	return 0;
}

static int check_interp(struct elf_info *out, const struct elf64_phdr *ph, uint64_t file_size,
			const char **why)
{
	uint64_t end;

	if (out->has_interp) /* Linux too uses the first one */
		return 0;
	if (__builtin_add_overflow(ph->offset, ph->filesz, &end) || end > file_size)
		return refuse(why, -EINVAL, "PT_INTERP past the end of the file");
	if (ph->filesz < INTERP_MIN || ph->filesz > INTERP_MAX)
		return refuse(why, -EINVAL, "PT_INTERP path length out of range");
	out->has_interp = true;
	out->interp_offset = ph->offset;
	out->interp_size = ph->filesz;
	return 0;
}

/* The program headers' address in memory, from the PT_LOAD whose file bytes hold them. */
static uint64_t phdrs_in_memory(const struct elf_info *out, uint64_t ph_bytes)
{
	for (int i = 0; i < out->nseg; i++) {
		const struct elf_segment *s = &out->seg[i];

		if (s->offset <= out->phoff && out->phoff - s->offset <= s->filesz &&
		    ph_bytes <= s->filesz - (out->phoff - s->offset))
			return s->vaddr + (out->phoff - s->offset);
	}
	return 0;
}

static int check_ehdr(const struct elf64_ehdr *eh, const char **why)
{
	if (eh->ident[EI_CLASS] != ELFCLASS64)
		return refuse(why, -ENOEXEC, "not a 64-bit ELF file");
	if (eh->ident[EI_DATA] != ELFDATA2LSB)
		return refuse(why, -ENOEXEC, "not a little-endian ELF file");
	if (eh->ident[EI_VERSION] != EV_CURRENT || eh->version != EV_CURRENT)
		return refuse(why, -ENOEXEC, "unknown ELF version");
	if (eh->ident[EI_OSABI] != ELFOSABI_SYSV && eh->ident[EI_OSABI] != ELFOSABI_GNU)
		return refuse(why, -ENOEXEC, "ELF OS ABI neither System V nor Linux");
	if (eh->machine != EM_X86_64)
		return refuse(why, -ENOEXEC, "not an x86-64 program");
	if (eh->type != ET_EXEC && eh->type != ET_DYN)
		return refuse(why, -ENOEXEC, "not an executable (ELF type neither EXEC nor DYN)");
	if (eh->ehsize < sizeof(*eh))
		return refuse(why, -EINVAL, "e_ehsize smaller than the ELF header");
	if (eh->phentsize != sizeof(struct elf64_phdr))
		return refuse(why, -EINVAL, "e_phentsize is not 56");
	if (eh->phnum == 0)
		return refuse(why, -EINVAL, "no program headers");
	if (eh->phnum == PN_XNUM)
		return refuse(why, -EINVAL,
			      "extended program header count (PN_XNUM) not supported");
	if (eh->phnum > ELF_MAX_PHNUM)
		return refuse(why, -EINVAL, "more than 64 program headers");
	return 0;
}

int elf_parse(const void *buf, size_t len, uint64_t file_size, struct elf_info *out,
	      const char **why)
{
	const uint8_t *p = buf;
	struct elf64_ehdr eh;
	const struct elf_segment *last;
	uint64_t ph_bytes, ph_end;
	bool have_phdr = false, entry_ok = false;
	int ret;

	memset(out, 0, sizeof(*out));
	if (len > file_size)
		return refuse(why, -EINVAL, "buffer longer than the file");
	if (len < 4 || memcmp(p, "\177ELF", 4) != 0)
		return refuse(why, -ENOEXEC, "not an ELF file (bad magic)");
	if (file_size < sizeof(eh))
		return refuse(why, -ENOEXEC, "file shorter than an ELF header");
	if (len < sizeof(eh))
		return refuse(why, -EINVAL, "ELF header past the end of the buffer");
	memcpy(&eh, p, sizeof(eh));
	ret = check_ehdr(&eh, why);
	if (ret)
		return ret;

	/* phnum <= 64: no overflow in the product */
	ph_bytes = (uint64_t)eh.phnum * eh.phentsize;
	if (__builtin_add_overflow(eh.phoff, ph_bytes, &ph_end) || ph_end > file_size)
		return refuse(why, -EINVAL, "program headers past the end of the file");
	if (ph_end > len)
		return refuse(why, -EINVAL, "program headers past the end of the buffer");

	out->entry = eh.entry;
	out->phoff = eh.phoff;
	out->phnum = eh.phnum;
	out->phentsize = eh.phentsize;
	out->pie = eh.type == ET_DYN;
	out->exec_stack = true;
	for (uint16_t i = 0; i < eh.phnum; i++) {
		struct elf64_phdr ph;

		ret = 0;
		memcpy(&ph, p + eh.phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		switch (ph.type) {
		case PT_LOAD:
			ret = add_load(out, &ph, file_size, why);
			break;
		case PT_INTERP:
			ret = check_interp(out, &ph, file_size, why);
			break;
		case PT_PHDR:
			if (!have_phdr)
				out->phdr_vaddr = ph.vaddr;
			have_phdr = true;
			break;
		case PT_GNU_STACK: /* the last one counts, as in Linux */
			out->exec_stack = (ph.flags & PF_X) != 0;
			break;
		default: /* PT_DYNAMIC, PT_TLS, PT_NOTE, ...: the program's own business */
			break;
		}
		if (ret)
			return ret;
	}

	if (out->nseg == 0)
		return refuse(why, -EINVAL, "no PT_LOAD segment");
	/* every end is <= ELF_USER_LIMIT, a page boundary: rounding up cannot overflow */
	last = &out->seg[out->nseg - 1];
	out->min_vaddr = out->seg[0].vaddr & ~(ELF_PAGE_SIZE - 1);
	out->max_vaddr = (last->vaddr + last->memsz + ELF_PAGE_SIZE - 1) & ~(ELF_PAGE_SIZE - 1);
	if (out->max_vaddr - out->min_vaddr > ELF_MAX_SPAN)
		return refuse(why, -EINVAL, "PT_LOAD segments span more than 1 GiB");

	for (int i = 0; i < out->nseg; i++) {
		const struct elf_segment *s = &out->seg[i];

		if ((s->prot & ELF_PROT_EXEC) && out->entry >= s->vaddr &&
		    out->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	if (!entry_ok)
		return refuse(why, -EINVAL, "entry point not inside an executable PT_LOAD");
	if (!have_phdr)
		out->phdr_vaddr = phdrs_in_memory(out, ph_bytes);
	return 0;
}

const char *elf_type_name(const struct elf_info *e)
{
	if (e->has_interp)
		return "dynamic";
	return e->pie ? "static-pie" : "static";
}
