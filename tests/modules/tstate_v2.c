/*
 * Version 2 of the test crate tstate (tstate.c): the total comes first, the
 * count is 64 bits, and a largest value is kept; tstate_state_transfer builds
 * it from version 1's data.
 */
#include <stdint.h>
#include <nano_core_swap/transfer.h>

struct tstate {
	uint64_t total;
	uint64_t count;
	uint64_t largest;	/* new in version 2: 0 until a value is added */
};

struct tstate tstate = { 0, 0, 0 };

void tstate_add(uint64_t value)
{
	tstate.count++;
	tstate.total += value;
	if (value > tstate.largest)
		tstate.largest = value;
}

uint64_t tstate_total(void)
{
	return tstate.total;
}

uint64_t tstate_count(void)
{
	return tstate.count;
}

uint64_t tstate_largest(void)
{
	return tstate.largest;
}

unsigned tstate_version(void)
{
	return 2;
}

/* Version 1's layout, as it ran. */
struct tstate_v1 {
	uint32_t count;
	uint64_t total;
};

#ifndef TSTATE_WITHOUT_TRANSFER	/* (tstate_v2x: the same version without it, refused) */
enum err tstate_state_transfer(const struct swap_old_data *old)
{
	size_t size;
	const struct tstate_v1 *v1 = swap_old_symbol(old, "tstate", &size);

	if (!v1 || size != sizeof(*v1))
		return E_SWAP_LAYOUT_CHANGED;
	tstate = (struct tstate){ .total = v1->total, .count = v1->count, .largest = 0 };
	return E_OK;
}
#endif
