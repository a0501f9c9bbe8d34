/*
 * The ELF program-header parser of the Linux ABI, portable: the kernel's
 * program loader, the host unit tests (tests/unit/elf_test.c) and the fuzz
 * target (tests/fuzz/elf.c) all use this code.  No allocation, no kernel
 * header, nothing but parsing: placing the segments, the stack and the
 * auxiliary vector is the loader's business.
 */
#ifndef OSPREY_LINUX_ELF_H
#define OSPREY_LINUX_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16

/* Protection bits, Linux's PROT_* values (equal to the kernel's VM_READ/WRITE/EXEC). */
#define ELF_PROT_READ 1
#define ELF_PROT_WRITE 2
#define ELF_PROT_EXEC 4

/*
 * The limits elf_parse() holds a program to.  Addresses are those of the
 * file (unbiased); a PIE's loader adds its bias to all of them.
 */
#define ELF_PAGE_SIZE 4096ull
#define ELF_USER_LIMIT 0x00007ffffffff000ull /* no segment ends above this */
#define ELF_MIN_ADDR 0x10000ull		     /* Linux's mmap_min_addr: ET_EXEC starts here */
#define ELF_MAX_SPAN (1ull << 30)	     /* max_vaddr - min_vaddr */

/*
 * One PT_LOAD with p_memsz > 0 (empty ones are checked, then left out).
 * Guaranteed: filesz <= memsz; offset + filesz <= the file's size;
 * vaddr + memsz <= ELF_USER_LIMIT, without overflow; (vaddr - offset) is a
 * multiple of ELF_PAGE_SIZE when the segment's p_align is >= ELF_PAGE_SIZE
 * (with a smaller p_align it need not be, and the loader must copy the
 * bytes rather than map file pages).
 */
struct elf_segment {
	uint64_t vaddr;	 /* p_vaddr, unbiased */
	uint64_t memsz;	 /* p_memsz: bytes in memory, > 0 */
	uint64_t filesz; /* p_filesz: bytes from the file; the rest up to memsz is zero */
	uint64_t offset; /* p_offset: where those bytes start in the file */
	int prot;	 /* ELF_PROT_* from p_flags */
};

/*
 * What a loader needs of a program.  seg[] is sorted by vaddr and no two
 * segments share a byte, but the last page of one segment may be the first
 * page of the next (real binaries do this): the loader gives such a page the
 * union of both protections and fills it from both.
 */
struct elf_info {
	uint64_t entry; /* e_entry, unbiased; inside a segment with ELF_PROT_EXEC */
	/*
	 * Where the program headers are in memory, unbiased: PT_PHDR's p_vaddr,
	 * else computed from the PT_LOAD whose file bytes hold e_phoff..+phnum*56;
	 * 0 if none holds them.  PT_PHDR is taken as given: a wrong one only
	 * misleads the program itself.  (AT_PHDR is this plus the bias.)
	 */
	uint64_t phdr_vaddr;
	uint64_t phoff;	    /* e_phoff: where the program headers are in the file */
	uint16_t phnum;	    /* e_phnum, 1..64 (AT_PHNUM) */
	uint16_t phentsize; /* e_phentsize, always 56 (AT_PHENT) */
	bool pie;	    /* ET_DYN: the loader picks a load bias */
	bool has_interp;    /* PT_INTERP present (dynamic program) */
	/*
	 * The first PT_INTERP's bytes (the interpreter's path, 2..4096 bytes):
	 * inside the file, maybe not inside buf; both 0 without PT_INTERP.
	 */
	uint64_t interp_offset, interp_size;
	bool exec_stack;    /* PT_GNU_STACK with PF_X, or no PT_GNU_STACK */
	uint64_t min_vaddr; /* lowest PT_LOAD vaddr rounded down to 4096 */
	uint64_t max_vaddr; /* highest vaddr+memsz rounded up to 4096; at most ELF_MAX_SPAN above min */
	int nseg;	    /* 1..ELF_MAX_SEGMENTS */
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/*
 * Validates the ELF header and program headers.  buf holds the first len bytes of
 * the file, file_size is the whole file's size.  0, or -ENOEXEC (not an x86-64 ELF
 * executable: bad magic, class, data, version, OS ABI, machine, type) or -EINVAL
 * (a field out of range, with the reason), and *why names the problem in a short
 * phrase such as "program headers past the end of the file" (static string).
 * buf needs no alignment.  On failure *out holds nothing the caller may use.
 */
int elf_parse(const void *buf, size_t len, uint64_t file_size, struct elf_info *out,
	      const char **why);

/* "static", "static-pie" or "dynamic", for messages.  The auxv/stack helpers do not belong here. */
const char *elf_type_name(const struct elf_info *e);

#endif
