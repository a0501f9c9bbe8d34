/*
 * mksyms: turns `nm -n` output of the first kernel link into the .ksyms
 * table (include/uapi/osprey/ksyms.h), written as an assembly file that the
 * second link places in the .ksyms section.
 *
 *   nm -n kernel.elf | mksyms BASE > ksyms.S
 *
 * Only text symbols (t, T, w, W) at or above BASE are kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uapi/osprey/ksyms.h>

struct sym {
	uint64_t addr;
	char *name;
};

int main(int argc, char **argv)
{
	struct sym *syms = NULL;
	size_t count = 0, cap = 0, names_size = 0;
	char line[1024];

	if (argc != 2) {
		fprintf(stderr, "usage: nm -n kernel.elf | mksyms BASE > ksyms.S\n");
		return 2;
	}
	uint64_t base = strtoull(argv[1], NULL, 0);

	while (fgets(line, sizeof(line), stdin)) {
		char type, name[512];
		uint64_t addr;

		if (sscanf(line, "%" SCNx64 " %c %511s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (addr < base || addr - base > UINT32_MAX)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 1024;
			syms = realloc(syms, cap * sizeof(*syms));
			if (!syms) {
				fprintf(stderr, "mksyms: out of memory\n");
				return 1;
			}
		}
		syms[count].addr = addr;
		syms[count].name = strdup(name);
		if (!syms[count].name) {
			fprintf(stderr, "mksyms: out of memory\n");
			return 1;
		}
		names_size += strlen(name) + 1;
		count++;
	}
	printf("\t.section .ksyms, \"a\"\n\t.balign 8\n");
	printf("\t.long 0x%x, %zu\n\t.quad 0x%" PRIx64 "\n\t.long %zu, 0\n", KSYMS_MAGIC, count,
	       base, names_size);
	size_t off = 0;

	for (size_t i = 0; i < count; i++) {
		printf("\t.long 0x%" PRIx64 ", %zu\n", syms[i].addr - base, off);
		off += strlen(syms[i].name) + 1;
	}
	for (size_t i = 0; i < count; i++)
		printf("\t.asciz \"%s\"\n", syms[i].name);
	return 0;
}
