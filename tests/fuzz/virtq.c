/*
 * libFuzzer target for what a virtio device writes and the driver reads
 * (kernel/drivers/virtio/virtq.c, blk_check.c): the input drives a queue as
 * a script of driver adds and device used-ring writes (ids, lengths, index
 * jumps of any size), then is read as a virtio-blk configuration space and
 * status bytes.  ASan catches an access outside the rings or the private
 * arrays; the checks below catch broken contracts: a token given back that
 * was not in flight, a length above the chain's writable bytes, a
 * descriptor lost or freed twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/drivers/virtio/vblk.h"
#include "../../kernel/drivers/virtio/virtq.h"

#define MAXQ 256

struct input {
	const uint8_t *p;
	size_t n;
};

static uint32_t take(struct input *in, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

/* Per token: is it in flight, and how many writable bytes it has. */
static struct {
	int inflight;
	uint32_t in_bytes;
} tokens[MAXQ];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint32_t qsize = 1u << (take(&in, 1) % 9);
	struct virtq_layout l;
	struct virtq q;
	void *mem;
	struct virtq_slot *slots;
	uint16_t *freel;

	if (virtq_layout(qsize, &l))
		abort();
	mem = malloc(l.total);
	slots = malloc(sizeof(*slots) * qsize);
	freel = malloc(sizeof(*freel) * 2 * qsize);
	if (!mem || !slots || !freel)
		abort();
	if (virtq_init(&q, qsize, mem, slots, freel))
		abort();
	memset(tokens, 0, sizeof(tokens));
	unsigned ntok = 0, inflight_desc = 0;
	uint16_t ndesc_of[MAXQ];

	while (in.n) {
		uint8_t op = (uint8_t)take(&in, 1);

		if (op < 96) {
			/* the driver adds a chain of 1..4 buffers */
			struct virtq_buf b[4];
			unsigned n = 1 + op % 4, nout = (op / 4) % (n + 1);
			uint32_t wr = 0;

			for (unsigned i = 0; i < n; i++) {
				b[i].addr = take(&in, 2);
				b[i].len = take(&in, 2);
				if (i >= nout)
					wr += b[i].len;
			}
			unsigned tok = ntok % MAXQ;

			if (tokens[tok].inflight)
				continue;
			int r = virtq_add(&q, b, nout, n - nout, &tokens[tok]);

			if (r == 0) {
				tokens[tok].inflight = 1;
				tokens[tok].in_bytes = wr;
				ndesc_of[tok] = (uint16_t)n;
				inflight_desc += n;
				ntok++;
			}
		} else if (op < 200) {
			/* the device writes a used entry and moves the index by anything */
			struct virtq_used_elem *e = &q.used->ring[take(&in, 2) % qsize];

			e->id = take(&in, 4) % (op & 1 ? 0xffffffffu : 2 * qsize);
			e->len = take(&in, 4) % (op & 2 ? 0xffffffffu : 8192);
			q.used->idx = (uint16_t)(q.used->idx + take(&in, 1) % (op & 4 ? 256 : 3));
		} else {
			/* the driver reaps */
			for (int k = 0; k < 2 * MAXQ; k++) {
				void *token;
				uint32_t len;
				int r = virtq_get_used(&q, &token, &len);

				if (r == -11 || r == -22)
					break;
				if (r == -34) {
					virtq_drain(&q, NULL, NULL);
					memset(tokens, 0, sizeof(tokens));
					inflight_desc = 0;
					break;
				}
				if (r != 0 && r != -5)
					abort();
				unsigned tok = (unsigned)((char *)token - (char *)tokens) /
					       sizeof(tokens[0]);

				if (tok >= MAXQ || !tokens[tok].inflight)
					abort();
				if (r == 0 && len > tokens[tok].in_bytes)
					abort();
				tokens[tok].inflight = 0;
				inflight_desc -= ndesc_of[tok];
			}
		}
		if (q.nfree + inflight_desc != qsize)
			abort();
	}
	/* every descriptor exactly once on the free list or in a chain */
	free(mem);
	free(slots);
	free(freel);

	struct vblk_config cfg;
	const char *why;
	uint8_t cfgb[VBLK_CONFIG_LEN];
	size_t n = size < sizeof(cfgb) ? size : sizeof(cfgb);

	memcpy(cfgb, data, n);
	uint64_t feat = size ? ((uint64_t)data[size - 1] << 1) : 0;

	if (vblk_parse_config(cfgb, n, feat, &cfg, &why) == 0 &&
	    (cfg.capacity == 0 || cfg.capacity > VBLK_MAX_CAPACITY))
		abort();
	for (size_t i = 0; i < size && i < 4; i++) {
		int r = vblk_status(data[i], &why);

		if (r != 0 && r != -5)
			abort();
	}
	return 0;
}
