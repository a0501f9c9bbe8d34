/*
 * The CMOS real-time clock, read once for the wall clock (kernel/linux/vdso.c
 * calls rtc_read() on the first request for CLOCK_REALTIME, never at boot:
 * under TCG every instruction run at boot costs start-up time).
 *
 * The chip updates its time registers once a second; status register A's
 * UIP bit is set from 244 us before an update until it ends, so registers
 * read right after UIP reads clear are consistent.  A vCPU can still be
 * descheduled between the check and the reads, so the time is read twice,
 * each after UIP cleared, until two reads agree.
 *
 * Called by: kernel/linux/vdso.c, under its lock.  No state of its own.
 */
#include <string.h>

#include <osprey/arch/cpu.h>
#include <osprey/rtc.h>
#include <osprey/time.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_MDAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80	  /* update in progress */
#define RTC_B_24H 0x02	  /* hours 0-23, else 1-12 with RTC_HOUR_PM */
#define RTC_B_BINARY 0x04 /* binary values, else BCD */
#define RTC_HOUR_PM 0x80

#define RTC_UIP_WAIT_NS 10000000 /* an update lasts at most ~2 ms */
#define RTC_TRIES 5

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg); /* bit 7 clear: NMIs stay enabled */
	return inb(CMOS_DATA);
}

static bool wait_no_update(void)
{
	uint64_t end = clock_ns() + RTC_UIP_WAIT_NS;

	while (cmos_read(RTC_STATUS_A) & RTC_A_UIP) {
		if (clock_ns() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static void read_regs(struct rtc_regs *r)
{
	r->sec = cmos_read(RTC_SECONDS);
	r->min = cmos_read(RTC_MINUTES);
	r->hour = cmos_read(RTC_HOURS);
	r->mday = cmos_read(RTC_MDAY);
	r->mon = cmos_read(RTC_MONTH);
	r->year = cmos_read(RTC_YEAR);
	r->century = cmos_read(RTC_CENTURY);
	r->status_b = cmos_read(RTC_STATUS_B);
}

int rtc_read(int64_t *sec)
{
	struct rtc_regs a, b;

	/* No device behind the ports: the ISA bus reads all ones. */
	if (cmos_read(RTC_STATUS_A) == 0xff && cmos_read(RTC_STATUS_B) == 0xff)
		return -ENODEV;
	for (int i = 0; i < RTC_TRIES; i++) {
		if (!wait_no_update())
			return -EIO;
		read_regs(&a);
		if (!wait_no_update())
			return -EIO;
		read_regs(&b);
		if (memcmp(&a, &b, sizeof(a)) == 0)
			return rtc_decode(&a, sec);
	}
	return -EIO;
}

/* A register's value, BCD or binary; -1 when it is not a valid BCD byte. */
static int reg_value(uint8_t v, bool binary)
{
	if (binary)
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian, y >= 1970 (H. Hinnant's method). */
static int64_t days_from_civil(int y, int m, int d)
{
	/* Years that start in March put the leap day last. */
	y -= m <= 2;
	int era = y / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int64_t)era * 146097 + doe - 719468; /* 719468: the same count for 1970-01-01 */
}

int rtc_decode(const struct rtc_regs *r, int64_t *sec)
{
	bool binary = r->status_b & RTC_B_BINARY;
	bool h24 = r->status_b & RTC_B_24H;
	bool pm = !h24 && (r->hour & RTC_HOUR_PM);
	int s = reg_value(r->sec, binary);
	int min = reg_value(r->min, binary);
	int hour = reg_value(h24 ? r->hour : r->hour & ~RTC_HOUR_PM, binary);
	int mday = reg_value(r->mday, binary);
	int mon = reg_value(r->mon, binary);
	int yy = reg_value(r->year, binary);
	int century = reg_value(r->century, binary);

	if (s < 0 || s > 59 || min < 0 || min > 59 || yy < 0 || yy > 99)
		return -EINVAL;
	if (h24 && (hour < 0 || hour > 23))
		return -EINVAL;
	if (!h24) {
		if (hour < 1 || hour > 12)
			return -EINVAL;
		hour = hour % 12 + (pm ? 12 : 0); /* 12 AM is 0 h, 12 PM is 12 h */
	}
	if (century < 19 || century > 21)
		century = 20; /* no century register, or not a plausible one */
	int year = century * 100 + yy;

	if (year < 1970 || mon < 1 || mon > 12 || mday < 1 || mday > days_in_month(year, mon))
		return -EINVAL;
	*sec = days_from_civil(year, mon, mday) * 86400 + hour * 3600 + min * 60 + s;
	return 0;
}
