/*
 * The vDSO's kernel side: its image, its data page, and the clocks behind
 * the Linux ABI's time system calls (docs/vdso.md).
 *
 * The data page holds what user space needs to tell the time by itself
 * (struct vdso_data, <osprey/vdso.h>): the TSC at the kernel's time 0, the
 * 32.32 multiplier of kernel/arch/x86_64/tsc.c, and the offset from the
 * monotonic clock to the wall clock.  publish() is its only writer, under
 * the sequence counter; every reader -- the vDSO in each process and
 * time_clock_get() here -- takes a snapshot with vdso_read() and does the
 * same arithmetic (vdso_clock_at()), so the vDSO and the system calls
 * cannot drift apart.
 *
 * Nothing happens at boot.  The page is filled on first use (ready()), and
 * the wall clock is read from the CMOS RTC on the first request for a
 * realtime clock: until then VDSO_REALTIME_SET is clear, so the vDSO hands
 * those requests to the system call, which lands in realtime_init().
 * Without an RTC, CLOCK_REALTIME starts at 0 (1970-01-01) at boot, until
 * someone sets it (time_set_realtime()).
 *
 * Locking: vdso_lock serialises the writers (publish() and the RTC read
 * before it); a leaf lock, taken with preemption off.  The page itself is
 * written with interrupts off, so that an interrupt handler reading the
 * time can never spin on an odd counter its own CPU left behind.  Readers
 * take no lock.
 *
 * Called by: the Linux layer (mapping the image and the data page; the
 * clock_gettime, gettimeofday, time, clock_getres, settimeofday and
 * clock_settime system calls) and the tests.
 */
#include <string.h>

#include <osprey/boot.h>
#include <osprey/log.h>
#include <osprey/percpu.h>
#include <osprey/rtc.h>
#include <osprey/spinlock.h>
#include <osprey/time.h>
#include <osprey/trace.h>
#include <osprey/vdso.h>

#include "vdso_elf.h"

TRACEPOINT(vdso_realtime_set, "sec=%ld source=%s", int64_t, const char *);

/* The coarse clocks' resolution: Linux's with HZ=250, a common setting. */
#define COARSE_RES_NS 4000000

/* kernel/linux/vdso/embed.S */
extern const uint8_t vdso_image_start[], vdso_image_end[];

static union {
	struct vdso_data d;
	uint8_t bytes[VDSO_DATA_SIZE];
} data_page __attribute__((aligned(VDSO_DATA_SIZE)));

static_assert(sizeof(data_page) == VDSO_DATA_SIZE, "the data page is one page");

static struct spinlock vdso_lock = SPINLOCK_INIT("vdso");
static bool published;		/* [a] the page was filled once */
static bool realtime_known;	/* [l] realtime_offset holds the wall clock */
static int64_t realtime_offset; /* [l] ns: realtime = monotonic + this */

static void lock(void)
{
	preempt_disable();
	raw_spin_lock(&vdso_lock);
}

static void unlock(void)
{
	raw_spin_unlock(&vdso_lock);
	preempt_enable();
}

/* Writes the page from the kernel clock and realtime_offset.  Caller holds vdso_lock. */
static void publish(void)
{
	struct vdso_data v = {
		.flags = realtime_known ? VDSO_REALTIME_SET : 0,
		.tsc0 = boot_info.tsc0,
		/* tsc.c's multiplier, computed the same way from the same rate. */
		.mult = (1000000000ull << 32) / tsc_hz(),
		.realtime_offset = realtime_offset,
		.coarse_res = COARSE_RES_NS,
	};

	if (clock_source() != CLOCK_SRC_NONE)
		v.flags |= VDSO_TSC_USABLE;
	uint64_t irq = irq_save();

	vdso_write(&data_page.d, &v);
	irq_restore(irq);
	/* release: pairs with the acquire in ready() */
	__atomic_store_n(&published, true, __ATOMIC_RELEASE);
}

void vdso_update(void)
{
	lock();
	publish();
	unlock();
}

/* Fills the page on first use; needs time_init() to have run. */
static void ready(void)
{
	/* acquire: pairs with the release at the end of publish() */
	if (likely(__atomic_load_n(&published, __ATOMIC_ACQUIRE)))
		return;
	ASSERT(tsc_hz() != 0);
	vdso_update();
}

/*
 * The first request for the wall clock reads the RTC (to the second: the
 * wall clock starts up to 1 s behind).  With preemption off for the read,
 * up to a few ms, once.
 */
static void realtime_init(void)
{
	int64_t sec = 0;
	int ret = 1; /* 1: someone else read it first */

	lock();
	if (!realtime_known) {
		ret = rtc_read(&sec);
		realtime_offset = ret ? 0 : sec * VDSO_NSEC_PER_SEC - (int64_t)clock_ns();
		realtime_known = true;
		publish();
	}
	unlock();
	if (ret < 0)
		pr_info("vdso: no RTC (%d): CLOCK_REALTIME counts from 1970-01-01 at boot\n", ret);
	if (ret <= 0)
		trace_vdso_realtime_set(sec, ret ? "none" : "rtc");
}

int time_set_realtime(int64_t sec, int64_t nsec)
{
	if (sec < 0 || sec > VDSO_REALTIME_MAX_SEC || nsec < 0 || nsec >= VDSO_NSEC_PER_SEC)
		return -EINVAL;
	lock();
	realtime_offset = sec * VDSO_NSEC_PER_SEC + nsec - (int64_t)clock_ns();
	realtime_known = true;
	publish();
	unlock();
	trace_vdso_realtime_set(sec, "set");
	return 0;
}

int time_clock_get(int clock, int64_t *sec, int64_t *nsec)
{
	struct vdso_snapshot s;

	if (!vdso_clock_served(clock))
		return -EINVAL;
	ready();
	vdso_read(&data_page.d, &s);
	if (vdso_clock_is_realtime(clock) && !(s.flags & VDSO_REALTIME_SET)) {
		realtime_init();
		vdso_read(&data_page.d, &s);
	}
	vdso_clock_at(&s, clock, sec, nsec);
	return 0;
}

int time_clock_getres(int clock, int64_t *sec, int64_t *nsec)
{
	struct vdso_snapshot s;

	if (!vdso_clock_served(clock))
		return -EINVAL;
	ready();
	vdso_read(&data_page.d, &s);
	*sec = 0;
	*nsec = vdso_clock_is_coarse(clock) ? (int64_t)s.coarse_res : 1;
	return 0;
}

const void *vdso_image(size_t *len)
{
	*len = (size_t)(vdso_image_end - vdso_image_start);
	return vdso_image_start;
}

void *vdso_data_page(void)
{
	ready();
	return &data_page;
}

/*
 * Symbol lookup in the image, the way musl's __vdsosym does it: the
 * DT_HASH table's chain count is the symbol count, and a function counts
 * only with version LINUX_2.6.  The image's one PT_LOAD starts at address
 * 0 and file offset 0 (checked by the build), so addresses are offsets.
 */

/* A pointer to size bytes at off in the image, or NULL if they are not all in it. */
static const void *image_at(uint64_t off, uint64_t size)
{
	size_t len;
	const uint8_t *img = vdso_image(&len);

	if (off > len || size > len - off)
		return NULL;
	return img + off;
}

static const char *image_str(uint64_t strtab, uint64_t strsz, uint32_t off)
{
	const char *s = image_at(strtab, strsz);

	if (!s || off >= strsz || strnlen(s + off, strsz - off) == strsz - off)
		return NULL;
	return s + off;
}

struct dyn_tables {
	uint64_t hash, symtab, strtab, strsz, versym, verdef;
};

static int dyn_tables(struct dyn_tables *t)
{
	const struct vdso_elf_ehdr *eh = image_at(0, sizeof(*eh));

	memset(t, 0, sizeof(*t));
	if (!eh || eh->e_phentsize != sizeof(struct vdso_elf_phdr))
		return -ENOENT;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const struct vdso_elf_phdr *ph =
			image_at(eh->e_phoff + i * sizeof(*ph), sizeof(*ph));

		if (!ph || ph->p_type != VDSO_PT_DYNAMIC)
			continue;
		for (uint64_t off = ph->p_offset; off + 16 <= ph->p_offset + ph->p_filesz;
		     off += 16) {
			const struct vdso_elf_dyn *dyn = image_at(off, sizeof(*dyn));

			if (!dyn || dyn->d_tag == VDSO_DT_NULL)
				break;
			if (dyn->d_tag == VDSO_DT_HASH)
				t->hash = dyn->d_val;
			else if (dyn->d_tag == VDSO_DT_SYMTAB)
				t->symtab = dyn->d_val;
			else if (dyn->d_tag == VDSO_DT_STRTAB)
				t->strtab = dyn->d_val;
			else if (dyn->d_tag == VDSO_DT_STRSZ)
				t->strsz = dyn->d_val;
			else if (dyn->d_tag == VDSO_DT_VERSYM)
				t->versym = dyn->d_val;
			else if (dyn->d_tag == VDSO_DT_VERDEF)
				t->verdef = dyn->d_val;
		}
	}
	return t->hash && t->symtab && t->strtab && t->strsz && t->versym && t->verdef ? 0 :
											 -ENOENT;
}

/* True if version index ndx is defined (not the base) and named name. */
static bool version_is(const struct dyn_tables *t, uint16_t ndx, const char *name)
{
	uint64_t off = t->verdef;

	for (int n = 0; n < 64; n++) {
		const struct vdso_elf_verdef *vd = image_at(off, sizeof(*vd));

		if (!vd)
			return false;
		if (!(vd->vd_flags & VDSO_VER_FLG_BASE) && vd->vd_ndx == (ndx & 0x7fff)) {
			const struct vdso_elf_verdaux *aux =
				image_at(off + vd->vd_aux, sizeof(*aux));
			const char *s = aux ? image_str(t->strtab, t->strsz, aux->vda_name) : NULL;

			return s && strcmp(s, name) == 0;
		}
		if (!vd->vd_next)
			return false;
		off += vd->vd_next;
	}
	return false;
}

int vdso_symbol(const char *name, uint64_t *offset)
{
	struct dyn_tables t;
	const uint32_t *hash;

	if (dyn_tables(&t) || !(hash = image_at(t.hash, 8)))
		return -ENOENT;
	for (uint32_t i = 1; i < hash[1]; i++) {
		const struct vdso_elf_sym *sym =
			image_at(t.symtab + i * sizeof(*sym), sizeof(*sym));
		const uint16_t *ver = image_at(t.versym + i * 2, 2);
		const char *s;

		if (!sym || !ver)
			return -ENOENT;
		s = image_str(t.strtab, t.strsz, sym->st_name);
		/* Functions only: not the version's own absolute symbol. */
		if ((sym->st_info & 0xf) != VDSO_STT_FUNC || !sym->st_shndx || !s ||
		    strcmp(s, name) != 0)
			continue;
		if (!version_is(&t, *ver, VDSO_VERSION_NAME))
			continue;
		*offset = sym->st_value;
		return 0;
	}
	return -ENOENT;
}
