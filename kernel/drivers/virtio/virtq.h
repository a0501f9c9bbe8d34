/*
 * Split virtqueues (virtio 1.x, "split virtqueue" layout), without any
 * architecture dependency: built into the kernel, the host unit tests and
 * the fuzz target (tests/fuzz/virtq.c).
 *
 * The rings live in memory the device can write, so nothing read back from
 * them is trusted: every used-ring entry is checked (its id is a head of a
 * chain in flight, its length fits that chain's device-writable bytes, the
 * used index never runs ahead of what is in flight) before the caller gets
 * its token back.  The free list of descriptors is kept in private memory,
 * never in the shared table's next fields.
 *
 * Little-endian host assumed (x86-64): virtio 1.x rings are little-endian.
 *
 * Lock legend: a virtq has no lock of its own; its user holds one lock per
 * queue around every call ([q] below).
 */
#ifndef OSPREY_VIRTQ_H
#define OSPREY_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTQ_MAX_SIZE 32768 /* the largest split queue the spec allows */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* size entries, then used_event (unused: no EVENT_IDX) */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* size entries, then avail_event */
};

/* Where each part lies in one block of memory of virtq_bytes(size) bytes. */
struct virtq_layout {
	size_t desc, avail, used, total;
};

/* A buffer of the chain: a device address and a length. */
struct virtq_buf {
	uint64_t addr;
	uint32_t len;
};

/* What the driver remembers about a chain in flight, by its head. */
struct virtq_slot {
	void *token;	   /* the caller's, given back on completion */
	uint32_t in_bytes; /* device-writable bytes of the chain */
	uint16_t ndesc;
	bool inflight;
};

/* Counters of what the device got wrong (each entry that was refused). */
struct virtq_errors {
	uint64_t bad_id;	/* used id >= queue size */
	uint64_t not_inflight;	/* used id is not the head of a chain in flight */
	uint64_t bad_len;	/* used len larger than the chain's writable bytes */
	uint64_t idx_ran_ahead; /* used idx moved by more than what is in flight */
};

struct virtq {
	uint16_t size;		   /* [i] a power of two, 1 .. VIRTQ_MAX_SIZE */
	struct virtq_desc *desc;   /* [q] shared with the device */
	struct virtq_avail *avail; /* [q] shared */
	struct virtq_used *used;   /* [q] shared: written by the device */
	struct virtq_slot *slots;  /* [q] private, size entries */
	uint16_t *free;		   /* [q] private stack of free descriptor numbers */
	uint16_t *link;		   /* [q] private copy of each descriptor's next */
	uint16_t nfree;		   /* [q] */
	uint16_t inflight;	   /* [q] chains handed to the device, not yet returned */
	uint16_t avail_idx;	   /* [q] our copy of avail->idx */
	uint16_t last_used;	   /* [q] the next used entry to read */
	bool broken;		   /* [q] the device broke the used ring's rules */
	const char *why;	   /* [q] what the last refused entry did wrong */
	struct virtq_errors err;   /* [q] */
};

/* -EINVAL unless size is a power of two from 1 to VIRTQ_MAX_SIZE. */
int virtq_layout(uint32_t size, struct virtq_layout *out);

/*
 * Sets q up over mem (virtq_layout's total bytes, zeroed here), slots
 * (size entries) and free (2 * size entries), both private.  -EINVAL for a
 * bad size.
 */
int virtq_init(struct virtq *q, uint32_t size, void *mem, struct virtq_slot *slots, uint16_t *free);

/*
 * Queues one chain: nout device-readable buffers, then nin device-writable
 * ones, and publishes it in the available ring.  token comes back from
 * virtq_get_used.  -EINVAL for an empty chain, a zero-length buffer or
 * writable bytes that overflow 32 bits; -ENOSPC when fewer than nout + nin
 * descriptors are free (reap and retry); -EIO once the queue is broken.
 * The caller notifies the device afterwards (after a full barrier).
 */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned nout, unsigned nin,
	      void *token);

/*
 * Takes the next used entry, checked:
 *   0        a completion: *token, *len (bytes the device wrote, <= the chain's)
 *   -EAGAIN  nothing new
 *   -EIO     the entry's length was too large: the chain is freed and *token
 *            given back, and the caller fails that request (q->why says why)
 *   -EINVAL  an entry whose id names no chain in flight: skipped (q->why)
 *   -ERANGE  the used index ran ahead of what is in flight: the queue is
 *            broken from now on (every later call says -ERANGE); the caller
 *            resets the device before it gives any in-flight buffer back
 */
int virtq_get_used(struct virtq *q, void **token, uint32_t *len);

/* True while a chain is in flight. */
static inline bool virtq_busy(const struct virtq *q)
{
	return q->inflight != 0;
}

/*
 * After the device was reset: forgets every chain in flight, calling fn on
 * each token, and starts the rings again from zero.
 */
void virtq_drain(struct virtq *q, void (*fn)(void *token, void *arg), void *arg);

#endif
