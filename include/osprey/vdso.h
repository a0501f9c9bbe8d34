/* TEMPORARY stub until the vDSO lands (wt-vdso). */
#ifndef OSPREY_VDSO_H
#define OSPREY_VDSO_H
#include <osprey/kernel.h>
const void *vdso_image(size_t *len);
void *vdso_data_page(void);
void vdso_update(void);
int time_clock_get(int clock, int64_t *sec, int64_t *nsec);
int time_clock_getres(int clock, int64_t *sec, int64_t *nsec);
#endif
