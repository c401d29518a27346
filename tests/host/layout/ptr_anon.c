/* ptrs.c with x and y of the anonymous struct behind anon_p exchanged. */
#define LAYOUT_ANON 1
#include "ptrs.c"
