/*
 * The upload frame of the push channel (issue 18: an object sent from the
 * host to the running kernel). Little-endian, in this order:
 *
 *   magic     4 bytes  "NSP1"
 *   name_len  u16      1..PUSH_NAME_MAX
 *   name      name_len bytes: letters, digits, '_', '-', '.', '@'; not
 *                      starting with '.' (no '/', no space)
 *   size      u32      1..PUSH_OBJECT_MAX
 *   crc32     u32      CRC-32 (IEEE, as zlib's crc32) over name, then object
 *   object    size bytes
 *
 * The receiver (push_rx) checks each field as soon as it has it, before it
 * allocates or keeps anything; the encoder (push_frame_header) is the host
 * tool's, so that both sides share one definition. Pure C: built for the
 * host tests too.
 */
#ifndef PUSH_FRAME_H
#define PUSH_FRAME_H

#include <nanoswap/err.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUSH_MAGIC		"NSP1"
#define PUSH_NAME_MAX		31
#define PUSH_OBJECT_MAX		(16u << 20)	/* 16 MiB */
#define PUSH_FIXED_BYTES	14		/* the header without the name */

/* CRC-32 (reflected 0xEDB88320, init and final xor ~0): start with 0. */
uint32_t push_crc32(uint32_t crc, const void *p, size_t n);
/* Is name[0..len) a valid upload name (see above)? */
bool push_name_valid(const char *name, size_t len);
/* Write the header of a frame carrying `size` bytes at obj as `name` into
 * out (PUSH_FIXED_BYTES + PUSH_NAME_MAX bytes suffice); its length, or 0 if
 * the name or the size is not valid. */
size_t push_frame_header(uint8_t *out, const char *name, const void *obj, uint32_t size);

/* A frame being received. */
struct push_rx {
	/* the result, once push_rx_feed said done: the caller owns data */
	char name[PUSH_NAME_MAX + 1];
	uint8_t *data;
	uint32_t size;
	/* private */
	void *(*alloc)(size_t size);
	void (*free)(void *p);
	unsigned stage;
	uint8_t head[PUSH_FIXED_BYTES + PUSH_NAME_MAX];
	size_t have, want;
	uint32_t crc, got;
};

void push_rx_init(struct push_rx *rx, void *(*alloc)(size_t), void (*free)(void *));
/*
 * Take the bytes p[0..n): *used of them are this frame's. E_OK with *done
 * false: more is needed; with *done true: a whole frame was checked (name,
 * data, size set; the receiver is ready for the next). An error names the
 * first field at fault (E_PUSH_BAD_MAGIC, E_PUSH_BAD_NAME, E_PUSH_TOO_BIG,
 * E_PUSH_BAD_CHECKSUM, E_NO_HEAP): the frame is dropped, nothing kept, and
 * the receiver starts over with the byte after the one at fault.
 */
enum err push_rx_feed(struct push_rx *rx, const uint8_t *p, size_t n, size_t *used,
		      bool *done) NS_MUST_CHECK;
/* A frame cut short (the caller's timeout): drop what was received, keep
 * nothing; true if a frame was in progress (E_PUSH_TRUNCATED to report). */
bool push_rx_abort(struct push_rx *rx);

#endif
