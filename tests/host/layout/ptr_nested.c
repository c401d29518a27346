/* ptrs.c with a and b of the nested struct inner (in an array, behind outer_p) exchanged. */
#define LAYOUT_NESTED 1
#include "ptrs.c"
