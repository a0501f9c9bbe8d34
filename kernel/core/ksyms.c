/*
 * Symbol lookup for backtraces.  The table is in the .ksyms section, built
 * by tools/mksyms on the second link; on the first link it is empty and
 * lookups fail.  Everything is bounds-checked against the section: a
 * backtrace must never fault on a bad table.
 */
#include <string.h>

#include <osprey/kernel.h>
#include <osprey/ksyms.h>
#include <uapi/osprey/ksyms.h>

extern const char _ksyms[], _kernel_end[], _etext[];

static const struct ksyms_header *table(void)
{
	const struct ksyms_header *h = (const void *)_ksyms;
	size_t avail = (size_t)(_kernel_end - _ksyms);

	if (avail < sizeof(*h) || h->magic != KSYMS_MAGIC)
		return NULL;
	if (h->count > (avail - sizeof(*h)) / sizeof(struct ksym))
		return NULL;
	if (h->names_size > avail - sizeof(*h) - h->count * sizeof(struct ksym))
		return NULL;
	return h;
}

static const char *name_at(const struct ksyms_header *h, uint32_t off)
{
	const struct ksym *syms = (const void *)(h + 1);
	const char *names = (const char *)(syms + h->count);

	if (off >= h->names_size)
		return "?";
	return names + off;
}

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	const struct ksyms_header *h = table();

	if (!h || addr < h->base || addr >= (uintptr_t)_etext)
		return NULL;
	const struct ksym *syms = (const void *)(h + 1);
	uint64_t off = addr - h->base;
	uint32_t lo = 0, hi = h->count;

	/* Find the last symbol at or below addr. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (syms[mid].offset <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	*offset = off - syms[lo - 1].offset;
	return name_at(h, syms[lo - 1].name);
}

uintptr_t ksym_address(const char *name)
{
	const struct ksyms_header *h = table();

	if (!h)
		return 0;
	const struct ksym *syms = (const void *)(h + 1);

	for (uint32_t i = 0; i < h->count; i++)
		if (strcmp(name_at(h, syms[i].name), name) == 0)
			return h->base + syms[i].offset;
	return 0;
}
