/* exit(42) after an atexit handler and buffered output: the status and the flush. */
#include <stdio.h>
#include <stdlib.h>

static void bye(void)
{
	printf("atexit handler ran\n");
}

int main(void)
{
	atexit(bye);
	printf("exiting with 42"); /* no newline: exit() must flush it */
	printf("\n");
	exit(42);
}
