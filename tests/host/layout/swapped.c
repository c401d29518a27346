/* base.c with two fields exchanged. */
#define LAYOUT_SWAPPED 1
#include "base.c"
