/*
 * libFuzzer target for the ELF program-header parser (kernel/linux/elf.c):
 * the input is the start of an ELF file.  It is parsed as a whole file, and
 * again as the start of a larger one (the seeds are only the headers of
 * real programs, so only then do their segments lie inside the file).  ASan
 * catches a read outside the input; the checks below abort when a result
 * breaks the contract of elf.h: a refusal without a reason or with another
 * errno, or an accepted program whose segments a loader could not trust.
 * Claiming a larger file may only turn a refusal into an acceptance, and
 * two accepting parses must agree.
 *
 * Seeds (tests/fuzz/corpus/elf): the ELF header and program headers (and
 * PT_INTERP's path) of hello-world programs built with musl-gcc -static
 * (also with -z noseparate-code -z execstack, and with -N), gcc -static,
 * gcc -static-pie and plain gcc (dynamic).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/linux/elf.h"

#define ENOEXEC 8
#define EINVAL 22

static void check_accepted(const struct elf_info *e, uint64_t file_size)
{
	bool entry_ok = false;

	if (e->nseg < 1 || e->nseg > ELF_MAX_SEGMENTS)
		abort();
	if (e->phnum < 1 || e->phnum > 64 || e->phentsize != 56)
		abort();
	if (e->min_vaddr != (e->seg[0].vaddr & ~(ELF_PAGE_SIZE - 1)) ||
	    e->max_vaddr % ELF_PAGE_SIZE || e->max_vaddr > ELF_USER_LIMIT ||
	    e->min_vaddr >= e->max_vaddr || e->max_vaddr - e->min_vaddr > ELF_MAX_SPAN)
		abort();
	if (!e->pie && e->min_vaddr < ELF_MIN_ADDR)
		abort();
	if (e->has_interp && (e->interp_size < 2 || e->interp_offset > file_size ||
			      e->interp_size > file_size - e->interp_offset))
		abort();
	for (int i = 0; i < e->nseg; i++) {
		const struct elf_segment *s = &e->seg[i];

		if (s->memsz == 0 || s->filesz > s->memsz)
			abort();
		if (s->offset > file_size || s->filesz > file_size - s->offset)
			abort();
		if (s->vaddr < e->min_vaddr || s->memsz > e->max_vaddr - s->vaddr)
			abort();
		if (s->prot & ~(ELF_PROT_READ | ELF_PROT_WRITE | ELF_PROT_EXEC))
			abort();
		/* sorted, and no byte shared with the one before */
		if (i > 0 && s->vaddr - e->seg[i - 1].vaddr < e->seg[i - 1].memsz)
			abort();
		if (i > 0 && s->vaddr <= e->seg[i - 1].vaddr)
			abort();
		if ((s->prot & ELF_PROT_EXEC) && e->entry >= s->vaddr &&
		    e->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	if (!entry_ok)
		abort();
	const char *name = elf_type_name(e);

	if (strcmp(name, e->has_interp ? "dynamic" : e->pie ? "static-pie" : "static") != 0)
		abort();
}

/* Field by field: padding bytes are not part of the result. */
static bool same(const struct elf_info *a, const struct elf_info *b)
{
	if (a->entry != b->entry || a->phdr_vaddr != b->phdr_vaddr || a->phoff != b->phoff ||
	    a->phnum != b->phnum || a->phentsize != b->phentsize || a->pie != b->pie ||
	    a->has_interp != b->has_interp || a->interp_offset != b->interp_offset ||
	    a->interp_size != b->interp_size || a->exec_stack != b->exec_stack ||
	    a->min_vaddr != b->min_vaddr || a->max_vaddr != b->max_vaddr || a->nseg != b->nseg)
		return false;
	for (int i = 0; i < a->nseg; i++) {
		const struct elf_segment *x = &a->seg[i], *y = &b->seg[i];

		if (x->vaddr != y->vaddr || x->memsz != y->memsz || x->filesz != y->filesz ||
		    x->offset != y->offset || x->prot != y->prot)
			return false;
	}
	return true;
}

static int parse(const uint8_t *buf, size_t size, uint64_t file_size, struct elf_info *e)
{
	const char *why = NULL;
	int r = elf_parse(buf, size, file_size, e, &why);

	if (r == 0)
		check_accepted(e, file_size);
	else if ((r != -ENOEXEC && r != -EINVAL) || !why || !*why)
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, exactly sized, so that ASan sees any overrun. */
	uint8_t *buf = malloc(size ? size : 1);
	static struct elf_info whole, start, huge;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	int r_whole = parse(buf, size, size, &whole);
	int r_start = parse(buf, size, (uint64_t)size + (1u << 30), &start);
	int r_huge = parse(buf, size, UINT64_MAX, &huge);

	if (r_whole == 0 && (r_start != 0 || !same(&whole, &start)))
		abort();
	if (r_start == 0 && (r_huge != 0 || !same(&start, &huge)))
		abort();
	free(buf);
	return 0;
}
