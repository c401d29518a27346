/* ptrs.c with struct pong (reached through struct ping) with two shorts for an int. */
#define LAYOUT_CHAIN 1
#include "ptrs.c"
