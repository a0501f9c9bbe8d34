/*
 * The allocation patterns of bench/alloc, written once and compiled into
 * every side of the comparison: the kernel (kmalloc), the host (the kernel's
 * allocator core, and glibc's malloc) and a static program on the Linux
 * guest (glibc's malloc).
 *
 * The includer defines, before including this file:
 *   PATTERN_PREFIX      a name prefix for the functions below
 *   PATTERN_ALLOC(n)    allocate n bytes
 *   PATTERN_FREE(p)     free it
 *   PATTERN_NOW()       a monotonic clock in nanoseconds (uint64_t)
 *   PATTERN_PRINT(...)  printf-style output
 *
 * Each pattern prints "ALLOC <name> <ns per malloc+free pair>" with two
 * decimals, taking the best of PATTERN_ROUNDS rounds.
 */
#include <stdint.h>

#define PATTERN_CAT2(a, b) a##b
#define PATTERN_CAT(a, b) PATTERN_CAT2(a, b)
#define PATTERN_FN(name) PATTERN_CAT(PATTERN_PREFIX, name)

#ifndef PATTERN_ROUNDS
#define PATTERN_ROUNDS 15
#endif

/* Keeps the compiler from pairing an allocation with its free and dropping both. */
static inline void PATTERN_FN(escape)(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static void PATTERN_FN(report)(const char *name, uint64_t best_ns, uint64_t pairs)
{
	uint64_t centi = best_ns * 100 / pairs;

	PATTERN_PRINT("ALLOC %s %llu.%02llu\n", name, (unsigned long long)(centi / 100),
		      (unsigned long long)(centi % 100));
}

/* n malloc+free pairs of one size. */
static uint64_t PATTERN_FN(pairs)(unsigned size, uint64_t n)
{
	uint64_t t0 = PATTERN_NOW();

	for (uint64_t i = 0; i < n; i++) {
		void *p = PATTERN_ALLOC(size);

		PATTERN_FN(escape)(p);
		PATTERN_FREE(p);
	}
	return PATTERN_NOW() - t0;
}

/*
 * A mixed pattern: 1024 slots, each step frees a random live slot or fills
 * an empty one with a size from 16 to 4096 (smaller sizes more likely), so
 * blocks live for a while and free out of order.  Returns the time for n
 * steps; every step is one malloc or one free, so pairs = n / 2.
 */
static uint64_t PATTERN_FN(mixed)(uint64_t n)
{
	static void *slot[1024];
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint64_t t0 = PATTERN_NOW();

	for (uint64_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned k = (unsigned)(seed >> 54);

		if (slot[k]) {
			PATTERN_FREE(slot[k]);
			slot[k] = 0;
		} else {
			unsigned shift = 4 + (unsigned)((seed >> 20) % 9); /* 16 .. 4096 */
			unsigned size =
				(1u << shift) - (unsigned)((seed >> 30) % (1u << (shift - 1)));

			slot[k] = PATTERN_ALLOC(size);
			PATTERN_FN(escape)(slot[k]);
		}
	}
	uint64_t t = PATTERN_NOW() - t0;

	for (unsigned k = 0; k < 1024; k++) {
		PATTERN_FREE(slot[k]);
		slot[k] = 0;
	}
	return t;
}

static void PATTERN_FN(run_all)(uint64_t n, unsigned max_size)
{
	static const unsigned sizes[] = { 16, 64, 256, 1024, 2048, 4096 };
	char name[16];

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t best = ~0ull;

		if (sizes[s] > max_size)
			continue;
		PATTERN_FN(pairs)(sizes[s], n / 10); /* warm up */
		for (int r = 0; r < PATTERN_ROUNDS; r++) {
			uint64_t t = PATTERN_FN(pairs)(sizes[s], n);

			best = t < best ? t : best;
		}
		/* "size16" .. "size4096", without snprintf in every environment. */
		unsigned v = sizes[s], len = 0;
		char digits[8];

		do {
			digits[len++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		for (unsigned i = 0; i < 4; i++)
			name[i] = "size"[i];
		for (unsigned i = 0; i < len; i++)
			name[4 + i] = digits[len - 1 - i];
		name[4 + len] = 0;
		PATTERN_FN(report)(name, best, n);
	}
	if (max_size >= 4096) {
		uint64_t best = ~0ull;

		PATTERN_FN(mixed)(n / 10);
		for (int r = 0; r < PATTERN_ROUNDS; r++) {
			uint64_t t = PATTERN_FN(mixed)(n);

			best = t < best ? t : best;
		}
		PATTERN_FN(report)("mixed", best, n / 2);
	}
}
