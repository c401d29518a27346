/*
 * A test crate in two versions (tests/kernel/test_evolve.c): version 1 keeps
 * a count and a total of the values added; tstate_v2.c changes that layout
 * and carries the state over with its tstate_state_transfer. tuser.c uses
 * both versions' data and functions from another crate.
 */
#include <stdint.h>

struct tstate {
	uint32_t count;
	uint64_t total;
};

struct tstate tstate = { 0, 0 };

void tstate_add(uint64_t value)
{
	tstate.count++;
	tstate.total += value;
}

uint64_t tstate_total(void)
{
	return tstate.total;
}

uint64_t tstate_count(void)
{
	return tstate.count;
}

/* The version a caller runs. */
unsigned tstate_version(void)
{
	return 1;
}
