/*
 * The local APIC (x2APIC MSRs, or xAPIC registers through MMIO): the timer
 * that drives preemption and sleeps (TSC-deadline, or one-shot), IPIs and
 * end-of-interrupt.  Set up on first use, so a program that never needs a
 * timer pays nothing at boot.
 */
#ifndef OSPREY_ARCH_APIC_H
#define OSPREY_ARCH_APIC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The kernel's interrupt vectors, all named here and nowhere else: 0..31
 * are the CPU's exceptions (trap.h names those it handles); device
 * interrupts get one each from VEC_DEVICE_FIRST..VEC_DEVICE_LAST, handed
 * out by irq_attach() (kernel/arch/x86_64/irq.c); the local APIC's own
 * sit above them (a higher vector is a higher priority class).
 */
#define VEC_DEVICE_FIRST 0x30
#define VEC_DEVICE_LAST 0xee
#define VEC_TIMER 0xef
#define VEC_RESCHED 0xf0 /* another CPU queued a thread here */
#define VEC_CALL 0xf1	 /* run smp_call_all()'s function */
#define VEC_SPURIOUS 0xff

int lapic_init(void);
/* Fires VEC_TIMER once, ns from now (0: cancel). */
void lapic_timer_oneshot(uint64_t ns);
void lapic_eoi(void);
void lapic_init_ap(void);
uint32_t lapic_id(void);
/* "x2apic, tsc-deadline", "xapic, one-shot", ...; "off" before lapic_init(). */
const char *lapic_mode(void);
/* Can an IPI reach this APIC ID?  (xAPIC addresses 0..254 only.) */
bool lapic_can_reach(uint32_t apic);
void lapic_send_ipi(uint32_t apic, uint8_t vector);
void lapic_send_init(uint32_t apic);
void lapic_send_startup(uint32_t apic, uint8_t page);

#endif
