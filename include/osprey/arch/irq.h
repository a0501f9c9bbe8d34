/*
 * Device interrupts (kernel/arch/x86_64/irq.c): a GSI, routed by the
 * IOAPIC that serves it (found in the ACPI MADT) to a vector of its own,
 * whose handler runs in interrupt context with interrupts off.
 *
 * A handler must not sleep nor allocate; the locks it takes are taken
 * with interrupts off everywhere else (spin_lock_irqsave), or it could spin
 * on a lock its own CPU holds (docs/locking.md).  For a level-triggered
 * source it quiets the device (acknowledges it) before it returns: the
 * end-of-interrupt is sent after the handler, and a line still asserted
 * then is delivered again.
 */
#ifndef OSPREY_ARCH_IRQ_H
#define OSPREY_ARCH_IRQ_H

#include <stdbool.h>
#include <stdint.h>

enum irq_trigger { IRQ_EDGE, IRQ_LEVEL };

/*
 * Routes gsi (active high) to a new vector, delivered to the calling CPU,
 * and calls fn(arg) on each interrupt.  The local APIC is set up if it was
 * not (before the scheduler starts, only the boot CPU runs, so this is the
 * one that would).  Interrupts reach fn once they are on (sched_start()).
 * -ENODEV: no IOAPIC serves gsi, or this CPU's APIC id does not fit its
 * 8-bit destination; -ENOSPC: no vector left; -EBUSY: gsi is routed
 * already.  A vector is never given back.  Thread context; may be called
 * from several CPUs at once.
 */
int irq_attach(uint32_t gsi, enum irq_trigger trig, void (*fn)(void *arg), void *arg,
	       unsigned *vector);
/* Masks (or unmasks) gsi at its IOAPIC; any context. */
void irq_mask(uint32_t gsi, bool masked);
/* Interrupts taken on vector since it was attached. */
uint64_t irq_count(unsigned vector);
/* trap.c: a device vector came in.  Interrupts off. */
void irq_dispatch(unsigned vector);

#endif
