/* ptrs.c with the key of the self-referential struct ring unsigned. */
#define LAYOUT_CYCLE 1
#include "ptrs.c"
