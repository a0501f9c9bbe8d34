/*
 * Memory: a malloc stress (many sizes, realloc, contents checked), brk
 * through the raw system call (musl's sbrk refuses to move the break),
 * anonymous private mmap with munmap, mprotect (a write to a read-only page
 * must fault), mremap and madvise(MADV_DONTNEED), a file-backed MAP_PRIVATE
 * mapping of a file this program wrote, and an mmap stress of many sizes.
 *
 * usage: memory WORKDIR
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "apps.h"

#define PAGE 4096ul

static uint32_t seed = 12345;

static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static uint8_t pattern(uintptr_t i, uint32_t salt)
{
	return (uint8_t)((i * 2654435761u) >> 13 ^ salt);
}

static void fill(uint8_t *p, size_t n, uint32_t salt)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pattern(i, salt);
}

static bool holds(const uint8_t *p, size_t n, uint32_t salt)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern(i, salt))
			return false;
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Does writing to p fault?  SIGSEGV is caught and jumped out of. */
static sigjmp_buf jump;
static volatile sig_atomic_t faults;

static void on_segv(int sig)
{
	(void)sig;
	faults++;
	siglongjmp(jump, 1);
}

static bool write_faults(volatile uint8_t *p)
{
	int before = faults;

	if (sigsetjmp(jump, 1) == 0)
		*p = 1;
	return faults != before;
}

static bool read_faults(volatile uint8_t *p)
{
	int before = faults;

	if (sigsetjmp(jump, 1) == 0)
		(void)*p;
	return faults != before;
}

static void malloc_stress(void)
{
	enum { N = 2000 };
	static uint8_t *blocks[N];
	static size_t sizes[N];
	bool ok = true;

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++) {
			size_t sz = rnd() % 5 == 0 ? rnd() % 200000 : rnd() % 512;

			free(blocks[i]);
			blocks[i] = malloc(sz + 1);
			sizes[i] = sz + 1;
			if (!blocks[i]) {
				ok = false;
				continue;
			}
			fill(blocks[i], sizes[i], (uint32_t)i);
		}
		for (int i = 0; i < N; i += 3) {
			size_t sz = rnd() % 8000 + 1;
			uint8_t *p = realloc(blocks[i], sz);
			size_t keep = sz < sizes[i] ? sz : sizes[i];

			if (!p || !holds(p, keep, (uint32_t)i)) {
				ok = false;
				continue;
			}
			blocks[i] = p;
			sizes[i] = sz;
			fill(p, sz, (uint32_t)i);
		}
		for (int i = 0; i < N; i++)
			if (blocks[i] && !holds(blocks[i], sizes[i], (uint32_t)i))
				ok = false;
	}
	for (int i = 0; i < N; i++)
		free(blocks[i]);
	CHECK("malloc stress (6000 blocks, realloc, contents kept)", ok);

	uint8_t *big = malloc(8 << 20);

	ok = big != NULL;
	if (big) {
		fill(big, 8 << 20, 77);
		ok = holds(big, 8 << 20, 77);
		free(big);
	}
	CHECK("malloc 8 MiB, filled and checked", ok);
	uint8_t *z = calloc(1 << 20, 4);

	CHECK("calloc 4 MiB is zero", z && all_zero(z, 4 << 20));
	free(z);
}

/*
 * brk, before anything else may move it: grow by 64 KiB, write, shrink back
 * to exactly where it was (the C library's malloc may own what is below).
 */
static void brk_test(bool *grew, bool *writable, bool *shrank, bool *query)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t up = (uintptr_t)syscall(SYS_brk, cur + 65536);

	*query = cur != 0 && (uintptr_t)syscall(SYS_brk, 0) == up;
	*grew = up == cur + 65536;
	*writable = false;
	if (*grew) {
		memset((void *)cur, 0x5a, 65536);
		*writable = ((uint8_t *)cur)[65535] == 0x5a;
	}
	*shrank = (uintptr_t)syscall(SYS_brk, cur) == cur;
}

int main(int argc, char **argv)
{
	bool grew, writable, shrank, query;
	struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_NODEFER };
	uint8_t *p, *q;
	int fd;

	brk_test(&grew, &writable, &shrank, &query);
	if (argc != 2 || chdir(argv[1])) {
		printf("usage: memory WORKDIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK("brk(0) answers the break", query);
	CHECK("brk grows by 64 KiB", grew);
	CHECK("brk memory is writable", writable);
	CHECK("brk shrinks back", shrank);
	sigaction(SIGSEGV, &sa, NULL);

	malloc_stress();

	/* anonymous private: zeroed, writable; munmap; mprotect */
	p = mmap(NULL, 256 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("mmap 1 MiB anonymous", p != MAP_FAILED);
	if (p == MAP_FAILED)
		return 1;
	CHECK("fresh pages are zero", all_zero(p, 256 * PAGE));
	CHECK("page aligned", ((uintptr_t)p & (PAGE - 1)) == 0);
	fill(p, 256 * PAGE, 1);
	CHECK("filled and read back", holds(p, 256 * PAGE, 1));
	CHECK("munmap pages 10..11", munmap(p + 10 * PAGE, 2 * PAGE) == 0);
	CHECK("unmapped page faults on read", read_faults(p + 10 * PAGE));
	CHECK("unmapped page faults on write", write_faults(p + 11 * PAGE + 5));
	CHECK("neighbours intact",
	      p[9 * PAGE] == pattern(9 * PAGE, 1) && p[12 * PAGE] == pattern(12 * PAGE, 1));
	CHECK("mprotect page 0 read-only", mprotect(p, PAGE, PROT_READ) == 0);
	CHECK("write to read-only page faults", write_faults(p + 100));
	CHECK("it still reads", p[100] == pattern(100, 1));
	CHECK("page 1 still writable", !write_faults(p + PAGE));
	CHECK("mprotect PROT_NONE", mprotect(p + 2 * PAGE, PAGE, PROT_NONE) == 0);
	CHECK("PROT_NONE page faults on read", read_faults(p + 2 * PAGE));
	CHECK("mprotect back to read-write",
	      mprotect(p, 3 * PAGE, PROT_READ | PROT_WRITE) == 0 && !write_faults(p + 2 * PAGE));
	printf("faults caught: %d\n", (int)faults);
	/* The system calls themselves: musl's mprotect() rounds the address down. */
	EXPECT_ERRNO("mprotect unaligned", syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);
	EXPECT_ERRNO("munmap unaligned", syscall(SYS_munmap, p + 1, PAGE), EINVAL);

	/* madvise(MADV_DONTNEED) drops private anonymous pages: they read as zero */
	fill(p + 20 * PAGE, 4 * PAGE, 9);
	CHECK("madvise MADV_DONTNEED", madvise(p + 20 * PAGE, 4 * PAGE, MADV_DONTNEED) == 0);
	CHECK("dropped pages read as zero", all_zero(p + 20 * PAGE, 4 * PAGE));
	CHECK("madvise MADV_WILLNEED", madvise(p + 30 * PAGE, PAGE, MADV_WILLNEED) == 0);

	/* mremap: grow (maybe moving), contents kept; shrink */
	fill(p + 100 * PAGE, 156 * PAGE, 3);
	q = mremap(p + 100 * PAGE, 156 * PAGE, 1024 * PAGE, MREMAP_MAYMOVE);
	CHECK("mremap 624 KiB -> 4 MiB", q != MAP_FAILED);
	if (q != MAP_FAILED) {
		CHECK("contents moved along", holds(q, 156 * PAGE, 3));
		CHECK("the new part is zero", all_zero(q + 156 * PAGE, (1024 - 156) * PAGE));
		fill(q, 1024 * PAGE, 4);
		q = mremap(q, 1024 * PAGE, 8 * PAGE, 0);
		CHECK("mremap shrink in place", q != MAP_FAILED && holds(q, 8 * PAGE, 4));
		CHECK("munmap the rest", q != MAP_FAILED && munmap(q, 8 * PAGE) == 0);
	}
	CHECK("munmap the first part", munmap(p, 100 * PAGE) == 0);

	/* A file-backed private mapping of a file written here */
	fd = open("mapped.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
	q = malloc(3 * PAGE + 100);
	fill(q, 3 * PAGE + 100, 5);
	CHECK("write a file of 3 pages + 100 bytes",
	      fd >= 0 && write(fd, q, 3 * PAGE + 100) == (ssize_t)(3 * PAGE + 100));
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK("mmap it MAP_PRIVATE", p != MAP_FAILED);
	if (p != MAP_FAILED) {
		CHECK("mapping shows the file", holds(p, 3 * PAGE + 100, 5));
		CHECK("past the end of file: zeros to the page's end",
		      all_zero(p + 3 * PAGE + 100, PAGE - 100));
		p[0] ^= 0xff;
		p[PAGE + 1] ^= 0xff;
		uint8_t c0 = 0, c1 = 0;

		CHECK("private writes stay private",
		      pread(fd, &c0, 1, 0) == 1 && pread(fd, &c1, 1, PAGE + 1) == 1 &&
			      c0 == pattern(0, 5) && c1 == pattern(PAGE + 1, 5));
		uint8_t flipped = pattern(0, 5);

		flipped ^= 0xff;
		CHECK("the mapping has them", p[0] == flipped);
		munmap(p, 4 * PAGE);
	}
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 2 * PAGE);
	CHECK("mmap at offset 2 pages", p != MAP_FAILED && p[0] == pattern(2 * PAGE, 5) &&
						p[PAGE - 1] == pattern(3 * PAGE - 1, 5));
	if (p != MAP_FAILED) {
		CHECK("read-only file mapping faults on write", write_faults(p));
		munmap(p, PAGE);
	}
	EXPECT_ERRNO("mmap unaligned offset", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100),
		     EINVAL);
	close(fd);
	EXPECT_ERRNO("mmap a closed fd", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0), EBADF);
	EXPECT_ERRNO("mmap length 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		     EINVAL);
	unlink("mapped.bin");
	free(q);

	/* mmap stress: many sizes, some kept while others come and go */
	{
		enum { KEEP = 16 };
		uint8_t *kept[KEEP] = { 0 };
		size_t klen[KEEP] = { 0 };
		bool ok = true;

		for (int i = 0; i < 300; i++) {
			size_t len = i % 50 == 0 ? (size_t)(rnd() % (4 << 20)) + 1 :
						   (size_t)(rnd() % (64 * PAGE)) + 1;
			int slot = (int)(rnd() % KEEP);

			if (kept[slot]) {
				if (!holds(kept[slot], klen[slot], (uint32_t)klen[slot]) ||
				    munmap(kept[slot], klen[slot]))
					ok = false;
			}
			kept[slot] = mmap(NULL, len, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			klen[slot] = len;
			if (kept[slot] == MAP_FAILED) {
				kept[slot] = NULL;
				ok = false;
				continue;
			}
			/* Touch the first and last page and a stripe between. */
			if (kept[slot][0] || kept[slot][len - 1])
				ok = false;
			fill(kept[slot], len, (uint32_t)len);
		}
		for (int s = 0; s < KEEP; s++)
			if (kept[s] && (!holds(kept[s], klen[s], (uint32_t)klen[s]) ||
					munmap(kept[s], klen[s])))
				ok = false;
		CHECK("mmap stress (300 mappings up to 4 MiB, contents checked)", ok);
	}
	printf("memory: done\n");
	return apps_status;
}
