/*
 * The push channel's frame (include/push/frame.h): its CRC-32, the name
 * rule, the encoder the host tool uses, and an incremental receiver that
 * checks each field as it arrives: magic and name length after 6 bytes, the
 * name and size before any allocation, the checksum after the last byte.
 */
#include <push/frame.h>
#include <lib/string.h>

enum { RX_HEAD, RX_REST, RX_BODY };

uint32_t push_crc32(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;

	crc = ~crc;
	while (n--) {
		crc ^= *b++;
		for (unsigned k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '@';
}

bool push_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > PUSH_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char(name[i]))
			return false;
	return true;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v), put16(p + 2, v >> 16);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t push_frame_header(uint8_t *out, const char *name, const void *obj, uint32_t size)
{
	size_t n = strlen(name);

	if (!push_name_valid(name, n) || size == 0 || size > PUSH_OBJECT_MAX)
		return 0;
	memcpy(out, PUSH_MAGIC, 4);
	put16(out + 4, (uint32_t)n);
	memcpy(out + 6, name, n);
	put32(out + 6 + n, size);
	put32(out + 10 + n, push_crc32(push_crc32(0, name, n), obj, size));
	return PUSH_FIXED_BYTES + n;
}

void push_rx_init(struct push_rx *rx, void *(*alloc)(size_t), void (*free)(void *))
{
	*rx = (struct push_rx){ .alloc = alloc, .free = free, .stage = RX_HEAD, .want = 6 };
}

/* Drop the frame in progress and wait for the next one. */
static void rx_restart(struct push_rx *rx)
{
	if (rx->stage == RX_BODY)
		rx->free(rx->data);
	push_rx_init(rx, rx->alloc, rx->free);
}

bool push_rx_abort(struct push_rx *rx)
{
	bool busy = rx->stage != RX_HEAD || rx->have > 0;

	rx_restart(rx);
	return busy;
}

/* The fixed fields are in: check them; E_OK moves on to the next stage. */
static enum err rx_header_done(struct push_rx *rx)
{
	size_t n = rx->head[4] | (size_t)rx->head[5] << 8;

	if (rx->stage == RX_HEAD) {
		if (memcmp(rx->head, PUSH_MAGIC, 4) != 0)
			return E_PUSH_BAD_MAGIC;
		if (n == 0 || n > PUSH_NAME_MAX)
			return E_PUSH_BAD_NAME;
		rx->stage = RX_REST;
		rx->want = PUSH_FIXED_BYTES + n;
		return E_OK;
	}
	if (!push_name_valid((const char *)rx->head + 6, n))
		return E_PUSH_BAD_NAME;
	rx->size = get32(rx->head + 6 + n);
	rx->crc = get32(rx->head + 10 + n);
	if (rx->size == 0 || rx->size > PUSH_OBJECT_MAX)
		return E_PUSH_TOO_BIG;
	if (!(rx->data = rx->alloc(rx->size)))
		return E_NO_HEAP;
	memcpy(rx->name, rx->head + 6, n);
	rx->name[n] = '\0';
	rx->stage = RX_BODY;
	rx->got = 0;
	return E_OK;
}

enum err push_rx_feed(struct push_rx *rx, const uint8_t *p, size_t n, size_t *used, bool *done)
{
	size_t i = 0;
	enum err e = E_OK;

	*done = false;
	while (i < n && e == E_OK && !*done) {
		if (rx->stage != RX_BODY) {
			rx->head[rx->have++] = p[i++];
			if (rx->have == rx->want)
				e = rx_header_done(rx);
			continue;
		}
		size_t k = rx->size - rx->got < n - i ? rx->size - rx->got : n - i;

		memcpy(rx->data + rx->got, p + i, k);
		rx->got += (uint32_t)k;
		i += k;
		if (rx->got < rx->size)
			continue;
		size_t nl = strlen(rx->name);
		if (push_crc32(push_crc32(0, rx->name, nl), rx->data, rx->size) != rx->crc) {
			e = E_PUSH_BAD_CHECKSUM;
			break;
		}
		*done = true;
		rx->stage = RX_HEAD;	/* (data is the caller's now) */
		rx->have = 0;
		rx->want = 6;
	}
	if (e != E_OK)
		rx_restart(rx);
	*used = i;
	return e;
}
