/*
 * The name cache's table (kernel/fs/ncache.c): (directory, name) -> what
 * the name leads to, or "no such name" (a negative entry).  Portable, so
 * the host unit tests drive the code the kernel runs; the kernel binds it
 * to vnodes in namei.c and calls it with preemption off.
 *
 * A directory is named by (dev, ino): its mount's device number and its
 * inode number, never reused while the kernel runs (rofs makes a new vnode
 * for each lookup, so a vnode's address would not do; ramfs numbers its
 * nodes from a counter).  The value is an opaque node on which the table
 * holds a reference (ops->get, ops->put): a cached rofs vnode stays alive
 * and is shared by every later lookup.
 *
 * Set-associative like the page cache: a name hashes to one bucket of
 * NC_WAYS entries behind the bucket's own lock; CLOCK within the bucket
 * picks what to evict; names longer than NC_NAME_MAX are not cached.
 *
 * Staleness: a change to a directory must be followed by
 * ncache_invalidate() of each name it changed.  A lookup that missed
 * records the bucket's sequence number, asks the file system, then
 * inserts only if the number did not move; every invalidation (and flush)
 * moves it.  So an answer read before a change can never be inserted after
 * that change's invalidation, and an insert that slipped in before the
 * invalidation is removed by it.
 *
 * Lock legend: [b] the bucket's lock, [i] immutable after init.
 */
#ifndef OSPREY_FS_NCACHE_H
#define OSPREY_FS_NCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osprey/spinlock.h>

#define NC_WAYS 8
#define NC_NAME_MAX 35 /* an entry is 64 bytes */

struct nc_entry {
	uint64_t dev;  /* [b] the directory's file system; 0: an empty entry */
	uint64_t ino;  /* [b] the directory */
	void *node;    /* [b] referenced; NULL: the name does not exist */
	uint32_t hash; /* [b] */
	uint8_t len;   /* [b] */
	char name[NC_NAME_MAX];
};

struct nc_bucket {
	struct spinlock lock;
	uint32_t seq;	  /* [b] moved by every invalidation and flush */
	uint8_t accessed; /* [b] one bit per way: hit since the hand last passed */
	uint8_t hand;	  /* [b] */
	uint64_t hits, negative_hits, misses, evictions; /* [b] */
	struct nc_entry e[NC_WAYS];
};

struct nc_ops {
	void (*get)(void *node); /* called under a bucket lock: must take no lock */
	void (*put)(void *node); /* called with no bucket lock held */
};

struct ncache {
	struct nc_bucket *b;	  /* [i] */
	uint32_t nbuckets;	  /* [i] any number >= 1 */
	const struct nc_ops *ops; /* [i] */
};

struct ncache_counts {
	uint64_t entries, negative, hits, negative_hits, misses, evictions;
};

/* b: nbuckets zeroed buckets. */
void ncache_init(struct ncache *nc, struct nc_bucket *b, uint32_t nbuckets,
		 const struct nc_ops *ops, const char *lock_name);
uint32_t ncache_hash(uint64_t dev, uint64_t ino, const char *name, size_t len);
uint32_t ncache_bucket_index(const struct ncache *nc, uint32_t hash);
/*
 * True when the cache knows the name: *node is then the node with a
 * reference for the caller, or NULL for a name that does not exist.  False
 * on a miss, with *seq to pass to ncache_insert.
 */
bool ncache_lookup(struct ncache *nc, uint64_t dev, uint64_t ino, const char *name, size_t len,
		   void **node, uint32_t *seq);
/*
 * Caches what the file system answered after a miss (node NULL: no such
 * name; else the table takes its own reference).  Does nothing when the
 * bucket changed since the lookup (seq), the name is too long, or the name
 * is already cached.  Returns whether it inserted.
 */
bool ncache_insert(struct ncache *nc, uint64_t dev, uint64_t ino, const char *name, size_t len,
		   void *node, uint32_t seq);
/* Forgets name in directory (dev, ino), after a change to it. */
void ncache_invalidate(struct ncache *nc, uint64_t dev, uint64_t ino, const char *name, size_t len);
/* Forgets everything (mount, umount, dropping caches). */
void ncache_flush(struct ncache *nc);
void ncache_counts(struct ncache *nc, struct ncache_counts *out);

#endif
