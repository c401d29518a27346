/*
 * The uploads the push channel accepted: a list of named objects in heap
 * memory, under one spinlock. A second upload of a name replaces the
 * object; the first one's bytes are kept (a crate loaded from it reads its
 * relocations there), on a list of their own. forget frees one no crate
 * came from (the shell checks).
 */
#include <heap/heap.h>
#include <lib/spinlock.h>
#include <lib/string.h>
#include "push_internal.h"

static struct push_object *objects, *replaced;
static struct spinlock store_lock = SPINLOCK_INIT("push store");

const struct push_object *push_object_find(const char *name)
{
	uint64_t f = spin_lock_irqsave(&store_lock);
	const struct push_object *o = objects;

	while (o && strcmp(o->name, name) != 0)
		o = o->next;
	spin_unlock_irqrestore(&store_lock, f);
	return o;
}

void push_for_each(void (*fn)(void *ctx, const struct push_object *o), void *ctx)
{
	uint64_t f = spin_lock_irqsave(&store_lock);	/* (fn must not call back here) */

	for (const struct push_object *o = objects; o; o = o->next)
		fn(ctx, o);
	spin_unlock_irqrestore(&store_lock, f);
}

enum err push_store(const char *name, uint8_t *data, uint32_t size, uint32_t crc)
{
	struct push_object *o = kzalloc(sizeof(*o)), *old = NULL, **pp;
	uint64_t f;

	if (!o)
		return E_NO_HEAP;
	memcpy(o->name, name, strlen(name) + 1);
	o->data = data;
	o->size = size;
	o->crc = crc;
	f = spin_lock_irqsave(&store_lock);
	for (pp = &objects; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			old = *pp;
			*pp = old->next;
			break;
		}
	o->next = objects;
	objects = o;
	if (old) {
		old->next = replaced;
		replaced = old;
	}
	spin_unlock_irqrestore(&store_lock, f);
	return E_OK;
}

enum err push_forget(const char *name)
{
	struct push_object *old = NULL;
	uint64_t f = spin_lock_irqsave(&store_lock);

	for (struct push_object **pp = &objects; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			old = *pp;
			*pp = old->next;
			break;
		}
	spin_unlock_irqrestore(&store_lock, f);
	if (!old)
		return E_LD_NOT_FOUND;
	kfree(old->data);
	kfree(old);
	return E_OK;
}
