/*
 * Intrusive doubly linked lists: a struct list inside each element, a
 * struct list as the head (an empty list points at itself).  Portable, for
 * the kernel and its host-built parts alike.  No locking: the owner of the
 * list says which lock guards it.
 */
#ifndef OSPREY_LIST_H
#define OSPREY_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
	struct list *next, *prev;
};

#define LIST_HEAD_INIT(name)     \
	{                        \
		&(name), &(name) \
	}

#define list_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void list_init(struct list *head)
{
	head->next = head->prev = head;
}

static inline bool list_empty(const struct list *head)
{
	return head->next == head;
}

/* Inserts n right after head (at the front). */
static inline void list_add(struct list *head, struct list *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

/* Inserts n right before head (at the back). */
static inline void list_add_tail(struct list *head, struct list *n)
{
	list_add(head->prev, n);
}

static inline void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

#endif
