/*
 * The CMOS real-time clock (the MC146818 of pc and q35; microvm has one
 * only with rtc=on): the wall clock, to the second, read on demand.  The
 * registers are taken to hold UTC, as QEMU's default (-rtc base=utc) does.
 */
#ifndef OSPREY_RTC_H
#define OSPREY_RTC_H

#include <osprey/kernel.h>

/* The registers the time comes from, as read from the chip. */
struct rtc_regs {
	uint8_t sec, min, hour, mday, mon, year;
	uint8_t century;  /* register 0x32 (the ACPI FADT's usual century index) */
	uint8_t status_b; /* data mode (BCD or binary) and 12/24-hour mode */
};

/*
 * Reads the clock: seconds since 1970-01-01 00:00 UTC.  0, -ENODEV when
 * there is no RTC (its ports read 0xff), -EIO when it keeps updating or
 * holds an impossible date.  Waits out an update in progress: up to ~2 ms.
 * Not reentrant: the caller serialises calls (vdso.c holds its lock).
 */
int rtc_read(int64_t *sec);

/*
 * Converts registers to seconds since 1970 (pure, for tests): BCD or binary
 * and 12- or 24-hour per status_b; the century register when it holds 19,
 * 20 or 21, else 20xx.  0, or -EINVAL for an impossible date or time.
 */
int rtc_decode(const struct rtc_regs *r, int64_t *sec);

#endif
