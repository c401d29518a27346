/*
 * Host tests for kernel/push/frame.c: the CRC-32 against its check value,
 * frames encoded and received whole, byte by byte and back to back, and
 * every malformed field refused by name before anything is allocated (or,
 * for the checksum, with the allocation given back), a cut-short frame
 * dropped on abort, and an allocation failure.
 */
#include <push/frame.h>
#include <stdlib.h>

#include "check.h"

static int live, allocs, fail_alloc;

static void *t_alloc(size_t n)
{
	if (fail_alloc)
		return NULL;
	live++, allocs++;
	return malloc(n);
}

static void t_free(void *p)
{
	if (p)
		live--;
	free(p);
}

static struct push_rx rx;
static uint8_t frame[64 + 4096];

/* A frame of `size` pattern bytes named `name` into frame[]; its length. */
static size_t make_frame(const char *name, uint32_t size)
{
	uint8_t *body = frame + PUSH_FIXED_BYTES + strlen(name);
	size_t h;

	for (uint32_t i = 0; i < size; i++)
		body[i] = (uint8_t)(i * 7 + 3);
	h = push_frame_header(frame, name, body, size);
	return h ? h + size : 0;
}

static void reset(void)
{
	live = allocs = fail_alloc = 0;
	push_rx_init(&rx, t_alloc, t_free);
}

static void test_crc32_check_value(void)
{
	CHECK_EQ_U(push_crc32(0, "123456789", 9), 0xCBF43926u);
	CHECK_EQ_U(push_crc32(push_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

static void test_whole_frame(void)
{
	size_t n = make_frame("heap@2", 1000), used;
	bool done;

	reset();
	CHECK(n == PUSH_FIXED_BYTES + 6 + 1000);
	CHECK(push_rx_feed(&rx, frame, n, &used, &done) == E_OK);
	CHECK(done);
	CHECK_EQ_U(used, n);
	CHECK(strcmp(rx.name, "heap@2") == 0);
	CHECK_EQ_U(rx.size, 1000);
	CHECK(memcmp(rx.data, frame + PUSH_FIXED_BYTES + 6, 1000) == 0);
	t_free(rx.data);
	CHECK_EQ_U(live, 0);
}

static void test_byte_by_byte(void)
{
	size_t n = make_frame("shell", 333), used;
	bool done = false;

	reset();
	for (size_t i = 0; i < n; i++) {
		CHECK(push_rx_feed(&rx, frame + i, 1, &used, &done) == E_OK);
		CHECK_EQ_U(used, 1);
		CHECK(done == (i == n - 1));
	}
	CHECK(strcmp(rx.name, "shell") == 0 && rx.size == 333);
	t_free(rx.data);
}

static void test_back_to_back(void)
{
	static uint8_t two[2 * sizeof(frame)];
	size_t n = make_frame("a", 100), used;
	bool done;

	memcpy(two, frame, n);
	memcpy(two + n, frame, n);
	reset();
	CHECK(push_rx_feed(&rx, two, 2 * n, &used, &done) == E_OK && done);
	CHECK_EQ_U(used, n);	/* (the second frame's bytes are not this one's) */
	t_free(rx.data);
	CHECK(push_rx_feed(&rx, two + n, n, &used, &done) == E_OK && done);
	t_free(rx.data);
	CHECK_EQ_U(live, 0);
}

/* Feed frame[0..n) whole; the error it gives. */
static enum err feed_error(size_t n)
{
	size_t used;
	bool done;

	reset();
	return push_rx_feed(&rx, frame, n, &used, &done);
}

static void test_bad_magic(void)
{
	size_t n = make_frame("x", 10);

	frame[0] = 'M';
	CHECK(feed_error(n) == E_PUSH_BAD_MAGIC);
	CHECK_EQ_U(allocs, 0);
}

static void test_bad_names(void)
{
	static const char *const bad[] = { "a/b", "a b", ".hidden", "", "x\n",
		"abcdefghijklmnopqrstuvwxyz012345" /* 32 */ };
	size_t n = make_frame("okname", 10);

	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		size_t len = strlen(bad[k]);

		CHECK(push_frame_header(frame, bad[k], frame, 10) == 0); /* the encoder refuses */
		/* a frame forged with the name anyway */
		make_frame("okname", 10);
		if (len <= 6) {
			memset(frame + 6, 'a', 6);
			memcpy(frame + 6, bad[k], len);
			frame[4] = (uint8_t)len;
			if (len < 6)	/* (shorten: the rest moves down) */
				memmove(frame + 6 + len, frame + 12, n - 12);
		} else {
			frame[4] = (uint8_t)len;
		}
		CHECK(feed_error(n) == E_PUSH_BAD_NAME);
		CHECK_EQ_U(allocs, 0);
	}
}

static void test_bad_sizes(void)
{
	uint8_t *size_at = frame + 6 + 1;

	make_frame("z", 10);
	memset(size_at, 0, 4);
	CHECK(feed_error(PUSH_FIXED_BYTES + 1) == E_PUSH_TOO_BIG);
	CHECK_EQ_U(allocs, 0);
	make_frame("z", 10);
	size_at[0] = 1, size_at[1] = 0, size_at[2] = 0, size_at[3] = 1; /* 16 MiB + 1 */
	CHECK(feed_error(PUSH_FIXED_BYTES + 1) == E_PUSH_TOO_BIG);
	CHECK_EQ_U(allocs, 0);
	CHECK(push_frame_header(frame, "z", frame, PUSH_OBJECT_MAX + 1) == 0);
	CHECK(push_frame_header(frame, "z", frame, 0) == 0);
}

static void test_bad_checksum(void)
{
	size_t n = make_frame("memory@3", 500);

	frame[n - 17] ^= 0x40;	/* one bit of the object */
	CHECK(feed_error(n) == E_PUSH_BAD_CHECKSUM);
	CHECK_EQ_U(allocs, 1);
	CHECK_EQ_U(live, 0);	/* (given back) */
	n = make_frame("memory@3", 500);
	frame[7] ^= 1;		/* one bit of the name: the checksum covers it */
	CHECK(feed_error(n) == E_PUSH_BAD_CHECKSUM);
}

static void test_truncated_then_abort(void)
{
	size_t n = make_frame("half", 800), used;
	bool done;

	reset();
	CHECK(push_rx_feed(&rx, frame, n / 2, &used, &done) == E_OK && !done);
	CHECK(push_rx_abort(&rx));
	CHECK_EQ_U(live, 0);
	CHECK(!push_rx_abort(&rx));	/* (nothing in progress now) */
	CHECK(push_rx_feed(&rx, frame, n, &used, &done) == E_OK && done); /* a fresh start */
	t_free(rx.data);
}

static void test_out_of_heap(void)
{
	size_t n = make_frame("big", 64);

	reset();
	fail_alloc = 1;
	size_t used;
	bool done;
	CHECK(push_rx_feed(&rx, frame, n, &used, &done) == E_NO_HEAP);
	CHECK_EQ_U(live, 0);
}

int main(void)
{
	CHECK_RUN(test_crc32_check_value);
	CHECK_RUN(test_whole_frame);
	CHECK_RUN(test_byte_by_byte);
	CHECK_RUN(test_back_to_back);
	CHECK_RUN(test_bad_magic);
	CHECK_RUN(test_bad_names);
	CHECK_RUN(test_bad_sizes);
	CHECK_RUN(test_bad_checksum);
	CHECK_RUN(test_truncated_then_abort);
	CHECK_RUN(test_out_of_heap);
	return check_summary();
}
