/*
 * shim_main: plays Firecracker's part of the Linux 64-bit boot protocol.
 * Takes the kernel ELF from PVH module 0, places its PT_LOAD segments at
 * their physical addresses, writes a boot_params page (e820 table from the
 * PVH memory map, command line, RSDP) at 0x7000 and jumps to the ELF entry
 * with %rsi = 0x7000, long mode on and the first 4 GiB identity-mapped.
 * Any problem is printed on COM1 and ends the VM with status 71.
 */
#include <stddef.h>
#include <stdint.h>

#define BOOT_PARAMS 0x7000
#define CMDLINE_COPY 0x9000
#define CMDLINE_MAX 2048

struct start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist, cmdline, rsdp, memmap;
	uint32_t memmap_entries, reserved;
};

struct module {
	uint64_t paddr, size, cmdline, reserved;
};

struct memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

void shim_main(const struct start_info *si);

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void fail(const char *msg)
{
	for (const char *p = "shim: "; *p; p++)
		outb(0x3f8, (uint8_t)*p);
	for (; *msg; msg++)
		outb(0x3f8, (uint8_t)*msg);
	outb(0x3f8, '\n');
	outb(0x501, 71);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void copy(uint8_t *dst, const uint8_t *src, uint64_t n)
{
	while (n--)
		*dst++ = *src++;
}

static void zero(uint8_t *dst, uint64_t n)
{
	while (n--)
		*dst++ = 0;
}

static void put32(uint64_t addr, uint32_t v)
{
	copy((uint8_t *)addr, (const uint8_t *)&v, 4);
}

static void put64(uint64_t addr, uint64_t v)
{
	copy((uint8_t *)addr, (const uint8_t *)&v, 8);
}

void shim_main(const struct start_info *si)
{
	if (si->magic != 0x336ec578 || si->version < 1)
		fail("no PVH start info with a memory map");
	if (si->nr_modules < 1)
		fail("no kernel module (pass the kernel ELF as -initrd)");
	const struct module *m = (const struct module *)si->modlist;
	const uint8_t *elf = (const uint8_t *)m->paddr;
	const struct elf64_ehdr *eh = (const struct elf64_ehdr *)elf;

	if (m->size < sizeof(*eh) || eh->ident[0] != 0x7f || eh->ident[1] != 'E' ||
	    eh->ident[4] != 2 || eh->machine != 62)
		fail("module is not an x86-64 ELF");
	if (eh->phoff + (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > m->size)
		fail("program headers outside the module");
	const struct elf64_phdr *ph = (const struct elf64_phdr *)(elf + eh->phoff);

	for (int i = 0; i < eh->phnum; i++) {
		if (ph[i].type != 1)
			continue;
		if (ph[i].offset + ph[i].filesz > m->size || ph[i].filesz > ph[i].memsz)
			fail("segment outside the module");
		if (ph[i].paddr + ph[i].memsz > 0x2000000)
			fail("segment would overwrite the shim");
		copy((uint8_t *)ph[i].paddr, elf + ph[i].offset, ph[i].filesz);
		zero((uint8_t *)(ph[i].paddr + ph[i].filesz), ph[i].memsz - ph[i].filesz);
	}

	zero((uint8_t *)BOOT_PARAMS, 4096);
	const struct memmap_entry *mm = (const struct memmap_entry *)si->memmap;
	uint32_t n = si->memmap_entries > 128 ? 128 : si->memmap_entries;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t e = BOOT_PARAMS + 0x2d0 + 20 * i;

		put64(e, mm[i].addr);
		put64(e + 8, mm[i].size);
		put32(e + 16, mm[i].type);
	}
	*(uint8_t *)(BOOT_PARAMS + 0x1e8) = (uint8_t)n;
	if (si->cmdline) {
		const char *c = (const char *)si->cmdline;
		size_t len = 0;

		while (c[len] && len < CMDLINE_MAX - 1)
			len++;
		copy((uint8_t *)CMDLINE_COPY, (const uint8_t *)c, len);
		*(char *)(CMDLINE_COPY + len) = 0;
		put32(BOOT_PARAMS + 0x228, CMDLINE_COPY);
	}
	put64(BOOT_PARAMS + 0x070, si->rsdp);
	__asm__ volatile("jmp *%0" : : "r"(eh->entry), "S"((uint64_t)BOOT_PARAMS));
	__builtin_unreachable();
}
