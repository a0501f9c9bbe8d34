/*
 * The local APIC (xAPIC registers through MMIO): the one-shot timer that
 * drives preemption and sleeps, and end-of-interrupt.  Set up on first use,
 * so a program that never needs a timer pays nothing at boot.
 */
#ifndef OSPREY_ARCH_APIC_H
#define OSPREY_ARCH_APIC_H

#include <stdint.h>

#define VEC_TIMER 0xef
#define VEC_RESCHED 0xf0 /* another CPU queued a thread here */
#define VEC_CALL 0xf1	 /* run smp_call_all()'s function */
#define VEC_SPURIOUS 0xff

int lapic_init(void);
/* Fires VEC_TIMER once, ns from now (0: cancel). */
void lapic_timer_oneshot(uint64_t ns);
void lapic_eoi(void);
uint64_t lapic_timer_hz(void);
void lapic_init_ap(void);
uint32_t lapic_id(void);
void lapic_send_ipi(uint32_t apic, uint8_t vector);
void lapic_send_init(uint32_t apic);
void lapic_send_startup(uint32_t apic, uint8_t page);

#endif
