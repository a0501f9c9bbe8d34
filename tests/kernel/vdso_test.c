/*
 * The vDSO (kernel/linux/vdso.c, kernel/linux/vdso/): the image as a C
 * library sees it -- parsed here from scratch, its symbols found through
 * DT_HASH as musl does and through DT_GNU_HASH as glibc does, each with
 * version LINUX_2.6 -- and the clocks: the data page against clock_ns(),
 * monotonicity, the realtime offset, resolutions, setting the wall clock,
 * the sequence counter under a concurrent writer, and the RTC decoder.
 *
 * Ring-3 calls into the image wait for the Linux layer: these tests read
 * the same data page with the same inline functions the vDSO runs.
 */
#include <string.h>

#include <osprey/boot.h>
#include <osprey/percpu.h>
#include <osprey/rtc.h>
#include <osprey/sched.h>
#include <osprey/test.h>
#include <osprey/time.h>
#include <osprey/vdso.h>

#include "../../kernel/linux/vdso_elf.h"

static const char *const exported[] = {
	"__vdso_clock_gettime", "clock_gettime", "__vdso_gettimeofday", "gettimeofday",
	"__vdso_time",		"time",		 "__vdso_clock_getres", "clock_getres",
	"__vdso_getcpu",	"getcpu",
};

/* ---- The image, parsed as a C library would ---- */

struct image {
	const uint8_t *base;
	size_t len;
	uint64_t dyn[8]; /* by tag index below; 0 when absent */
	bool has_rel;	 /* any relocation or TEXTREL entry */
};

enum { D_HASH, D_GNU_HASH, D_SYMTAB, D_STRTAB, D_STRSZ, D_VERSYM, D_VERDEF, D_SONAME };

static const void *at(const struct image *im, uint64_t off, uint64_t size)
{
	if (off > im->len || size > im->len - off)
		return NULL;
	return im->base + off;
}

static const char *str(const struct image *im, uint32_t off)
{
	const char *s = at(im, im->dyn[D_STRTAB] + off, 1);

	if (!s || off >= im->dyn[D_STRSZ])
		return NULL;
	return strnlen(s, im->dyn[D_STRSZ] - off) < im->dyn[D_STRSZ] - off ? s : NULL;
}

static const struct vdso_elf_phdr *phdr(const struct image *im, unsigned i)
{
	const struct vdso_elf_ehdr *eh = at(im, 0, sizeof(*eh));

	if (!eh || i >= eh->e_phnum)
		return NULL;
	return at(im, eh->e_phoff + (uint64_t)i * eh->e_phentsize, sizeof(struct vdso_elf_phdr));
}

static bool image_parse(struct image *im)
{
	const struct vdso_elf_phdr *ph;

	memset(im, 0, sizeof(*im));
	im->base = vdso_image(&im->len);
	for (unsigned i = 0; (ph = phdr(im, i)); i++) {
		if (ph->p_type != VDSO_PT_DYNAMIC)
			continue;
		for (uint64_t off = ph->p_offset; off < ph->p_offset + ph->p_filesz; off += 16) {
			const struct vdso_elf_dyn *d = at(im, off, sizeof(*d));

			if (!d || d->d_tag == VDSO_DT_NULL)
				break;
			switch (d->d_tag) {
			case VDSO_DT_HASH:
				im->dyn[D_HASH] = d->d_val;
				break;
			case VDSO_DT_GNU_HASH:
				im->dyn[D_GNU_HASH] = d->d_val;
				break;
			case VDSO_DT_SYMTAB:
				im->dyn[D_SYMTAB] = d->d_val;
				break;
			case VDSO_DT_STRTAB:
				im->dyn[D_STRTAB] = d->d_val;
				break;
			case VDSO_DT_STRSZ:
				im->dyn[D_STRSZ] = d->d_val;
				break;
			case VDSO_DT_VERSYM:
				im->dyn[D_VERSYM] = d->d_val;
				break;
			case VDSO_DT_VERDEF:
				im->dyn[D_VERDEF] = d->d_val;
				break;
			case VDSO_DT_SONAME:
				im->dyn[D_SONAME] = d->d_val;
				break;
			case VDSO_DT_REL:
			case VDSO_DT_RELA:
			case VDSO_DT_JMPREL:
			case VDSO_DT_TEXTREL:
				im->has_rel = true;
				break;
			}
		}
	}
	for (unsigned i = 0; i < ARRAY_SIZE(im->dyn); i++)
		if (!im->dyn[i])
			return false;
	return true;
}

static const struct vdso_elf_sym *sym(const struct image *im, uint32_t i)
{
	return at(im, im->dyn[D_SYMTAB] + (uint64_t)i * sizeof(struct vdso_elf_sym),
		  sizeof(struct vdso_elf_sym));
}

/* musl's checkver(): the symbol's version index names a non-base definition `name`. */
static bool version_ok(const struct image *im, uint32_t i, const char *name)
{
	const uint16_t *vs = at(im, im->dyn[D_VERSYM] + i * 2, 2);
	uint64_t off = im->dyn[D_VERDEF];

	if (!vs)
		return false;
	for (int n = 0; n < 16; n++) {
		const struct vdso_elf_verdef *vd = at(im, off, sizeof(*vd));

		if (!vd)
			return false;
		if (!(vd->vd_flags & VDSO_VER_FLG_BASE) && vd->vd_ndx == (*vs & 0x7fff)) {
			const struct vdso_elf_verdaux *a = at(im, off + vd->vd_aux, sizeof(*a));
			const char *s = a ? str(im, a->vda_name) : NULL;

			return s && strcmp(s, name) == 0;
		}
		if (!vd->vd_next)
			return false;
		off += vd->vd_next;
	}
	return false;
}

static bool sym_matches(const struct image *im, uint32_t i, const char *name)
{
	const struct vdso_elf_sym *s = sym(im, i);
	const char *n = s ? str(im, s->st_name) : NULL;
	unsigned type = s ? s->st_info & 0xf : 0, bind = s ? s->st_info >> 4 : 0;

	return n && strcmp(n, name) == 0 && s->st_shndx != 0 && type == VDSO_STT_FUNC &&
	       (bind == VDSO_STB_GLOBAL || bind == VDSO_STB_WEAK) &&
	       version_ok(im, i, VDSO_VERSION_NAME);
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0;

	while (*s) {
		h = (h << 4) + (uint8_t)*s++;
		h ^= (h & 0xf0000000) >> 24;
		h &= 0x0fffffff;
	}
	return h;
}

/* Lookup through DT_HASH's buckets and chains: the symbol's value, or 0. */
static uint64_t lookup_sysv(const struct image *im, const char *name)
{
	const uint32_t *h = at(im, im->dyn[D_HASH], 8);

	if (!h || !h[0] || !(h = at(im, im->dyn[D_HASH], 8 + 4ull * (h[0] + h[1]))))
		return 0;
	const uint32_t *bucket = h + 2, *chain = bucket + h[0];

	for (uint32_t i = bucket[sysv_hash(name) % h[0]], n = 0; i && i < h[1] && n < h[1];
	     i = chain[i], n++)
		if (sym_matches(im, i, name))
			return sym(im, i)->st_value;
	return 0;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	while (*s)
		h = h * 33 + (uint8_t)*s++;
	return h;
}

/* Lookup through DT_GNU_HASH (bloom filter, buckets, hash chain): the value, or 0. */
static uint64_t lookup_gnu(const struct image *im, const char *name)
{
	const uint32_t *g = at(im, im->dyn[D_GNU_HASH], 16);

	if (!g || !g[0] || !g[2])
		return 0;
	uint32_t nbuckets = g[0], symoffset = g[1], bloom_size = g[2], shift = g[3];
	uint32_t h = gnu_hash(name);
	const uint64_t *bloom = at(im, im->dyn[D_GNU_HASH] + 16, 8ull * bloom_size);
	const uint32_t *bucket =
		at(im, im->dyn[D_GNU_HASH] + 16 + 8ull * bloom_size, 4ull * nbuckets);

	if (!bloom || !bucket)
		return 0;
	uint64_t word = bloom[(h / 64) % bloom_size];

	if (!((word >> (h % 64)) & (word >> ((h >> shift) % 64)) & 1))
		return 0; /* the filter says no: it must not, for an exported name */
	uint64_t chain = im->dyn[D_GNU_HASH] + 16 + 8ull * bloom_size + 4ull * nbuckets;

	for (uint32_t i = bucket[h % nbuckets]; i >= symoffset && i < 64; i++) {
		const uint32_t *h2 = at(im, chain + 4ull * (i - symoffset), 4);

		if (!h2)
			return 0;
		if ((*h2 | 1) == (h | 1) && sym_matches(im, i, name))
			return sym(im, i)->st_value;
		if (*h2 & 1)
			return 0;
	}
	return 0;
}

TEST(vdso, image_is_a_page_aligned_elf_shared_object)
{
	struct image im;
	const struct vdso_elf_ehdr *eh;
	const struct vdso_elf_phdr *ph;
	int loads = 0, dynamics = 0, notes = 0;

	image_parse(&im);
	EXPECT_EQ(t, (uintptr_t)im.base % 4096, 0);
	EXPECT_EQ(t, im.len % 4096, 0);
	EXPECT_GT(t, im.len, 0);
	EXPECT_LE(t, im.len, 8192);
	eh = at(&im, 0, sizeof(*eh));
	EXPECT_TRUE(t, eh && memcmp(eh->e_ident, "\177ELF\2\1\1", 7) == 0); /* 64-bit LSB v1 */
	if (!eh)
		return;
	EXPECT_EQ(t, eh->e_type, VDSO_ET_DYN);
	EXPECT_EQ(t, eh->e_machine, VDSO_EM_X86_64);
	EXPECT_EQ(t, eh->e_phentsize, sizeof(struct vdso_elf_phdr));
	for (unsigned i = 0; (ph = phdr(&im, i)); i++) {
		if (ph->p_type == VDSO_PT_LOAD) {
			loads++;
			EXPECT_EQ(t, ph->p_offset, 0);
			EXPECT_EQ(t, ph->p_vaddr, 0);
			EXPECT_EQ(t, ph->p_flags, VDSO_PF_R | VDSO_PF_X);
			EXPECT_EQ(t, ph->p_filesz, ph->p_memsz);
			EXPECT_LE(t, ph->p_memsz, im.len);
		}
		dynamics += ph->p_type == VDSO_PT_DYNAMIC;
		notes += ph->p_type == VDSO_PT_NOTE;
	}
	EXPECT_EQ(t, loads, 1);
	EXPECT_EQ(t, dynamics, 1);
	EXPECT_EQ(t, notes, 1);
}

TEST(vdso, dynamic_section_has_what_libcs_read_and_no_relocation)
{
	struct image im;

	EXPECT_TRUE(
		t,
		image_parse(
			&im)); /* DT_HASH, GNU_HASH, SYMTAB, STRTAB, STRSZ, VERSYM, VERDEF, SONAME */
	EXPECT_FALSE(t, im.has_rel);
	if (im.dyn[D_SONAME] && im.dyn[D_STRTAB] && im.dyn[D_STRSZ])
		EXPECT_STREQ(t, str(&im, (uint32_t)im.dyn[D_SONAME]), VDSO_SONAME);
}

TEST(vdso, symbols_found_through_dt_hash_with_version)
{
	struct image im;

	EXPECT_TRUE(t, image_parse(&im));
	for (unsigned i = 0; i < ARRAY_SIZE(exported); i++) {
		uint64_t off = 0, v = lookup_sysv(&im, exported[i]);

		if (!v)
			test_fail(t, __FILE__, __LINE__, "%s@LINUX_2.6 not found by DT_HASH",
				  exported[i]);
		EXPECT_EQ(t, vdso_symbol(exported[i], &off), 0);
		EXPECT_EQ(t, off, v);
	}
}

TEST(vdso, symbols_found_through_dt_gnu_hash_with_version)
{
	struct image im;

	EXPECT_TRUE(t, image_parse(&im));
	for (unsigned i = 0; i < ARRAY_SIZE(exported); i++) {
		uint64_t v = lookup_gnu(&im, exported[i]);

		if (!v)
			test_fail(t, __FILE__, __LINE__, "%s@LINUX_2.6 not found by DT_GNU_HASH",
				  exported[i]);
		EXPECT_EQ(t, v, lookup_sysv(&im, exported[i]));
	}
}

TEST(vdso, plain_names_alias_the_vdso_names_in_text)
{
	struct image im;
	const struct vdso_elf_phdr *ph;
	uint64_t text_end = 0;

	image_parse(&im);
	for (unsigned i = 0; (ph = phdr(&im, i)); i++)
		if (ph->p_type == VDSO_PT_LOAD)
			text_end = ph->p_vaddr + ph->p_memsz;
	for (unsigned i = 0; i < ARRAY_SIZE(exported); i += 2) {
		uint64_t a = 0, b = 0;

		EXPECT_EQ(t, vdso_symbol(exported[i], &a), 0);
		EXPECT_EQ(t, vdso_symbol(exported[i + 1], &b), 0);
		EXPECT_EQ(t, a, b);
		EXPECT_GT(t, a, 0);
		EXPECT_LT(t, a, text_end);
	}
}

TEST(vdso, unknown_and_hidden_symbols_are_not_found)
{
	uint64_t off = 1234;

	EXPECT_EQ(t, vdso_symbol("__vdso_getrandom", &off), -ENOENT);
	EXPECT_EQ(t, vdso_symbol("vdso_vvar", &off), -ENOENT); /* hidden: the data page */
	EXPECT_EQ(t, vdso_symbol("", &off), -ENOENT);
	EXPECT_EQ(t, vdso_symbol("LINUX_2.6", &off), -ENOENT); /* the version's own symbol */
	EXPECT_EQ(t, off, 1234);
}

/* ---- The data page and the clocks ---- */

static int64_t ns_of(int64_t sec, int64_t nsec)
{
	return sec * VDSO_NSEC_PER_SEC + nsec;
}

static int64_t clock_now_ns(struct test_ctx *t, int clock)
{
	int64_t sec = 0, nsec = 0;

	EXPECT_EQ(t, time_clock_get(clock, &sec, &nsec), 0);
	EXPECT_GE(t, nsec, 0);
	EXPECT_LT(t, nsec, VDSO_NSEC_PER_SEC);
	return ns_of(sec, nsec);
}

TEST(vdso, data_page_holds_the_kernel_clock)
{
	struct vdso_data *d = vdso_data_page();
	struct vdso_snapshot s;

	EXPECT_EQ(t, (uintptr_t)d % 4096, 0);
	vdso_read(d, &s);
	EXPECT_EQ(t, d->seq % 2, 0);
	EXPECT_GE(t, d->seq, 2);
	EXPECT_EQ(t, s.tsc0, boot_info.tsc0);
	EXPECT_EQ(t, s.mult, (1000000000ull << 32) / tsc_hz());
	EXPECT_TRUE(t, s.flags & VDSO_TSC_USABLE); /* the tests run on a calibrated clock */
	EXPECT_EQ(t, s.coarse_res, 4000000);
}

TEST(vdso, arithmetic_is_clock_ns)
{
	struct vdso_snapshot s;
	static const uint64_t ticks[] = { 0, 1, 999, 1ull << 32, 123456789012ull, 1ull << 50 };

	vdso_read(vdso_data_page(), &s);
	/* The same formula on the same numbers: exact. */
	for (unsigned i = 0; i < ARRAY_SIZE(ticks); i++) {
		s.tsc = s.tsc0 + ticks[i];
		EXPECT_EQ(t, vdso_monotonic_ns(&s), tsc_to_ns(ticks[i]));
	}
	/* And read now: between two clock_ns() reads, give or take an unordered rdtsc. */
	for (int i = 0; i < 1000; i++) {
		uint64_t a = clock_ns();
		int64_t b = clock_now_ns(t, VDSO_CLOCK_MONOTONIC);
		uint64_t c = clock_ns();

		EXPECT_GE(t, b + 1000, (int64_t)a);
		EXPECT_LE(t, b, (int64_t)c + 1000);
	}
}

TEST(vdso, monotonic_clocks_never_go_backwards)
{
	static const int clocks[] = { VDSO_CLOCK_MONOTONIC, VDSO_CLOCK_MONOTONIC_RAW,
				      VDSO_CLOCK_BOOTTIME, VDSO_CLOCK_MONOTONIC_COARSE };

	for (unsigned c = 0; c < ARRAY_SIZE(clocks); c++) {
		int64_t prev = clock_now_ns(t, clocks[c]);
		int backwards = 0;

		for (int i = 0; i < 20000; i++) {
			int64_t now;

			now = clock_now_ns(t, clocks[c]);
			backwards += now < prev;
			prev = now;
		}
		EXPECT_EQ(t, backwards, 0);
	}
}

TEST(vdso, realtime_is_monotonic_plus_the_offset)
{
	struct vdso_snapshot s;
	int64_t sec, nsec;

	/* Through the system call first: that reads the wall clock if nobody has. */
	clock_now_ns(t, VDSO_CLOCK_REALTIME);
	vdso_read(vdso_data_page(), &s);
	EXPECT_TRUE(t, s.flags & VDSO_REALTIME_SET);
	vdso_clock_at(&s, VDSO_CLOCK_MONOTONIC, &sec, &nsec);
	int64_t mono = ns_of(sec, nsec);

	vdso_clock_at(&s, VDSO_CLOCK_REALTIME, &sec, &nsec);
	EXPECT_EQ(t, ns_of(sec, nsec) - mono, s.realtime_offset);
	/* Two calls a moment apart: the same within the moment. */
	int64_t m0 = clock_now_ns(t, VDSO_CLOCK_MONOTONIC);
	int64_t r = clock_now_ns(t, VDSO_CLOCK_REALTIME);
	int64_t m1 = clock_now_ns(t, VDSO_CLOCK_MONOTONIC);

	EXPECT_GE(t, r - s.realtime_offset, m0);
	EXPECT_LE(t, r - s.realtime_offset, m1);
}

TEST(vdso, coarse_clocks_round_down_to_their_resolution)
{
	struct vdso_snapshot s;
	static const int pairs[][2] = { { VDSO_CLOCK_MONOTONIC, VDSO_CLOCK_MONOTONIC_COARSE },
					{ VDSO_CLOCK_REALTIME, VDSO_CLOCK_REALTIME_COARSE } };

	clock_now_ns(t, VDSO_CLOCK_REALTIME);
	vdso_read(vdso_data_page(), &s);
	for (unsigned i = 0; i < ARRAY_SIZE(pairs); i++) {
		int64_t sec, nsec, fine, coarse;

		vdso_clock_at(&s, pairs[i][0], &sec, &nsec);
		fine = ns_of(sec, nsec);
		vdso_clock_at(&s, pairs[i][1], &sec, &nsec);
		coarse = ns_of(sec, nsec);
		EXPECT_LE(t, coarse, fine);
		EXPECT_LT(t, fine - coarse, (int64_t)s.coarse_res);
		EXPECT_EQ(t, coarse % (int64_t)s.coarse_res, 0);
	}
}

TEST(vdso, clocks_and_resolutions)
{
	static const int all[] = { 0, 1, 4, 5, 6, 7 };
	/* The CPU-time clocks are the process's: the Linux layer answers them (sys_time.c). */
	static const int bad[] = { -1, 2, 3, 8, 9, 11, 100, -6 /* a CPU clock of pid 0 */ };
	int64_t sec = 7, nsec = 7;

	for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
		bool coarse = vdso_clock_is_coarse(all[i]);

		EXPECT_EQ(t, time_clock_get(all[i], &sec, &nsec), 0);
		EXPECT_EQ(t, time_clock_getres(all[i], &sec, &nsec), 0);
		EXPECT_EQ(t, sec, 0);
		EXPECT_EQ(t, nsec, coarse ? 4000000 : 1);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		sec = nsec = 7;
		EXPECT_EQ(t, time_clock_get(bad[i], &sec, &nsec), -EINVAL);
		EXPECT_EQ(t, time_clock_getres(bad[i], &sec, &nsec), -EINVAL);
		EXPECT_EQ(t, sec, 7);
		EXPECT_EQ(t, nsec, 7);
	}
	/* The vDSO serves all but the CPU-time clocks; those go to the system call. */
	EXPECT_FALSE(t, vdso_clock_served(VDSO_CLOCK_PROCESS_CPUTIME_ID));
	EXPECT_FALSE(t, vdso_clock_served(VDSO_CLOCK_THREAD_CPUTIME_ID));
	EXPECT_TRUE(t, vdso_clock_served(VDSO_CLOCK_BOOTTIME));
}

TEST(vdso, setting_the_wall_clock)
{
	struct vdso_data *d = vdso_data_page();
	int64_t before = clock_now_ns(t, VDSO_CLOCK_REALTIME);
	int64_t mono0 = clock_now_ns(t, VDSO_CLOCK_MONOTONIC);
	int64_t want = ns_of(1700000000, 500000000);
	uint32_t seq = d->seq;

	EXPECT_EQ(t, time_set_realtime(1700000000, 500000000), 0);
	EXPECT_EQ(t, d->seq, seq + 2);
	int64_t now = clock_now_ns(t, VDSO_CLOCK_REALTIME);

	EXPECT_GE(t, now, want);
	EXPECT_LT(t, now, want + 1000000000);
	EXPECT_EQ(t, time_set_realtime(-1, 0), -EINVAL);
	EXPECT_EQ(t, time_set_realtime(0, -1), -EINVAL);
	EXPECT_EQ(t, time_set_realtime(0, VDSO_NSEC_PER_SEC), -EINVAL);
	EXPECT_EQ(t, time_set_realtime(VDSO_REALTIME_MAX_SEC + 1, 0), -EINVAL);
	EXPECT_EQ(t, d->seq, seq + 2);
	/* 1970 is settable; then back to where the clock was, plus the time spent here. */
	EXPECT_EQ(t, time_set_realtime(0, 0), 0);
	EXPECT_LT(t, clock_now_ns(t, VDSO_CLOCK_REALTIME), 1000000000);
	int64_t back = before + clock_now_ns(t, VDSO_CLOCK_MONOTONIC) - mono0;

	EXPECT_EQ(t, time_set_realtime(back / VDSO_NSEC_PER_SEC, back % VDSO_NSEC_PER_SEC), 0);
	EXPECT_GE(t, clock_now_ns(t, VDSO_CLOCK_REALTIME), back);
}

TEST(vdso, wall_clock_comes_from_the_rtc_if_there_is_one)
{
	int64_t rtc = 0;
	int ret = rtc_read(&rtc);
	int64_t real = clock_now_ns(t, VDSO_CLOCK_REALTIME) / VDSO_NSEC_PER_SEC;

	if (ret == -ENODEV) {
		/* microvm with rtc=off: the wall clock counts from 1970 at boot. */
		EXPECT_LT(t, real, clock_ns() / VDSO_NSEC_PER_SEC + 2);
		return;
	}
	EXPECT_EQ(t, ret, 0);
	EXPECT_GT(t, rtc, 1577836800); /* 2020-01-01: QEMU's RTC holds the host's time */
	/* Read at most once per boot and to the second; a test may have set it since (and back). */
	EXPECT_LE(t, real - rtc, 2);
	EXPECT_GE(t, real - rtc, -2);
}

/* ---- The sequence counter against a writer on another CPU ---- */

struct seq_stress {
	struct vdso_data page;
	volatile bool stop;
	uint64_t writes;
};

static void seq_writer(void *arg)
{
	struct seq_stress *st = arg;

	/* At least a thousand writes, even if the reader is done before this runs. */
	for (uint64_t k = 1; k < 2000000 && (k <= 1000 || !st->stop); k++) {
		struct vdso_data v = { .flags = (uint32_t)k,
				       .tsc0 = k,
				       .mult = k,
				       .realtime_offset = (int64_t)k,
				       .coarse_res = k };

		preempt_disable();
		vdso_write(&st->page, &v);
		preempt_enable();
		st->writes = k;
	}
}

TEST(vdso, readers_never_see_a_torn_page)
{
	static struct seq_stress st;
	struct thread *th;
	uint64_t last = 0, torn = 0, backwards = 0;
	int cpu = nr_cpus > 1 ? (int)((cpu_id() + 1) % nr_cpus) : (int)cpu_id();

	memset(&st, 0, sizeof(st));
	EXPECT_EQ(t, thread_create_on(cpu, "vdso-writer", seq_writer, &st, &th), 0);
	for (int i = 0; i < 200000; i++) {
		struct vdso_snapshot s;

		vdso_read(&st.page, &s);
		torn += s.tsc0 != s.flags || s.mult != s.tsc0 || s.coarse_res != s.tsc0 ||
			(uint64_t)s.realtime_offset != s.tsc0;
		backwards += s.tsc0 < last;
		last = s.tsc0;
	}
	st.stop = true;
	thread_join(th);
	EXPECT_EQ(t, torn, 0);
	EXPECT_EQ(t, backwards, 0);
	EXPECT_GT(t, st.writes, 0);
	EXPECT_EQ(t, st.page.seq, 2 * st.writes);
}

/* ---- The RTC's registers ---- */

static int decode(uint8_t b, uint8_t y, uint8_t mo, uint8_t d, uint8_t h, uint8_t mi, uint8_t s,
		  uint8_t c, int64_t *sec)
{
	struct rtc_regs r = { .sec = s,
			      .min = mi,
			      .hour = h,
			      .mday = d,
			      .mon = mo,
			      .year = y,
			      .century = c,
			      .status_b = b };

	*sec = -1;
	return rtc_decode(&r, sec);
}

#define BCD 0x00
#define BIN 0x04
#define H24 0x02
#define PM 0x80

TEST(rtc, decodes_bcd_and_binary)
{
	int64_t sec;

	EXPECT_EQ(t, decode(BCD | H24, 0x24, 0x02, 0x29, 0x13, 0x45, 0x30, 0x20, &sec), 0);
	EXPECT_EQ(t, sec, 1709214330); /* 2024-02-29 13:45:30 */
	EXPECT_EQ(t, decode(BIN | H24, 24, 2, 29, 13, 45, 30, 20, &sec), 0);
	EXPECT_EQ(t, sec, 1709214330);
	EXPECT_EQ(t, decode(BCD | H24, 0x70, 0x01, 0x01, 0x00, 0x00, 0x00, 0x19, &sec), 0);
	EXPECT_EQ(t, sec, 0);
	EXPECT_EQ(t, decode(BCD | H24, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59, 0x19, &sec), 0);
	EXPECT_EQ(t, sec, 946684799);
	EXPECT_EQ(t, decode(BCD | H24, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 0x20, &sec), 0);
	EXPECT_EQ(t, sec, 951868800); /* 2000-03-01: after a 400-year leap day */
	EXPECT_EQ(t, decode(BCD | H24, 0x00, 0x03, 0x01, 0x00, 0x00, 0x00, 0x21, &sec), 0);
	EXPECT_EQ(t, sec, 4107542400); /* 2100-03-01: 2100 is not a leap year */
}

TEST(rtc, twelve_hour_mode)
{
	int64_t sec;

	EXPECT_EQ(t, decode(BCD, 0x23, 0x07, 0x04, 0x12, 0x05, 0x09, 0x20, &sec), 0);
	EXPECT_EQ(t, sec, 1688429109); /* 12:05:09 AM is 00:05:09 */
	EXPECT_EQ(t, decode(BCD, 0x23, 0x07, 0x04, PM | 0x12, 0x05, 0x09, 0x20, &sec), 0);
	EXPECT_EQ(t, sec, 1688472309); /* 12:05:09 PM */
	EXPECT_EQ(t, decode(BIN, 23, 7, 4, PM | 1, 5, 9, 20, &sec), 0);
	EXPECT_EQ(t, sec, 1688472309 + 3600);
	EXPECT_EQ(t, decode(BCD, 0x23, 0x07, 0x04, 0x00, 0x05, 0x09, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD, 0x23, 0x07, 0x04, 0x13, 0x05, 0x09, 0x20, &sec), -EINVAL);
}

TEST(rtc, century_register_when_plausible)
{
	int64_t sec;

	/* No century register (0 or 0xff), or nonsense: 20xx. */
	EXPECT_EQ(t, decode(BCD | H24, 0x24, 0x02, 0x29, 0x13, 0x45, 0x30, 0x00, &sec), 0);
	EXPECT_EQ(t, sec, 1709214330);
	EXPECT_EQ(t, decode(BCD | H24, 0x24, 0x02, 0x29, 0x13, 0x45, 0x30, 0xff, &sec), 0);
	EXPECT_EQ(t, sec, 1709214330);
	EXPECT_EQ(t, decode(BCD | H24, 0x24, 0x02, 0x29, 0x13, 0x45, 0x30, 0x35, &sec), 0);
	EXPECT_EQ(t, sec, 1709214330);
	/* 1969 is before the epoch. */
	EXPECT_EQ(t, decode(BCD | H24, 0x69, 0x12, 0x31, 0x23, 0x59, 0x59, 0x19, &sec), -EINVAL);
}

TEST(rtc, impossible_values_are_refused)
{
	int64_t sec;

	EXPECT_EQ(t, decode(BCD | H24, 0x23, 0x02, 0x29, 0, 0, 0, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD | H24, 0x23, 0x13, 0x01, 0, 0, 0, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD | H24, 0x23, 0x00, 0x01, 0, 0, 0, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD | H24, 0x23, 0x04, 0x31, 0, 0, 0, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD | H24, 0x23, 0x01, 0x00, 0, 0, 0, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD | H24, 0x23, 0x01, 0x01, 0x24, 0, 0, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD | H24, 0x23, 0x01, 0x01, 0, 0x60, 0, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD | H24, 0x23, 0x01, 0x01, 0, 0, 0x1a, 0x20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BIN | H24, 100, 1, 1, 0, 0, 0, 20, &sec), -EINVAL);
	EXPECT_EQ(t, decode(BCD | H24, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, &sec), -EINVAL);
	EXPECT_EQ(t, sec, -1);
}
