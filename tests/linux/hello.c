/* tests/linux/hello.c: the smallest program; check-linux runs it static, static-PIE and dynamic. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from %s with %d arguments\n", argv[0], argc - 1);
	return argc > 1 ? 3 : 0;
}
