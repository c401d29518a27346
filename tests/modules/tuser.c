/*
 * A crate that uses tstate's data and code (tests/kernel/test_evolve.c):
 * its relocations refer to tstate's variable and functions, so a swap of
 * tstate to a new version must redirect them.
 */
#include <stdint.h>

struct tstate;
extern struct tstate tstate;
void tstate_add(uint64_t value);
uint64_t tstate_total(void);
unsigned tstate_version(void);

/* Add through tstate's code; the address of its variable as tuser sees it. */
void tuser_add(uint64_t value)
{
	tstate_add(value);
}

uint64_t tuser_total(void)
{
	return tstate_total();
}

unsigned tuser_version(void)
{
	return tstate_version();
}

const void *tuser_state_address(void)
{
	return &tstate;
}
