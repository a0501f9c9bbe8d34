/* Several CPUs: bring-up, and running a function on all of them (kernel/arch/x86_64/smp.c). */
#ifndef OSPREY_SMP_H
#define OSPREY_SMP_H

/* Starts every CPU the firmware lists; nr_cpus counts those that came up. */
void smp_init(void);
/* Runs fn(arg) on every other CPU and waits for all; interrupts must be on. */
void smp_call_all(void (*fn)(void *), void *arg);
void smp_call_handler(void);
/* Makes cpu look at its run queue (an IPI). */
void smp_send_resched(unsigned cpu);

#endif
