/*
 * libFuzzer target for the trace file reader (tools/osprey/tracefile.c):
 * parse, then format every record as `osprey trace list` would.  A bad
 * file must come back as -EINVAL with a reason, never a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "../../tools/osprey/tracefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tracefile tf;
	char err[256], out[1024];
	int r = tracefile_parse(data, size, &tf, err, sizeof(err));

	if (r != 0) {
		if ((r != -22 && r != -12) || (r == -22 && !err[0]))
			abort();
		return 0;
	}
	for (size_t i = 0; i < tf.nr_events; i++) {
		const struct tf_event *ev = &tf.events[i];

		if (ev->id >= tf.nr_points || (i && ev->tsc < tf.events[i - 1].tsc))
			abort();
		if (tracefile_format(&tf, ev, out, sizeof(out)) >= sizeof(out) ||
		    strlen(out) >= sizeof(out))
			abort();
		tracefile_ns(&tf, ev->tsc);
	}
	tracefile_free(&tf);
	return 0;
}
