/*
 * The few ELF64 structures the vDSO's kernel side reads from its own image
 * (kernel/linux/vdso.c) and that its tests parse (tests/kernel/vdso_test.c):
 * the file header, program headers, dynamic entries, symbols and version
 * definitions, as the System V gABI lays them out.
 */
#ifndef OSPREY_LINUX_VDSO_ELF_H
#define OSPREY_LINUX_VDSO_ELF_H

#include <stdint.h>

struct vdso_elf_ehdr {
	uint8_t e_ident[16];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct vdso_elf_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

struct vdso_elf_dyn {
	int64_t d_tag;
	uint64_t d_val;
};

struct vdso_elf_sym {
	uint32_t st_name;
	uint8_t st_info, st_other;
	uint16_t st_shndx;
	uint64_t st_value, st_size;
};

struct vdso_elf_verdef {
	uint16_t vd_version, vd_flags, vd_ndx, vd_cnt;
	uint32_t vd_hash, vd_aux, vd_next;
};

struct vdso_elf_verdaux {
	uint32_t vda_name, vda_next;
};

_Static_assert(sizeof(struct vdso_elf_ehdr) == 64, "Elf64_Ehdr");
_Static_assert(sizeof(struct vdso_elf_phdr) == 56, "Elf64_Phdr");
_Static_assert(sizeof(struct vdso_elf_sym) == 24, "Elf64_Sym");
_Static_assert(sizeof(struct vdso_elf_verdef) == 20, "Elf64_Verdef");

#define VDSO_ET_DYN 3
#define VDSO_EM_X86_64 62
#define VDSO_PT_LOAD 1
#define VDSO_PT_DYNAMIC 2
#define VDSO_PT_NOTE 4
#define VDSO_PF_X 1
#define VDSO_PF_W 2
#define VDSO_PF_R 4

#define VDSO_DT_NULL 0
#define VDSO_DT_HASH 4
#define VDSO_DT_STRTAB 5
#define VDSO_DT_SYMTAB 6
#define VDSO_DT_STRSZ 10
#define VDSO_DT_SONAME 14
#define VDSO_DT_REL 17
#define VDSO_DT_RELA 7
#define VDSO_DT_TEXTREL 22
#define VDSO_DT_JMPREL 23
#define VDSO_DT_GNU_HASH 0x6ffffef5
#define VDSO_DT_VERSYM 0x6ffffff0
#define VDSO_DT_VERDEF 0x6ffffffc
#define VDSO_DT_VERDEFNUM 0x6ffffffd

#define VDSO_STT_FUNC 2
#define VDSO_STB_GLOBAL 1
#define VDSO_STB_WEAK 2
#define VDSO_VER_FLG_BASE 1

#endif
