/*
 * Reads standard input (on Osprey: the serial console) to end of file,
 * twice, and writes back what it got, one "echo: LINE" per line.  The
 * system test console.stdin_reaches_the_program (tests/system) waits for
 * the prompt, types "hello\rworld\n" Ctrl-D "again" Ctrl-D into QEMU's
 * serial line and expects:
 *
 *	stdin_echo: type now
 *	poll stdin: 1 POLLIN
 *	echo: hello
 *	echo: world
 *	end of file after 12 bytes
 *	echo: again
 *	end of file after 5 bytes
 *
 * (the carriage return arrives as a newline, as from a terminal in ICRNL
 * mode; each Ctrl-D ends one stretch with a read that returns 0).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Reads fd 0 until a read returns 0; prints each line and the count. */
static int read_to_eof(void)
{
	char all[4096];
	size_t total = 0;

	for (;;) {
		ssize_t n = read(0, all + total, sizeof(all) - 1 - total);

		if (n < 0) {
			printf("read: error %d\n", errno);
			return 1;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total == sizeof(all) - 1)
			break;
	}
	all[total] = 0;
	for (char *line = all, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			printf("echo: %s\n", line);
			break;
		}
		printf("echo: %.*s\n", (int)(nl - line), line);
	}
	printf("end of file after %zu bytes\n", total);
	return 0;
}

int main(void)
{
	struct pollfd pf = { .fd = 0, .events = POLLIN };
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("stdin_echo: type now\n");
	ret = poll(&pf, 1, 20000);
	printf("poll stdin: %d%s\n", ret, pf.revents & POLLIN ? " POLLIN" : "");
	if (read_to_eof() || read_to_eof())
		return 1;
	return 0;
}
