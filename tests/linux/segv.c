/* tests/linux/segv.c: writes through a bad pointer; Linux ends it with SIGSEGV (status 139). */
#include <stdio.h>

/* Through a variable, so that the compiler does not see the bad address. */
volatile int *volatile bad = (volatile int *)16;

int main(void)
{
	printf("before the fault\n");
	fflush(stdout);
	*bad = 1;
	printf("after the fault\n");
	return 0;
}
