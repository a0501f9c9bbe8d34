/*
 * The smallest application: its arguments (with spaces, quotes and empty
 * ones, which must survive osprey run's quoting), three environment
 * variables the harness sets, and exit status 0.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const char *vars[] = { "HOME", "PATH", "TZ", "OSPREY_APPS_UNSET" };

	printf("hello, world\n");
	printf("argc: %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]: [%s]\n", i, argv[i]);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		printf("%s: %s%s%s\n", vars[i], v ? "[" : "", v ? v : "(unset)", v ? "]" : "");
	}
	return 0;
}
