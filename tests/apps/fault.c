/*
 * A write through NULL.  On Linux the process dies of SIGSEGV, which a
 * shell reports as status 139 (128 + 11); the guest must end the same way.
 * What was printed before the fault must have reached the console.
 */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;

	printf("about to write through NULL\n");
	fflush(stdout);
	*p = 1;
	printf("still alive after the write\n");
	return 0;
}
