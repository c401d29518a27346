/*
 * The push channel (issue 18): COM2, which `make run` connects to the UNIX
 * socket build/push.sock, carries upload frames (push/frame.h) from the host
 * tool; the kernel checks each and keeps an accepted object in memory, where
 * `objects` lists it and `forget` frees it. Each upload is answered on COM2
 * with one line: "ok NAME SIZE CRC32" or "error ERR: message".
 */
#ifndef PUSH_PUSH_H
#define PUSH_PUSH_H

#include <nanoswap/err.h>
#include <stdbool.h>
#include <stdint.h>

#define PUSH_TIMEOUT_MS	1000	/* a frame that stalls this long is dropped (truncated) */
#define PUSH_COM2	0x2F8
#define PUSH_IRQ	3

/* COM2 on, its receive interrupt routed, the receiving thread started. */
enum err push_init(void) NS_MUST_CHECK;

/* An upload kept: its bytes (kernel memory), size and CRC-32. */
struct push_object {
	char name[32];
	uint8_t *data;
	uint32_t size, crc;
	struct push_object *next;
};
/* The upload named name, or NULL. */
const struct push_object *push_object_find(const char *name);
/* Call fn for each upload, newest first. */
void push_for_each(void (*fn)(void *ctx, const struct push_object *o), void *ctx);
/* Free upload name: E_LD_NOT_FOUND if there is none. */
enum err push_forget(const char *name) NS_MUST_CHECK;

struct push_stats {
	uint64_t frames, accepted, refused, bytes;
};
void push_get_stats(struct push_stats *out);

#endif
