/*
 * libFuzzer target for the kernel command line parser (kernel/core/cmdline.c).
 * Checks the parser's promises: it returns 0 or -EINVAL, an error always has
 * a message, and every word it hands back lies inside the buffer it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <osprey/cmdline.h>

#define MAX 2048

static int inside(const char *p, const char *buf)
{
	return p >= buf && p < buf + MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[MAX];
	struct boot_options o;
	char err[128];

	if (size >= MAX)
		size = MAX - 1;
	memcpy(buf, data, size);
	buf[size] = 0;
	int ret = cmdline_parse(buf, &o, err, sizeof(err));

	if (ret != 0 && ret != -22)
		abort();
	if (ret) {
		if (!err[0])
			abort();
		return 0;
	}
	if (o.argc < 0 || o.argc > CMDLINE_MAX_ARGS || o.argv[o.argc])
		abort();
	for (int i = 0; i < o.argc; i++)
		if (!inside(o.argv[i], buf))
			abort();
	for (int i = 0; i < o.envc; i++)
		if (!inside(o.envp[i], buf) || !strchr(o.envp[i], '='))
			abort();
	if (o.loglevel < -1 || o.loglevel > 7 || o.poweroff < 0 || o.poweroff > POWEROFF_RESET)
		abort();
	return 0;
}
