/* TEMPORARY stub until the vDSO lands (wt-vdso). */
#include <osprey/mm.h>
#include <osprey/time.h>
#include <osprey/vdso.h>
static char page[2][4096] __attribute__((aligned(4096)));
const void *vdso_image(size_t *len)
{
	*len = 4096;
	return page[1];
}
void *vdso_data_page(void)
{
	return page[0];
}
void vdso_update(void)
{
}
int time_clock_get(int clock, int64_t *sec, int64_t *nsec)
{
	uint64_t ns = clock_ns();
	if (clock < 0 || clock > 11)
		return -EINVAL;
	*sec = (int64_t)(ns / 1000000000);
	*nsec = (int64_t)(ns % 1000000000);
	return 0;
}
int time_clock_getres(int clock, int64_t *sec, int64_t *nsec)
{
	if (clock < 0 || clock > 11)
		return -EINVAL;
	*sec = 0;
	*nsec = 1;
	return 0;
}
