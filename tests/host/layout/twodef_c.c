/* twodef_b.c with a and b of its struct pair exchanged. */
#define LAYOUT_TWODEF 1
#include "twodef_b.c"
