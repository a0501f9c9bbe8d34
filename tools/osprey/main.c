/*
 * `osprey`: the host command.  This file only dispatches to the
 * subcommands; help.c holds the help texts, docs/osprey-command.md is the manual.
 */
#include <stdio.h>
#include <string.h>

#include "osprey.h"

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(osprey_help, stderr);
		return OSPREY_EXIT_USAGE;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		if (argc > 2 && strcmp(argv[2], "run") == 0)
			fputs(osprey_run_help, stdout);
		else if (argc > 2 && strcmp(argv[2], "test") == 0)
			fputs(osprey_test_help, stdout);
		else if (argc > 2 && strcmp(argv[2], "trace") == 0)
			fputs(osprey_trace_help, stdout);
		else if (argc > 2 && strcmp(argv[2], "image") == 0)
			fputs(osprey_image_help, stdout);
		else
			fputs(osprey_help, stdout);
		return 0;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(cmd, "test") == 0)
		return cmd_test(argc - 2, argv + 2);
	if (strcmp(cmd, "trace") == 0)
		return cmd_trace(argc - 2, argv + 2);
	if (strcmp(cmd, "image") == 0)
		return cmd_image(argc - 2, argv + 2);
	fprintf(stderr, "osprey: unknown command '%s' (see osprey --help)\n", cmd);
	return OSPREY_EXIT_USAGE;
}
