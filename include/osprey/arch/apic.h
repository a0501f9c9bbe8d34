/*
 * The local APIC (xAPIC registers through MMIO): the one-shot timer that
 * drives preemption and sleeps, and end-of-interrupt.  Set up on first use,
 * so a program that never needs a timer pays nothing at boot.
 */
#ifndef OSPREY_ARCH_APIC_H
#define OSPREY_ARCH_APIC_H

#include <stdint.h>

#define VEC_TIMER 0xef
#define VEC_SPURIOUS 0xff

int lapic_init(void);
/* Fires VEC_TIMER once, ns from now (0: cancel). */
void lapic_timer_oneshot(uint64_t ns);
void lapic_eoi(void);
uint64_t lapic_timer_hz(void);

#endif
