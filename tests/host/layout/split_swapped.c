/* split_b.c with a and b of struct shared exchanged. */
#define LAYOUT_SPLIT 1
#include "split_b.c"
