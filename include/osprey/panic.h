/*
 * Stopping the kernel.  panic() prints the reason and a backtrace of its
 * caller; the exception path uses panic_begin()/panic_end() to put the
 * registers in between.  Either way the machine stops with status
 * PANIC_STATUS (docs/host-guest.md).
 */
#ifndef OSPREY_PANIC_H
#define OSPREY_PANIC_H

#include <osprey/format.h>
#include <osprey/kernel.h>

#define PANIC_STATUS 70
#define USAGE_STATUS 64

void panic_begin(const char *fmt, ...) __printf(1, 2);
void panic_end(void) __noreturn;

/* Stops the machine with the given status (kernel/arch/x86_64/power.c). */
void power_off(int status) __noreturn;

#endif
