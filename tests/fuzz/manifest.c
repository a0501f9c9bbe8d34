/*
 * libFuzzer target for the module manifest parser (`osprey image`,
 * tools/osprey/image.c): the input is a manifest's text.  It must parse or
 * fail with a file:line message, never crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/osprey/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct module *m = calloc(1, sizeof(*m));
	char err[512] = "";
	int ret;

	if (!m)
		return 0;
	ret = image_manifest_parse(m, (const char *)data, size, "fuzz/manifest", err, sizeof(err));
	if (ret && strncmp(err, "fuzz/manifest", 13) != 0)
		abort();
	if (!ret &&
	    (!m->name[0] || m->nentries > IMAGE_MAX_ENTRIES || m->nrequires > IMAGE_MAX_REQUIRES))
		abort();
	image_module_free(m);
	return 0;
}
