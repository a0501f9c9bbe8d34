/*
 * Split virtqueues: the descriptor table, the available ring the driver
 * fills and the used ring the device fills (virtq.h has the contract).
 *
 * Invariants, with the queue's lock held by the caller:
 *   - a descriptor is either on the private free stack or part of exactly
 *     one chain in flight, whose head's slot says how many it has;
 *   - inflight counts the chains handed over and not yet returned, so the
 *     device may legitimately advance used->idx by at most inflight;
 *   - every value read from the used ring is read once into a local and
 *     checked before it indexes anything.
 *
 * Memory order: the chain and the avail ring entry are written before
 * avail->idx is stored with release (the device reads idx, then the
 * entries); used->idx is loaded with acquire before the used entries it
 * covers are read (the device writes the entries, then idx).  On x86-64
 * both are plain moves; the fences order the compiler.
 *
 * Called by: the virtio-blk driver (blk.c), the unit tests and the
 * fuzz target.
 */
#include <string.h>

#include "virtq.h"

/* Portable: the kernel's (and Linux's) numbers, without the kernel's header. */
#define EAGAIN 11
#define EIO 5
#define ENOSPC 28
#define EINVAL 22
#define ERANGE 34

int virtq_layout(uint32_t size, struct virtq_layout *out)
{
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	out->desc = 0;
	out->avail = sizeof(struct virtq_desc) * (size_t)size;
	/* flags, idx, ring[size], used_event */
	out->used = (out->avail + 4 + 2 * (size_t)size + 2 + 3) & ~(size_t)3;
	/* flags, idx, ring[size], avail_event */
	out->total = out->used + 4 + sizeof(struct virtq_used_elem) * (size_t)size + 2;
	return 0;
}

int virtq_init(struct virtq *q, uint32_t size, void *mem, struct virtq_slot *slots, uint16_t *free)
{
	struct virtq_layout l;

	if (virtq_layout(size, &l))
		return -EINVAL;
	memset(mem, 0, l.total);
	memset(q, 0, sizeof(*q));
	q->size = (uint16_t)size;
	q->desc = (struct virtq_desc *)((char *)mem + l.desc);
	q->avail = (struct virtq_avail *)((char *)mem + l.avail);
	q->used = (struct virtq_used *)((char *)mem + l.used);
	q->slots = slots;
	q->free = free;
	q->link = free + size;
	memset(slots, 0, sizeof(*slots) * size);
	/* Pushed in reverse so that descriptor 0 is handed out first. */
	for (uint32_t i = 0; i < size; i++)
		free[i] = (uint16_t)(size - 1 - i);
	q->nfree = (uint16_t)size;
	return 0;
}

int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned nout, unsigned nin,
	      void *token)
{
	unsigned n = nout + nin;
	uint32_t in_bytes = 0;
	uint16_t head = 0, prev = 0;

	if (q->broken)
		return -EIO;
	if (n == 0 || n > q->size)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (bufs[i].len == 0)
			return -EINVAL;
		if (i >= nout && __builtin_add_overflow(in_bytes, bufs[i].len, &in_bytes))
			return -EINVAL;
	}
	if (n > q->nfree)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		uint16_t d = q->free[--q->nfree];

		q->desc[d].addr = bufs[i].addr;
		q->desc[d].len = bufs[i].len;
		q->desc[d].flags = (uint16_t)(i >= nout ? VIRTQ_DESC_F_WRITE : 0);
		q->desc[d].next = 0;
		if (i == 0) {
			head = d;
		} else {
			q->desc[prev].flags |= VIRTQ_DESC_F_NEXT;
			q->desc[prev].next = d;
			q->link[prev] = d;
		}
		prev = d;
	}
	q->slots[head] = (struct virtq_slot){
		.token = token, .in_bytes = in_bytes, .ndesc = (uint16_t)n, .inflight = true
	};
	q->inflight++;
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	/* release: the chain and the ring entry before the index; the device's read of idx pairs */
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	return 0;
}

/* Gives a chain's descriptors back, walking the private links: the shared table may have been scribbled on. */
static void free_chain(struct virtq *q, uint16_t head)
{
	struct virtq_slot *s = &q->slots[head];
	uint16_t d = head;

	for (uint16_t i = 0; i < s->ndesc; i++) {
		q->free[q->nfree++] = d;
		d = q->link[d];
	}
	s->inflight = false;
	s->token = NULL;
	q->inflight--;
}

int virtq_get_used(struct virtq *q, void **token, uint32_t *len)
{
	uint16_t idx, ahead;
	uint32_t id, used_len;
	struct virtq_slot *s;

	if (q->broken)
		return -ERANGE;
	/* acquire: pairs with the device's write of the entries before idx */
	idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	ahead = (uint16_t)(idx - q->last_used);
	if (ahead == 0)
		return -EAGAIN;
	if (ahead > q->inflight) {
		q->broken = true;
		q->err.idx_ran_ahead++;
		q->why = "used index ran ahead of the requests in flight";
		return -ERANGE;
	}
	/* each field read once: the device may change them while we look */
	const struct virtq_used_elem *e = &q->used->ring[q->last_used & (q->size - 1)];

	id = __atomic_load_n(&e->id, __ATOMIC_RELAXED);
	used_len = __atomic_load_n(&e->len, __ATOMIC_RELAXED);
	q->last_used++;
	if (id >= q->size) {
		q->err.bad_id++;
		q->why = "used id out of range";
		return -EINVAL;
	}
	s = &q->slots[id];
	if (!s->inflight) {
		q->err.not_inflight++;
		q->why = "used id is not a request in flight";
		return -EINVAL;
	}
	*token = s->token;
	*len = used_len;
	if (used_len > s->in_bytes) {
		q->err.bad_len++;
		q->why = "used length larger than the request's buffers";
		free_chain(q, (uint16_t)id);
		return -EIO;
	}
	free_chain(q, (uint16_t)id);
	return 0;
}

void virtq_drain(struct virtq *q, void (*fn)(void *token, void *arg), void *arg)
{
	for (uint32_t i = 0; i < q->size; i++) {
		if (!q->slots[i].inflight)
			continue;
		void *token = q->slots[i].token;

		q->slots[i].inflight = false;
		q->slots[i].token = NULL;
		if (fn)
			fn(token, arg);
	}
	for (uint32_t i = 0; i < q->size; i++)
		q->free[i] = (uint16_t)(q->size - 1 - i);
	q->nfree = q->size;
	q->inflight = 0;
	q->avail_idx = 0;
	q->last_used = 0;
	q->broken = false;
	q->avail->idx = 0;
	q->used->idx = 0;
}
