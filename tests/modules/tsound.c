/*
 * A test crate for the swap's soundness tests (tests/kernel/test_sound.c):
 * its own .bss holds a function pointer and a string pointer the test sets
 * to a copy of heap that a swap then replaces. The retire must see them (a
 * crate's own data is scanned) and keep that copy mapped while they hold.
 * It refers to nothing in the kernel: no edge keeps anything.
 */
#include <stdint.h>

typedef const char *tsound_fn(void);

static tsound_fn *held_fn;
static const char *held_str;

void tsound_set(tsound_fn *fn, const char *str)
{
	held_fn = fn;
	held_str = str;
}

tsound_fn *tsound_fn_held(void)
{
	return held_fn;
}

const char *tsound_str_held(void)
{
	return held_str;
}

/* Where the two words are (the test checks they are this crate's .bss). */
const void *tsound_slots(void)
{
	return &held_fn;
}
